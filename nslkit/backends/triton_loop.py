"""The Adam step loop inside one Triton kernel: every width and seed of a sweep, whole segments
of the schedule per launch (issue 25, part 2; the GPU twin of :mod:`nslkit.backends.loop`).

:mod:`nslkit.backends.triton_sweep` launches :func:`~nslkit.backends.triton_step.launch_step`
once per width per Adam step (replayed from a CUDA graph): each step reloads every parameter and
moment from memory and pays a launch. Here one program owns one network and

* loads its parameters (w, b, v, c) and Adam moments once per launch, into registers;
* runs steps ``t0 .. t1 - 1`` of the schedule in an in-kernel loop: forward, loss, gradient
  (the formulas of :func:`nslkit.population.loss_and_grads`) and torch's Adam update (``lerp``,
  ``addcmul``, ``addcdiv``, as :mod:`~nslkit.backends.loop` writes them), the learning rate
  multiplied by ``lr_decay`` when ``t > t0`` and ``t % lr_step == 0`` (``StepLR``; the rate at
  ``t0`` is passed in), the loss written to the curve at the steps :func:`curve_steps` records;
* stores parameters and moments back at the end of the segment.

The bias corrections 1 - β1^t and √(1 - β2^t) come from a float64 table computed in Python
floats, and the step size lr / (1 - β1^t) is divided in float64 in the kernel, so the scalars
are the very floats torch's Adam computes (in float32 runs they are then rounded to float32, as
torch rounds a Python scalar for a float32 tensor).

**How widths are batched.** The hidden units of a network are one block of ``BLOCK_N`` (the
width rounded up to a power of two; the rows beyond the width are masked on load and store,
and stay exactly zero in between: w = b = v = 0 gives σ = 0 and zero gradients). A launch
compiles one ``BLOCK_N``, so the networks are grouped by it: one launch per group and segment,
each group's networks (all the seeds of all its widths, per-network width read from an int
array) one program each. The main sweep's 13 widths make 7 groups (1 | 2 | 3, 4 | 6, 8 |
10, 15 | 20, 25, 30 | 40, 50) and 1.32x the neuron-point work of the unpadded widths, where one
launch padded to 64 would do 3.9x. On CUDA each group is launched on its own stream, so the
groups of a segment run side by side. A network's arithmetic depends only on its width's
``BLOCK_N``, the points and the schedule: it trains bit for bit the same alone, with other seeds
or other widths, and whatever the segment length (the tests check all three). The progress bar
moves once per segment (``segment`` steps, default 1000).

**Points.** The block of points is ``BLOCK_P`` = the points rounded up to a power of two, at most
``MAX_TILE // BLOCK_N``. All hidden units are in the block, so a block of points gives its
complete residual and its share of every gradient sum in one pass: σ is evaluated once per
neuron-point-step, whatever P, and nothing of size N×P outlives its block. x and y are read
again each step, block by block (from L1: every program reads the same P points); kept in
registers across steps, as first written, they made ptxas spill (below).

**What lives where on a GPU** (float64, N ≤ 64, P ≤ 1024). Per program, in registers: the 9
vectors of ``BLOCK_N`` (w, b, v and their two moments), c and its moments, the 3 gradient
accumulators, and the (BLOCK_N, BLOCK_P) tile of z, σ, σ' of the current point block, capped at
``MAX_TILE`` = 2048 elements with ``ELEMS_PER_THREAD`` = 8 of them per thread: 8 warps for the
widest tiles (N = 64: blocks of 32 points, 4 of them at P = 100, 32 at P = 1024), 1 warp for
tiles ≤ 256 (N ≤ 2 at P = 100). Shared memory holds only the compiler's scratch for the
cross-warp reductions, ≤ 2 KB (4 KB at BLOCK_N = 1024). Per step, global memory sees x and y
(L1 hits), one 16-byte row of the bias-correction table, and one store at recorded steps.
Compiled offline for sm_90a (``triton.compile`` and the bundled ptxas, no GPU run), every
main-sweep shape spills nothing: float64 SiLU uses 114 registers per thread at N = 1 (1 warp),
228-232 from N = 8 up (N = 64: P-blocks of 32, 8 warps), ReLU/LeakyReLU 172-236, float32 SiLU
64-128. The first version, with 8192-element tiles (32 per thread) and x, y held across steps,
spilled 2-7 KB per thread at N = 64. At 232 registers an SM holds one 8-warp program, so the
widest group is latency-bound (waves of about 132 programs on an H200) and its fp64 exp
dominates the instruction count. Fewer elements per thread trade registers for cross-warp
reductions (4: 160 registers, 2: 128): a knob to measure on a GPU (``scripts/gpu_loop_check.py
--elems-per-thread``).

Scope: Adam, float64 or float32, one input (D = 1), SiLU, ReLU and LeakyReLU (σ' at 0 as torch's
autograd has it: ReLU 0, LeakyReLU the slope), width ≤ :data:`MAX_WIDTH`; the configs trained
together must share everything but the width, the seeds and the test points. Float32 on a GPU
uses Triton's fast float32 exp and division in σ, so it matches torch only to float32 rounding.
Tested only under Triton's CPU interpreter (``TRITON_INTERPRET=1``, ``tests/test_triton_loop.py``);
``scripts/gpu_loop_check.py`` times it on a GPU and checks it against the committed results.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..config import TrainConfig, learning_rate
from ..data import training_data
from ..population import init_population
from ..progress import progress_bar
from ..provenance import git_commit, provenance
from ..results import Results, collect, curve_steps
from . import triton_step

try:
    import triton
    import triton.language as tl
except ImportError:  # CPU builds of torch come without it
    triton = None

__all__ = ["available", "supports", "train_many", "bias_corrections", "group_widths", "ACT_CODES", "MAX_TILE",
           "ELEMS_PER_THREAD", "MAX_WIDTH", "SHARED_FIELDS"]

#: The activation as the kernel's compile-time constant (the same codes as triton_step's).
ACT_CODES = {"silu": 0, "relu": 1, "leaky_relu": 2}
#: Largest (BLOCK_N, BLOCK_P) tile a program holds at once (see the module docstring).
MAX_TILE = 2048
#: Tile elements per thread: the number of warps is the tile over 32 × this, 1 to 8.
ELEMS_PER_THREAD = 8
#: Widest network: its hidden units are one block of registers.
MAX_WIDTH = 1024
#: Fields the configs trained together must share: the schedule, the data, σ and the curve.
SHARED_FIELDS = ("steps", "lr", "lr_decay", "lr_step", "dtype", "optimizer", "target", "activation",
                 "negative_slope", "domain", "points", "placement", "data_seed", "curve_points", "curve_grid")


def available(device_type: str) -> bool:
    """Whether the kernel can run on a device type: Triton on CUDA, or its interpreter on the CPU.

    Args:
        device_type: "cpu" or "cuda".
    """
    return triton is not None and triton_step.available(device_type)


def supports(cfg: TrainConfig) -> bool:
    """Whether the kernel trains a config: Adam, float32/float64, one input, SiLU/ReLU/LeakyReLU,
    width ≤ :data:`MAX_WIDTH`.

    Args:
        cfg: the experiment.
    """
    return (cfg.optimizer == "adam" and cfg.dtype in ("float32", "float64") and cfg.dim == 1
            and cfg.activation in ACT_CODES and cfg.width <= MAX_WIDTH)


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def group_widths(widths: Sequence[int]) -> dict[int, list[int]]:
    """{BLOCK_N: the widths trained in that launch}, BLOCK_N ascending, widths in the given order.

    Args:
        widths: the widths N.
    """
    groups: dict[int, list[int]] = {}
    for w in widths:
        groups.setdefault(_next_pow2(w), []).append(w)
    return dict(sorted(groups.items()))


def bias_corrections(steps: int) -> torch.Tensor:
    """(steps, 2) float64: 1 - β1^t and √(1 - β2^t) for updates t = 1..steps, in Python floats as
    ``torch.optim.Adam`` computes them (the kernel divides the learning rate by the first).

    Args:
        steps: the updates.
    """
    b1, b2 = triton_step.BETAS
    return torch.tensor([(1 - b1 ** t, (1 - b2 ** t) ** 0.5) for t in range(1, steps + 1)], dtype=torch.float64)


def _check(cfgs: list[TrainConfig], device: torch.device, segment: int) -> None:
    if not cfgs:
        raise ValueError("no configs given")
    for c in cfgs:
        if not supports(c):
            raise ValueError(f"backend 'triton_loop' trains Adam in float32/float64 on one-input targets with "
                             f"{', '.join(ACT_CODES)} at widths up to {MAX_WIDTH}; got optimizer {c.optimizer!r}, "
                             f"dtype {c.dtype!r}, D = {c.dim}, {c.activation!r}, width {c.width}")
    for name in SHARED_FIELDS:
        values = {getattr(c, name) for c in cfgs}
        if len(values) > 1:
            raise ValueError(f"configs trained together must share {name}; got {sorted(values, key=str)}")
    if isinstance(segment, bool) or not isinstance(segment, int) or segment < 1:
        raise ValueError(f"segment must be a positive number of steps, got {segment!r}")
    if not available(device.type):
        raise ValueError(f"backend 'triton_loop' cannot run on {device.type} here (needs triton and a CUDA GPU, "
                         "or TRITON_INTERPRET=1 on the CPU)")


class _Group:
    """The networks of one BLOCK_N: state (S, 9, BLOCK_N) = w, b, v, their first and second
    moments; cstate (S, 3) = c and its moments; widths (S,); curve (S, K)."""

    def __init__(self, block_n: int, cfgs: list[TrainConfig], dev: torch.device, dtype: torch.dtype, K: int):
        self.block_n, self.cfgs = block_n, cfgs
        S = sum(len(c.seeds) for c in cfgs)
        self.state = torch.zeros(S, 9, block_n, dtype=dtype, device=dev)
        self.cstate = torch.zeros(S, 3, dtype=dtype, device=dev)
        self.rows, widths, lo = [], [], 0
        for c in cfgs:
            pop = init_population(c.seeds, c.width, 1, dtype, dev)
            hi = lo + len(c.seeds)
            self.state[lo:hi, 0, :c.width] = pop.w[..., 0]
            self.state[lo:hi, 1, :c.width] = pop.b
            self.state[lo:hi, 2, :c.width] = pop.v
            self.cstate[lo:hi, 0] = pop.c
            self.rows.append(slice(lo, hi))
            widths += [c.width] * len(c.seeds)
            lo = hi
        self.widths = torch.tensor(widths, dtype=torch.int32, device=dev)
        self.curve = torch.zeros(S, K, dtype=dtype, device=dev)

    def params(self, i: int) -> list[torch.Tensor]:
        """w (S, N, 1), b, v (S, N), c (S,) of config i."""
        rows, N = self.rows[i], self.cfgs[i].width
        st = self.state[rows]
        return [st[:, 0, :N, None].contiguous(), st[:, 1, :N].contiguous(), st[:, 2, :N].contiguous(),
                self.cstate[rows, 0].contiguous()]


def _launch(g: _Group, x, y, consts, bc, hyper, record, t0: int, t1: int, k0: int, lr_step: int, act: int) -> None:
    P = x.shape[0]
    block_p = min(_next_pow2(P), max(1, MAX_TILE // g.block_n))
    warps = min(8, max(1, g.block_n * block_p // (32 * ELEMS_PER_THREAD)))
    loop_kernel[(g.state.shape[0],)](g.state, g.cstate, g.widths, x, y, consts, bc, hyper, record, g.curve,
                                     t0, t1, k0, lr_step, P, record.shape[0], ACT=act, BLOCK_N=g.block_n,
                                     BLOCK_P=block_p, num_warps=warps)


def train_many(
    cfgs: Sequence[TrainConfig],
    device: torch.device,
    progress: bool | tqdm = True,
    segment: int = 1000,
) -> list[Results]:
    """Train several configs (typically the widths of one sweep) with the in-kernel step loop.

    Args:
        cfgs: the experiments; they must share every field of :data:`SHARED_FIELDS` (all but the
            width, the seeds and the test points), within the kernel's scope (:func:`supports`).
        device: a CUDA device, or the CPU under Triton's interpreter (tests only).
        progress: show a tqdm bar on stderr, or a bar to update (one unit per run-step: it moves
            ``segment × len(cfgs)`` at a time).
        segment: steps per launch; changes no number.

    Returns:
        One :class:`nslkit.results.Results` per config, in order. Their provenance ``wall_s`` is the
        wall time of the whole training, ``trained_with`` lists its widths.
    """
    git_commit()  # pin the commit before training, as train() does
    cfgs = list(cfgs)
    device = torch.device(device)
    _check(cfgs, device, segment)
    t_start = time.perf_counter()
    cfg0 = cfgs[0]
    dtype = cfg0.torch_dtype
    x_t, y_t = (t.to(device, dtype) for t in training_data(cfg0))
    x, y = x_t[:, 0].contiguous(), y_t.contiguous()
    rec_np = np.asarray(curve_steps(cfg0.steps, cfg0.curve_points, cfg0.curve_grid), dtype=np.int64)
    record = torch.from_numpy(rec_np).to(device)
    consts = triton_step.adam_constants(x.shape[0], cfg0.negative_slope, dtype, device)
    bc = bias_corrections(cfg0.steps).to(device)
    order = group_widths([c.width for c in cfgs])
    by_block = {bn: [c for c in cfgs if _next_pow2(c.width) == bn] for bn in order}
    groups = [_Group(bn, cs, device, dtype, len(rec_np)) for bn, cs in by_block.items()]
    cuda = device.type == "cuda"
    streams = [torch.cuda.Stream(device) for _ in groups] if cuda else []
    act = ACT_CODES[cfg0.activation]
    bar = progress_bar(progress, cfg0.steps * len(cfgs),
                       f"{cfg0.target} {cfg0.activation} widths {[c.width for c in cfgs]} (triton loop)",
                       unit="run-step")
    try:
        for t0 in range(0, cfg0.steps, segment):
            t1 = min(cfg0.steps, t0 + segment)
            k0 = int(np.searchsorted(rec_np, t0))
            hyper = torch.tensor([learning_rate(cfg0, t0), cfg0.lr_decay], dtype=torch.float64).to(device)
            if cuda:
                main = torch.cuda.current_stream(device)
                for g, st in zip(groups, streams):
                    st.wait_stream(main)  # the state and hyper were written on the main stream
                    with torch.cuda.stream(st):
                        _launch(g, x, y, consts, bc, hyper, record, t0, t1, k0, cfg0.lr_step, act)
                torch.cuda.synchronize(device)  # the bar moves when the segment has run
            else:
                for g in groups:
                    _launch(g, x, y, consts, bc, hyper, record, t0, t1, k0, cfg0.lr_step, act)
            bar.update((t1 - t0) * len(cfgs))
    finally:
        if bar is not progress:
            bar.close()
    wall = time.perf_counter() - t_start
    prov = provenance(device, wall, backend="triton_loop", trained_with=[c.width for c in cfgs], segment=segment)
    out: dict[int, Results] = {}
    for g in groups:
        for i, c in enumerate(g.cfgs):
            out[id(c)] = collect(c, g.params(i), x_t, y_t, rec_np, g.curve[g.rows[i]], prov)
    return [out[id(c)] for c in cfgs]


if triton is not None:  # the kernel, defined at module level where Triton resolves its names
    @triton.jit
    def _data(p0, P, p, x_ptr, y_ptr):
        pm = p0 + p < P
        return pm, tl.load(x_ptr + p0 + p, mask=pm, other=0.0), tl.load(y_ptr + p0 + p, mask=pm, other=0.0)

    @triton.jit
    def _block(w, b, v, c, x, y, pm, slope, two_over_p, ACT: tl.constexpr):
        # one block of points, all hidden units: (Σ err², Σ r) over its points and its shares of
        # Σ_p r h, Σ_p r σ', Σ_p r σ' x per neuron (BLOCK_N,)
        h, a = triton_step.sigma_and_prime(w[:, None] * x[None, :] + b[:, None], slope, ACT)  # (BLOCK_N, BLOCK_P)
        err = tl.where(pm, tl.sum(v[:, None] * h, axis=0) + c - y, 0.0)  # (BLOCK_P,)
        r = err * two_over_p
        ar = a * r[None, :]
        return (tl.sum(err * err, axis=0), tl.sum(r, axis=0), tl.sum(h * r[None, :], axis=1), tl.sum(ar, axis=1),
                tl.sum(ar * x[None, :], axis=1))

    @triton.jit
    def _adam(p, m, q, g, c1, b2, c2, eps, step, bc2):
        # torch.optim.Adam: m.lerp_(g, 1 - β1); q.mul_(β2).addcmul_(g, g, value=1 - β2);
        # p.addcdiv_(m, q.sqrt() / bc2 + eps, value=-step), addcdiv as torch's CPU kernel rounds it
        m = m + c1 * (g - m)
        q = q * b2 + c2 * g * g
        if q.dtype == tl.float32:
            denom = tl.math.sqrt_rn(q) / bc2 + eps  # tl.sqrt is an approximation in float32
            p = p + tl.math.div_rn(-step * m, denom)
        else:
            denom = tl.sqrt(q) / bc2 + eps
            p = p + (-step * m) / denom
        return p, m, q

    # t0, t1, k0 change from segment to segment: not specialised (a constexpr k0 = 1 could not be
    # reassigned in the loop, and t0 % 16 would compile a variant per segment)
    @triton.jit(do_not_specialize=["t0", "t1", "k0"])
    def loop_kernel(st_ptr, cst_ptr, width_ptr, x_ptr, y_ptr, const_ptr, bc_ptr, hyper_ptr, rec_ptr, curve_ptr,
                    t0, t1, k0, lr_step, P, K,
                    ACT: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_P: tl.constexpr):
        # steps t0..t1-1 of network s; state st (S, 9, BLOCK_N), cst (S, 3) in place, curve (S, K)
        s = tl.program_id(0).to(tl.int64)
        c1, b2, c2, eps, slope, two_over_p = triton_step.load_constants(const_ptr)
        lr = tl.load(hyper_ptr)  # float64: the learning rate at t0
        decay = tl.load(hyper_ptr + 1)
        n = tl.arange(0, BLOCK_N)
        nm = n < tl.load(width_ptr + s)
        base = st_ptr + s * 9 * BLOCK_N + n
        w = tl.load(base, mask=nm, other=0.0)
        b = tl.load(base + BLOCK_N, mask=nm, other=0.0)
        v = tl.load(base + 2 * BLOCK_N, mask=nm, other=0.0)
        mw = tl.load(base + 3 * BLOCK_N, mask=nm, other=0.0)
        mb = tl.load(base + 4 * BLOCK_N, mask=nm, other=0.0)
        mv = tl.load(base + 5 * BLOCK_N, mask=nm, other=0.0)
        qw = tl.load(base + 6 * BLOCK_N, mask=nm, other=0.0)
        qb = tl.load(base + 7 * BLOCK_N, mask=nm, other=0.0)
        qv = tl.load(base + 8 * BLOCK_N, mask=nm, other=0.0)
        c = tl.load(cst_ptr + s * 3)
        mc = tl.load(cst_ptr + s * 3 + 1)
        qc = tl.load(cst_ptr + s * 3 + 2)
        p = tl.arange(0, BLOCK_P)
        k = k0
        for t in range(t0, t1):
            # the first block of points, then the others; x and y come from L1 each step (every
            # program reads the same points): kept in registers across steps they made ptxas spill
            pm, x, y = _data(0, P, p, x_ptr, y_ptr)
            sq, gc, gv, gz, gw = _block(w, b, v, c, x, y, pm, slope, two_over_p, ACT)
            for p0 in range(BLOCK_P, P, BLOCK_P):
                pm, x, y = _data(p0, P, p, x_ptr, y_ptr)
                sq_b, gc_b, gv_b, gz_b, gw_b = _block(w, b, v, c, x, y, pm, slope, two_over_p, ACT)
                sq += sq_b
                gc += gc_b
                gv += gv_b
                gz += gz_b
                gw += gw_b
            loss = sq / P
            # the curve keeps the loss before this step's update
            rec = tl.load(rec_ptr + k, mask=k < K, other=-1)
            hit = rec == t
            tl.store(curve_ptr + s * K + k, loss, mask=hit)
            k += hit.to(tl.int32)
            lr = tl.where((t > t0) & (t % lr_step == 0), lr * decay, lr)  # StepLR multiplies, as torch does
            step = (lr / tl.load(bc_ptr + 2 * t)).to(c.dtype)  # lr / (1 - β1^t) in float64, as torch
            bc2 = tl.load(bc_ptr + 2 * t + 1).to(c.dtype)
            # the gradients with the pre-update v; padded rows stay zero (zero v, zero h)
            w, mw, qw = _adam(w, mw, qw, v * gw, c1, b2, c2, eps, step, bc2)
            b, mb, qb = _adam(b, mb, qb, v * gz, c1, b2, c2, eps, step, bc2)
            v, mv, qv = _adam(v, mv, qv, gv, c1, b2, c2, eps, step, bc2)
            c, mc, qc = _adam(c, mc, qc, gc, c1, b2, c2, eps, step, bc2)
        tl.store(base, w, mask=nm)
        tl.store(base + BLOCK_N, b, mask=nm)
        tl.store(base + 2 * BLOCK_N, v, mask=nm)
        tl.store(base + 3 * BLOCK_N, mw, mask=nm)
        tl.store(base + 4 * BLOCK_N, mb, mask=nm)
        tl.store(base + 5 * BLOCK_N, mv, mask=nm)
        tl.store(base + 6 * BLOCK_N, qw, mask=nm)
        tl.store(base + 7 * BLOCK_N, qb, mask=nm)
        tl.store(base + 8 * BLOCK_N, qv, mask=nm)
        tl.store(cst_ptr + s * 3, c)
        tl.store(cst_ptr + s * 3 + 1, mc)
        tl.store(cst_ptr + s * 3 + 2, qc)
