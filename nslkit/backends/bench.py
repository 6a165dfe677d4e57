"""Throughput of every trainer against the naive loop and the roofline (``python -m nslkit bench``).

Rows: the naive per-network loop (:mod:`nslkit.reference`), then each batched backend that
runs here (eager, compiled, the Triton kernel on CUDA, and the numba kernel of
:mod:`nslkit.backends.loop` on the CPU), each in float64 and float32.
Rates are per second of training-loop time:

* network-steps/s: networks × optimiser steps (the config's: Adam, or SGD with momentum);
* network·neuron·point-steps/s: the same times N × P, the size of the S×N×P computation
  each step does, comparable across widths and point counts;
* fraction of the roofline: that rate over :mod:`nslkit.roofline`'s arithmetic bound.

A batched rate is the difference quotient of two runs of ``steps`` and ``2 × steps`` steps,
so set-up, compilation and the final evaluation cancel (should noise make the longer run the
faster, the longer run's plain rate is reported instead, which errs low). A fast trainer would
make that difference a few milliseconds, as noisy as the set-up it cancels, so ``steps`` is
multiplied by 4 until the difference lasts at least :data:`MIN_TIMED_S` (at most 256×); each
row records the steps it timed. The naive rate is
measured on ``naive_networks`` networks; every network costs the same, so it extrapolates to
S: S networks take S / rate seconds a step.

The products' shape (D = 3, N = 20, P = 1000; the roofline counts the D-input first layer) and
SGD are timed by the same command::

    python -m nslkit bench --target prod3 --width 20 --points 1000 --dtype float64
    python -m nslkit bench --optimizer sgd --width 10 --points 1000 --dtype float64
"""
from __future__ import annotations

import time
from typing import Any, Iterable

import torch

from ..config import DTYPES, TrainConfig
from ..data import training_data
from ..provenance import device_name, provenance
from ..train import backend_supports, resolve_device, train
from . import loop, triton_step
from .compiled import compile_works
from .reference import train_naive
from .roofline import flops_per_neuron_point_step, peak_flops, synchronize

__all__ = ["bench", "available_backends", "format_table", "describe", "table_rows", "MIN_TIMED_S",
           "BENCH_OPTIMIZERS"]

#: The shortest difference of the two timed runs that a rate is computed from, in seconds.
MIN_TIMED_S = 0.5
#: The optimisers timed (L-BFGS trains one network at a time in NumPy: no batched trainer to time).
BENCH_OPTIMIZERS = ("adam", "sgd")


def available_backends(device: torch.device) -> list[str]:
    """The batched backends worth timing on a device (not Triton's CPU interpreter).

    Args:
        device: the torch device.
    """
    out = ["eager"]
    if compile_works(device.type):
        out.append("compiled")
    if device.type == "cuda" and triton_step.available("cuda"):
        out.append("triton")
    if device.type == "cpu" and loop.available():
        out.append("loop")
    return out


def _naive_rate(cfg: TrainConfig, networks: int, steps: int) -> float:
    x, y = training_data(cfg)
    train_naive(cfg, 0, x, y, steps=5)  # warm-up
    t0 = time.perf_counter()
    for s in range(networks):
        train_naive(cfg, s, x, y, steps=steps)
    return networks * steps / (time.perf_counter() - t0)


def _batched_rate(cfg: TrainConfig, steps: int, dev: torch.device, backend: str,
                  min_time: float = MIN_TIMED_S) -> tuple[float, int]:
    """(network-steps/s, the steps it timed) of ``backend`` on ``cfg``."""
    quick = cfg.replace(test_points=2, steps=steps)
    train(quick.replace(steps=2), dev, progress=False, backend=backend)  # warm-up, compilation
    while True:
        times = []
        for n in (steps, 2 * steps):
            synchronize(dev)
            t0 = time.perf_counter()
            train(quick.replace(steps=n), dev, progress=False, backend=backend)
            synchronize(dev)
            times.append(time.perf_counter() - t0)
        if min_time <= 0 or times[1] - times[0] >= min_time or steps >= 256 * quick.steps:
            break
        steps *= 4
    dt = times[1] - times[0] if times[1] > times[0] else times[1] / 2
    return len(cfg.seeds) * steps / dt, steps


def bench(
    cfg: TrainConfig,
    steps: int = 50,
    naive_networks: int = 5,
    naive_steps: int = 200,
    device: str | torch.device | None = "auto",
    backends: Iterable[str] | None = None,
    dtypes: Iterable[str] = DTYPES,
    min_time: float = MIN_TIMED_S,
) -> dict[str, Any]:
    """Time the naive loop and each batched backend on ``cfg`` (its seeds, width, points).

    Args:
        cfg: the experiment (optimizer adam or sgd); its dtype is replaced by each of ``dtypes``.
        steps: batched steps per timed run (runs of ``steps`` and ``2 × steps`` are timed).
        naive_networks, naive_steps: how much of the naive loop to time.
        device: "auto", "cpu" or "cuda".
        backends: batched backends to time (default :func:`available_backends`).
        dtypes: "float64" and/or "float32".
        min_time: the shortest difference of the two timed runs, in seconds: ``steps`` is
            multiplied by 4 (at most 256×) until it lasts that long (0: time ``steps`` as given).

    Returns:
        ``config``, ``device``, ``torch``, ``roofline`` (per dtype, peak flop/s, its source,
        flops per neuron-point-step, the bound in neuron-point-steps/s) and ``rows`` (one dict
        per (trainer, dtype) with network_steps_per_s, neuron_point_steps_per_s,
        roofline_fraction and vs_naive).
    """
    t0 = time.perf_counter()
    if cfg.optimizer not in BENCH_OPTIMIZERS:
        raise ValueError(f"bench times optimizer {' or '.join(BENCH_OPTIMIZERS)}, not {cfg.optimizer!r}")
    dev = resolve_device(device)
    backends = list(backends) if backends is not None else available_backends(dev)
    dtypes = list(dtypes)
    for d in dtypes:
        if d not in DTYPES:
            raise ValueError(f"unknown dtype {d!r}; valid dtypes: {', '.join(DTYPES)}")
    per_step = cfg.width * cfg.points
    flops = flops_per_neuron_point_step(cfg.activation, cfg.dim)
    roofline, rows = {}, []
    for dtype in dtypes:
        c = cfg.replace(dtype=dtype)
        peak, source = peak_flops(dev, c.torch_dtype)
        bound = peak / flops
        roofline[dtype] = {"peak_flops": peak, "source": source, "flops_per_neuron_point_step": flops,
                           "neuron_point_steps_per_s": bound}
        naive = _naive_rate(c, naive_networks, naive_steps)
        for trainer in ["naive", *backends]:
            if trainer != "naive" and not backend_supports(trainer, c):
                continue  # outside the backend's scope (Triton: Adam only; the loop kernel: loop.supports)
            rate, timed = (naive, naive_steps) if trainer == "naive" else _batched_rate(c, steps, dev, trainer, min_time)
            rows.append({"trainer": trainer, "dtype": dtype, "steps_timed": timed, "network_steps_per_s": rate,
                         "neuron_point_steps_per_s": rate * per_step,
                         "roofline_fraction": rate * per_step / bound, "vs_naive": rate / naive})
    prov = provenance(dev, time.perf_counter() - t0)
    return {
        "config": {"seeds": len(cfg.seeds), "width": cfg.width, "points": cfg.points, "activation": cfg.activation,
                   "target": cfg.target, "dim": cfg.dim, "optimizer": cfg.optimizer,
                   **({"momentum": cfg.momentum} if cfg.optimizer == "sgd" else {}), "steps_timed": [steps, 2 * steps]},
        "device": device_name(dev),
        "torch": torch.__version__,
        "provenance": prov,  # git commit, date, wall time of the whole benchmark
        "roofline": roofline,
        "rows": rows,
    }


def describe(r: dict[str, Any]) -> tuple[str, list[str]]:
    """The run's one-line description (device, torch, commit, date, config) and its roofline lines.

    Args:
        r: the result of :func:`bench`.
    """
    c = r["config"]
    # runs stored before the SGD rows have no optimizer: Adam
    opt = {"adam": "", "sgd": f", SGD (momentum {c.get('momentum')})"}[c.get("optimizer", "adam")]
    head = (f"{r['device']}, torch {r['torch']}, commit {r['provenance']['git_commit']}, "
            f"{r['provenance']['date']}; S = {c['seeds']}, N = {c['width']}, P = {c['points']}, "
            f"{c['activation']}, {c['target']}{opt}" + (f"; {r['conditions']}" if r.get("conditions") else ""))
    roofs = [f"roofline {dtype}: {rl['peak_flops']:.3g} flop/s ({rl['source']}) / "
             f"{rl['flops_per_neuron_point_step']} flops = {rl['neuron_point_steps_per_s']:.3g} "
             "network·neuron·point-steps/s" for dtype, rl in r["roofline"].items()]
    return head, roofs


def table_rows(r: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of :func:`bench`'s result as formatted strings, one dict per (trainer, dtype).

    Args:
        r: the result of :func:`bench`.
    """
    return [{"trainer": row["trainer"], "dtype": row["dtype"],
             "network-steps/s": f"{row['network_steps_per_s']:.3g}",
             "network·neuron·point-steps/s": f"{row['neuron_point_steps_per_s']:.3g}",
             "of roofline": f"{row['roofline_fraction']:.2%}", "vs naive": f"{row['vs_naive']:.3g}×"}
            for row in r["rows"]]


def format_table(r: dict[str, Any]) -> str:
    """The result of :func:`bench` as a Markdown table, with a header line naming the run.

    Args:
        r: the result of :func:`bench`.
    """
    head, roofs = describe(r)
    rows = table_rows(r)
    cols = list(rows[0])
    lines = [head, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(row[k] for k in cols) + " |" for row in rows]
    return "\n".join([*lines, "", *roofs])
