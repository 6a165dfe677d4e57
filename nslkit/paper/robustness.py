"""The robustness chapter's runs and measurements: do the verdicts survive longer training,
float32, other LeakyReLU protocols, polishing to a true minimum, and widths beyond 50?

:data:`RUNS` names every run (stage → {name: (config, widths)}); ``scripts/robustness_runs.py``
trains them and the chapter loads them through the same configs.
"""
from __future__ import annotations

from ..config import TrainConfig
from .scales import SCALING_WIDTHS, SWEEP_WIDTHS, scale_config

__all__ = ["LONG_STEPS", "FLOAT32_SEEDS", "WIDER_WIDTHS", "LEAKY_VARIANTS", "RUNS", "long_config",
           "float32_config", "leaky_config", "wide_config"]

#: Longer trainings of the convergence question, the paper's schedule stretched (lr × 0.2 every T/5).
LONG_STEPS = (200_000, 500_000)
#: Seeds of the float32 main sweep (its float64 twin is the first seeds of the committed 1000).
FLOAT32_SEEDS = 200
#: Widths beyond the paper's 50 (SiLU, 100 seeds, the paper's protocol).
WIDER_WIDTHS = (100, 200, 500, 1000)
#: LeakyReLU protocol variants for C2 (100 seeds each unless said): name -> TrainConfig fields.
LEAKY_VARIANTS = {
    "slope 0 (ReLU)": {"activation": "relu"},
    "slope 0.1": {"negative_slope": 0.1},
    "lr × 0.3": {"lr": 3e-3},
    "lr × 3": {"lr": 3e-2},
    "P = 1000 (50 seeds)": {"points": 1000, "seeds": 50},
}


def long_config(activation: str, steps: int) -> TrainConfig:
    """100 seeds of y = x² trained for ``steps`` with the paper's schedule stretched."""
    return scale_config("cpu", steps=steps, target="x2", activation=activation)


def float32_config(activation: str) -> TrainConfig:
    """The main sweep in float32 at :data:`FLOAT32_SEEDS` seeds."""
    return scale_config("paper", seeds=FLOAT32_SEEDS, target="x2", activation=activation, dtype="float32")


def leaky_config(variant: str) -> TrainConfig:
    """The LeakyReLU main sweep (100 seeds × 50,000 steps) under one of :data:`LEAKY_VARIANTS`."""
    fields = dict(LEAKY_VARIANTS[variant])
    seeds = fields.pop("seeds", None)
    return scale_config("cpu", seeds=seeds, target="x2", **{"activation": "leaky_relu", **fields})


def wide_config() -> TrainConfig:
    """100 SiLU networks of y = x² per width, the paper's protocol."""
    return scale_config("cpu", target="x2", activation="silu")


RUNS: dict[str, dict[str, tuple[TrainConfig, tuple[int, ...]]]] = {
    "long": {f"{act} {steps:,} steps": (long_config(act, steps), SCALING_WIDTHS)
             for steps in LONG_STEPS for act in ("silu", "leaky_relu")},
    "float32": {f"{act} float32": (float32_config(act), SWEEP_WIDTHS) for act in ("silu", "leaky_relu")},
    "leaky": {v: (leaky_config(v), SWEEP_WIDTHS if "P = 1000" not in v else tuple(w for w in SWEEP_WIDTHS if w >= 10))
              for v in LEAKY_VARIANTS},
    "wide": {"silu N = 100-1000": (wide_config(), WIDER_WIDTHS)},
}
