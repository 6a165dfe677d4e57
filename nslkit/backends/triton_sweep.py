"""The fast path: every width of a sweep trained by one launch sequence per Adam step.

Each width's S networks are one group with its own parameters, Adam moments and data. A step
is one :func:`nslkit.backends.triton_step.launch_step` per group followed by advancing a device step counter;
on CUDA that sequence is captured once in a CUDA graph after a few eager warm-up steps (which
also compile the kernels) and replayed for the remaining steps, so the host issues one launch
per step for the whole sweep. Widths are trained side by side, not one after another.

The numbers agree with the eager trainer to rounding (``tests/test_fast.py``), and each
network's do not depend on its batch or on which widths train beside it.
"""
from __future__ import annotations

import time
from typing import Sequence

import torch
from tqdm import tqdm

from ..config import TrainConfig
from ..data import training_data
from ..population import init_population
from ..progress import progress_bar
from ..provenance import git_commit, provenance
from ..results import Results, collect, curve_steps
from . import triton_step as kernel

__all__ = ["train_many", "supports", "WARMUP_STEPS"]

#: Steps run launch by launch before the CUDA graph is captured (the first compiles the kernels).
WARMUP_STEPS = 3
#: Fields that must agree between the configs trained together: they set the shared schedule.
_SHARED = ("steps", "lr", "lr_decay", "lr_step", "dtype")


def supports(cfg: TrainConfig) -> bool:
    """Whether the kernel trains ``cfg``: Adam (any activation, dtype, input dimension and width).

    Args:
        cfg: the experiment.
    """
    return cfg.optimizer == "adam"


class _Group:
    """One width's networks and everything its kernel reads and writes."""

    def __init__(self, cfg: TrainConfig, dev: torch.device, dtype: torch.dtype):
        self.cfg = cfg
        x, y = training_data(cfg)
        self.x, self.y = x.to(dev, dtype).contiguous(), y.to(dev, dtype).contiguous()  # (P, D), (P,)
        pop = init_population(cfg.seeds, cfg.width, cfg.dim, dtype, dev)
        self.params = [t.contiguous() for t in pop.tensors()]  # w (S, N, D), b (S, N), v (S, N), c (S,)
        self.m1 = [torch.zeros_like(t) for t in self.params]
        self.m2 = [torch.zeros_like(t) for t in self.params]
        S, P = len(cfg.seeds), self.x.shape[0]
        self.scratch = torch.zeros(S, P, dtype=dtype, device=dev)
        self.loss = torch.zeros(S, dtype=dtype, device=dev)
        self.consts = kernel.adam_constants(P, cfg.negative_slope, dtype, dev)
        self.record = curve_steps(cfg.steps, cfg.curve_points, cfg.curve_grid)
        self.curve = torch.empty(S, len(self.record), dtype=dtype, device=dev)
        self.k = 0

    def launch(self, schedule: torch.Tensor, t: torch.Tensor) -> None:
        kernel.launch_step(self.params, self.m1, self.m2, self.x, self.y, self.scratch, self.loss, self.consts,
                           schedule, t, self.cfg.activation)

    def sample(self, step: int) -> None:
        """Keep this step's losses (computed before its update) if the curve samples it."""
        if self.k < len(self.record) and self.record[self.k] == step:
            self.curve[:, self.k] = self.loss
            self.k += 1


def train_many(
    cfgs: Sequence[TrainConfig],
    device: torch.device,
    progress: bool | tqdm = True,
    graph: bool = True,
) -> list[Results]:
    """Train several configs (typically the widths of one sweep) side by side with the kernel.

    Args:
        cfgs: the experiments; they must share steps, lr, lr_decay, lr_step and dtype, and
            train with Adam.
        device: a CUDA device, or the CPU under Triton's interpreter (tests only).
        progress: show a tqdm bar on stderr, or a bar to update.
        graph: capture the step in a CUDA graph (CUDA only; False launches every step).

    Returns:
        One :class:`nslkit.results.Results` per config, in order. Their provenance ``wall_s`` is
        the wall time of the whole launch sequence, and ``trained_with`` lists its widths.
    """
    git_commit()  # pin the commit before training, as train() does
    cfgs = list(cfgs)
    if not cfgs:
        raise ValueError("no configs given")
    others = sorted({c.optimizer for c in cfgs if not supports(c)})
    if others:
        raise ValueError(f"the triton kernel trains with Adam only, not optimizer {others[0]!r}")
    for name in _SHARED:
        values = {getattr(c, name) for c in cfgs}
        if len(values) > 1:
            raise ValueError(f"configs trained together must share {name}; got {sorted(values, key=str)}")
    if not kernel.available(device.type):
        raise ValueError(f"the triton backend cannot run on {device.type} here (needs triton and a CUDA GPU)")
    t0 = time.perf_counter()
    cfg0 = cfgs[0]
    dtype = cfg0.torch_dtype
    groups = [_Group(c, device, dtype) for c in cfgs]
    schedule = kernel.adam_schedule(cfg0.steps, cfg0.lr, cfg0.lr_decay, cfg0.lr_step, dtype, device)  # (steps, 2)
    t = torch.zeros((), dtype=torch.int64, device=device)
    use_graph = graph and device.type == "cuda"
    captured = None

    def one_step():
        for g in groups:
            g.launch(schedule, t)
        t.add_(1)

    # one step advances every width's run: a caller's bar (one unit per run-step) moves len(cfgs) at a time
    bar = progress_bar(progress, cfg0.steps * len(cfgs),
                       f"{cfg0.target} {cfg0.activation} widths {[c.width for c in cfgs]} (triton)", unit="run-step")
    try:
        for step in range(cfg0.steps):
            if captured is not None:
                captured.replay()
            else:
                one_step()
            for g in groups:
                g.sample(step)
            if use_graph and captured is None and step == WARMUP_STEPS - 1:
                torch.cuda.synchronize(device)
                captured = torch.cuda.CUDAGraph()
                with torch.cuda.graph(captured):  # records the launches; runs nothing
                    one_step()
            if step % 100 == 99 or step == cfg0.steps - 1:
                bar.update((step % 100 + 1) * len(cfgs))
    finally:
        if bar is not progress:
            bar.close()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    if int(t) != cfg0.steps:
        raise RuntimeError(f"the step counter reads {int(t)} after {cfg0.steps} steps")
    wall = time.perf_counter() - t0
    prov = provenance(device, wall, backend="triton", cuda_graph=captured is not None,
                      trained_with=[c.width for c in cfgs])
    return [collect(g.cfg, g.params, g.x, g.y, g.record, g.curve, prov) for g in groups]
