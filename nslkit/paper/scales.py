"""The paper's experiments as data: named scales (how many seeds and steps a run uses), and the
widths and targets each figure needs. No I/O: :mod:`.study` loads or trains them.

Every figure and number the book shows says its scale (:func:`scale_label`), so that a
reduced-scale result is never mistaken for the paper's 1000 seeds × 50,000 steps.
"""
from __future__ import annotations

from typing import Any

from ..config import TrainConfig

__all__ = ["SCALES", "scale_config", "scale_label", "PAPER_WIDTHS", "SCALING_WIDTHS", "EXTRA_WIDTHS", "SWEEP_WIDTHS",
           "WIDE_WIDTH", "UNARY_TARGETS", "PRODUCT_TARGETS", "DISENTANGLE_WIDTHS", "DISENTANGLE_WIDE_SEEDS", "C11_SEEDS", "C11_WIDTHS"]

#: seeds × steps (and the learning-rate step, scaled with the steps) of each named scale.
SCALES: dict[str, dict[str, int]] = {
    "smoke": {"seeds": 8, "steps": 500, "lr_step": 100},  # tests: seconds on a CPU
    "cpu": {"seeds": 100, "steps": 50_000, "lr_step": 10_000},  # minutes on a 2-core CPU
    # the products of Appendix A train on 1000 points, 10x the unary cost: 20 seeds on a CPU
    "cpu-small": {"seeds": 20, "steps": 50_000, "lr_step": 10_000},
    "paper": {"seeds": 1000, "steps": 50_000, "lr_step": 10_000},  # Sec. 2.2; needs a GPU
}


#: Widths of the loss histograms (Fig. 3, Sec. 4).
PAPER_WIDTHS = (1, 2, 3, 4, 10, 20, 30, 40, 50)
#: Widths of the scaling law (Fig. 1c, Sec. 2.2).
SCALING_WIDTHS = (10, 20, 30, 40, 50)
#: Widths we add to locate LeakyReLU's change of regime (C2); not in the paper.
EXTRA_WIDTHS = (6, 8, 15, 25)
#: Everything the main sweep trains, sorted.
SWEEP_WIDTHS = tuple(sorted(PAPER_WIDTHS + EXTRA_WIDTHS))
#: The extremely wide network of Fig. 2a (C5), trained from one seed.
WIDE_WIDTH = 10_000
#: The targets of Figs. 5 and 7 (Appendix A): x² and the nine others, in the paper's order.
UNARY_TARGETS = ("x2", "x3", "x4", "sin", "cos", "exp", "sin2", "expx2", "relu", "tanh")
#: The products x1·x2 ... x1·…·x5 of Figs. 6 and 8.
PRODUCT_TARGETS = ("prod2", "prod3", "prod4", "prod5")
#: The widths of Fig. 12 (Appendix C); 10, 30 and 50 come from the main sweep.
DISENTANGLE_WIDTHS = (10, 30, 50, 1000)
#: Seeds of the width-1000 networks of Appendix C (the paper shows one network per width).
DISENTANGLE_WIDE_SEEDS = 10
#: C11 (Fig. 4) at its small widths, where a width-N network is compared with the ensemble of
#: two width-N/2 ones: this many seeds at paper scale (issue 31), five times the paper's 1000,
#: because the N = 4 ratio's interval spanned a decade at 1000.
C11_SEEDS = 5000
C11_WIDTHS = (1, 2, 4)


def scale_config(scale: str, seeds: int | None = None, steps: int | None = None, **fields: Any) -> TrainConfig:
    """A :class:`TrainConfig` at a named scale.

    Args:
        scale: a name from :data:`SCALES`: "smoke", "cpu-small", "cpu" or "paper".
        seeds: override the preset's seed count.
        steps: override the preset's steps; the learning rate still decays 4 times, every steps/5.
        **fields: other fields of the config.

    Example:
        >>> cfg = scale_config("cpu", target="sin", width=20)
        >>> len(cfg.seeds), cfg.steps, cfg.target
        (100, 50000, 'sin')
        >>> scale_config("smoke", steps=1000).lr_step
        200
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
    """The scale a result was made at, e.g. ``"100 seeds × 50,000 steps, float64"``.

    An optimiser other than the paper's Adam is named: ``"50 seeds × 50,000 iterations, float64,
    L-BFGS"``.

    Args:
        cfg: the experiment.

    Example:
        >>> scale_label(scale_config("paper"))
        '1,000 seeds × 50,000 steps, float64'
    """
    n = len(cfg.seeds)
    unit = "iterations" if cfg.optimizer == "lbfgs" else "steps"
    name = {"adam": "", "sgd": f", SGD (momentum {cfg.momentum:g})", "lbfgs": ", L-BFGS"}[cfg.optimizer]
    return f"{n:,} seed{'s' if n != 1 else ''} × {cfg.steps:,} {unit}, {cfg.dtype}{name}"
