"""The numba backend (nslkit.backends.loop): the whole Adam schedule in one kernel must give what
the per-step trainer gives, network by network, whatever the batch."""
import numpy as np
import pytest

pytest.importorskip("numba")

import nslkit as nk  # noqa: E402
from nslkit.backends import loop  # noqa: E402


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


@pytest.mark.parametrize("activation", ["silu", "relu", "leaky_relu"])
def test_float32_loop_matches_the_per_step_trainer_in_float32(activation):
    # float32 rounding (2^-24 ≈ 6e-8) grows over 1000 steps: measured 1e-7 to 5e-7 relative
    cfg = nk.TrainConfig(activation=activation, width=10, seeds=range(4), steps=1000, lr_step=200,
                         negative_slope=0.1, dtype="float32")
    ref = nk.train(cfg, device="cpu", backend="eager", progress=False)
    got = nk.train(cfg, device="cpu", backend="loop", progress=False)
    for name in ("w", "b", "v", "c", "curve_loss", "train_mse"):
        assert getattr(got, name).dtype == getattr(ref, name).dtype, name
        assert _rel(getattr(got, name), getattr(ref, name)) < 1e-5, name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_network_trains_the_same_alone_and_in_a_batch(dtype):
    cfg = nk.TrainConfig(width=7, seeds=range(5), steps=300, lr_step=100, dtype=dtype)
    batch = nk.train(cfg, device="cpu", backend="loop", progress=False)
    alone = nk.train(cfg.replace(seeds=(3,)), device="cpu", backend="loop", progress=False)
    for name in ("w", "b", "v", "c", "curve_loss"):
        assert np.array_equal(getattr(alone, name)[0], getattr(batch, name)[3]), name


def test_segments_do_not_change_the_numbers():
    cfg = nk.TrainConfig(width=5, seeds=range(3), steps=250, lr_step=50)
    one = loop.train_loop(cfg, progress=False, segment=1000)
    many = loop.train_loop(cfg, progress=False, segment=37)
    assert np.array_equal(one.w, many.w) and np.array_equal(one.curve_loss, many.curve_loss)


def test_out_of_scope_configs_are_refused():
    for fields in ({"optimizer": "sgd"}, {"target": "prod2"}):
        with pytest.raises(ValueError, match="loop"):
            nk.train(nk.TrainConfig(width=3, seeds=range(2), steps=10, **fields), device="cpu", backend="loop",
                     progress=False)


def test_auto_runs_the_kernel_on_the_cpu_where_it_pays():
    import torch

    from nslkit.train import LOOP_THRESHOLD, resolve_backend

    cpu = torch.device("cpu")
    big = nk.TrainConfig(width=10, seeds=range(100), steps=1000)  # 1e8 element-steps at 100 points
    assert 100 * 10 * 100 * 1000 >= LOOP_THRESHOLD
    assert resolve_backend("auto", big, cpu, 100) == "loop"
    assert resolve_backend("auto", big.replace(dtype="float32"), cpu, 100) == "loop"
    assert resolve_backend("auto", big.replace(steps=10), cpu, 100) == "eager"  # too small to pay
    assert resolve_backend("auto", big.replace(optimizer="sgd"), cpu, 100) != "loop"  # out of scope
    assert resolve_backend("auto", big.replace(target="prod2"), cpu, 100) != "loop"


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
