"""Batched full-batch Adam training of a population of networks (Sec. 2.2).

One ``torch.optim.Adam`` and one ``StepLR`` act on the stacked parameter tensors. Adam is
elementwise, and the gradient of network s is that of its own loss L_s (the gradient of
Σ_s L_s, not of the mean, which would rescale eps), so the result equals S independent
trainings: the tests check this against a plain loop of ``torch.nn`` networks.
"""
from __future__ import annotations

import datetime
import functools
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from .config import TrainConfig
from .data import test_data, training_data
from .fused import compile_works, compiled_loss_and_grads
from .population import Population, forward, init_population, loss_and_grads

__all__ = [
    "Results",
    "train",
    "train_widths",
    "resolve_device",
    "make_optimizer",
    "learning_rate",
    "curve_steps",
    "evaluate_mse",
    "DEFAULT_MAX_ELEMENTS",
    "BACKENDS",
    "resolve_backend",
    "device_name",
    "finish",
]

#: Largest S×N×P block computed at once, per (device type, backend). On the CPU a block that
#: stays in cache is fastest (measured with ``python -m nslkit bench``); on a GPU the bound is
#: memory.
DEFAULT_MAX_ELEMENTS = {("cpu", "eager"): 1 << 20, ("cpu", "compiled"): 1 << 18,
                        ("cuda", "eager"): 1 << 26, ("cuda", "compiled"): 1 << 26}
BACKENDS = ("auto", "eager", "compiled", "triton")
#: "auto" compiles when a run has at least this many S×N×P×steps element-steps: below it the
#: few seconds of compilation cost more than they save.
COMPILE_THRESHOLD = 5e8


@dataclass
class Results:
    """What one width of one experiment produced, as NumPy arrays on the CPU.

    Attributes:
        config: the experiment.
        train_mse: (S,) final MSE on the training points, in seed order.
        test_mse: (S,) MSE on the dense independent test grid.
        w, b, v, c: final parameters, (S, N, D), (S, N), (S, N), (S,).
        curve_steps: (K,) steps at which the loss curve was sampled (about 100).
        curve_loss: (S, K) training MSE before the update of each sampled step.
        provenance: how the numbers were made (device, torch version, git commit, date,
            wall time); not part of the results key.

    Results loaded from a file stored with ``keep="losses"`` (:meth:`nslkit.store.Store.save`)
    have None for the parameters and the curve.
    """

    config: TrainConfig
    train_mse: np.ndarray
    test_mse: np.ndarray
    w: np.ndarray | None
    b: np.ndarray | None
    v: np.ndarray | None
    c: np.ndarray | None
    curve_steps: np.ndarray | None
    curve_loss: np.ndarray | None
    provenance: dict[str, Any] = field(default_factory=dict)

    def population(self, dtype: torch.dtype | None = None) -> Population:
        """The trained networks as a :class:`Population` (float64 unless ``dtype``)."""
        if self.w is None:
            raise ValueError(f"the parameters of {self.config.target}/{self.config.activation} N={self.config.width} "
                             "were not kept (stored with keep='losses'); train again to get them")
        ts = (torch.from_numpy(a) for a in (self.w, self.b, self.v, self.c))
        return Population(*ts).to(dtype=dtype or torch.float64)

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.config.seeds


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/None: CUDA when available, else CPU. Asking for CUDA without it is an error."""
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


def resolve_backend(backend: str, cfg: TrainConfig, device: torch.device, n_points: int) -> str:
    """The backend to use, "eager", "compiled" or "triton", for ``backend`` in :data:`BACKENDS`.

    "auto" is the Triton kernel on CUDA when triton is installed; otherwise TorchInductor for
    runs of at least :data:`COMPILE_THRESHOLD` element-steps (and where it can compile), else
    eager. On the CPU the compiled path is 1.5-3.5× faster than eager at paper-sized batches
    (``python -m nslkit bench``; docs in the performance chapter).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    if backend == "auto":
        if device.type == "cuda" and _kernel().available("cuda"):
            return "triton"
        work = len(cfg.seeds) * cfg.width * n_points * cfg.steps
        backend = "compiled" if work >= COMPILE_THRESHOLD and compile_works(device.type) else "eager"
    elif backend == "compiled" and not compile_works(device.type):
        raise ValueError("backend 'compiled' was asked for but torch.compile does not work here; use 'eager'")
    elif backend == "triton" and not _kernel().available(device.type):
        raise ValueError(f"backend 'triton' was asked for on {device.type}, but it needs the triton package and a "
                         "CUDA GPU (or TRITON_INTERPRET=1 on the CPU, for tests); use 'eager' or 'compiled'")
    return backend


def _kernel():
    from . import kernel  # imports triton: only where the Triton backend is in question

    return kernel


def make_optimizer(params: Sequence[torch.Tensor], cfg: TrainConfig):
    """Adam (torch defaults: betas (0.9, 0.999), eps 1e-8) and its StepLR schedule."""
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_decay)
    return opt, sched


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """The learning rate used by update ``step`` (0-based): lr · lr_decay^⌊step / lr_step⌋."""
    return cfg.lr * cfg.lr_decay ** (step // cfg.lr_step)


def curve_steps(steps: int, n: int) -> np.ndarray:
    """About ``n`` evenly spaced steps in [0, steps - 1] at which the loss curve is sampled."""
    return np.unique(np.linspace(0, steps - 1, min(n, steps)).round().astype(np.int64))


def _chunks(S: int, per_seed: int, max_elements: int) -> list[slice]:
    size = max(1, max_elements // max(1, per_seed))
    return [slice(i, min(S, i + size)) for i in range(0, S, size)]


def evaluate_mse(
    pop: Population,
    x: torch.Tensor,
    y: torch.Tensor,
    activation: str,
    negative_slope: float = 0.01,
    max_elements: int = 1 << 22,
) -> torch.Tensor:
    """MSE of every network on (x, y), chunked over seeds: (S,)."""
    out = []
    for sl in _chunks(len(pop), pop.width * x.shape[0], max_elements):
        f = forward(pop.select(sl), x, activation, negative_slope)  # (S_chunk, P)
        out.append((f - y).square().mean(dim=1))
    return torch.cat(out)


@functools.lru_cache(maxsize=1)
def _git_commit() -> str | None:
    """HEAD (and +dirty) when this process started its first training, not after later commits."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "nslkit"], cwd=root, capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def device_name(device: torch.device) -> str:
    """A readable name of ``device``: the GPU's, or the CPU model and thread count."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu: {model}, {torch.get_num_threads()} threads"


def _provenance(device: torch.device, wall_s: float) -> dict[str, Any]:
    from . import __version__

    return {
        "device": device_name(device),
        "torch": torch.__version__,
        "nslkit": __version__,
        "python": platform.python_version(),
        "git_commit": _git_commit(),  # cached: the commit when this process first trained
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(wall_s, 3),
    }


def train(
    cfg: TrainConfig,
    device: str | torch.device | None = "auto",
    max_elements: int | None = None,
    progress: bool | tqdm = True,
    backend: str = "auto",
) -> Results:
    """Train the S networks of ``cfg`` with full-batch Adam and return their :class:`Results`.

    Args:
        cfg: the experiment (one width).
        device: "auto" (CUDA when available), "cpu" or "cuda".
        max_elements: largest S×N×P block held at once; seeds are chunked to respect it
            (default :data:`DEFAULT_MAX_ELEMENTS` for the device). Does not change the numbers.
        progress: show a tqdm bar on stderr, or a bar to update.
        backend: "eager" (:func:`~nslkit.population.loss_and_grads`), "compiled"
            (:func:`~nslkit.fused.compiled_loss_and_grads`, TorchInductor), "triton" (the
            fused step kernel of :mod:`nslkit.kernel`, CUDA) or "auto" (see
            :func:`resolve_backend`). All agree with a plain torch.nn loop to rounding.
    """
    dev = resolve_device(device)
    dtype = getattr(torch, cfg.dtype)
    t0 = time.perf_counter()
    _git_commit()  # pin the commit now: a commit made while this trains must not be recorded
    x, y = (t.to(dev, dtype) for t in training_data(cfg))
    backend = resolve_backend(backend, cfg, dev, x.shape[0])
    if backend == "triton":
        from .fast import train_many

        return train_many([cfg], dev, progress)[0]
    step_fn = compiled_loss_and_grads if backend == "compiled" else loss_and_grads
    max_elements = max_elements or DEFAULT_MAX_ELEMENTS[dev.type, backend]
    pop = init_population(cfg.seeds, cfg.width, cfg.dim, dtype, dev)
    params = pop.tensors()
    grads = [torch.zeros_like(p) for p in params]
    for p, g in zip(params, grads):
        p.grad = g
    opt, sched = make_optimizer(params, cfg)
    record = curve_steps(cfg.steps, cfg.curve_points)
    curve = torch.empty(len(pop), len(record), dtype=dtype, device=dev)
    chunks = _chunks(len(pop), cfg.width * x.shape[0], max_elements)
    bar = progress if isinstance(progress, tqdm) else tqdm(
        total=cfg.steps, desc=f"{cfg.target} {cfg.activation} N={cfg.width}", unit="step",
        file=sys.stderr, disable=not progress, mininterval=1.0,
    )
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
    return finish(cfg, params, x, y, record, curve,
                  {**_provenance(dev, time.perf_counter() - t0), "backend": backend})


def finish(cfg: TrainConfig, params: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor,
           record: np.ndarray, curve: torch.Tensor, provenance: dict[str, Any]) -> Results:
    """The :class:`Results` of trained parameters (w, b, v, c): final train and test MSE, on the CPU."""
    pop = Population(*params)
    dev, dtype = x.device, x.dtype
    with torch.no_grad():
        train_mse = evaluate_mse(pop, x, y, cfg.activation, cfg.negative_slope)
        xt, yt = (t.to(dev, dtype) for t in test_data(cfg))
        test_mse = evaluate_mse(pop, xt, yt, cfg.activation, cfg.negative_slope)
    np_ = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return Results(
        config=cfg,
        train_mse=np_(train_mse),
        test_mse=np_(test_mse),
        w=np_(pop.w), b=np_(pop.b), v=np_(pop.v), c=np_(pop.c),
        curve_steps=record,
        curve_loss=np_(curve),
        provenance=provenance,
    )


def train_widths(
    cfg: TrainConfig,
    widths: Iterable[int],
    device: str | torch.device | None = "auto",
    max_elements: int | None = None,
    progress: bool = True,
    backend: str = "auto",
) -> dict[int, Results]:
    """:func:`train` for each width in ``widths`` (the paper's sweep), one progress bar for all."""
    cfgs = [cfg.replace(width=w) for w in widths]
    if not cfgs:
        raise ValueError("no widths given")
    dev = resolve_device(device)
    if resolve_backend(backend, cfg, dev, cfg.points) == "triton":  # all widths in one launch sequence
        from .fast import train_many

        return {r.config.width: r for r in train_many(cfgs, dev, progress)}
    with tqdm(total=sum(c.steps for c in cfgs), desc=f"{cfg.target} {cfg.activation} widths {[c.width for c in cfgs]}",
              unit="step", file=sys.stderr, disable=not progress, mininterval=1.0) as bar:
        return {c.width: train(c, device, max_elements, bar, backend) for c in cfgs}
