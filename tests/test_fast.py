"""The fast path (one Triton kernel per step, all widths side by side) against the eager trainer.

Without a GPU the kernel runs in Triton's CPU interpreter (conftest sets TRITON_INTERPRET=1):
slow, so the configs are small, but it executes the same kernel source the GPU compiles.
"""
import numpy as np
import pytest
import torch

from _support import cuda, needs_triton, rel_err
from nslkit import TrainConfig, train, train_widths
from nslkit.backends.triton_sweep import WARMUP_STEPS, train_many
from nslkit.backends.triton_step import MAX_TILE, adam_schedule, block_shape
from nslkit.paper.scales import PAPER_WIDTHS, SWEEP_WIDTHS
from nslkit.config import learning_rate, make_optimizer
from nslkit.train import resolve_backend
from test_train import _check_against_reference

pytestmark = needs_triton
FIELDS = ("w", "b", "v", "c", "train_mse", "test_mse", "curve_loss")


@pytest.mark.parametrize("activation, target, width, points", [
    ("silu", "x2", 5, 100),  # one tile: σ evaluated once per neuron-point
    ("relu", "x2", 70, 150),  # two neuron blocks and two point blocks: the two-pass path
    ("leaky_relu", "prod3", 5, 200),  # D = 3, two point blocks
])
def test_kernel_matches_reference(activation, target, width, points):
    # 120 steps cross two learning-rate boundaries (40, 80); the naive torch.nn + Adam loop is the reference
    cfg = TrainConfig(target=target, activation=activation, width=width, seeds=[0, 7], steps=120, lr_step=40,
                      points=points, negative_slope=0.05, test_points=64)
    res = _check_against_reference(cfg, "triton")
    assert res.provenance["backend"] == "triton"
    assert res.provenance["trained_with"] == [width]


def test_kernel_float32_matches_eager():
    cfg = TrainConfig(width=6, seeds=[1, 2, 3], steps=60, lr_step=20, dtype="float32", test_points=50)
    eager = train(cfg, "cpu", progress=False, backend="eager")
    fast = train(cfg, "cpu", progress=False, backend="triton")
    for name in FIELDS:
        assert rel_err(getattr(fast, name), getattr(eager, name)) < 1e-5, name


def test_widths_side_by_side_equal_widths_alone():
    # one launch sequence for several widths gives each width what it gets alone, bit for bit,
    # and a network trains the same in any batch
    base = TrainConfig(width=3, seeds=[4, 9], steps=40, lr_step=15, test_points=40)
    together = train_widths(base, [1, 3, 8], "cpu", progress=False, backend="triton")
    assert list(together) == [1, 3, 8]
    for width, res in together.items():
        assert res.provenance["trained_with"] == [1, 3, 8]
        alone = train(base.replace(width=width, seeds=[9]), "cpu", progress=False, backend="triton")
        for name in FIELDS:
            assert np.array_equal(getattr(res, name)[1], getattr(alone, name)[0]), (width, name)


def test_sweep_progress_counts_every_width(tmp_path):
    # a chunked sweep on the triton path trains its widths side by side; the bar, which counts
    # chunks (one per width and seed block), must reach its total, not one chunk per launch sequence
    import io

    from tqdm import tqdm

    from nslkit import sweep

    cfg = TrainConfig(width=2, seeds=[0, 1], steps=30, lr_step=10, test_points=20)
    with tqdm(total=3 * cfg.steps, file=io.StringIO()) as bar:
        train_widths(cfg, [1, 2, 3], "cpu", progress=bar, backend="triton")
        assert bar.n == 3 * cfg.steps
    with tqdm(total=cfg.steps, file=io.StringIO()) as bar:
        train(cfg, "cpu", progress=bar, backend="triton")
        assert bar.n == cfg.steps
    out = sweep(cfg, [1, 3], store=tmp_path, device="cpu", progress=False, backend="triton")
    assert sorted(out) == [1, 3]


def test_triton_sweep_trains_all_chunks_of_its_widths_in_one_launch_sequence(tmp_path, monkeypatch):
    # a GPU is latency-bound on 100-seed chunks: the triton path trains every missing seed of the
    # widths that miss the same seeds at once, saves chunk by chunk, and counts every chunk
    import io

    from tqdm import tqdm

    import nslkit.backends.triton_sweep as ts
    from nslkit import sweep
    from nslkit.store import Store

    cfg = TrainConfig(width=2, seeds=list(range(6)), steps=30, lr_step=10, test_points=20)
    sequences = []
    real = ts.train_many
    monkeypatch.setattr(ts, "train_many", lambda cfgs, *a, **k: sequences.append(
        [(c.width, c.seeds) for c in cfgs]) or real(cfgs, *a, **k))
    sweep(cfg.replace(seeds=[0, 1]), [1], store=tmp_path, device="cpu", progress=False, backend="triton", chunk_size=2)
    sequences.clear()
    with tqdm(file=io.StringIO()) as bar:
        monkeypatch.setattr("nslkit.experiment.progress_bar", lambda *a, **k: bar)
        out = sweep(cfg, [1, 3], store=tmp_path, device="cpu", backend="triton", chunk_size=2)
        assert bar.n == 5 * cfg.steps  # 2 chunks of N = 1 and 3 of N = 3, each cfg.steps units
    assert sequences == [[(1, (2, 3, 4, 5))], [(3, (0, 1, 2, 3, 4, 5))]]
    assert len(Store(tmp_path, 2).files(cfg.replace(width=3))) == 3
    for w in (1, 3):  # the same networks as chunk by chunk, seed for seed
        alone = sweep(cfg, [w], store=tmp_path / "alone", device="cpu", progress=False, backend="triton",
                      chunk_size=1)[w]
        for name in ("train_mse", "w", "b", "v", "c"):
            assert np.array_equal(getattr(out[w], name), getattr(alone, name)), (w, name)


def test_schedule_is_torch_adam_and_steplr():
    cfg = TrainConfig(steps=25, lr_step=10)
    sched = adam_schedule(cfg.steps, cfg.lr, cfg.lr_decay, cfg.lr_step, torch.float64, torch.device("cpu"))
    assert sched.shape == (25, 2)
    p = torch.zeros(1, requires_grad=True)
    opt, lr_sched = make_optimizer([p], cfg)
    b1, b2 = opt.param_groups[0]["betas"]
    for k in range(cfg.steps):
        lr = opt.param_groups[0]["lr"]
        assert lr == pytest.approx(learning_rate(cfg, k), rel=1e-15)
        t = k + 1
        assert sched[k, 0].item() == lr / (1 - b1 ** t)  # the very floats torch's Adam computes
        assert sched[k, 1].item() == (1 - b2 ** t) ** 0.5
        opt.step()
        lr_sched.step()


def test_block_shapes():
    for width in SWEEP_WIDTHS:  # every width of the main sweep is one tile at P = 100
        bn, bp, dp = block_shape(width, 100, 1)
        assert width <= bn and 100 <= bp and dp == 1
    for width, points, dim in [(1000, 100, 1), (10_000, 100, 1), (50, 1000, 5), (7, 3, 2)]:
        bn, bp, dp = block_shape(width, points, dim)
        assert bn * bp * dp <= MAX_TILE and dp >= dim
        assert all(v & (v - 1) == 0 for v in (bn, bp, dp))  # powers of two, as tl.arange needs
    assert max(PAPER_WIDTHS) <= 64


def test_configs_trained_together_must_share_the_schedule():
    a = TrainConfig(width=2, seeds=1, steps=10, lr_step=5)
    with pytest.raises(ValueError, match="share steps"):
        train_many([a, a.replace(steps=20, width=3)], torch.device("cpu"))
    with pytest.raises(ValueError, match="share dtype"):
        train_many([a, a.replace(dtype="float32")], torch.device("cpu"))
    with pytest.raises(ValueError, match="no configs"):
        train_many([], torch.device("cpu"))


def test_backend_choice(monkeypatch):
    from nslkit.backends import triton_step as kernel

    cfg = TrainConfig(width=2, seeds=1, steps=10)
    assert resolve_backend("auto", cfg, torch.device("cpu"), 100) == "eager"  # never the interpreter
    monkeypatch.setattr(kernel, "available", lambda device_type: True)
    assert resolve_backend("auto", cfg, torch.device("cuda"), 100) == "triton"  # chosen on CUDA
    monkeypatch.setattr(kernel, "available", lambda device_type: device_type == "cuda")
    with pytest.raises(ValueError, match="CUDA GPU"):
        resolve_backend("triton", cfg, torch.device("cpu"), 100)


@cuda
@pytest.mark.parametrize("graph", [True, False])
def test_cuda_kernel_matches_eager(graph):
    cfg = TrainConfig(width=10, seeds=64, steps=WARMUP_STEPS + 200, lr_step=60, test_points=100)
    eager = train(cfg, "cuda", progress=False, backend="eager")
    [fast] = train_many([cfg], torch.device("cuda"), progress=False, graph=graph)
    assert fast.provenance["cuda_graph"] is graph
    for name in FIELDS:
        assert rel_err(getattr(fast, name), getattr(eager, name)) < 1e-9, name


@cuda
def test_cuda_graph_equals_plain_launches():
    base = TrainConfig(width=3, seeds=32, steps=150, lr_step=50, test_points=50)
    cfgs = [base.replace(width=w) for w in (1, 20, 70)]
    a = train_many(cfgs, torch.device("cuda"), progress=False, graph=True)
    b = train_many(cfgs, torch.device("cuda"), progress=False, graph=False)
    for ra, rb in zip(a, b):
        for name in FIELDS:
            assert np.array_equal(getattr(ra, name), getattr(rb, name)), name
