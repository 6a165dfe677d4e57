"""Command line: ``python -m nslkit train …``, ``bench …``, ``reproduce …``, ``status …`` and
``migrate …``.

Bad input prints one line naming the bad value and the valid choices, and exits with 2.
Progress bars and warnings (one line each) go to stderr; ``--json`` prints one JSON object to
stdout.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import CURVE_GRIDS, DTYPES, OPTIMIZERS, PLACEMENTS, TrainConfig, seed_list
from .activations import ACTIVATIONS
from .checks import integer
from .cluster import CONNECT_TIMEOUT
from .store import CHUNK_SIZE, RESULTS_ENV, Store, StoreError, migrate
from .provenance import VERSION
from .targets import target_names
from .train import BACKENDS, resolve_backend, resolve_device

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_at_least(minimum: int, what: str):
    def parse(s: str) -> int:
        try:
            return integer(int(s), repr(s), minimum)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not a {what}") from None

    return parse


_positive_int = _int_at_least(1, "positive integer")
_nonneg_int = _int_at_least(0, "non-negative integer")


def _number(s: str) -> float:
    try:
        return float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a number") from None


def _seconds(s: str) -> float:
    try:
        t = float(s)
    except ValueError:
        t = float("nan")
    if not t > 0 or t == float("inf"):
        raise argparse.ArgumentTypeError(f"{s!r} is not a positive number of seconds")
    return t


def _plural(n: int, noun: str) -> str:
    """``n`` and the noun, in the plural unless ``n`` is 1: "1 seed", "1,000 seeds"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _add_scheduler_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler-timeout", type=_seconds, default=CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"give up connecting to --scheduler after this long (default {CONNECT_TIMEOUT:g})")


def _add_experiment_args(p: argparse.ArgumentParser, bench: bool = False) -> None:
    d = TrainConfig.__dataclass_fields__
    p.add_argument("--target", default="x2", choices=target_names(), help="target function (default x2)")
    p.add_argument("--activation", default="silu", choices=ACTIVATIONS, help="σ (default silu)")
    if bench:
        p.add_argument("--width", type=_positive_int, default=10, help="N (default 10)")
        p.add_argument("--seeds", type=_positive_int, default=1000, help="number of networks S (default 1000)")
        p.add_argument("--points", type=_positive_int, default=1000, help="training points P (default 1000)")
        p.add_argument("--steps", type=_positive_int, default=50,
                       help="batched steps per timed run; runs of STEPS and 2×STEPS are timed (default 50)")
        p.add_argument("--naive-networks", type=_positive_int, default=5, help="networks timed in the naive loop (default 5)")
        p.add_argument("--naive-steps", type=_positive_int, default=200, help="steps per naive network (default 200)")
        p.add_argument("--min-time", type=float, default=0.5, metavar="SECONDS",
                       help="time each trainer over at least this long: --steps grows 4x at a time, to 256x (default 0.5)")
        p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                       help="the optimiser timed: adam (default) or sgd (with --momentum)")
        p.add_argument("--momentum", type=_number, default=d["momentum"].default,
                       help=f"SGD's momentum in [0, 1) (default {d['momentum'].default}; --optimizer sgd only)")
    else:
        p.add_argument("--widths", type=_positive_int, nargs="+", default=[2, 10], metavar="N",
                       help="one or more widths N (default 2 10)")
        seeds = p.add_mutually_exclusive_group()
        seeds.add_argument("--seeds", type=_positive_int, default=None, metavar="S",
                           help="train seeds 0..S-1 (default 1000)")
        seeds.add_argument("--seed-list", type=_nonneg_int, nargs="+", default=None, metavar="SEED",
                           help="train exactly these seeds")
        p.add_argument("--steps", type=_positive_int, default=d["steps"].default,
                       help="optimiser steps; L-BFGS: its iteration cap (default 50000)")
        p.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"].default,
                       help="adam (the paper's, default), sgd (with --momentum) or lbfgs (full-batch "
                            "L-BFGS-B, float64, one-input targets; --lr, --lr-decay and --lr-step unused)")
        p.add_argument("--momentum", type=_number, default=d["momentum"].default,
                       help=f"SGD's momentum in [0, 1) (default {d['momentum'].default}; --optimizer sgd only)")
        p.add_argument("--curve-grid", choices=CURVE_GRIDS, default=d["curve_grid"].default,
                       help="steps at which the loss curve is sampled: evenly spaced (linear, default) or log-spaced")
        p.add_argument("--points", type=_positive_int, default=None,
                       help="training points P (default 100 for 1-D targets, 1000 for products)")
    p.add_argument("--placement", choices=PLACEMENTS, default=None,
                   help="grid (linspace) or uniform (random); default grid for 1-D, uniform for products")
    p.add_argument("--domain", type=_number, nargs=2, metavar=("LO", "HI"), default=list(d["domain"].default),
                   help="input domain [LO, HI] per coordinate (default -2 2)")
    p.add_argument("--lr", type=_number, default=d["lr"].default, help="initial learning rate (default 1e-2)")
    p.add_argument("--lr-decay", type=_number, default=d["lr_decay"].default, help="learning-rate factor (default 0.2)")
    p.add_argument("--lr-step", type=_positive_int, default=d["lr_step"].default,
                   help="apply --lr-decay every this many steps (default 10000)")
    p.add_argument("--negative-slope", type=_number, default=d["negative_slope"].default, help="LeakyReLU slope (default 0.01)")
    p.add_argument("--data-seed", type=_nonneg_int, default=d["data_seed"].default, help="seed of uniform training points (default 0)")
    if bench:
        p.add_argument("--dtype", default="both", choices=(*DTYPES, "both"), help="float64, float32 or both (default)")
    else:
        p.add_argument("--dtype", default="float64", choices=DTYPES, help="float64 (default) or float32")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="default: CUDA when available")
    p.add_argument("--backend", default="auto", choices=BACKENDS,
                   help=("the batched backend to time (default auto: every one that runs here)" if bench else
                         "eager, compiled (torch.compile), triton (CUDA, Adam only), loop (the numba CPU kernel), "
                         "triton_loop (the whole schedule in one Triton kernel) or auto (triton on CUDA for "
                         "Adam, loop on the CPU where it pays, else compiled for large runs)"))
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nslkit", description="Train populations of tiny networks (Liu & Tegmark 2023).")
    p.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train S networks per width, or load them from the results store")
    _add_experiment_args(t)
    t.add_argument("--test-points", type=_positive_int, default=10_000, help="points of the test grid (default 10000)")
    stored = t.add_mutually_exclusive_group()
    stored.add_argument("--store", default=None, metavar="DIR", help="results folder (default $NSLKIT_RESULTS or results/)")
    stored.add_argument("--no-store", action="store_true", help="neither load nor save results")
    t.add_argument("--chunk-size", type=_positive_int, default=CHUNK_SIZE, metavar="C",
                   help=f"seeds per stored chunk, the unit of work and of resuming (default {CHUNK_SIZE})")
    where = t.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, metavar="K",
                       help="train the chunks on K single-threaded worker processes of this machine (a Dask LocalCluster)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="train the chunks on the Dask cluster at ADDRESS (e.g. tcp://host:8786); its workers must "
                            "see --store")
    _add_scheduler_timeout(t)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    b = sub.add_parser("bench", help="throughput of the naive loop and each batched trainer, against the roofline")
    _add_experiment_args(b, bench=True)
    r = sub.add_parser("reproduce", help="train everything the book reads at a scale, run the notebooks, build the book")
    r.add_argument("--scale", default="smoke", choices=("smoke", "cpu", "paper"),
                   help="smoke (8 seeds x 500 steps, minutes), cpu (100 seeds x 50,000 steps), paper (1000 seeds)")
    r.add_argument("--only", nargs="+", default=None, metavar="STAGE",
                   help="run only these stages: main wide disentangle unary products robustness minima notebooks book")
    r.add_argument("--dry-run", action="store_true",
                   help="print each stage's missing work and its estimated time here (on --workers K: K threads), "
                        "the GPU-only runs' on the GPU measured; from the stored wall times and the bench, training nothing")
    r.add_argument("--store", default=None, metavar="DIR", help="results folder (default $NSLKIT_RESULTS or results/)")
    r.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="default: CUDA when available")
    r.add_argument("--summary", default=None, metavar="FILE", help="write the stages' wall times here as JSON")
    rw = r.add_mutually_exclusive_group()
    rw.add_argument("--workers", type=_positive_int, default=None, metavar="K",
                    help="train the chunks on K single-threaded worker processes of this machine")
    rw.add_argument("--scheduler", default=None, metavar="ADDRESS", help="train the chunks on the Dask cluster at ADDRESS")
    _add_scheduler_timeout(r)
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    s = sub.add_parser("status", help="what the store holds of every run the book uses, and stale derived results")
    s.add_argument("--scale", default="paper", choices=("smoke", "cpu", "paper"), help="the plan to compare with (default paper)")
    s.add_argument("--store", default=None, metavar="DIR", help="results folder (default $NSLKIT_RESULTS or results/)")
    s.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    m = sub.add_parser("migrate", help="convert results files of format version 1 into chunks of the current store")
    m.add_argument("--store", default=None, metavar="DIR", help="the store to write (default $NSLKIT_RESULTS or results/)")
    m.add_argument("--from", dest="source", default=None, metavar="DIR", help="where the old files are (default --store)")
    m.add_argument("--remove", action="store_true", help="delete each old file once converted")
    return p


def _config(a: argparse.Namespace, bench: bool) -> TrainConfig:
    if bench:
        seeds, width = a.seeds, a.width
    else:
        seeds = seed_list(a.seed_list) if a.seed_list is not None else (a.seeds or 1000)
        width = a.widths[0]
    return TrainConfig(
        target=a.target, activation=a.activation, width=width, seeds=seeds, steps=a.steps, points=a.points,
        placement=a.placement, domain=tuple(a.domain), lr=a.lr, lr_decay=a.lr_decay, lr_step=a.lr_step,
        negative_slope=a.negative_slope, data_seed=a.data_seed, dtype="float64" if a.dtype == "both" else a.dtype,
        optimizer=a.optimizer, momentum=a.momentum,
        **({} if bench else {"test_points": a.test_points, "curve_grid": a.curve_grid}),
    )


def _summary(res) -> str:
    q = lambda a, p: f"{np.nanpercentile(a, p):.3e}"  # noqa: E731
    return (f"N={res.config.width:<5} train MSE median {q(res.train_mse, 50)}  p5 {q(res.train_mse, 5)}  "
            f"min {np.nanmin(res.train_mse):.3e} | test MSE median {q(res.test_mse, 50)}  "
            f"[{_plural(len(res.seeds), 'seed')} x {_plural(res.config.steps, 'step')}, {res.config.dtype}"
            f"{'' if res.config.optimizer == 'adam' else ', ' + res.config.optimizer}]")


def _store(path: str | None) -> Store:
    """The store at ``path`` (default folder when None), created if need be; ValueError if unusable."""
    st = Store(path)  # refuses a file
    try:
        st.root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot use {str(st.root)!r} as the results store: {e.strerror or e}") from None
    if not os.access(st.root, os.W_OK):
        raise ValueError(f"cannot write to the results store {str(st.root)!r}")
    return st


@contextlib.contextmanager
def _one_line_warnings():
    """Warnings as one line on stderr, without the source line Python would print."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"nslkit: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
    """
    p = _parser()
    a = p.parse_args(argv)
    with _one_line_warnings():
        if a.command == "migrate":
            return _migrate(p, a)
        if a.command in ("reproduce", "status"):
            return _reproduce(p, a)
        bench = a.command == "bench"
        try:
            cfg = _config(a, bench)
            dev = resolve_device(a.device)
            for w in [cfg.width] if bench else a.widths:  # a backend that cannot train a width is refused here
                resolve_backend(a.backend, cfg.replace(width=w), dev, cfg.points)
            store = None if bench or a.no_store else Store(_store(a.store).root, a.chunk_size)
            if not bench and a.no_store and (a.workers or a.scheduler):
                raise ValueError("--workers and --scheduler need a store (the workers write into it); drop --no-store")
        except ValueError as e:
            p.exit(2, f"nslkit {a.command}: error: {e}\n")
        if bench:
            from .backends.bench import bench as run_bench, format_table

            r = run_bench(cfg, a.steps, a.naive_networks, a.naive_steps, dev,
                          None if a.backend == "auto" else [a.backend], DTYPES if a.dtype == "both" else [a.dtype],
                          a.min_time)
            print(json.dumps(r) if a.json else format_table(r))
            return 0
        return _train(p, a, cfg, dev, store)


def _train(p: argparse.ArgumentParser, a: argparse.Namespace, cfg: TrainConfig, dev, store: Store | None) -> int:
    from .experiment import sweep

    from .cluster import cluster

    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(cluster(a.workers or None, a.scheduler, a.scheduler_timeout))
        except (OSError, ValueError) as e:
            p.exit(2, f"nslkit train: error: cannot reach the Dask scheduler {a.scheduler!r} within "
                      f"{a.scheduler_timeout:g} s (--scheduler-timeout): {e}\n")
        results = sweep(cfg, a.widths, store=False if store is None else store, device=dev, progress=not a.quiet,
                        backend=a.backend, client=client)
    if a.json:
        c = cfg.to_dict()
        del c["width"]
        c["widths"] = list(a.widths)
        out = {
            "config": c,
            "train_mse": {str(w): r.train_mse.tolist() for w, r in results.items()},
            "test_mse": {str(w): r.test_mse.tolist() for w, r in results.items()},
            "chunks_trained": results.chunks_trained,  # what the sweep trained, a corrupt chunk's retraining included
        }
        print(json.dumps(out))
    else:
        for r in results.values():
            print(_summary(r))
    return 0


def _migrate(p: argparse.ArgumentParser, a: argparse.Namespace) -> int:
    try:
        st = _store(a.store)
        source = Path(a.source) if a.source else st.root
        if not source.is_dir():
            raise ValueError(f"--from {str(source)!r} is not a folder")
        report = migrate(source, st, remove=a.remove)
    except (ValueError, StoreError) as e:
        p.exit(2, f"nslkit migrate: error: {e}\n")
    dups = report["duplicates"]
    twice = sum(n for n, _ in dups.values())
    print(f"converted {_plural(report['files'], 'file')} into {_plural(report['chunks'], 'chunk write')} in {st.root}"
          + (f"; {_plural(twice, 'seed')} {'was' if twice == 1 else 'were'} stored twice (the larger run's kept; largest relative "
             f"difference of their train MSE {max(d for _, d in dups.values()):.2g})" if dups else ""))
    return 0


def _reproduce(p: argparse.ArgumentParser, a: argparse.Namespace) -> int:
    from .cluster import cluster
    from .paper import reproduce as rp

    if a.command == "status":
        try:
            st = Store(a.store)
            if not st.root.is_dir():
                raise ValueError(f"there is no results store at {str(st.root)!r} (no such folder); give --store DIR "
                                 f"or set {RESULTS_ENV}")
        except ValueError as e:
            p.exit(2, f"nslkit status: error: {e}\n")
        s = rp.status(a.scale, st)
        print(json.dumps(s) if a.json else rp.format_status(s))
        return 0
    try:
        st = Store(a.store) if a.dry_run else _store(a.store)
        bad = [x for x in a.only or () if x not in rp.STAGES]
        if bad:
            raise ValueError(f"unknown stage{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}; valid stages: "
                             f"{', '.join(rp.STAGES)}")
        stages = a.only
        resolve_device(a.device)
    except ValueError as e:
        p.exit(2, f"nslkit reproduce: error: {e}\n")
    with contextlib.ExitStack() as stack:
        try:
            client = None if a.dry_run else stack.enter_context(cluster(a.workers, a.scheduler, a.scheduler_timeout))
        except (OSError, ValueError) as e:
            p.exit(2, f"nslkit reproduce: error: cannot reach the Dask scheduler {a.scheduler!r} within "
                      f"{a.scheduler_timeout:g} s (--scheduler-timeout): {e}\n")
        return rp.reproduce(a.scale, st, stages, a.device, client, a.dry_run, not a.quiet, summary=a.summary,
                            echo=lambda line: print(line, flush=True), threads=a.workers)


if __name__ == "__main__":
    sys.exit(main())
