"""Batched full-batch Adam training of a population of networks (Sec. 2.2).

One ``torch.optim.Adam`` and one ``StepLR`` act on the stacked parameter tensors. Adam is
elementwise, and the gradient of network s is that of its own loss L_s (the gradient of
Σ_s L_s, not of the mean, which would rescale eps), so the result equals S independent
trainings: the tests check this against a plain loop of ``torch.nn`` networks. The same holds
for SGD with momentum (``cfg.optimizer == "sgd"``). L-BFGS (``"lbfgs"``) is not elementwise:
:func:`train` hands it to :mod:`nslkit.backends.lbfgs`, which trains one network at a time.
"""
from __future__ import annotations

import time
from typing import Iterable

import torch
from tqdm import tqdm

from .backends.compiled import compile_works, compiled_loss_and_grads
from .backends.lbfgs import train_lbfgs
from .config import TrainConfig, make_optimizer
from .data import training_data
from .population import init_population, loss_and_grads, seed_chunks
from .progress import progress_bar
from .provenance import git_commit, provenance
from .results import Results, collect, curve_steps

__all__ = ["train", "train_widths", "resolve_device", "resolve_backend", "backend_supports", "refusal", "BACKENDS", "DEFAULT_MAX_ELEMENTS",
           "COMPILE_THRESHOLD", "LOOP_THRESHOLD", "SWEEP_BACKENDS"]

#: Largest S×N×P block computed at once, per (device type, backend). On the CPU a block that
#: stays in cache is fastest (measured with ``python -m nslkit bench``); on a GPU the bound is
#: memory.
DEFAULT_MAX_ELEMENTS = {("cpu", "eager"): 1 << 20, ("cpu", "compiled"): 1 << 18,
                        ("cuda", "eager"): 1 << 26, ("cuda", "compiled"): 1 << 26}
BACKENDS = ("auto", "eager", "compiled", "triton", "loop", "triton_loop")
#: The backends that train every width of a sweep together (:func:`train_widths`).
SWEEP_BACKENDS = ("triton", "triton_loop")
#: "auto" compiles when a run has at least this many S×N×P×steps element-steps: below it the
#: few seconds of compilation cost more than they save.
COMPILE_THRESHOLD = 5e8
#: "auto" runs the numba kernel (:mod:`nslkit.backends.loop`) on the CPU for runs of at least
#: this many element-steps that it supports: below it (a fraction of a second of eager work)
#: importing numba, and the first time on a machine compiling the kernel (about 4 s a dtype,
#: then cached), cost more than they save.
LOOP_THRESHOLD = 1e7


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """The torch device to train on.

    Args:
        device: "auto" or None (CUDA when available, else the CPU), "cpu" or "cuda".

    Raises:
        ValueError: for another device, or CUDA where it is not available.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; valid devices: auto, cpu, cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here; use --device cpu or auto")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {device!r}; valid devices: auto, cpu, cuda")
    return dev


def resolve_backend(backend: str, cfg: TrainConfig, device: torch.device, n_points: int, probe: bool = True) -> str:
    """The backend to use ("eager", "compiled", "triton", "loop" or "triton_loop") for ``backend``
    in :data:`BACKENDS`.

    "auto" is the Triton kernel on CUDA when triton is installed and the optimiser is Adam (the
    kernel's only one). On the CPU it is "loop" (:mod:`nslkit.backends.loop`, numba: whole
    segments of the schedule in one kernel, parallel over networks) for runs of at least
    :data:`LOOP_THRESHOLD` element-steps that it supports (``loop.supports``: Adam or SGD, 1-5 inputs);
    it is 2-8× faster than the compiled path idle and stays fast when another process holds a
    core (``python -m nslkit bench``; the performance chapter). Otherwise TorchInductor for runs
    of at least :data:`COMPILE_THRESHOLD` element-steps (and where it can compile), else eager.
    A backend named that cannot run on ``device``, or that does not train ``cfg`` (its
    ``supports``: Triton and its whole-schedule kernel train Adam alone, for one), is a ValueError of one
    line naming what it lacks and the backends that would do (:func:`refusal`). "triton_loop"
    (:mod:`nslkit.backends.triton_loop`: the whole schedule in one Triton kernel per segment) is
    chosen only when asked for: it has passed its tests under Triton's interpreter but has not
    yet run on a GPU. L-BFGS runs its own NumPy code whatever eager or compiled backend is named
    (:func:`train`).

    Args:
        backend: a name from :data:`BACKENDS`.
        cfg: the experiment.
        device: the device it trains on.
        n_points: its training points P.
        probe: False decides "auto" without asking this machine (numba, triton and
            ``torch.compile`` count as working; nothing is compiled): the backend a machine
            with everything installed would pick, as the cost model of ``reproduce --dry-run``
            needs it.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    if backend != "auto":
        _check_runs_here(backend, device)
        if not backend_supports(backend, cfg):
            raise ValueError(refusal(backend, cfg, device))
    if cfg.optimizer == "lbfgs":
        return "eager" if backend == "auto" else backend  # unused: lbfgs is NumPy, one network at a time
    if backend == "auto":
        if (device.type == "cuda" and backend_supports("triton", cfg)
                and (not probe or _triton_step().available("cuda"))):
            return "triton"
        work = len(cfg.seeds) * cfg.width * n_points * cfg.steps
        if device.type == "cpu" and work >= LOOP_THRESHOLD and _loop().supports(cfg) and (not probe or _loop().available()):
            return "loop"
        backend = "compiled" if work >= COMPILE_THRESHOLD and (not probe or compile_works(device.type)) else "eager"
    elif backend == "compiled" and not compile_works(device.type):
        raise ValueError("backend 'compiled' was asked for but torch.compile does not work here; use 'eager'")
    return backend


def backend_supports(backend: str, cfg: TrainConfig) -> bool:
    """Whether ``backend`` (a name of :data:`BACKENDS`) trains ``cfg``, as the backend's own
    ``supports`` says; "auto", "eager" and "compiled" train every configuration (L-BFGS through
    its own NumPy code).

    Args:
        backend: a name of :data:`BACKENDS`.
        cfg: the experiment.
    """
    if backend == "loop":
        return _loop().supports(cfg)
    if backend == "triton":
        from .backends import triton_sweep

        return triton_sweep.supports(cfg)
    if backend == "triton_loop":
        from .backends import triton_loop

        return triton_loop.supports(cfg)
    return True


def _check_runs_here(backend: str, device: torch.device) -> None:
    """ValueError when the named backend cannot run on ``device`` at all (whatever the config)."""
    if backend == "loop":
        if device.type != "cpu":
            raise ValueError(f"backend 'loop' is a CPU kernel; got device {device.type!r}")
        if not _loop().available():
            raise ValueError("backend 'loop' needs numba (pip install numba); use 'eager' or 'compiled'")
    elif backend == "triton_loop":
        from .backends import triton_loop

        if not triton_loop.available(device.type):
            raise ValueError(f"backend 'triton_loop' was asked for on {device.type}, but it needs the triton package "
                             "and a CUDA GPU (or TRITON_INTERPRET=1 on the CPU, for tests)")
    elif backend == "triton" and not _triton_step().available(device.type):
        raise ValueError(f"backend 'triton' was asked for on {device.type}, but it needs the triton package and a "
                         "CUDA GPU (or TRITON_INTERPRET=1 on the CPU, for tests); use 'eager' or 'compiled'")


#: The fields of a configuration that decide whether a backend trains it, in groups that change
#: together (a target brings its points and their placement), each named by its first field.
_SCOPE = (("optimizer", "momentum"), ("target", "points", "placement"), ("activation",), ("dtype",), ("width",))


def _describe(cfg: TrainConfig, field: str) -> str:
    value = getattr(cfg, field)
    return f"target {value!r} (D = {cfg.dim})" if field == "target" else f"{field} {value!r}"


def refusal(backend: str, cfg: TrainConfig, device: torch.device) -> str:
    """One line saying what of ``cfg`` ``backend`` does not train and which backends would.

    Built from the backend's ``supports`` alone: a field is named when keeping its value, the
    other scope fields set to :class:`TrainConfig`'s defaults, is still refused. The backends
    offered instead are those that run on ``device`` and support ``cfg``.

    Args:
        backend: the backend named.
        cfg: the experiment it refuses.
        device: the device it would train on.
    """
    ref = TrainConfig()
    blamed = []
    for group in _SCOPE:
        others = {f: getattr(ref, f) for g in _SCOPE if g is not group for f in g}
        try:
            trial = cfg.replace(**others)
        except ValueError:  # a combination the config itself refuses: not informative
            continue
        if not backend_supports(backend, trial):
            blamed.append(_describe(cfg, group[0]))
    what = " and ".join(blamed) if blamed else "this combination of " + ", ".join(
        _describe(cfg, g[0]) for g in _SCOPE)
    instead = [b for b in BACKENDS if b not in (backend, "auto") and _runs_here(b, device) and backend_supports(b, cfg)]
    use = ["auto", *instead]
    return f"backend {backend!r} does not train {what}; use {', '.join(use[:-1])} or {use[-1]}"


def _runs_here(backend: str, device: torch.device) -> bool:
    try:
        _check_runs_here(backend, device)
    except ValueError:
        return False
    return True


def _loop():
    from .backends import loop  # numba itself is imported only when the kernel runs

    return loop


def _train_many(backend: str):
    """``train_many`` of the Triton backend named (imports triton)."""
    if backend == "triton_loop":
        from .backends.triton_loop import train_many
    else:
        from .backends.triton_sweep import train_many
    return train_many


def _triton_step():
    from .backends import triton_step  # imports triton: only where the Triton backend is in question

    return triton_step


def train(
    cfg: TrainConfig,
    device: str | torch.device | None = "auto",
    max_elements: int | None = None,
    progress: bool | tqdm = True,
    backend: str = "auto",
) -> Results:
    """Train the S networks of ``cfg`` with its full-batch optimiser (the paper's Adam, SGD or
    L-BFGS) and return their :class:`Results`.

    L-BFGS trains one network at a time in float64 NumPy on the CPU, whatever ``device``,
    ``max_elements`` and (non-Triton) ``backend`` say (:func:`nslkit.backends.lbfgs.train_lbfgs`).

    Args:
        cfg: the experiment (one width).
        device: "auto" (CUDA when available), "cpu" or "cuda".
        max_elements: largest S×N×P block held at once; seeds are chunked to respect it
            (default :data:`DEFAULT_MAX_ELEMENTS` for the device). Does not change the numbers.
        progress: show a tqdm bar on stderr, or a bar to update.
        backend: "eager" (:func:`~nslkit.population.loss_and_grads`), "compiled"
            (:func:`~nslkit.backends.compiled.compiled_loss_and_grads`, TorchInductor), "triton"
            (the fused step kernel of :mod:`nslkit.backends.triton_step`, CUDA), "loop" (the whole
            schedule in one numba CPU kernel, :mod:`nslkit.backends.loop`) or "auto" (see
            :func:`resolve_backend`). All agree with a plain torch.nn loop to rounding.
    """
    dev = resolve_device(device)
    dtype = cfg.torch_dtype
    t0 = time.perf_counter()
    git_commit()  # pin the commit now: a commit made while this trains must not be recorded
    x, y = (t.to(dev, dtype) for t in training_data(cfg))
    backend = resolve_backend(backend, cfg, dev, x.shape[0])
    if cfg.optimizer == "lbfgs":
        return train_lbfgs(cfg, progress)
    if backend == "loop":
        return _loop().train_loop(cfg, progress)
    if backend in SWEEP_BACKENDS:
        return _train_many(backend)([cfg], dev, progress)[0]
    step_fn = compiled_loss_and_grads if backend == "compiled" else loss_and_grads
    max_elements = max_elements or DEFAULT_MAX_ELEMENTS[dev.type, backend]
    pop = init_population(cfg.seeds, cfg.width, cfg.dim, dtype, dev)
    params = pop.tensors()
    grads = [torch.zeros_like(p) for p in params]
    for p, g in zip(params, grads):
        p.grad = g
    opt, sched = make_optimizer(params, cfg)
    record = curve_steps(cfg.steps, cfg.curve_points, cfg.curve_grid)
    curve = torch.empty(len(pop), len(record), dtype=dtype, device=dev)
    chunks = seed_chunks(len(pop), cfg.width * x.shape[0], max_elements)
    bar = progress_bar(progress, cfg.steps, f"{cfg.target} {cfg.activation} N={cfg.width}")
    k = 0
    try:
        for step in range(cfg.steps):
            sample = k < len(record) and record[k] == step
            for sl in chunks:
                loss, gr = step_fn(pop.select(sl), x, y, cfg.activation, cfg.negative_slope)
                for g, gc in zip(grads, gr.tensors()):
                    g[sl] = gc
                if sample:
                    curve[sl, k] = loss
            k += sample
            opt.step()
            sched.step()
            if step % 100 == 99 or step == cfg.steps - 1:
                bar.update(step % 100 + 1)
    finally:
        if bar is not progress:
            bar.close()
    return collect(cfg, params, x, y, record, curve, provenance(dev, time.perf_counter() - t0, backend=backend))


def train_widths(
    cfg: TrainConfig,
    widths: Iterable[int],
    device: str | torch.device | None = "auto",
    max_elements: int | None = None,
    progress: bool | tqdm = True,
    backend: str = "auto",
) -> dict[int, Results]:
    """:func:`train` for each width (the paper's sweep), one progress bar for all.

    Args:
        cfg: the experiment; its ``width`` is replaced by each of ``widths``.
        widths: the widths N.
        device, max_elements, progress, backend: as for :func:`train`.

    Returns:
        ``{width: Results}``.
    """
    widths = list(widths)
    cfgs = [cfg.replace(width=w) for w in widths]
    if not cfgs:
        raise ValueError("no widths given")
    dev = resolve_device(device)
    chosen = resolve_backend(backend, cfg, dev, cfg.points)
    if backend != "auto":  # each width must be one the backend trains (triton_loop has a widest)
        for c in cfgs:
            resolve_backend(backend, c, dev, cfg.points)
    if chosen in SWEEP_BACKENDS:  # all widths in one launch sequence
        return {r.config.width: r for r in _train_many(chosen)(cfgs, dev, progress)}
    bar = progress_bar(progress, sum(c.steps for c in cfgs), f"{cfg.target} {cfg.activation} widths {widths}")
    try:
        return {c.width: train(c, device, max_elements, bar, backend) for c in cfgs}
    finally:
        if bar is not progress:
            bar.close()
