"""The in-kernel Adam loop on Triton (nslkit.backends.triton_loop) against the eager per-step trainer.

Without a GPU the kernel runs in Triton's CPU interpreter (conftest sets TRITON_INTERPRET=1): each
program is Python, so the runs are tiny (a few networks, widths 1-6, 16-20 points, ≤ 40 steps). With
a GPU the same tests run the compiled kernel on it (the eager reference stays on the CPU).
"""
import io

import numpy as np
import pytest
import torch
from tqdm import tqdm

from _support import needs_triton, rel_err
from nslkit import TrainConfig, train
from nslkit.paper.scales import SWEEP_WIDTHS

pytestmark = needs_triton
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # a GPU runs the compiled kernel
FIELDS = ("w", "b", "v", "c", "train_mse", "test_mse", "curve_loss")


def _loop():
    from nslkit.backends import triton_loop  # imports triton: only where the test is not skipped

    return triton_loop


def _cfg(**fields) -> TrainConfig:
    # 40 steps cross two learning-rate decays (15, 30); 7 curve samples
    base = dict(width=5, seeds=[0, 3], steps=40, lr_step=15, points=16, test_points=20, curve_points=7,
                negative_slope=0.1)
    return TrainConfig(**{**base, **fields})


@pytest.mark.parametrize("activation", ["silu", "relu", "leaky_relu"])
def test_float64_matches_the_eager_trainer(activation):
    cfg = _cfg(activation=activation)
    ref = train(cfg, "cpu", progress=False, backend="eager")
    [got] = _loop().train_many([cfg], DEVICE, progress=False, segment=17)  # segments end off the decays
    assert np.array_equal(got.curve_steps, ref.curve_steps)
    for name in FIELDS:
        assert rel_err(getattr(got, name), getattr(ref, name)) < 1e-9, name
    assert got.provenance["backend"] == "triton_loop"
    assert got.provenance["trained_with"] == [5]


def test_point_blocks_match_the_eager_trainer(monkeypatch):
    # P beyond one block: 20 points in blocks of 4 (the path of P = 1000 on a GPU)
    loop = _loop()
    cfg = _cfg(width=6, points=20, seeds=[1])
    monkeypatch.setattr(loop, "MAX_TILE", 32)  # BLOCK_N = 8, BLOCK_P = 4
    [got] = loop.train_many([cfg], DEVICE, progress=False)
    ref = train(cfg, "cpu", progress=False, backend="eager")
    for name in FIELDS:
        assert rel_err(getattr(got, name), getattr(ref, name)) < 1e-9, name


@pytest.mark.parametrize("activation", ["silu", "leaky_relu"])
def test_float32_matches_the_eager_trainer(activation):
    # measured about 3e-7 (float32 rounding, reductions in another order); the bound leaves 30x
    cfg = _cfg(activation=activation, dtype="float32")
    ref = train(cfg, "cpu", progress=False, backend="eager")
    [got] = _loop().train_many([cfg], DEVICE, progress=False)
    assert got.w.dtype == np.float32
    for name in FIELDS:
        assert rel_err(getattr(got, name), getattr(ref, name)) < 1e-5, name


def test_a_network_trains_the_same_alone_in_any_batch_and_any_segments():
    loop = _loop()
    base = _cfg(points=20, steps=30, lr_step=10)
    cfgs = [base.replace(width=w, seeds=s) for w, s in [(1, [0, 3]), (3, [3, 8]), (4, [2]), (5, [0, 3, 9])]]
    with tqdm(total=base.steps * len(cfgs), file=io.StringIO()) as bar:
        together = loop.train_many(cfgs, DEVICE, progress=bar, segment=7)
        assert bar.n == base.steps * len(cfgs)
    assert [r.config.width for r in together] == [1, 3, 4, 5]
    assert all(r.provenance["trained_with"] == [1, 3, 4, 5] for r in together)
    assert all(r.provenance["backend"] == "triton_loop" for r in together)
    for i, seed, segment in [(1, 3, 1000), (1, 8, 1), (3, 3, 10), (3, 0, 30)]:  # width 3 beside 4: one BLOCK_N
        [alone] = loop.train_many([cfgs[i].replace(seeds=[seed])], DEVICE, progress=False, segment=segment)
        j = cfgs[i].seeds.index(seed)
        for name in FIELDS:
            assert np.array_equal(getattr(alone, name)[0], getattr(together[i], name)[j]), (i, seed, name)


def test_widths_are_grouped_by_their_power_of_two():
    groups = _loop().group_widths(SWEEP_WIDTHS)
    assert groups == {1: [1], 2: [2], 4: [3, 4], 8: [6, 8], 16: [10, 15], 32: [20, 25, 30], 64: [40, 50]}


def test_schedule_scalars_are_torch_adam():
    b1, b2 = 0.9, 0.999
    bc = _loop().bias_corrections(5)
    assert bc.dtype == torch.float64 and bc.shape == (5, 2)
    for t in range(1, 6):
        assert bc[t - 1, 0].item() == 1 - b1 ** t and bc[t - 1, 1].item() == (1 - b2 ** t) ** 0.5


@pytest.mark.parametrize("fields, match", [
    ({"optimizer": "sgd"}, "triton_loop"),
    ({"target": "prod2"}, "triton_loop"),  # D = 2
    ({"width": 2000}, "triton_loop"),
])
def test_unsupported_configs_are_refused(fields, match):
    loop = _loop()
    cfg = TrainConfig(**{"width": 3, "seeds": 2, "steps": 10, **fields})
    assert not loop.supports(cfg)
    with pytest.raises(ValueError, match=match):
        loop.train_many([cfg], DEVICE, progress=False)


def test_configs_trained_together_must_share_their_schedule_and_data():
    loop = _loop()
    a = TrainConfig(width=2, seeds=1, steps=10, lr_step=5)
    for other, field in [(a.replace(steps=20, width=3), "steps"), (a.replace(dtype="float32"), "dtype"),
                         (a.replace(lr_step=3), "lr_step"), (a.replace(activation="relu"), "activation"),
                         (a.replace(points=50), "points")]:
        with pytest.raises(ValueError, match=f"share {field}"):
            loop.train_many([a, other], DEVICE, progress=False)
    with pytest.raises(ValueError, match="no configs"):
        loop.train_many([], DEVICE, progress=False)
    with pytest.raises(ValueError, match="segment"):
        loop.train_many([a], DEVICE, progress=False, segment=0)
    assert loop.supports(a) and loop.supports(a.replace(dtype="float32", activation="leaky_relu"))


def test_train_and_sweeps_reach_the_kernel_by_name(tmp_path):
    import nslkit as nk
    from nslkit.train import resolve_backend

    cfg = TrainConfig(width=3, seeds=range(3), steps=20, lr_step=7, points=16, test_points=8)
    one = train(cfg, "cpu", progress=False, backend="triton_loop")
    assert one.provenance["backend"] == "triton_loop"
    ref = train(cfg, "cpu", progress=False, backend="eager")
    assert rel_err(one.w, ref.w) < 1e-9
    both = nk.sweep(cfg, [2, 3], store=tmp_path, device="cpu", progress=False, backend="triton_loop")
    assert np.array_equal(both[3].w, one.w)  # trained beside width 2, the same bits
    assert resolve_backend("auto", cfg, torch.device("cpu"), 16) != "triton_loop"  # only when asked for
    with pytest.raises(ValueError, match="triton_loop"):
        resolve_backend("triton_loop", cfg.replace(optimizer="sgd"), torch.device("cpu"), 16)
