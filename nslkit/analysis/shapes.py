"""How a median-loss curve behaves at large width, and where it follows N^-1 (Appendix A).

Appendix A sorts its targets into curves that "obey N^-1 quite well", curves "still decaying but
[that] seem to plateau", and curves that "already plateaued or even slightly increase"
(:func:`curve_shape`, claim C13), and says every product's curve has "some range" that follows
N^-1 (:func:`n1_window`, claim C14). Both are built on :func:`.fits.power_law_fit`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..checks import integer
from .fits import PowerLawFit, check_widths_losses, fit_exponent, power_law_fit

__all__ = ["CURVE_SHAPES", "CurveShape", "N1Window", "curve_shape", "n1_window"]


#: The verdicts of :func:`curve_shape`, in the order its rules are tried.
CURVE_SHAPES = ("rises", "plateaus", "N^-1", "N^-1, then flattens", "faster than N^-1", "decays, slower than N^-1")


@dataclass(frozen=True, eq=False)
class CurveShape:
    """What a median-loss curve does at large width (claim C13, Fig. 7).

    ``overall`` is fitted over all widths given, ``early`` over the first three, ``late`` over
    the last three; ``shape`` is one of :data:`CURVE_SHAPES` (rules in :func:`curve_shape`).
    """

    overall: PowerLawFit
    early: PowerLawFit
    late: PowerLawFit
    shape: str
    tolerance: float


def curve_shape(widths: Sequence[int], losses: Sequence[np.ndarray], tolerance: float = 0.25,
                n_boot: int = 1000, rng: int | np.random.Generator = 0) -> CurveShape:
    """Classify a loss curve by its exponents and their bootstrap intervals (claim C13).

    Appendix A sorts its targets into those that follow N^-1, those still decaying but
    flattening, and those that have plateaued or even rise. The stated test, rules tried in
    order (α over the last three widths is α_late, its 95% interval [lo, hi]):

    1. "rises": hi < 0, the loss grows significantly at the largest widths;
    2. "plateaus": lo ≤ 0, no significant decay at the largest widths;
    3. "N^-1": abs(α_overall − 1) ≤ tolerance;
    4. "N^-1, then flattens": abs(α_early − 1) ≤ tolerance and α_late < α_early;
    5. "faster than N^-1": α_overall > 1 + tolerance;
    6. "decays, slower than N^-1": otherwise (still decaying, α_overall < 1 − tolerance).

    Args:
        widths: at least 4 distinct widths (the early and late triples may share one).
        losses: per-seed losses at each width, as for :func:`~nslkit.analysis.fits.power_law_fit`.
        tolerance: how far from 1 an exponent may lie and count as N^-1 (default 0.25).
        n_boot, rng: of the bootstrap, as for :func:`~nslkit.analysis.fits.power_law_fit`.
    """
    w, samples = check_widths_losses(widths, losses)
    if len(w) < 4:
        raise ValueError(f"curve_shape needs at least 4 widths, got {w.tolist()}")
    fit = lambda idx: power_law_fit(w[idx], [samples[i] for i in idx], n_boot=n_boot, rng=rng)  # noqa: E731
    k = len(w)
    overall, early, late = fit(list(range(k))), fit([0, 1, 2]), fit([k - 3, k - 2, k - 1])
    lo, hi = late.alpha_ci
    if hi < 0:
        shape = "rises"
    elif lo <= 0:
        shape = "plateaus"
    elif abs(overall.alpha - 1) <= tolerance:
        shape = "N^-1"
    elif abs(early.alpha - 1) <= tolerance and late.alpha < early.alpha:
        shape = "N^-1, then flattens"
    elif overall.alpha > 1 + tolerance:
        shape = "faster than N^-1"
    else:
        shape = "decays, slower than N^-1"
    return CurveShape(overall, early, late, shape, tolerance)


@dataclass(frozen=True, eq=False)
class N1Window:
    """The widest run of consecutive widths over which median loss follows N^-1 (claim C14).

    ``fit`` is None (and ``widths`` empty) when no run of ``min_widths`` widths qualifies.
    ``outcome`` applies the book's one rule to "some run follows N^-1": True when some run's
    bootstrap interval of α lies inside [1 − tolerance, 1 + tolerance], False when every run's
    interval misses it, None (undecided) otherwise.
    """

    widths: tuple[int, ...]
    fit: PowerLawFit | None
    tolerance: float
    outcome: bool | None = None


def n1_window(widths: Sequence[int], losses: Sequence[np.ndarray], tolerance: float = 0.25,
              min_widths: int = 3, n_boot: int = 1000, rng: int | np.random.Generator = 0) -> N1Window:
    """The longest run of consecutive widths whose fitted α is within ``tolerance`` of 1.

    Appendix A says every product's curve has "some range" that follows N^-1, steeper before
    it and flatter after. Every run of at least ``min_widths`` consecutive widths is fitted
    (point estimate); among those with abs(α − 1) ≤ tolerance the longest wins, ties going to α
    nearest 1. The winner is refitted with its bootstrap interval, and every run's interval
    (``n_boot`` resamples) gives :attr:`N1Window.outcome`.

    Args:
        widths, losses: as for :func:`~nslkit.analysis.fits.power_law_fit`.
        tolerance: how far from 1 α may lie (default 0.25).
        min_widths: the fewest consecutive widths a run holds, ≥ 2 (default 3).
        n_boot, rng: of the bootstrap.
    """
    w, samples = check_widths_losses(widths, losses)
    min_widths = integer(min_widths, "min_widths", minimum=2)
    meds = np.array([np.median(s) for s in samples])
    best: tuple[int, float, int, int] | None = None  # (length, -|α-1|, start, stop)
    for i in range(len(w)):
        for j in range(i + min_widths, len(w) + 1):
            a = fit_exponent(w[i:j], meds[i:j]).alpha
            if abs(a - 1) <= tolerance:
                key = (j - i, -abs(a - 1), i, j)
                best = key if best is None or key[:2] > best[:2] else best
    inside = []
    for i in range(len(w)):
        for j in range(i + min_widths, len(w) + 1):
            lo, hi = power_law_fit(w[i:j], samples[i:j], n_boot=n_boot, rng=rng).alpha_ci
            inside.append(True if 1 - tolerance <= lo and hi <= 1 + tolerance else
                          False if hi < 1 - tolerance or lo > 1 + tolerance else None)
    outcome = True if True in inside else None if None in inside else False
    if best is None:
        return N1Window((), None, tolerance, outcome)
    i, j = best[2], best[3]
    fit = power_law_fit(w[i:j], samples[i:j], n_boot=n_boot, rng=rng)
    return N1Window(tuple(int(x) for x in w[i:j]), fit, tolerance, outcome)
