"""The optimisers beyond the paper's Adam (SGD with momentum, full-batch L-BFGS), the logarithmic
loss-curve grid, and the results keys they must leave as they were."""
import io
import json

import numpy as np
import pytest
import torch
from tqdm import tqdm

from _support import needs_triton, rel_err
from nslkit import OPTIMIZERS, Store, TrainConfig, run, train, training_data
from nslkit.backends import loop
from nslkit.backends.compiled import compile_works
from nslkit.backends.lbfgs import lbfgs_network, max_evaluations, mse_and_grad
from nslkit.backends.reference import train_naive
from nslkit.cli import main
from nslkit.config import make_optimizer
from nslkit.results import curve_steps
from nslkit.train import resolve_backend

# ---- keys ------------------------------------------------------------------------------------

#: Computed before the optimiser fields existed: thousands of stored result files are named by them.
PINNED = {
    "default": ({"width": 10}, "599741b79d1e7e16208f78564d229a0c24419467da359c2e15869b2b37490b69",
                "3ab69dcff8224a58b51bc1fea003d15c17b4a87762659a91a3bf45a219d3e970"),
    "other": ({"target": "sin", "activation": "leaky_relu", "width": 3, "seeds": (0, 5), "steps": 2000, "lr": 3e-3,
               "lr_step": 400, "dtype": "float32", "curve_points": 50, "points": 64},
              "8f2c82cdf53d85d0fb69963ccfccaa1dbed2624c61206603602604daaa04936e",
              "3998b6bee56487596843453860c235facf21069560aa8b8c58dcc8d892f06a94"),
}


@pytest.mark.parametrize("name", PINNED)
def test_existing_configs_keep_their_keys(name):
    fields, experiment_key, key = PINNED[name]
    cfg = TrainConfig(**fields)
    assert cfg.experiment_key() == experiment_key and cfg.key() == key
    d = cfg.to_dict()
    assert not {"optimizer", "momentum", "curve_grid"} & set(d)  # as stored before the fields existed
    assert TrainConfig.from_dict(d) == cfg


def test_optimizer_momentum_and_curve_grid_change_the_key():
    base = TrainConfig(width=10)
    variants = [base, base.replace(optimizer="sgd"), base.replace(optimizer="sgd", momentum=0.0),
                base.replace(optimizer="sgd", momentum=0.5), base.replace(optimizer="lbfgs"),
                base.replace(curve_grid="log"), base.replace(optimizer="sgd", curve_grid="log")]
    assert len({c.experiment_key() for c in variants}) == len({c.key() for c in variants}) == len(variants)
    for c in variants:
        assert TrainConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert base.replace(optimizer="sgd").to_dict()["momentum"] == 0.9  # SGD's momentum is always in the key
    assert "momentum" not in base.replace(optimizer="lbfgs").to_dict()
    zero = base.replace(optimizer="sgd", momentum=0.0).key()
    assert base.replace(optimizer="sgd", momentum=0).key() == base.replace(optimizer="sgd", momentum=-0.0).key() == zero


# ---- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'; valid values: adam, sgd, lbfgs"),
    ({"optimizer": "sgd", "momentum": 1.0}, r"momentum must lie in \[0, 1\), got 1.0"),
    ({"optimizer": "sgd", "momentum": -0.1}, r"momentum must lie in \[0, 1\), got -0.1"),
    ({"optimizer": "sgd", "momentum": float("nan")}, "momentum must be a finite number"),
    ({"optimizer": "adam", "momentum": 0.5}, "momentum 0.5 is for optimizer 'sgd' only"),
    ({"optimizer": "lbfgs", "dtype": "float32"}, "'lbfgs' trains in float64 only, got dtype 'float32'"),
    ({"optimizer": "lbfgs", "target": "prod2"}, "'lbfgs' trains one-input targets only, got 'prod2' with D = 2"),
    ({"curve_grid": "quadratic"}, "unknown curve_grid 'quadratic'; valid values: linear, log"),
])
def test_bad_optimizer_settings_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_momentum_bounds_are_accepted():
    assert TrainConfig(optimizer="sgd", momentum=0).momentum == 0.0
    assert TrainConfig(optimizer="sgd", momentum=0.99).momentum == 0.99
    assert OPTIMIZERS == ("adam", "sgd", "lbfgs")


def test_triton_serves_adam_only():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    for opt in ("sgd", "lbfgs"):
        cfg = TrainConfig(width=2, seeds=2, steps=10, optimizer=opt)
        # the backends offered instead: the loop kernel trains SGD (where numba is installed), not L-BFGS
        would = ["auto", "eager", "compiled", *(["loop"] if opt == "sgd" and loop.available() else [])]
        with pytest.raises(ValueError, match=f"backend 'triton' does not train optimizer '{opt}'; use "
                                             f"{', '.join(would[:-1])} or {would[-1]}$"):
            resolve_backend("triton", cfg, cpu, 100)
        assert resolve_backend("auto", cfg, gpu, 100) == "eager"  # never triton, even on a GPU
    with pytest.raises(ValueError, match="nslkit.backends.lbfgs"):
        make_optimizer([torch.zeros(1, requires_grad=True)], TrainConfig(optimizer="lbfgs"))


# ---- SGD against the plain torch.nn loop -----------------------------------------------------


def test_sgd_is_the_heavy_ball_with_the_step_schedule():
    cfg = TrainConfig(optimizer="sgd", momentum=0.5, lr=0.1, lr_decay=0.2, lr_step=2)
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt, sched = make_optimizer([p], cfg)
    assert isinstance(opt, torch.optim.SGD)
    grads = [torch.tensor(g, dtype=torch.float64) for g in ([1.0, -2.0], [3.0, 0.5], [-1.0, 1.0])]
    expect, buf, lr = torch.zeros(2, dtype=torch.float64), None, [0.1, 0.1, 0.02]
    for g, a in zip(grads, lr):
        p.grad = g.clone()
        opt.step()
        sched.step()
        buf = g if buf is None else 0.5 * buf + g  # v ← μ v + g (v = g at the first step), p ← p − lr v
        expect -= a * buf
    assert torch.allclose(p.detach(), expect, rtol=1e-14, atol=0)


def _check_sgd_against_reference(cfg, backend, tol=1e-10):
    res = train(cfg, "cpu", progress=False, backend=backend)
    assert res.provenance["backend"] == backend
    x, y = training_data(cfg)
    for i, s in enumerate(cfg.seeds):
        net, losses = train_naive(cfg, s, x, y)
        assert rel_err(res.w[i], net[0].weight.detach()) < tol
        assert rel_err(res.b[i], net[0].bias.detach()) < tol
        assert rel_err(res.v[i], net[2].weight.detach()[0]) < tol
        assert rel_err(res.c[i], net[2].bias.detach()) < tol
        assert rel_err(res.curve_loss[i], losses[res.curve_steps]) < tol
        final = (net(x).squeeze(-1) - y).square().mean().item()
        assert abs(res.train_mse[i] - final) <= tol * final
    return res


@pytest.mark.parametrize("activation, width, momentum", [("silu", 1, 0.9), ("silu", 7, 0.0), ("relu", 4, 0.5),
                                                         ("leaky_relu", 12, 0.9)])
def test_sgd_eager_matches_reference(activation, width, momentum):
    # 300 steps cross two learning-rate boundaries (100, 200)
    cfg = TrainConfig(activation=activation, width=width, seeds=[0, 5, 9], steps=300, lr_step=100, points=64,
                      test_points=100, optimizer="sgd", momentum=momentum, lr=0.05)
    res = _check_sgd_against_reference(cfg, "eager")
    assert np.all(res.train_mse < res.curve_loss[:, 0])  # it learnt something


@pytest.mark.slow
def test_sgd_compiled_matches_reference():
    if not compile_works("cpu"):
        pytest.skip("torch.compile does not work here")
    cfg = TrainConfig(activation="silu", width=5, seeds=[3, 11], steps=300, lr_step=100, test_points=100,
                      optimizer="sgd", momentum=0.8, lr=0.05)
    _check_sgd_against_reference(cfg, "compiled")


# ---- L-BFGS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["silu", "relu", "leaky_relu"])
def test_lbfgs_gradient_matches_autograd(activation):
    g = torch.Generator().manual_seed(1)
    N, P = 7, 100
    x = torch.linspace(-2, 2, P, dtype=torch.float64)
    y = torch.sin(2 * x)
    for _ in range(3):
        theta = torch.randn(3 * N + 1, dtype=torch.float64, generator=g).requires_grad_()
        w, b, v, c = theta[:N], theta[N:2 * N], theta[2 * N:3 * N], theta[3 * N]
        z = w[:, None] * x + b[:, None]  # (N, P)
        h = {"silu": torch.nn.functional.silu, "relu": torch.relu,
             "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.03)}[activation](z)
        loss = ((v @ h + c - y) ** 2).mean()
        (grad,) = torch.autograd.grad(loss, theta)
        ours, dours = mse_and_grad(theta.detach().numpy(), x.numpy(), y.numpy(), activation, 0.03)
        assert ours == pytest.approx(loss.item(), rel=1e-12)
        assert rel_err(dours, grad) < 1e-10


@pytest.fixture(scope="module")
def lbfgs_runs():
    """Width 2 on x², 400 iterations: some networks stop early (the line search gets no further), some do not."""
    cfg = TrainConfig(width=2, seeds=[0, 1, 3, 4, 6], steps=400, optimizer="lbfgs", test_points=100, curve_points=60)
    return cfg, train(cfg, "cpu", progress=False), train(cfg.replace(steps=399), "cpu", progress=False)


def test_lbfgs_curve_decreases_and_ends_at_the_final_loss(lbfgs_runs):
    cfg, res, shorter = lbfgs_runs
    its = np.asarray(res.provenance["iterations"])
    assert res.provenance["backend"] == "scipy-lbfgsb" and res.provenance["maxfun"] == max_evaluations(400) == 820
    assert sum(res.provenance["lbfgs_stops"].values()) == len(cfg.seeds)
    assert (its < cfg.steps).any() and (its == cfg.steps).any() and its.min() > 0
    assert np.array_equal(res.curve_steps, curve_steps(400, 60))
    eps = np.finfo(np.float64).eps
    assert np.all(np.diff(res.curve_loss, axis=1) <= 4 * eps * res.curve_loss[:, :-1])  # only decreases are accepted
    assert np.all(res.curve_loss[:, -1] < res.curve_loss[:, 0])
    early = its < cfg.steps  # held at the final loss after stopping
    np.testing.assert_allclose(res.curve_loss[early, -1], res.train_mse[early], rtol=1e-8)
    # the last sample is the loss after steps − 1 iterations, the final loss of a run capped there
    np.testing.assert_allclose(res.curve_loss[:, -1], shorter.train_mse, rtol=1e-8)
    assert np.all(res.train_mse[~early] < res.curve_loss[~early, -1])


def test_lbfgs_network_alone_equals_in_batch(lbfgs_runs):
    cfg, res, _ = lbfgs_runs
    alone = train(cfg.replace(seeds=[3]), "cpu", progress=False)
    for name in ("w", "b", "v", "c", "train_mse", "test_mse", "curve_loss"):
        assert np.array_equal(getattr(alone, name)[0], getattr(res, name)[2]), name
    assert alone.provenance["iterations"] == [res.provenance["iterations"][2]]


def test_lbfgs_network_holds_the_final_loss_past_an_early_stop():
    x = np.linspace(-2, 2, 50)
    theta = np.array([1.0, 0.0, 1.0, 0.0])  # N = 1
    _, curve, nit, message = lbfgs_network(theta, x, x**2, "relu", 0.01, 1000, np.arange(1000))
    assert nit < 1000 and "ITERATIONS REACHED LIMIT" not in message
    assert np.all(curve[nit:] == curve[nit])


def test_lbfgs_beats_adam_at_500_steps_on_x2():
    """Measured: at N = 10 on x², L-BFGS's 500 iterations end between 1e-9 and 4e-7, Adam's 500 steps
    between 9e-4 and 2e-2 (20 seeds); the margin is 3 orders of magnitude."""
    cfg = TrainConfig(width=10, seeds=10, steps=500, test_points=100)
    adam = train(cfg, "cpu", progress=False, backend="eager")
    lbfgs = train(cfg.replace(optimizer="lbfgs"), "cpu", progress=False)
    assert np.sum(lbfgs.train_mse < adam.train_mse) >= 9
    assert np.median(lbfgs.train_mse) < 1e-3 * np.median(adam.train_mse)


def test_lbfgs_progress_bar_counts_networks_or_advances_a_callers_bar_by_steps(capsys):
    cfg = TrainConfig(width=2, seeds=3, steps=7, optimizer="lbfgs", test_points=50)
    train(cfg, "cpu", progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "network" in err and "(lbfgs)" in err
    bar = tqdm(total=cfg.steps, file=io.StringIO())
    train(cfg, "cpu", progress=bar)
    assert bar.n == cfg.steps


# ---- the logarithmic curve grid --------------------------------------------------------------


@pytest.mark.parametrize("steps, n", [(50_000, 100), (2_000_000, 100), (500, 100), (300, 20), (10_000, 5000)])
def test_log_grid(steps, n):
    s = curve_steps(steps, n, "log")
    assert s[0] == 0 and s[-1] == steps - 1 and np.all(np.diff(s) > 0) and s.dtype == np.int64
    assert len(s) == n and np.array_equal(s[:5], np.arange(5))
    linear = curve_steps(steps, n)
    assert np.mean(s < steps / 10) > 1.5 * np.mean(linear < steps / 10)  # dense early, sparse late
    far = s[s >= 1000]  # where rounding to whole steps moves log(s + 1) by < 0.05%, well below
    if steps >= 100 * n:  # the log spacing when the samples are sparse: there s + 1 is evenly spaced in log
        ratios = np.diff(np.log(far + 1.0))
        assert ratios.max() < 1.02 * ratios.min()


def test_log_grid_at_small_step_counts():
    assert list(curve_steps(5, 100, "log")) == [0, 1, 2, 3, 4]
    assert list(curve_steps(3, 2, "log")) == [0, 2]
    assert list(curve_steps(1, 100, "log")) == [0]
    with pytest.raises(ValueError, match="valid values: linear, log"):
        curve_steps(10, 5, "cubic")


def test_log_grid_reaches_the_trainers():
    cfg = TrainConfig(width=3, seeds=2, steps=300, test_points=50, curve_points=30, curve_grid="log")
    for c in (cfg, cfg.replace(optimizer="sgd"), cfg.replace(optimizer="lbfgs")):
        res = train(c, "cpu", progress=False)
        assert np.array_equal(res.curve_steps, curve_steps(300, 30, "log")) and res.curve_loss.shape == (2, 30)


@needs_triton
def test_log_grid_reaches_the_triton_sweep():
    cfg = TrainConfig(width=2, seeds=2, steps=30, test_points=50, curve_points=12, curve_grid="log")
    fast = train(cfg, "cpu", progress=False, backend="triton")  # Triton's CPU interpreter here (conftest)
    eager = train(cfg, "cpu", progress=False, backend="eager")
    assert np.array_equal(fast.curve_steps, curve_steps(30, 12, "log"))
    assert rel_err(fast.curve_loss, eager.curve_loss) < 1e-9


# ---- through the store and the command line -------------------------------------------------


def test_sgd_on_the_log_grid_round_trips_through_the_store(tmp_path):
    st = Store(tmp_path, chunk_size=2)
    cfg = TrainConfig(width=3, seeds=5, steps=120, lr_step=40, test_points=50, curve_points=20, optimizer="sgd",
                      momentum=0.7, curve_grid="log")
    trained = run(cfg, store=st, device="cpu", progress=False, backend="eager")
    assert len(st.files(cfg)) == 3 and not st.files(cfg.replace(optimizer="adam", momentum=0.9))
    back = st.load(cfg)
    for name in ("train_mse", "test_mse", "w", "b", "v", "c", "curve_steps", "curve_loss"):
        assert np.array_equal(getattr(back, name), getattr(trained, name)), name
    assert np.array_equal(back.curve_steps, curve_steps(120, 20, "log"))
    with np.load(st.files(cfg)[0]) as z:
        stored = json.loads(str(z["config_json"]))
    assert (stored["optimizer"], stored["momentum"], stored["curve_grid"]) == ("sgd", 0.7, "log")
    alone = train(cfg, "cpu", progress=False, backend="eager")  # chunking changed no bit
    assert np.array_equal(alone.w, back.w) and np.array_equal(alone.curve_loss, back.curve_loss)


def test_lbfgs_through_the_store_keeps_its_iterations(tmp_path):
    cfg = TrainConfig(width=2, seeds=3, steps=50, test_points=50, optimizer="lbfgs")
    trained = run(cfg, store=Store(tmp_path, chunk_size=2), device="cpu", progress=False)
    back = Store(tmp_path).load(cfg)
    assert np.array_equal(back.w, trained.w)
    assert [r["iterations"] for r in back.provenance["runs"]] == [[50, 50], [50]]


def test_cli_optimizer_flags(tmp_path, capsys):
    args = ["train", "--widths", "2", "--seeds", "2", "--steps", "30", "--test-points", "20", "--quiet", "--json",
            "--store", str(tmp_path)]
    assert main([*args, "--optimizer", "sgd", "--momentum", "0.5", "--curve-grid", "log"]) == 0
    out = json.loads(capsys.readouterr().out)
    c = out["config"]
    assert (c["optimizer"], c["momentum"], c["curve_grid"]) == ("sgd", 0.5, "log") and out["chunks_trained"] == 1
    assert main([*args, "--optimizer", "lbfgs"]) == 0
    c = json.loads(capsys.readouterr().out)["config"]
    assert c["optimizer"] == "lbfgs" and "momentum" not in c and "curve_grid" not in c
    for bad, words in ((["--optimizer", "adagrad"], ("adagrad", "lbfgs")), (["--momentum", "0.5"], ("0.5", "sgd")),
                       (["--optimizer", "sgd", "--momentum", "1"], ("1.0", "[0, 1)")),
                       (["--optimizer", "lbfgs", "--dtype", "float32"], ("float32", "float64"))):
        with pytest.raises(SystemExit) as e:
            main([*args, *bad])
        err = capsys.readouterr().err
        assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and all(w in err for w in words), err
