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


def test_a_network_trains_the_same_alone_and_in_a_batch():
    cfg = nk.TrainConfig(width=7, seeds=range(5), steps=300, lr_step=100)
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
    for fields in ({"dtype": "float32"}, {"optimizer": "sgd"}, {"target": "prod2"}):
        with pytest.raises(ValueError, match="loop"):
            nk.train(nk.TrainConfig(width=3, seeds=range(2), steps=10, **fields), device="cpu", backend="loop",
                     progress=False)
