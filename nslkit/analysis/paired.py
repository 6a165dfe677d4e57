"""Paired comparisons of the scaling exponent: two protocols trained from the same seeds.

Two protocols (two budgets, two optimisers, two learning rates) that train the same seeds start
every network from the same initialisation, so their losses at one width are paired, seed by
seed. The difference of their exponents, Δα = α_A − α_B (α of median loss ∝ N^-α, as in
:func:`nslkit.analysis.fits.power_law_fit`), is then judged by a *paired* bootstrap: each
resample draws one set of seeds per width and takes it under both protocols, so what the two
share (which initialisations happened to be drawn) cancels in Δα. Two unpaired intervals side by
side overstate the uncertainty of a difference when the protocols agree seed by seed, and a
comparison of a 1000-seed run with a 20-seed one mixes the sampling of different networks into
the difference; both are avoided here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..checks import integer
from .fits import check_widths_losses, fit_exponent

__all__ = ["PairedExponents", "paired_exponents", "common_seeds"]

_CHUNK = 4_000_000  # bootstrap elements drawn at once, to bound memory


@dataclass(frozen=True, eq=False)
class PairedExponents:
    """α of two protocols on the same seeds, and their difference. Arrays are sorted by width.

    Attributes:
        widths: (K,) the widths N.
        seeds: (K,) the paired seeds at each width.
        alpha_a, alpha_b: α of median loss ∝ N^-α under protocol A and B.
        alpha_a_ci, alpha_b_ci: their percentile intervals (from the same resamples).
        delta: α_A − α_B.
        delta_ci: its paired percentile interval.
        log_ratio: (K,) log10(median_A / median_B) at each width.
        log_ratio_ci: (K, 2) its paired interval.
        n_boot: resamples.
        ci: confidence level.
    """

    widths: np.ndarray
    seeds: np.ndarray
    alpha_a: float
    alpha_a_ci: tuple[float, float]
    alpha_b: float
    alpha_b_ci: tuple[float, float]
    delta: float
    delta_ci: tuple[float, float]
    log_ratio: np.ndarray
    log_ratio_ci: np.ndarray
    n_boot: int
    ci: float

    @property
    def decided(self) -> bool:
        """Whether the interval of Δα excludes 0: the two exponents differ at this level."""
        return not (self.delta_ci[0] <= 0 <= self.delta_ci[1])


def common_seeds(seeds_a: Sequence[int], losses_a, seeds_b: Sequence[int], losses_b) -> tuple[np.ndarray, np.ndarray,
                                                                                             np.ndarray]:
    """(seeds, a, b): the seeds both runs trained, in ascending order, with each run's losses at
    those seeds, so that ``a[i]`` and ``b[i]`` come from the same initialisation.

    Args:
        seeds_a, losses_a: one run's seeds and its (S,) losses in that order.
        seeds_b, losses_b: the other run's.
    """
    sa, sb = np.asarray(seeds_a), np.asarray(seeds_b)
    la, lb = np.asarray(losses_a, dtype=float), np.asarray(losses_b, dtype=float)
    for name, s, l in (("A", sa, la), ("B", sb, lb)):
        if s.ndim != 1 or s.shape != l.shape:
            raise ValueError(f"protocol {name}: seeds and losses must be 1-D of equal length, got {s.shape} and "
                             f"{l.shape}")
        if np.unique(s).size != s.size:
            raise ValueError(f"protocol {name}: seeds must not repeat")
    both, ia, ib = np.intersect1d(sa, sb, assume_unique=True, return_indices=True)
    return both, la[ia], lb[ib]


def paired_exponents(widths: Sequence[int], losses_a: Sequence[np.ndarray], losses_b: Sequence[np.ndarray],
                     n_boot: int = 1000, ci: float = 0.95, rng: int | np.random.Generator = 0) -> PairedExponents:
    """α under two protocols and their difference, with a paired bootstrap over seeds.

    Args:
        widths: K ≥ 2 distinct positive widths.
        losses_a, losses_b: K 1-D arrays each, the final losses at each width under protocol A and
            B, aligned seed by seed (``losses_a[k][i]`` and ``losses_b[k][i]`` from the same seed:
            :func:`common_seeds`); positive and finite.
        n_boot: resamples (default 1000).
        ci: confidence level of the percentile intervals (default 0.95).
        rng: seed or Generator of the resampling (default 0).

    Returns:
        :class:`PairedExponents`. Each resample draws, at every width independently (the widths
        are different networks), one multiset of seed indices, and takes the median of both
        protocols' losses at those indices.
    """
    n_boot = integer(n_boot, "n_boot")
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci!r}")
    w, a = check_widths_losses(widths, losses_a)
    w_b, b = check_widths_losses(widths, losses_b)
    for k, (x, y) in enumerate(zip(a, b)):
        if x.shape != y.shape:
            raise ValueError(f"width {w[k]:g}: protocol A has {x.size} losses and B {y.size}; pair them by seed "
                             "first (common_seeds)")
    gen = np.random.default_rng(rng)
    boot = np.empty((2, n_boot, len(w)))  # (protocol, n_boot, K)
    for k, (x, y) in enumerate(zip(a, b)):
        step = max(1, _CHUNK // x.size)
        for start in range(0, n_boot, step):
            idx = gen.integers(0, x.size, size=(min(step, n_boot - start), x.size))  # (B, S_k)
            boot[0, start:start + idx.shape[0], k] = np.median(x[idx], axis=1)
            boot[1, start:start + idx.shape[0], k] = np.median(y[idx], axis=1)
    u = np.log(w)
    uc = u - u.mean()
    slopes = (np.log(boot) - np.log(boot).mean(axis=2, keepdims=True)) @ uc / (uc @ uc)  # (2, n_boot)
    alphas = -slopes
    q = [(1 - ci) / 2, (1 + ci) / 2]
    med_a, med_b = np.array([np.median(x) for x in a]), np.array([np.median(y) for y in b])
    fa, fb = fit_exponent(w, med_a), fit_exponent(w, med_b)
    iv = lambda v: tuple(float(t) for t in np.quantile(v, q))  # noqa: E731
    log_ratio_boot = np.log10(boot[0] / boot[1])  # (n_boot, K)
    return PairedExponents(
        widths=w, seeds=np.array([x.size for x in a]), alpha_a=fa.alpha, alpha_a_ci=iv(alphas[0]), alpha_b=fb.alpha,
        alpha_b_ci=iv(alphas[1]), delta=fa.alpha - fb.alpha, delta_ci=iv(alphas[0] - alphas[1]),
        log_ratio=np.log10(med_a / med_b), log_ratio_ci=np.quantile(log_ratio_boot, q, axis=0).T, n_boot=n_boot,
        ci=ci)
