"""What training the missing part of a plan would take, priced from measured wall times: nothing
is trained (``python -m nslkit reproduce --dry-run``).

:func:`samples` reads two kinds of measurement. Every distinct run recorded in a store's chunk
provenance (the chunks of one run share its record) gives a device, a backend, a wall time, the
number of its chunks and its element-steps, the sum over its chunks of seeds × width × points ×
steps. Every row of the bench's tables (``results/bench/*.json``) gives a trainer's element-steps
per second at one shape. :func:`cost` prices W element-steps in k chunks of one kind of run (a
device, the backend ``auto`` would pick there, dtype, activation, one input or several) from
the measurements most like it:

* stored runs: seconds = k·a + S·b + W / (r·T), a (the fixed cost of a chunk: set-up,
  compilation, the test grid), b (the cost of one network's step whatever its size: the
  per-network overhead that dominates at widths 1-4) and r (element-steps per second and
  thread) fitted by non-negative least squares on relative error, S the network-steps (seeds ×
  steps), T the threads (a CPU's record names its own; a GPU counts as one);
* bench rows, where the bench measured the backend (such as the numba loop kernel): a = 0 and r
  their median rate per thread. The bench runs on an idle machine by rule; a stored run's wall
  time includes whatever shared the machine with it (this CPU's α(T) runs ran two at a time), so
  the bench's rates come first and stored runs price only the backends it never measured.

The estimate is the model times the median of measured over modelled seconds of the stored runs,
and the range their 10th to 90th percentile (a fit on relative error need not centre the ratio
on 1), or the highest and lowest bench rate. Each
GPU model is its own kind; runs declared GPU-only are priced on the GPU with the most
measurements (:func:`gpu_name`). The model knows nothing of a CPU it has no measurement of: its
CPU rates are those of the machine that made them, per thread.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from ..config import TrainConfig
from ..store import CHUNK_SIZE, Store
from ..targets import get_target
from ..train import resolve_backend

__all__ = ["Sample", "Cost", "samples", "planned_backend", "cost", "gpu_name", "SPREAD"]

#: The percentiles of measured / modelled seconds that bound a range.
SPREAD = (10, 90)


@dataclass(frozen=True)
class Sample:
    """One measurement: a stored run (``chunks`` ≥ 1, ``seconds`` its wall time) or a bench row
    (``chunks`` 0, ``work`` the element-steps of one second)."""

    device: str  # "cpu: <model>, <T> threads" or "cuda: <GPU>", as provenance writes it
    backend: str
    dtype: str
    activation: str
    multi: bool  # several inputs
    work: float  # element-steps
    chunks: int
    seconds: float
    net_steps: float = 0.0  # seeds × steps of a stored run (bench rows: 0)

    @property
    def kind(self) -> str:
        """"cpu", or the GPU's device string: what a rate transfers between."""
        return "cpu" if self.device.startswith("cpu") else self.device

    @property
    def threads(self) -> int:
        m = re.search(r"(\d+) threads?$", self.device)
        return int(m.group(1)) if m and self.kind == "cpu" else 1


@dataclass(frozen=True)
class Cost:
    """Seconds of some work: the model's, and the range the measurements' spread gives."""

    seconds: float
    low: float
    high: float

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.seconds + other.seconds, self.low + other.low, self.high + other.high)


def _count(seeds) -> int:
    """Seeds of a provenance record's ``seeds``: [first, last], or the list as text."""
    return seeds[1] - seeds[0] + 1 if isinstance(seeds, list) else len(str(seeds).split())


def _stored_runs(stores: Iterable[Store]) -> list[Sample]:
    runs: dict[str, dict] = {}
    for st in stores:
        for cfg, prov in st.records():
            try:
                dim = get_target(cfg["target"]).dim
                steps = cfg["width"] * cfg["points"] * cfg["steps"]
            except (KeyError, ValueError, TypeError):
                continue
            for r in prov:
                if not isinstance(r.get("wall_s"), (int, float)) or "backend" not in r or "device" not in r:
                    continue
                key = json.dumps({k: v for k, v in r.items() if k != "seeds"}, sort_keys=True)
                run = runs.setdefault(key, {"record": r, "cfg": cfg, "multi": dim > 1, "work": 0.0, "chunks": 0,
                                           "net": 0.0})
                run["work"] += _count(r["seeds"]) * steps
                run["net"] += _count(r["seeds"]) * cfg["steps"]
                run["chunks"] += 1
    return [Sample(str(u["record"]["device"]), str(u["record"]["backend"]), u["cfg"].get("dtype", "float64"),
                   u["cfg"].get("activation", "silu"), u["multi"], u["work"], u["chunks"],
                   float(u["record"]["wall_s"]), u["net"])
            for _, u in sorted(runs.items()) if u["record"]["wall_s"] > 0]


def _bench_rows(folders: Iterable[Path]) -> list[Sample]:
    out = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.json")):
            try:
                d = json.loads(path.read_text())
                c, device = d["config"], d["device"]
                multi = get_target(c.get("target", "x2")).dim > 1
                for row in d["rows"]:
                    rate = float(row["neuron_point_steps_per_s"])
                    if rate > 0:
                        out.append(Sample(device, row["trainer"], row["dtype"], c.get("activation", "silu"), multi,
                                          rate, 0, 1.0))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue  # not a bench table
    return out


def samples(stores: Sequence[Store], bench_folders: Sequence[str | Path]) -> list[Sample]:
    """Every measurement of ``stores`` (their stored runs; a store listed twice counts once) and of
    the bench tables in ``bench_folders``, in a fixed order.

    Args:
        stores: the results stores whose runs' provenance records wall times.
        bench_folders: folders of bench tables (``python -m nslkit bench``).
    """
    unique = list({str(st.root.resolve()): st for st in stores}.values())
    folders = list(dict.fromkeys(Path(f).resolve() for f in bench_folders))
    return _stored_runs(unique) + _bench_rows(folders)


def gpu_name(measured: Sequence[Sample]) -> str | None:
    """The GPU with the most measurements ("cuda: NVIDIA H200"), or None without any.

    Args:
        measured: the measurements (:func:`samples`).
    """
    counts: dict[str, int] = {}
    for s in measured:
        if s.kind != "cpu":
            counts[s.kind] = counts.get(s.kind, 0) + 1
    return max(sorted(counts), key=counts.get) if counts else None


def planned_backend(cfg: TrainConfig, seeds: int, kind: str) -> str:
    """The backend "auto" would train a chunk of ``seeds`` networks of ``cfg`` with on ``kind``
    ("cpu" or a GPU), asking nothing of this machine (nothing is compiled); L-BFGS:
    "scipy-lbfgsb", as its provenance names it.

    Args:
        cfg: the experiment.
        seeds: the networks in the chunk.
        kind: "cpu" or a GPU's name.
    """
    if cfg.optimizer == "lbfgs":
        return "scipy-lbfgsb"
    device = torch.device("cpu" if kind == "cpu" else "cuda")
    return resolve_backend("auto", cfg.replace(seeds=seeds), device, cfg.points, probe=False)


def cost(cfg: TrainConfig, seeds: int, kind: str, threads: int, measured: Sequence[Sample]) -> Cost | None:
    """Seconds to train ``seeds`` networks of ``cfg`` (its width) on ``kind`` with ``threads``
    threads (a GPU: 1), from the measurements most like it; None when none used its backend there.

    Args:
        cfg: the experiment, at its width.
        seeds: the networks to train.
        kind: "cpu" or a GPU's name.
        threads: CPU threads (a GPU: 1).
        measured: the measurements (:func:`samples`).
    """
    chunk = min(seeds, CHUNK_SIZE)
    backend = planned_backend(cfg, chunk, kind)
    pool = [s for s in measured if s.kind == kind and s.backend == backend]
    if not pool:
        return None
    bench = [s for s in pool if not s.chunks]
    pool = bench or pool  # the bench's idle-machine rates come first
    multi = cfg.dim > 1

    def likeness(s: Sample) -> int:
        return 4 * (s.multi == multi) + 2 * (s.activation == cfg.activation) + (s.dtype == cfg.dtype)

    best = max(map(likeness, pool))
    pool = [s for s in pool if likeness(s) == best]
    work, k, t = float(seeds) * cfg.width * cfg.points * cfg.steps, math.ceil(seeds / CHUNK_SIZE), max(1, threads)
    runs = [s for s in pool if s.chunks]
    if runs:
        a, b, r, ratio = _fit(runs)
        seconds = k * a + float(seeds) * cfg.steps * b + work / (r * t)
        mid, lo, hi = np.percentile(ratio, (50, *SPREAD))
        return Cost(seconds * float(mid), seconds * float(lo), seconds * float(hi))
    rates = np.array([s.work / s.seconds / s.threads for s in pool])
    return Cost(work / (float(np.median(rates)) * t), work / (float(rates.max()) * t), work / (float(rates.min()) * t))


def _fit(runs: Sequence[Sample]) -> tuple[float, float, float, np.ndarray]:
    """(a, b, r, measured / modelled seconds of each run) of
    seconds = chunks·a + net_steps·b + work / (r·threads)."""
    from scipy.optimize import nnls

    A = np.array([[s.chunks, s.net_steps, s.work / s.threads] for s in runs])  # (runs, 3)
    t = np.array([s.seconds for s in runs])
    (a, b, inv_r), _ = nnls(A / t[:, None], np.ones(len(runs)))  # relative error: each run counts alike
    if inv_r <= 0:  # the fixed costs explain every run: rate from the total instead
        a, b, inv_r = 0.0, 0.0, float(t.sum() / A[:, 2].sum())
    return float(a), float(b), 1.0 / float(inv_r), t / (A @ [a, b, inv_r])
