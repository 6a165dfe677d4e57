"""Every run the book reads, at a named scale, as data; what the store holds of it; and the one
command that trains what is missing, regenerates the derived results and builds the book
(``python -m nslkit reproduce`` and ``python -m nslkit status``).

A scale's plan (:func:`plan`) is a list of :class:`Run`: a stage, a name, a config and the
widths, what the store keeps of it, and whether it is declared GPU-only (the paper-scale
products: 1000 seeds on 1000 points, about 80 days of a 2-core CPU). The training stages go
through :func:`nslkit.sweep`, so they resume after a kill exactly as ``train`` does: a finished
chunk of 100 seeds is never trained again. Then come two stages that need a checkout of the
repository: ``notebooks`` executes every chapter at the scale with papermill (which computes the
derived results the chapters keep in ``results/derived/``) and ``book`` runs
``jupyter-book build book -W --all`` on an emptied execution cache.

Scales: ``smoke`` (8 seeds × 500 steps: minutes on a CPU, for tests), ``cpu`` (100 seeds ×
50,000 steps; the products at 100 seeds), ``paper`` (1000 seeds × 50,000 steps; the products at
1000 seeds are GPU-only, and their 100-seed runs, which the book shows, are planned too). The
robustness and minima chapters' runs are CPU-sized by design and the same at ``cpu`` and
``paper``.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch

from ..config import TrainConfig
from ..experiment import sweep
from ..provenance import WallTimes
from ..store import Store, StoreError
from ..train import resolve_device
from . import costs, minima, robustness
from .derived import stored_derived
from .scales import (C11_SEEDS, C11_WIDTHS, DISENTANGLE_WIDE_SEEDS, PAPER_WIDTHS, PRODUCT_TARGETS, SWEEP_WIDTHS, UNARY_TARGETS,
                     WIDE_WIDTH, scale_config)

__all__ = ["Run", "SCALES", "TRAINING_STAGES", "STAGES", "plan", "missing", "status", "estimate", "reproduce",
           "NOTEBOOK_PARAMETERS"]

#: The scales of :func:`plan`.
SCALES = ("smoke", "cpu", "paper")
#: The stages that train, in the order they run.
TRAINING_STAGES = ("main", "wide", "disentangle", "unary", "products", "robustness", "minima")
#: Every stage, in order.
STAGES = (*TRAINING_STAGES, "notebooks", "book")
#: Papermill parameters of every notebook at each scale (notebooks 10 and 11 name their runs
#: "full" or "smoke"; at paper scale every notebook runs with its defaults, as the book does).
NOTEBOOK_PARAMETERS = {"smoke": {"*": {"scale": "smoke"}},
                       "cpu": {"*": {"scale": "cpu"}, "10_robustness": {"scale": "full"}, "11_minima": {"scale": "full"}},
                       "paper": {"*": {}}}


@dataclasses.dataclass(frozen=True)
class Run:
    """One result set the book reads: ``cfg`` (its seeds those needed) at each of ``widths``."""

    stage: str
    name: str
    cfg: TrainConfig
    widths: tuple[int, ...]
    keep: str = "all"
    gpu_only: bool = False


def plan(scale: str) -> list[Run]:
    """Every run the book reads at ``scale`` (one of :data:`SCALES`), stage by stage."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(SCALES)}")
    x2 = {"target": "x2"}
    runs = [Run("main", f"x² {act}", scale_config(scale, **x2, activation=act), SWEEP_WIDTHS)
            for act in ("silu", "leaky_relu")]
    if scale == "paper":
        runs.append(Run("main", f"x² SiLU, C11's small widths ({C11_SEEDS} seeds)",
                        scale_config(scale, seeds=C11_SEEDS, **x2, activation="silu"), C11_WIDTHS))
    runs.append(Run("wide", "x² SiLU, one wide network", scale_config(scale, seeds=1, **x2, activation="silu"),
                    (WIDE_WIDTH,)))
    runs.append(Run("disentangle", "x² SiLU N = 1000 (Fig. 12)",
                    scale_config(scale, seeds=DISENTANGLE_WIDE_SEEDS, **x2, activation="silu"), (1000,)))
    runs += [Run("unary", t, scale_config(scale, target=t, activation="silu"), PAPER_WIDTHS, "losses")
             for t in UNARY_TARGETS if t != "x2"]  # x² is the main sweep
    products = "smoke" if scale == "smoke" else "cpu"  # the book's products on a CPU: 100 seeds
    runs += [Run("products", f"{t} ({len(scale_config(products).seeds)} seeds)",
                 scale_config(products, target=t, activation="silu"), PAPER_WIDTHS, "losses") for t in PRODUCT_TARGETS]
    if scale == "paper":
        runs += [Run("products", f"{t} (1000 seeds)", scale_config("paper", target=t, activation="silu"), PAPER_WIDTHS,
                     "losses", gpu_only=True) for t in PRODUCT_TARGETS]
    chapter = "smoke" if scale == "smoke" else "full"
    for stage, module in (("robustness", robustness), ("minima", minima)):
        for sub, named in module.runs(chapter).items():
            runs += [Run(stage, f"{sub}: {name}", cfg, tuple(widths)) for name, (cfg, widths) in named.items()]
    return runs


def missing(run: Run, store: Store) -> dict[int, int]:
    """{width: seeds of ``run`` the store lacks} (a chunk that fails its checks counts as missing)."""
    out = {}
    for w in run.widths:
        try:
            out[w] = len(store.missing(run.cfg.replace(width=w)))
        except StoreError:
            out[w] = len(run.cfg.seeds)
    return out


def _work(cfg: TrainConfig, width: int, seeds: int) -> float:
    """Element-steps (networks × width × points × steps) of training ``seeds`` networks."""
    return float(seeds) * width * cfg.points * cfg.steps


def status(scale: str, store: Store | str | os.PathLike | None = None) -> dict[str, Any]:
    """What the store holds of :func:`plan` at ``scale``: one row per run and width (seeds stored of
    needed, steps, dtype, the devices and commits that made them, GPU-only), and every derived
    result with whether the code its key read has changed (:func:`.derived.stored_derived`)."""
    st = store if isinstance(store, Store) else Store(store)
    rows = []
    for run in plan(scale):
        lacking = missing(run, st)
        for w in run.widths:
            cfg = run.cfg.replace(width=w)
            try:
                made = st.runs(cfg)
            except StoreError:
                made = []
            rows.append({"stage": run.stage, "run": run.name, "width": w, "needed": len(cfg.seeds),
                         "stored": len(cfg.seeds) - lacking[w], "steps": cfg.steps, "dtype": cfg.dtype,
                         "devices": sorted({str(r.get("device")) for r in made}),
                         "commits": sorted({str(r.get("git_commit"))[:12] for r in made}),
                         "gpu_only": run.gpu_only})
    return {"scale": scale, "store": str(st.root), "runs": rows, "derived": stored_derived(st)}


def format_status(s: dict[str, Any]) -> str:
    """:func:`status` as a text table: one line per run (its widths summed), then the derived results."""
    lines = [f"store {s['store']}, scale {s['scale']}", "",
             f"{'stage':<12} {'run':<44} {'widths':>6} {'networks':>13} {'steps':>9} {'dtype':<8} made by"]
    by_run: dict[tuple[str, str], list[dict]] = {}
    for r in s["runs"]:
        by_run.setdefault((r["stage"], r["run"]), []).append(r)
    for (stage, name), rs in by_run.items():
        stored, needed = sum(r["stored"] for r in rs), sum(r["needed"] for r in rs)
        made = sorted({f"{d} @ {c}" for r in rs for d in r["devices"] for c in r["commits"]})
        flag = "" if stored == needed else ("  GPU-only" if rs[0]["gpu_only"] else "  MISSING")
        lines.append(f"{stage:<12} {name[:44]:<44} {len(rs):>6} {stored:>6}/{needed:<6} {rs[0]['steps']:>9,} "
                     f"{rs[0]['dtype']:<8} {'; '.join(made[:2]) + (' …' if len(made) > 2 else '') or '-'}{flag}")
    lines += ["", f"{'derived result':<36} code    made"]
    for name, d in s["derived"].items():
        p = d["provenance"]
        lines.append(f"{name:<36} {d['status']:<7} {str(p.get('date', '?'))[:10]} {str(p.get('git_commit', '?'))[:12]}")
    return "\n".join(lines)


# ---- estimates ---------------------------------------------------------------------------------

def estimate(runs: Iterable[Run], store: Store, kind: str, threads: int,
             measured: Sequence[costs.Sample]) -> dict[str, dict[str, Any]]:
    """{stage: {"networks", "work", "cost", "unpriced", "gpu_only", "gpu_work", "gpu_cost"}}: what
    ``store`` lacks of ``runs`` and how long training it would take on ``kind`` ("cpu", with
    ``threads`` threads, or a GPU) by the cost model of :mod:`.costs`, from the ``measured`` wall
    times; nothing is trained. "cost" is a :class:`.costs.Cost` (None when nothing is to train),
    "unpriced" the networks whose backend has no measurement on ``kind``; runs declared GPU-only
    count apart ("gpu_only" networks, "gpu_work"), priced on :func:`.costs.gpu_name`'s GPU."""
    gpu = kind if kind != "cpu" else costs.gpu_name(measured)
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        acc = out.setdefault(run.stage, {"networks": 0, "work": 0.0, "cost": None, "unpriced": 0,
                                         "gpu_only": 0, "gpu_work": 0.0, "gpu_cost": None})
        for w, n in missing(run, store).items():
            if not n:
                continue
            cfg = run.cfg.replace(width=w)
            apart = run.gpu_only and kind == "cpu"
            where = gpu if apart else kind
            c = costs.cost(cfg, n, where, 1 if where != "cpu" else threads, measured) if where else None
            prefix = "gpu_" if apart else ""
            acc["gpu_only" if apart else "networks"] += n
            acc[prefix + "work"] += _work(cfg, w, n)
            if c is None:
                acc["unpriced"] += n
            else:
                acc[prefix + "cost"] = c if acc[prefix + "cost"] is None else acc[prefix + "cost"] + c
    return out


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _priced(c: costs.Cost, where: str) -> str:
    """"about 4.6 h (2.8 h to 10.6 h) on 2 CPU threads"."""
    spread = "" if _duration(c.low) == _duration(c.high) else f" ({_duration(c.low)} to {_duration(c.high)})"
    about = "" if c.seconds < 1 else "about "
    return f"{about}{_duration(c.seconds)}{spread} {where}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _dry_run(stages: Sequence[str], runs: Sequence[Run], st: Store, dev: torch.device, threads: int | None,
             echo: Callable[[str], None]) -> None:
    """Each stage's missing work and its price by :mod:`.costs`, one line each, then the sources."""
    root = repository()
    stores = [st] + ([Store(root / "results")] if root is not None else [])
    measured = costs.samples(stores, [s.root / "bench" for s in stores])
    kind = "cpu" if dev.type == "cpu" else f"cuda: {torch.cuda.get_device_name(dev)}"
    if kind != "cpu" and not any(s.kind == kind for s in measured):
        kind = costs.gpu_name(measured) or kind  # a GPU without measurements: priced as the one measured most
    threads = threads or torch.get_num_threads()
    here = f"on {_plural(threads, 'CPU thread')}" if kind == "cpu" else f"on one {kind.split(': ', 1)[1]}"
    priced_any = False
    for stage in stages:
        if stage not in TRAINING_STAGES:
            echo(f"{stage}: executes every notebook" + (" and builds the book" if stage == "book" else "")
                 + " (not estimated; about 7 min of a 2-core CPU at the committed scale)")
            continue
        e = estimate([r for r in runs if r.stage == stage], st, kind, threads, measured).get(stage, {})
        parts = []
        if e.get("networks"):
            line = f"{_plural(e['networks'], 'network')} to train, {e['work']:.2e} element-steps"
            if e["cost"] is not None:
                line += ", " + _priced(e["cost"], here)
            parts.append(line)
        if e.get("gpu_only"):
            line = f"{_plural(e['gpu_only'], 'network')} declared GPU-only, {e['gpu_work']:.2e} element-steps"
            if e["gpu_cost"] is not None:
                line += ", " + _priced(e["gpu_cost"], f"on one {costs.gpu_name(measured).split(': ', 1)[1]}")
            parts.append(line)
        if e.get("unpriced"):
            parts.append(f"{_plural(e['unpriced'], 'network')} not priced (no measured run of their backend there)")
        priced_any |= bool(parts)
        echo(f"{stage}: " + ("; ".join(parts) if parts else "nothing to train"))
    if priced_any:
        n_runs = sum(1 for s in measured if s.chunks)
        cpus = sorted({s.device[len("cpu: "):].rsplit(", ", 1)[0] for s in measured if s.kind == "cpu"})
        echo(f"(priced from the wall times of {_plural(n_runs, 'stored run')} and "
             f"{_plural(len(measured) - n_runs, 'bench rate')}, nothing trained; CPU rates are those per thread of "
             f"{', '.join(cpus) or 'no measured CPU'}; the ranges are the measurements' spread about the model)")


# ---- the command -------------------------------------------------------------------------------

def repository() -> Path | None:
    """The checkout nslkit runs from (the folder holding notebooks/ and book/), or None when installed."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "notebooks").is_dir() and (root / "book").is_dir() else None


def _notebooks(scale: str, store: Store, out: Path) -> None:
    import papermill

    root = repository()
    if root is None:
        raise RuntimeError("the notebooks stage needs a checkout of the repository (no notebooks/ beside nslkit/)")
    out.mkdir(parents=True, exist_ok=True)
    params = NOTEBOOK_PARAMETERS[scale]
    os.environ["NSLKIT_RESULTS"] = str(store.root)  # the kernels read the store this command trains into
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        papermill.execute_notebook(str(nb), str(out / nb.name), parameters=params.get(nb.stem, params["*"]),
                                   cwd=str(nb.parent), kernel_name="python3", progress_bar=False)


def _book(store: Store) -> None:
    root = repository()
    if root is None:
        raise RuntimeError("the book stage needs a checkout of the repository (no book/ beside nslkit/)")
    exe = shutil.which("jupyter-book", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if exe is None:
        raise RuntimeError("jupyter-book is not installed (pip install -e '.[book]')")
    # the book's execution cache keys on cell source alone: outputs made from another store must not be reused
    shutil.rmtree(root / "book" / "_build" / ".jupyter_cache", ignore_errors=True)
    p = subprocess.run([exe, "build", "book", "-W", "--all"], cwd=root,
                       env={**os.environ, "NSLKIT_RESULTS": str(store.root)}, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"jupyter-book build failed (exit {p.returncode}): {p.stdout[-2000:]}{p.stderr[-2000:]}")


def reproduce(scale: str, store: Store | str | os.PathLike | None = None, stages: Iterable[str] | None = None,
              device: str = "auto", client: Any = None, dry_run: bool = False, progress: bool = True,
              out: str | os.PathLike | None = None, summary: str | os.PathLike | None = None,
              echo: Callable[[str], None] = print, threads: int | None = None) -> int:
    """Train what ``stages`` (default all, :data:`STAGES`) of :func:`plan` at ``scale`` lack, then
    run the notebooks and build the book; one line per stage through ``echo``. Returns 0, or 1
    when a stage failed (it says which and why; what finished before is kept). ``dry_run``:
    only print each stage's missing work and its price by the cost model of :mod:`.costs`
    (calibrated on the wall times stored in ``store`` and in the repository's ``results/``, and
    the bench's; nothing is trained or compiled), on ``threads`` CPU threads (default torch's)
    or the GPU of ``device``, the GPU-only runs on the GPU measured most. GPU-only runs are skipped
    on a CPU (and said so). ``out``: where the executed notebooks go (default
    ``<store>/../reproduce/<scale>``); ``summary``: a JSON file of the stages' wall times."""
    st = store if isinstance(store, Store) else Store(store)
    stages = list(STAGES if stages is None else stages)
    bad = [s for s in stages if s not in STAGES]
    if bad:
        raise ValueError(f"unknown stage{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}; valid stages: "
                         f"{', '.join(STAGES)}")
    dev = resolve_device(device)
    runs = plan(scale)
    if dry_run:
        _dry_run(stages, runs, st, dev, threads, echo)
        return 0
    times = WallTimes(summary, scale=scale, store=str(st.root), device=str(dev))
    out = Path(out) if out is not None else st.root.parent / "reproduce" / scale
    for stage in stages:
        t0 = time.perf_counter()
        try:
            if stage == "notebooks":
                with times(stage):
                    _notebooks(scale, st, out)
                echo(f"{stage}: done, {_plural(len(list(out.glob('*.ipynb'))), 'notebook')} executed into {out}, "
                     f"{time.perf_counter() - t0:.0f} s")
                continue
            if stage == "book":
                with times(stage):
                    _book(st)
                echo(f"{stage}: done, book/_build/html, {time.perf_counter() - t0:.0f} s")
                continue
            trained = skipped = 0
            with times(stage):
                for run in (r for r in runs if r.stage == stage):
                    if run.gpu_only and dev.type != "cuda":
                        skipped += sum(missing(run, st).values())
                        continue
                    done = sweep(run.cfg, run.widths, store=st, device=dev, progress=progress, keep=run.keep,
                                 client=client)
                    trained += sum(done.networks_trained.values())
            gpu = f", {_plural(skipped, 'GPU-only network')} skipped on the CPU" if skipped else ""
            echo(f"{stage}: done, trained {_plural(trained, 'network')}{gpu}, {time.perf_counter() - t0:.0f} s")
        except Exception as e:  # noqa: BLE001 - the command reports any failure and stops
            echo(f"{stage}: FAILED after {time.perf_counter() - t0:.0f} s: {type(e).__name__}: {e}")
            return 1
    return 0
