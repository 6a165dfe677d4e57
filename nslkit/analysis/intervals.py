"""Bootstrap intervals of the statistics the claims are judged by (``scipy.stats.bootstrap``,
percentile method): a median over networks, and a ratio of two medians."""
from __future__ import annotations

import inspect
from typing import Callable

import numpy as np
import scipy.stats

from ..checks import integer

__all__ = ["bootstrap_ci", "median_ci", "ratio_of_medians_ci"]

# scipy renamed random_state to rng in 1.15; this package supports scipy >= 1.10
_RNG = "rng" if "rng" in inspect.signature(scipy.stats.bootstrap).parameters else "random_state"


def bootstrap_ci(samples: tuple[np.ndarray, ...], statistic: Callable, n_boot: int = 1000, ci: float = 0.95,
                 rng: int = 0) -> tuple[float, tuple[float, float]]:
    """A statistic of some samples and its percentile bootstrap interval, each sample resampled alone.

    Args:
        samples: 1-D arrays; a sample of one value gives the degenerate interval (x, x).
        statistic: called as ``statistic(*samples, axis=-1)``, vectorised over its last axis.
        n_boot: bootstrap resamples (default 1000).
        ci: confidence level (default 0.95).
        rng: seed of the resampling (default 0).

    Returns:
        (value, (lo, hi)) as plain floats.
    """
    samples = tuple(np.asarray(s, dtype=np.float64).ravel() for s in samples)
    value = float(statistic(*samples, axis=-1))
    if min(s.size for s in samples) < 2:
        return value, (value, value)
    res = scipy.stats.bootstrap(samples, statistic, n_resamples=integer(n_boot, "n_boot"), confidence_level=ci,
                                method="percentile", vectorized=True, **{_RNG: rng})
    lo, hi = res.confidence_interval
    return value, (float(lo), float(hi))


def median_ci(x, n_boot: int = 1000, ci: float = 0.95, rng: int = 0) -> tuple[float, tuple[float, float]]:
    """The median of x and its bootstrap interval.

    Args:
        x: the values, e.g. the per-seed losses of one width.
        n_boot, ci, rng: as for :func:`bootstrap_ci`.

    Returns:
        (median, (lo, hi)).

    Example:
        >>> m, (lo, hi) = median_ci([1.0, 2.0, 3.0, 4.0, 100.0])
        >>> m, bool(lo <= m <= hi)
        (3.0, True)
    """
    return bootstrap_ci((x,), np.median, n_boot, ci, rng)


def ratio_of_medians_ci(a, b, n_boot: int = 1000, ci: float = 0.95, rng: int = 0) -> tuple[float, tuple[float, float]]:
    """median(a) / median(b) and its bootstrap interval, a and b resampled independently.

    Args:
        a, b: the two samples.
        n_boot, ci, rng: as for :func:`bootstrap_ci`.

    Returns:
        (ratio, (lo, hi)).
    """
    return bootstrap_ci((a, b), lambda a, b, axis=-1: np.median(a, axis=axis) / np.median(b, axis=axis), n_boot, ci,
                        rng)
