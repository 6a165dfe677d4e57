"""Named scales for the notebooks: how many seeds and steps a run uses.

Every figure and number the book shows says its scale (:func:`scale_label`), so that a
reduced-scale result is never mistaken for the paper's 1000 seeds × 50,000 steps.
"""
from __future__ import annotations

from typing import Any

from .config import TrainConfig

__all__ = ["SCALES", "scale_config", "scale_label"]

#: seeds × steps (and the learning-rate step, scaled with the steps) of each named scale.
SCALES: dict[str, dict[str, int]] = {
    "smoke": {"seeds": 8, "steps": 500, "lr_step": 100},  # tests: seconds on a CPU
    "cpu": {"seeds": 100, "steps": 50_000, "lr_step": 10_000},  # minutes on a 2-core CPU
    # the products of Appendix A train on 1000 points, 10x the unary cost: 20 seeds on a CPU
    "cpu-small": {"seeds": 20, "steps": 50_000, "lr_step": 10_000},
    "paper": {"seeds": 1000, "steps": 50_000, "lr_step": 10_000},  # Sec. 2.2; needs a GPU
}


def scale_config(scale: str, seeds: int | None = None, steps: int | None = None, **fields: Any) -> TrainConfig:
    """A :class:`TrainConfig` at a named scale; ``seeds``/``steps`` override the preset.

    When ``steps`` is overridden the learning rate still decays 4 times, every steps/5.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(SCALES)}")
    preset = dict(SCALES[scale])
    if seeds is not None:
        preset["seeds"] = seeds
    if steps is not None:
        preset["steps"] = steps
        preset["lr_step"] = max(1, steps // 5)
    return TrainConfig(**{**preset, **fields})


def scale_label(cfg: TrainConfig) -> str:
    """E.g. ``"100 seeds × 50,000 steps, float64"``: the scale a result was made at."""
    n = len(cfg.seeds)
    return f"{n:,} seed{'s' if n != 1 else ''} × {cfg.steps:,} steps, {cfg.dtype}"
