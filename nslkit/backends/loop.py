"""The Adam (or SGD) step loop inside one compiled CPU kernel (numba), parallel over networks.

The per-step backends launch every optimiser step from Python (eager torch ops, or one Inductor
call), and on a CPU each of those ops is a parallel region whose threads must all arrive. Here each
network keeps its parameters, its optimiser state and its hidden activations in memory of its own
(the activations and their derivatives, N × P values each: 320 kB at the products' N = 20,
P = 1000 in float64), and runs ``segment`` steps of the schedule (the learning-rate decay
included) without leaving the kernel; ``numba.prange`` spreads the networks over the threads, so
there is one synchronisation per segment, not one per op. The progress bar moves once per segment.

The kernels live in :mod:`nslkit.backends.loop_kernel`, compiled by numba once per machine, dtype
and input dimension D (about 4 s each, then loaded from numba's cache in 0.4 s), and imported only
when this backend runs. The cache lies beside the package, or in ``~/.cache/numba`` where the
package is read-only, or in ``NUMBA_CACHE_DIR`` when it is set; where none is writable the kernel
compiles in each process, with one warning (set ``NUMBA_CACHE_DIR`` to a writable folder to keep
it). They use as many threads as torch does (``OMP_NUM_THREADS``, ``torch.set_num_threads``, one
per Dask worker). ``backend="auto"`` picks this kernel on the CPU for runs of at least
:data:`nslkit.train.LOOP_THRESHOLD` element-steps that it supports.

**The exp.** numba's pip build has no SVML, so ``math.exp`` is a scalar libm call per element
and costs three quarters of the time. The kernel's exp vectorises instead: exp(t) = 2^k · p(r)
with r = t − k ln 2 and p a Taylor polynomial (degree 13 in float64, 7 in float32), 2^k built
from the bits of k by integer adds and a shift. It is within 1 ulp of ``np.exp`` over
[−700, 700] in float64, and within 1.2 ulp of the exact value in float32 (NumPy's own float32
exp: 2.3); the tests check both. Reductions over the points may be reassociated
(``fastmath={"reassoc", "contract"}``), which lets them vectorise; the result still depends
only on the network, never on the batch.

Measured on the 2-core AMD EPYC of the CI machines, SiLU, float64, 1000 networks, idle, 2 threads
(``results/bench/*_2026-12-05.json``): 1.25e9 neuron-point-steps/s at N = 50, P = 100 and 1.22e9
at N = 10, P = 1000, 56-58% of the roofline (with the scalar exp it was 3.2e8); with another
process holding one core, 1.0e9.

Scope (:func:`supports`): Adam or SGD with momentum, float64 or float32, D = 1 … 5 inputs (the
first layer a D-vector per neuron; the loops over D unroll: :mod:`~nslkit.backends.loop_kernel`),
SiLU, ReLU and LeakyReLU. Over 1000 steps the parameters agree with the per-step trainer to about
1e-15 relative in float64 at every D, and to 1e-7 - 1e-6 in float32 (rounding, not formula:
Adam's update is torch's, lerp and addcdiv included; SGD's is torch's heavy ball, buf ← μ buf + g,
p ← p − lr buf, without dampening or Nesterov; their Python scalars are converted to the
parameters' type as torch converts them, and the learning rate is multiplied at each decay as
``StepLR`` does). Network s gives the same bits alone or in any batch, and for any ``segment``.
"""
from __future__ import annotations

import functools
import time

import numpy as np
import torch

from ..config import TrainConfig, learning_rate
from ..data import training_data
from ..population import init_population
from ..progress import progress_bar
from ..provenance import git_commit, provenance
from ..results import Results, collect, curve_steps

__all__ = ["available", "supports", "train_loop", "ACTIVATION_CODES", "OPTIMIZER_CODES", "MAX_DIM",
           "exp_into"]

#: The activations the kernel implements, by the code it takes.
ACTIVATION_CODES = {"silu": 0, "relu": 1, "leaky_relu": 2}
#: The optimisers the kernel implements, by the code it takes.
OPTIMIZER_CODES = {"adam": 0, "sgd": 1}
#: The most inputs it takes: it is compiled once per D (and dtype), and the products go up to 5.
MAX_DIM = 5


@functools.cache
def available() -> bool:
    """Whether numba can be imported here."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def supports(cfg: TrainConfig) -> bool:
    """Whether the kernel trains a config: Adam or SGD with momentum, D = 1 … :data:`MAX_DIM`
    inputs, an activation of :data:`ACTIVATION_CODES` (float64 or float32).

    Args:
        cfg: the experiment.
    """
    return cfg.optimizer in OPTIMIZER_CODES and cfg.dim <= MAX_DIM and cfg.activation in ACTIVATION_CODES


def _kernels():
    """The compiled module (importing numba and, the first time on a machine, compiling)."""
    from . import loop_kernel

    return loop_kernel


def exp_into(t: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` = exp(``t``) by the kernel's vectorised exp; for tests.

    Args:
        t: (P,) float64 or float32.
        out: (P,) of the same dtype, written.
    """
    _kernels().exp_run(np.ascontiguousarray(t, dtype=out.dtype), out, np.empty_like(out))
    return out


def train_loop(cfg: TrainConfig, progress=True, segment: int = 1000) -> Results:
    """Train the networks of a config (where :func:`supports`) with the kernel; the same
    :class:`Results` as :func:`nslkit.train.train`.

    Args:
        cfg: the experiment.
        progress: as for :func:`nslkit.train.train`.
        segment: steps per launch.
    """
    if not available():
        raise ValueError("backend 'loop' needs numba (pip install numba); use 'eager' or 'compiled'")
    if not supports(cfg):
        raise ValueError(f"backend 'loop' trains {' or '.join(OPTIMIZER_CODES)} on targets of 1-{MAX_DIM} inputs with "
                         f"{', '.join(ACTIVATION_CODES)}; got optimizer {cfg.optimizer!r}, D = {cfg.dim}, "
                         f"{cfg.activation!r}")
    t_start = time.perf_counter()
    git_commit()
    kernel = _kernels().kernel
    import numba

    # as many threads as torch uses (OMP_NUM_THREADS, torch.set_num_threads and the Dask workers set it)
    numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    x_t, y_t = (t.to(cfg.torch_dtype) for t in training_data(cfg))
    xs = tuple(x_t[:, d].numpy().copy() for d in range(cfg.dim))  # D coordinate arrays (P,): one compiled kernel per D
    y = y_t.numpy().copy()
    pop = init_population(cfg.seeds, cfg.width, cfg.dim, cfg.torch_dtype, torch.device("cpu"))
    w, b, v, c = (t.detach().numpy().copy() for t in pop.tensors())  # w (S, N, D), b, v (S, N), c (S,)
    S, N, D = w.shape
    m, q = np.zeros((S, D + 2, N), w.dtype), np.zeros((S, D + 2, N), w.dtype)  # rows: w_1 … w_D, b, v
    mc, qc = np.zeros(S, w.dtype), np.zeros(S, w.dtype)
    record = np.asarray(curve_steps(cfg.steps, cfg.curve_points, cfg.curve_grid), dtype=np.int64)
    curve = np.empty((S, record.size), w.dtype)
    bar = progress_bar(progress, cfg.steps, f"{cfg.target} {cfg.activation} N={cfg.width}")
    try:
        for t0 in range(0, cfg.steps, segment):
            t1 = min(cfg.steps, t0 + segment)
            k0 = int(np.searchsorted(record, t0))
            kernel(w, b, v, c, m, q, mc, qc, xs, y, t0, t1, learning_rate(cfg, t0), cfg.lr_decay, cfg.lr_step, record,
                   k0, curve, ACTIVATION_CODES[cfg.activation], cfg.negative_slope, OPTIMIZER_CODES[cfg.optimizer],
                   cfg.momentum)
            bar.update(t1 - t0)
    finally:
        if bar is not progress:
            bar.close()
    params = [torch.from_numpy(t) for t in (w, b, v, c)]
    return collect(cfg, params, x_t, y_t, record, torch.from_numpy(curve),
                   provenance(torch.device("cpu"), time.perf_counter() - t_start, backend="loop"))
