"""The batched trainer against the simplest reference: a loop of torch.nn networks with Adam and StepLR."""
import numpy as np
import pytest
import torch

from _support import cuda, rel_err
from nslkit import ACTIVATIONS, TrainConfig, learning_rate, train, training_data
from nslkit.backends.reference import train_naive
from nslkit.config import make_optimizer
from nslkit.results import curve_steps
from nslkit.train import resolve_backend, resolve_device


def _check_against_reference(cfg, backend, tol=1e-9):
    res = train(cfg, "cpu", progress=False, backend=backend)
    x, y = training_data(cfg)
    for i, s in enumerate(cfg.seeds):
        net, losses = train_naive(cfg, s, x, y)
        w, b = net[0].weight.detach(), net[0].bias.detach()
        v, c = net[2].weight.detach()[0], net[2].bias.detach()[0]
        assert rel_err(res.w[i], w) < tol
        assert rel_err(res.b[i], b) < tol
        assert rel_err(res.v[i], v) < tol
        assert rel_err(res.c[i], c) < tol
        assert rel_err(res.curve_loss[i], losses[res.curve_steps]) < tol
        final = (net(x).squeeze(-1) - y).square().mean().item()
        assert abs(res.train_mse[i] - final) <= tol * final
    return res


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("target", ["x2", "prod3"])
def test_eager_matches_reference(activation, target):
    # 300 steps cross two learning-rate boundaries (100, 200)
    cfg = TrainConfig(target=target, activation=activation, width=5, seeds=[0, 7], steps=300, lr_step=100,
                      points=64 if target == "x2" else 200, negative_slope=0.05, test_points=100)
    res = _check_against_reference(cfg, "eager")
    assert res.provenance["backend"] == "eager"


@pytest.mark.slow
@pytest.mark.parametrize("activation, target", [("silu", "x2"), ("relu", "x2"), ("leaky_relu", "prod2")])
def test_compiled_matches_reference(activation, target):
    cfg = TrainConfig(target=target, activation=activation, width=5, seeds=[3, 11], steps=300, lr_step=100,
                      test_points=100)
    res = _check_against_reference(cfg, "compiled")
    assert res.provenance["backend"] == "compiled"


@pytest.mark.parametrize("backend", ["eager", pytest.param("compiled", marks=pytest.mark.slow)])
@pytest.mark.parametrize("target", ["x2", "prod3"])
def test_network_identical_alone_in_batch_and_any_order(backend, target):
    base = TrainConfig(target=target, width=6, steps=150, lr_step=50, test_points=50)
    alone = train(base.replace(seeds=[13]), "cpu", progress=False, backend=backend)
    batch = train(base.replace(seeds=list(range(20))), "cpu", progress=False, backend=backend)
    order = train(base.replace(seeds=[19, 4, 13, 0]), "cpu", progress=False, backend=backend)
    for name in ("w", "b", "v", "c", "train_mse", "test_mse", "curve_loss"):
        a, b, o = (getattr(r, name) for r in (alone, batch, order))
        assert np.array_equal(a[0], b[13]), name
        assert np.array_equal(a[0], o[2]), name


def test_chunking_does_not_change_numbers(small_cfg):
    whole = train(small_cfg, "cpu", progress=False, backend="eager", max_elements=1 << 30)
    chunked = train(small_cfg, "cpu", progress=False, backend="eager", max_elements=1)  # one seed a chunk
    for name in ("w", "b", "v", "c", "train_mse", "curve_loss"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name)), name


def test_learning_rate_at_schedule_boundaries():
    cfg = TrainConfig(steps=50_000)
    p = torch.zeros(1, requires_grad=True)
    opt, sched = make_optimizer([p], cfg)
    used = []
    for step in range(50_000):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expect = {0: 1e-2, 9_999: 1e-2, 10_000: 2e-3, 19_999: 2e-3, 20_000: 4e-4, 30_000: 8e-5, 40_000: 1.6e-5, 49_999: 1.6e-5}
    for step, lr in expect.items():
        assert used[step] == pytest.approx(lr, rel=1e-12), step
        assert learning_rate(cfg, step) == pytest.approx(lr, rel=1e-12), step
    assert len(set(used)) == 5


def test_curve_sampling():
    s = curve_steps(50_000, 100)
    assert len(s) == 100 and s[0] == 0 and s[-1] == 49_999
    assert list(curve_steps(5, 100)) == [0, 1, 2, 3, 4]


def test_results_shapes_and_provenance(small_cfg):
    r = train(small_cfg, "cpu", progress=False)
    S, N = len(small_cfg.seeds), small_cfg.width
    assert r.w.shape == (S, N, 1) and r.b.shape == (S, N) and r.v.shape == (S, N) and r.c.shape == (S,)
    assert r.train_mse.shape == r.test_mse.shape == (S,)
    assert r.curve_loss.shape == (S, len(r.curve_steps))
    assert r.curve_loss[:, -1].min() >= r.train_mse.min() * 0.5  # last sample is close to the final loss
    for key in ("device", "torch", "git_commit", "date", "wall_s", "backend"):
        assert key in r.provenance
    assert r.w.dtype == np.float64
    r32 = train(small_cfg.replace(dtype="float32"), "cpu", progress=False)
    assert r32.w.dtype == np.float32


def test_float32_and_float64_start_from_the_same_networks():
    cfg = TrainConfig(width=3, seeds=2, steps=1, test_points=10, curve_points=1)
    a = train(cfg, "cpu", progress=False)
    b = train(cfg.replace(dtype="float32"), "cpu", progress=False)
    assert np.allclose(a.curve_loss, b.curve_loss, rtol=1e-6)


def test_devices_and_backends():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="valid devices"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    cfg = TrainConfig(width=2, seeds=2, steps=10)
    assert resolve_backend("auto", cfg, torch.device("cpu"), 100) == "eager"  # too small to compile
    with pytest.raises(ValueError, match="valid backends"):
        resolve_backend("jax", cfg, torch.device("cpu"), 100)


def test_small_scale_sanity_wider_is_better():
    """SiLU on x²: the width-10 median loss is below width 2's (C1 at a tiny scale)."""
    cfg = TrainConfig(seeds=16, steps=3000, lr_step=1000, test_points=100)
    m2 = np.median(train(cfg.replace(width=2), "cpu", progress=False).train_mse)
    m10 = np.median(train(cfg.replace(width=10), "cpu", progress=False).train_mse)
    assert m10 < m2 / 10, (m2, m10)


@cuda
@pytest.mark.parametrize("backend", ["eager", "compiled"])
def test_cuda_matches_cpu(backend):
    cfg = TrainConfig(width=5, seeds=4, steps=200, lr_step=70, test_points=100)
    cpu = train(cfg, "cpu", progress=False, backend="eager")
    gpu = train(cfg, "cuda", progress=False, backend=backend)
    assert gpu.provenance["device"].startswith("cuda")
    assert rel_err(gpu.w, cpu.w) < 1e-9 and rel_err(gpu.train_mse, cpu.train_mse) < 1e-9
