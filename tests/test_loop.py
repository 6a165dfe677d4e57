"""The numba backend (nslkit.backends.loop): the whole Adam (or SGD) schedule in one kernel must give
what the per-step trainer and the plain torch.nn loop give, network by network, whatever the batch,
for one input and for the products' 2-5."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

import nslkit as nk  # noqa: E402
from nslkit.backends import loop  # noqa: E402
from nslkit.backends.reference import train_naive  # noqa: E402


def _rel(a, ref):
    """Normwise relative difference."""
    return float(np.linalg.norm(np.asarray(a) - ref) / np.linalg.norm(ref))


def test_exp_is_within_one_ulp_of_numpy():
    t = np.concatenate([np.linspace(-700, 700, 200_001), np.random.default_rng(0).normal(0, 5, 100_000)])
    got = loop.exp_into(t, np.empty_like(t))
    assert np.max(np.abs(got - np.exp(t)) / np.spacing(np.exp(t))) <= 1.0


def test_float32_exp_is_within_two_ulp_of_numpy_and_of_the_exact_value():
    t = np.concatenate([np.linspace(-87, 88, 200_001), np.random.default_rng(0).normal(0, 5, 100_000)])
    t = t.astype(np.float32)
    got = loop.exp_into(t, np.empty_like(t))
    assert got.dtype == np.float32
    exact = np.exp(t.astype(np.float64))
    # measured: 1.16 ulp from the exact value (NumPy's own float32 exp: 2.28), 2 from NumPy's
    assert np.max(np.abs(got - exact) / np.spacing(exact.astype(np.float32))) <= 1.5
    assert np.max(np.abs(got.astype(np.float64) - np.exp(t)) / np.spacing(np.exp(t))) <= 2.0


@pytest.mark.parametrize("activation,width", [("silu", 2), ("silu", 10), ("silu", 40), ("relu", 10),
                                              ("leaky_relu", 10)])
def test_loop_matches_the_per_step_trainer(activation, width):
    cfg = nk.TrainConfig(activation=activation, width=width, seeds=range(4), steps=1000, lr_step=200,
                         negative_slope=0.1)
    ref = nk.train(cfg, device="cpu", backend="eager", progress=False)
    got = nk.train(cfg, device="cpu", backend="loop", progress=False)
    for name in ("w", "b", "v", "c", "curve_loss", "train_mse"):
        assert _rel(getattr(got, name), getattr(ref, name)) < 1e-9, name
    assert got.provenance["backend"] == "loop"


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_loop_matches_the_per_step_trainer_on_the_log_curve_grid(optimizer):
    # the log grid samples every early step (0, 1, 2, ...) and crosses the decays at lr_step = 100 and 200;
    # segments of 37 steps start inside the grid's dense head and between decays
    cfg = nk.TrainConfig(width=4, seeds=range(3), steps=300, lr_step=100, curve_grid="log", curve_points=40,
                         optimizer=optimizer, test_points=100)
    ref = nk.train(cfg, device="cpu", backend="eager", progress=False)
    got = loop.train_loop(cfg, progress=False, segment=37)
    assert np.array_equal(got.curve_steps, ref.curve_steps) and got.curve_steps[:5].tolist() == [0, 1, 2, 3, 4]
    for name in ("w", "b", "v", "c", "curve_loss", "train_mse"):
        assert _rel(getattr(got, name), getattr(ref, name)) < 1e-9, name


def _each(a, ref):
    """Relative difference network by network (the leading axis): (S,)."""
    a, ref = (np.asarray(t, dtype=np.float64).reshape(len(t), -1) for t in (a, ref))
    return np.linalg.norm(a - ref, axis=1) / np.linalg.norm(ref, axis=1)


def _check_float32(cfg):
    """The float32 kernel against the eager trainer in float32 and in float64, network by network.

    Over 1000 steps float32 rounding (6e-8) grows: the kernel and eager agree to 1e-7 - 1e-6 at
    D = 1 and to 3e-7 - 7e-6 at D = 3 (ReLU). Adam's normalised step amplifies the rounding of a
    gradient near zero, and a pre-activation within rounding of the kink at a training point may
    take either branch: there a network departs by 1e-5 to 1e-3 from another float32 trainer
    (measured: x² LeakyReLU seed 0, eager float32 1e-3 from float64, the kernel 3e-6; prod3 SiLU
    seed 0, eager 7e-6 from float64, the kernel 2e-5). So every network must be as close to the
    float64 run as eager's float32 run is (within 1e-5 or 4x eager's own distance), and the median
    network must agree with eager's float32 run to 1e-5.
    """
    ref = nk.train(cfg, device="cpu", backend="eager", progress=False)
    exact = nk.train(cfg.replace(dtype="float64"), device="cpu", backend="eager", progress=False)
    got = nk.train(cfg, device="cpu", backend="loop", progress=False)
    for name in ("w", "b", "v", "c", "curve_loss", "train_mse"):
        assert getattr(got, name).dtype == getattr(ref, name).dtype == np.float32, name
        g, r, e = getattr(got, name), getattr(ref, name), getattr(exact, name)
        assert np.all(_each(g, e) <= 1e-5 + 4 * _each(r, e)), name
        assert np.median(_each(g, r)) < 1e-5, name


@pytest.mark.parametrize("activation", ["silu", "relu", "leaky_relu"])
def test_float32_loop_matches_the_per_step_trainer_in_float32(activation):
    _check_float32(nk.TrainConfig(activation=activation, width=10, seeds=range(4), steps=1000, lr_step=200,
                                  negative_slope=0.1, dtype="float32"))


# D = 2, 3, 5 (4 is the same code; each D is compiled apart, a few seconds each). Measured over 1000
# steps, relative to eager: 1e-15 to 4e-15 in float64 at every D = 1 ... 5 and activation
@pytest.mark.parametrize("target,activation", [("prod2", "relu"), ("prod3", "silu"), ("prod5", "leaky_relu")])
def test_d_input_loop_matches_the_per_step_trainer(target, activation):
    cfg = nk.TrainConfig(target=target, activation=activation, width=6, seeds=range(3), steps=1000, lr_step=200,
                         points=200, negative_slope=0.1, test_points=100)
    ref = nk.train(cfg, device="cpu", backend="eager", progress=False)
    got = nk.train(cfg, device="cpu", backend="loop", progress=False)
    assert got.w.shape == ref.w.shape == (3, 6, cfg.dim)
    for name in ("w", "b", "v", "c", "curve_loss", "train_mse", "test_mse"):
        assert _rel(getattr(got, name), getattr(ref, name)) < 1e-9, name
    assert np.all(got.train_mse < got.curve_loss[:, 0])  # it learnt something


@pytest.mark.parametrize("activation", ["silu", "relu"])
def test_float32_d_input_loop_matches_the_per_step_trainer_in_float32(activation):
    _check_float32(nk.TrainConfig(target="prod3", activation=activation, width=6, seeds=range(3), steps=1000,
                                  lr_step=200, points=200, negative_slope=0.1, test_points=100, dtype="float32"))


@pytest.mark.parametrize("target,activation,momentum,dtype", [("x2", "silu", 0.9, "float64"),
                                                              ("x2", "relu", 0.0, "float64"),
                                                              ("prod3", "leaky_relu", 0.5, "float64"),
                                                              ("prod3", "silu", 0.9, "float32")])
def test_sgd_loop_matches_the_torch_nn_loop(target, activation, momentum, dtype):
    # torch.optim.SGD (heavy ball) and StepLR on one nn.Sequential per seed; 300 steps cross two decays
    cfg = nk.TrainConfig(target=target, activation=activation, width=5, seeds=[0, 5, 9], steps=300, lr_step=100,
                         points=64, test_points=100, optimizer="sgd", momentum=momentum, lr=0.05, negative_slope=0.1,
                         dtype=dtype)
    tol = 1e-10 if dtype == "float64" else 1e-5
    got = nk.train(cfg, device="cpu", backend="loop", progress=False)
    assert got.provenance["backend"] == "loop"
    x, y = nk.training_data(cfg)
    for i, s in enumerate(cfg.seeds):
        net, losses = train_naive(cfg, s, x, y)
        ref = {"w": net[0].weight, "b": net[0].bias, "v": net[2].weight[0], "c": net[2].bias[0],
               "curve_loss": losses[got.curve_steps]}
        for name, value in ref.items():
            assert _rel(getattr(got, name)[i], value.detach().numpy()) < tol, name
    eager = nk.train(cfg, device="cpu", backend="eager", progress=False)
    assert _rel(got.train_mse, eager.train_mse) < tol
    assert np.all(got.train_mse < got.curve_loss[:, 0])


@pytest.mark.parametrize("target,optimizer,dtype", [("x2", "adam", "float64"), ("x2", "adam", "float32"),
                                                    ("prod3", "adam", "float64"), ("prod3", "sgd", "float32")])
def test_a_network_trains_the_same_alone_and_in_a_batch(target, optimizer, dtype):
    cfg = nk.TrainConfig(target=target, width=7, seeds=range(5), steps=300, lr_step=100, dtype=dtype,
                         optimizer=optimizer, points=100, test_points=50)
    batch = nk.train(cfg, device="cpu", backend="loop", progress=False)
    alone = nk.train(cfg.replace(seeds=(3,)), device="cpu", backend="loop", progress=False)
    for name in ("w", "b", "v", "c", "curve_loss"):
        assert np.array_equal(getattr(alone, name)[0], getattr(batch, name)[3]), name


@pytest.mark.parametrize("target,optimizer", [("x2", "adam"), ("prod3", "sgd")])
def test_segments_do_not_change_the_numbers(target, optimizer):
    cfg = nk.TrainConfig(target=target, width=5, seeds=range(3), steps=250, lr_step=50, optimizer=optimizer,
                         points=100, test_points=50)
    one = loop.train_loop(cfg, progress=False, segment=1000)
    many = loop.train_loop(cfg, progress=False, segment=37)
    for name in ("w", "b", "v", "c", "curve_loss"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name


def test_out_of_scope_configs_are_refused():
    cfg = nk.TrainConfig(width=3, seeds=range(2), steps=10, optimizer="lbfgs")
    assert not loop.supports(cfg)
    with pytest.raises(ValueError, match="backend 'loop' trains adam or sgd .* got optimizer 'lbfgs'"):
        loop.train_loop(cfg, progress=False)
    with pytest.raises(ValueError, match=r"^backend 'loop' does not train optimizer 'lbfgs'; use auto, eager"):
        nk.train(cfg, device="cpu", backend="loop", progress=False)  # refused up front (train.resolve_backend)
    for fields in ({}, {"optimizer": "sgd"}, {"target": "prod5", "placement": "uniform", "dtype": "float32"},
                   {"activation": "leaky_relu"}):
        assert loop.supports(cfg.replace(**{"optimizer": "adam", **fields}))


def test_auto_runs_the_kernel_on_the_cpu_for_every_config_it_supports():
    import torch

    from nslkit.train import LOOP_THRESHOLD, resolve_backend

    cpu = torch.device("cpu")
    big = nk.TrainConfig(width=10, seeds=range(100), steps=1000)  # 1e8 element-steps at 100 points
    assert 100 * 10 * 100 * 1000 >= LOOP_THRESHOLD
    assert resolve_backend("auto", big, cpu, 100) == "loop"
    assert resolve_backend("auto", big.replace(steps=10), cpu, 100) == "eager"  # too small to pay
    for fields in ({"dtype": "float32"}, {"optimizer": "sgd"}, {"optimizer": "sgd", "momentum": 0.0},
                   {"target": "prod2"}, {"target": "prod5", "placement": "uniform", "activation": "relu"}):
        assert resolve_backend("auto", big.replace(**fields), cpu, 1000) == "loop", fields
    assert resolve_backend("auto", big.replace(optimizer="lbfgs"), cpu, 100) != "loop"  # out of scope


def test_bench_times_the_kernel_at_the_products_shape_and_with_sgd(capsys):
    from nslkit.backends.bench import bench
    from nslkit.backends.roofline import ACTIVATION_FLOPS
    from nslkit.cli import main

    # tiny settings: that it runs and what it reports, not how fast (python -m nslkit bench times)
    cfg = nk.TrainConfig(target="prod3", width=3, seeds=4, points=50)
    r = bench(cfg, steps=5, naive_networks=1, naive_steps=5, device="cpu", backends=["loop"], dtypes=["float64"],
              min_time=0)
    assert [row["trainer"] for row in r["rows"]] == ["naive", "loop"]
    assert (r["config"]["dim"], r["config"]["optimizer"]) == (3, "adam")
    roof = r["roofline"]["float64"]
    assert roof["flops_per_neuron_point_step"] == 4 * 3 + 6 + ACTIVATION_FLOPS["silu"]  # the 3-input first layer
    row = r["rows"][1]
    assert row["neuron_point_steps_per_s"] == pytest.approx(row["network_steps_per_s"] * 3 * 50)
    assert row["roofline_fraction"] == pytest.approx(row["neuron_point_steps_per_s"] / roof["neuron_point_steps_per_s"])
    assert main(["bench", "--target", "prod3", "--optimizer", "sgd", "--momentum", "0.5", "--seeds", "4",
                 "--width", "3", "--points", "50", "--steps", "5", "--naive-networks", "1", "--naive-steps", "5",
                 "--backend", "loop", "--dtype", "float32", "--min-time", "0", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["config"]["optimizer"], r["config"]["momentum"]) == ("sgd", 0.5)
    assert [(row["trainer"], row["dtype"]) for row in r["rows"]] == [("naive", "float32"), ("loop", "float32")]
    with pytest.raises(ValueError, match="bench times optimizer adam or sgd, not 'lbfgs'"):
        bench(nk.TrainConfig(optimizer="lbfgs"), device="cpu", backends=["loop"])


def _unprivileged() -> list[str]:
    """The command prefix that runs a process as a user who cannot write where root can ([] unless root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []  # nobody
    if not drop or subprocess.run([*drop, "true"], capture_output=True).returncode != 0:
        pytest.skip("root, and no setpriv that can drop to user nobody: a read-only folder would not stop root")
    return drop


def test_a_read_only_install_without_a_writable_home_trains_and_warns_once():
    # issue 33: no cache location numba can write (package folder read-only, no home, NUMBA_CACHE_DIR
    # unset) made importing the kernel fail with "cannot cache function 'exp_run': no locator available"
    drop = _unprivileged()
    root = Path(tempfile.mkdtemp(prefix="nslkit-readonly-"))  # not tmp_path, whose 0700 parents bar nobody
    try:
        shutil.copytree(Path(nk.__file__).parent, root / "nslkit", ignore=shutil.ignore_patterns("__pycache__"))
        for path in [*root.rglob("*"), root]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
        env.update(HOME=str(root / "home"), PYTHONPATH=str(root))  # a home that does not exist
        script = f"""if True:
            import os, sys
            import nslkit
            pkg = os.path.dirname(nslkit.__file__)
            assert pkg == {str(root / "nslkit")!r} and not os.access(pkg, os.W_OK), pkg  # the read-only copy
            assert not os.access(os.path.expanduser("~"), os.F_OK)
            from nslkit.cli import main
            sys.exit(main(["train", "--backend", "loop", "--no-store", "--quiet", "--json", "--widths", "2", "3",
                           "--seeds", "3", "--steps", "1000", "--test-points", "20"]))"""
        p = subprocess.run([*drop, sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                           timeout=600)
        assert p.returncode == 0, p.stderr
        out = json.loads(p.stdout)
        assert all(np.isfinite(out["train_mse"][w]).all() for w in ("2", "3"))  # both widths trained
        assert len(p.stderr.splitlines()) == 1 and "NUMBA_CACHE_DIR" in p.stderr, p.stderr  # one warning line
        assert not list(root.rglob("__pycache__"))
    finally:
        for path in [root, *root.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(root)


def test_the_kernel_uses_torchs_thread_count():
    import numba
    import torch

    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        loop.train_loop(nk.TrainConfig(width=2, seeds=range(2), steps=5), progress=False)
        assert numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(old)
