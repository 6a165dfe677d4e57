"""The population model against torch.nn and autograd."""
import math

import pytest
import torch
from torch import nn

from nslkit import ACTIVATIONS, TrainConfig, forward, init_population, loss_and_grads
from nslkit.backends.compiled import fused_loss_and_grads
from nslkit.activations import activate
from nslkit.population import Population
from nslkit.backends.reference import naive_network


@pytest.mark.parametrize("dim", [1, 3])
def test_init_is_nn_linear_default(dim):
    for seed in (0, 1, 12345):
        torch.manual_seed(seed)
        l1, l2 = nn.Linear(dim, 7), nn.Linear(7, 1)
        pop = init_population([seed], 7, dim, dtype=torch.float32)
        assert torch.equal(pop.w[0], l1.weight.detach())
        assert torch.equal(pop.b[0], l1.bias.detach())
        assert torch.equal(pop.v[0], l2.weight.detach()[0])
        assert torch.equal(pop.c[0], l2.bias.detach()[0])


def test_init_does_not_touch_global_rng():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    init_population(range(10), 4)
    assert torch.equal(torch.rand(3), expected)


def test_init_seed_independent_of_batch_and_order():
    alone = init_population([17], 5)
    batch = init_population(range(40), 5)
    shuffled = init_population([39, 17, 2, 0], 5)
    for a, b, c in zip(alone.tensors(), batch.tensors(), shuffled.tensors()):
        assert torch.equal(a[0], b[17])
        assert torch.equal(a[0], c[1])


def test_init_rejects_bad_width():
    with pytest.raises(ValueError, match="width"):
        init_population([0], 0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("target", ["x2", "prod3"])
def test_forward_matches_nn(activation, target):
    cfg = TrainConfig(target=target, activation=activation, width=6, seeds=4, negative_slope=0.07)
    pop = init_population(cfg.seeds, 6, cfg.dim)
    x = torch.randn(50, cfg.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    f = forward(pop, x, activation, 0.07)
    for s in cfg.seeds:
        net = naive_network(cfg, s)
        assert torch.allclose(f[s], net(x).squeeze(-1).detach(), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("grad_fn", [loss_and_grads, fused_loss_and_grads])
def test_gradients_match_autograd(activation, dim, grad_fn):
    g = torch.Generator().manual_seed(1)
    S, N, P = 5, 7, 33
    pop = Population(*(torch.randn(*s, dtype=torch.float64, generator=g) for s in [(S, N, dim), (S, N), (S, N), (S,)]))
    x = torch.randn(P, dim, dtype=torch.float64, generator=g)
    y = torch.randn(P, dtype=torch.float64, generator=g)
    loss, grads = grad_fn(pop, x, y, activation, 0.1)
    params = [t.clone().requires_grad_() for t in pop.tensors()]
    ref = (forward(Population(*params), x, activation, 0.1) - y).square().mean(1)
    ref.sum().backward()
    assert torch.allclose(loss, ref.detach(), rtol=1e-13)
    for ours, p in zip(grads.tensors(), params):
        assert torch.allclose(ours, p.grad, rtol=1e-11, atol=1e-13)


def test_activation_derivatives_at_zero_follow_autograd():
    z = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    for act, slope in [("relu", 0.0), ("leaky_relu", 0.2), ("silu", 0.0)]:
        zz = z.clone().requires_grad_()
        activate(zz, act, slope).sum().backward()
        _, d = activate(z, act, slope, grad=True)
        assert torch.equal(d, zz.grad), act


def test_activation_silu_value():
    z = torch.linspace(-5, 5, 11, dtype=torch.float64)
    assert torch.allclose(activate(z, "silu"), z / (1 + torch.exp(-z)), rtol=1e-15)
    with pytest.raises(ValueError, match="valid activations"):
        activate(z, "gelu")


def test_population_cat_and_select():
    pop = init_population(range(6), 3)
    back = Population.cat([pop.select(slice(0, 2)), pop.select(slice(2, 6))])
    assert all(torch.equal(a, b) for a, b in zip(pop.tensors(), back.tensors()))
    assert len(pop) == 6 and pop.width == 3 and math.isfinite(float(pop.c.sum()))


def test_the_compiled_step_does_not_depend_on_the_batch():
    """The compiled step (the CPU default) gives each network the same numbers alone, in slices and
    in the whole batch, at 20 random populations. The eager step does not promise this: torch's
    elementwise kernels compute a tensor's last partial vector with scalar code, so an element's
    rounding can depend on where it lies in its batch."""
    from nslkit.backends.compiled import compile_works, compiled_loss_and_grads

    if not compile_works("cpu"):
        pytest.skip("torch.compile does not work here")
    g = torch.Generator().manual_seed(2)
    S, N, P = 8, 3, 100
    x = torch.linspace(-2, 2, P, dtype=torch.float64)[:, None]
    y = x[:, 0] ** 2
    for _ in range(20):
        pop = Population(*(torch.randn(*s, dtype=torch.float64, generator=g) for s in [(S, N, 1), (S, N), (S, N), (S,)]))
        loss, grads = compiled_loss_and_grads(pop, x, y, "silu")
        for sl in (slice(0, 2), slice(2, 5), slice(5, 6), slice(6, 8)):
            loss_p, grads_p = compiled_loss_and_grads(pop.select(sl), x, y, "silu")
            assert torch.equal(loss_p, loss[sl])
            assert all(torch.equal(a, b[sl]) for a, b in zip(grads_p.tensors(), grads.tensors()))
