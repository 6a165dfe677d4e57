"""Throughput of the naive per-network loop against the batched trainer (``python -m nslkit bench``).

Both train the same config. Rates are per second of training-loop time:

* network-steps/s: networks × Adam steps;
* network·neuron·point-steps/s: the same times N × P, the size of the S×N×P computation
  each step does, comparable across widths and point counts.

The batched rate is the difference quotient of two runs of ``steps`` and ``2 × steps`` steps,
so set-up, compilation and the final evaluation cancel (should noise make the longer run the
faster, the longer run's plain rate is reported instead). The naive rate is measured on
``naive_networks`` networks; every network costs the same, so it extrapolates to S.
"""
from __future__ import annotations

import time
from typing import Any

import torch

from .config import TrainConfig
from .data import training_data
from .reference import train_naive
from .train import device_name, resolve_backend, resolve_device, train

__all__ = ["bench"]


def _rates(network_steps: float, seconds: float, cfg: TrainConfig) -> dict[str, float]:
    rate = network_steps / seconds
    return {"network_steps_per_s": rate, "neuron_point_steps_per_s": rate * cfg.width * cfg.points}


def bench(
    cfg: TrainConfig,
    steps: int = 50,
    naive_networks: int = 5,
    naive_steps: int = 200,
    device: str | torch.device | None = "auto",
    backend: str = "auto",
) -> dict[str, Any]:
    """Measure both trainers on ``cfg`` (its seeds, width, points and dtype).

    Returns a dict with ``config``, ``device``, ``naive`` and ``batched`` (each with
    network_steps_per_s and neuron_point_steps_per_s), and ``speedup`` (batched / naive).
    """
    dev = resolve_device(device)
    # decide the backend for a full-length run of cfg, which is what the figure stands for
    backend = resolve_backend(backend, cfg, dev, cfg.points)
    x, y = training_data(cfg)
    train_naive(cfg, 0, x, y, steps=5)  # warm-up
    t0 = time.perf_counter()
    for s in range(naive_networks):
        train_naive(cfg, s, x, y, steps=naive_steps)
    naive = _rates(naive_networks * naive_steps, time.perf_counter() - t0, cfg)

    quick = cfg.replace(test_points=2, steps=steps)
    train(quick.replace(steps=2), dev, progress=False, backend=backend)  # warm-up, compilation
    times = []
    for n in (steps, 2 * steps):
        t0 = time.perf_counter()
        train(quick.replace(steps=n), dev, progress=False, backend=backend)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        times.append(time.perf_counter() - t0)
    # timing noise can swamp the difference of two very short runs; then fall back to the
    # plain rate of the longer run, which counts the overhead too and so errs low
    dt = times[1] - times[0] if times[1] > times[0] else times[1] / 2
    batched = _rates(len(cfg.seeds) * steps, dt, cfg)
    return {
        "config": {"seeds": len(cfg.seeds), "width": cfg.width, "points": cfg.points, "dtype": cfg.dtype,
                   "activation": cfg.activation, "target": cfg.target},
        "device": device_name(dev),
        "torch": torch.__version__,
        "backend": backend,
        "naive": naive,
        "batched": batched,
        "speedup": batched["network_steps_per_s"] / naive["network_steps_per_s"],
    }
