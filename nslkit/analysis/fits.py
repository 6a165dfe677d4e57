"""Scaling-law fits: exponents of median loss against width, with bootstrap intervals.

The paper reports, at each width N, the median over S seeds of the final MSE (Sec. 2.2) and
reads the exponent α of loss ∝ N^-α off a log-log plot (Fig. 1c). Here α is a least-squares
line in log-log (:func:`fit_exponent`), its uncertainty a bootstrap over seeds: the seeds of
each width are resampled independently, the medians recomputed and the line refitted.

- :func:`power_law_fit`: one power law, claims C1 (SiLU, α ≈ 1) and C2.
- :func:`broken_power_law_fit`: two power laws joined at a fitted break width, claim C2
  (LeakyReLU: N^-4, then N^-1).
- :func:`interpolation_mse`, :func:`interpolation_scaling`: the approximation-theory
  baseline of Fig. 1a, claim C3 (piecewise-linear interpolation, MSE ∝ N^-4 in d = 1).
- :func:`silu_quadratic`: SiLU near its minimum, claim C4 (Sec. 2 remark).
(How a curve behaves at large width, claims C13-C14, is :mod:`.shapes`.)

All logarithms are natural; exponents are reported as positive decay rates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import integrate, optimize, stats

from ..activations import silu_derivatives
from ..checks import integer

__all__ = [
    "BrokenPowerLawFit",
    "ExponentFit",
    "PowerLawFit",
    "SiluQuadratic",
    "broken_power_law_fit",
    "check_widths_losses",
    "fit_exponent",
    "interpolation_mse",
    "interpolation_scaling",
    "power_law_fit",
    "silu_quadratic",
]

_BREAK_GRID = 1001  # breakpoints scanned in log N; the point estimate is then refined
_CHUNK = 4_000_000  # bootstrap elements drawn at once, to bound memory


@dataclass(frozen=True)
class ExponentFit:
    """y ≈ prefactor · x^-alpha, fitted as a straight line in log-log."""

    alpha: float  #: decay exponent, minus the log-log slope
    prefactor: float  #: A = exp(intercept)
    alpha_stderr: float  #: standard error of the slope (0.0 for two points)


@dataclass(frozen=True, eq=False)
class PowerLawFit:
    """Median loss ∝ N^-alpha over all widths (claims C1, C2). Arrays are sorted by width."""

    alpha: float  #: the decay exponent α of the medians
    alpha_ci: tuple[float, float]  #: percentile bootstrap interval of α over seeds
    prefactor: float  #: A in A · N^-α
    widths: np.ndarray  #: (K,) the widths N
    medians: np.ndarray  #: (K,) median loss over seeds at each width
    median_ci: np.ndarray  #: (K, 2) percentile bootstrap interval of each median
    n_boot: int  #: bootstrap resamples
    ci: float  #: confidence level of the intervals

    def predict(self, widths) -> np.ndarray:
        """Fitted median loss prefactor · N^-alpha.

        Args:
            widths: widths N, any shape.
        """
        return self.prefactor * np.asarray(widths, dtype=float) ** -self.alpha


@dataclass(frozen=True, eq=False)
class BrokenPowerLawFit:
    """Median loss ∝ N^-alpha_early below break_width and ∝ N^-alpha_late above (claim C2).

    The two segments meet at (break_width, break_loss). Arrays are sorted by width.
    """

    alpha_early: float  #: the decay exponent below the break
    alpha_early_ci: tuple[float, float]  #: its percentile bootstrap interval
    alpha_late: float  #: the decay exponent above the break
    alpha_late_ci: tuple[float, float]  #: its percentile bootstrap interval
    break_width: float  #: the width N_b at which the segments meet
    break_width_ci: tuple[float, float]  #: its percentile bootstrap interval
    break_loss: float  #: fitted median loss at the break
    widths: np.ndarray  #: (K,) the widths N
    medians: np.ndarray  #: (K,) median loss over seeds at each width
    median_ci: np.ndarray  #: (K, 2) percentile bootstrap interval of each median
    rss: float  #: residual sum of squares of log(median) about the fit
    n_boot: int  #: bootstrap resamples
    ci: float  #: confidence level of the intervals

    def predict(self, widths) -> np.ndarray:
        """Fitted median loss, on the segment each width falls on.

        Args:
            widths: widths N, any shape.
        """
        u = np.log(np.asarray(widths, dtype=float)) - np.log(self.break_width)
        slope = np.where(u < 0, self.alpha_early, self.alpha_late)
        return self.break_loss * np.exp(-slope * u)


@dataclass(frozen=True)
class SiluQuadratic:
    """σ(x) ≈ A (x - x_star)² + B near the minimum of SiLU (claim C4)."""

    A: float  #: least-squares quadratic coefficient on [x_star ± halfwidth]
    x_star: float  #: the minimiser of σ
    B: float  #: σ(x_star), the minimum value
    A_exact: float  #: σ''(x_star) / 2
    halfwidth: float  #: half-width of the fitting window


def fit_exponent(x, y) -> ExponentFit:
    """Fit log y = log A - α log x by least squares (scipy.stats.linregress).

    Args:
        x, y: 1-D array-likes of equal length ≥ 2, positive and finite; x not all equal.

    Returns:
        ExponentFit of plain floats. Serves claims C1-C3 (the exponents of Fig. 1).

    Raises:
        ValueError: for arrays of other shapes, values that are not positive and finite, or
            x all equal.

    Example:
        >>> import numpy as np
        >>> fit = fit_exponent([10, 20, 40], 3.0 * np.array([10, 20, 40]) ** -1.0)
        >>> round(fit.alpha, 6), round(fit.prefactor, 6)
        (1.0, 3.0)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got shapes {x.shape} and {y.shape}")
    if x.size < 2:
        raise ValueError(f"need at least 2 points to fit an exponent, got {x.size}")
    for name, a in (("x", x), ("y", y)):
        if not np.all(np.isfinite(a) & (a > 0)):
            raise ValueError(f"{name} must be positive and finite, got {a.tolist()}")
    if np.all(x == x[0]):
        raise ValueError(f"x values must not all be equal, got {x.tolist()}")
    r = stats.linregress(np.log(x), np.log(y))
    return ExponentFit(alpha=float(-r.slope), prefactor=float(np.exp(r.intercept)), alpha_stderr=float(r.stderr))


def power_law_fit(
    widths: Sequence[int],
    losses: Sequence[np.ndarray],
    statistic: str = "median",
    n_boot: int = 1000,
    ci: float = 0.95,
    rng: int | np.random.Generator = 0,
) -> PowerLawFit:
    """Fit median loss ∝ N^-α across widths, with bootstrap intervals over seeds.

    Implements the paper's reading of Fig. 1c (Sec. 2.2): the loss at width N is the median
    over seeds; α comes from :func:`fit_exponent` on (widths, medians). Claims C1 and C2.

    Args:
        widths: K ≥ 2 distinct positive widths N (any order).
        losses: K 1-D arrays, the per-seed final losses at each width; lengths may differ.
        statistic: the per-width summary; only "median" (the paper's) is supported.
        n_boot: bootstrap resamples (default 1000).
        ci: confidence level of the percentile intervals, in (0, 1) (default 0.95).
        rng: int seed or numpy Generator for the resampling (default 0).

    Returns:
        PowerLawFit with alpha_ci from the resampled α and median_ci (K, 2) from the
        resampled medians.

    Example:
        A planted law: 200 losses per width scattered about 0.5 · N^-1.

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> widths = [10, 20, 30, 40, 50]
        >>> losses = [0.5 / n * rng.lognormal(0.0, 0.3, 200) for n in widths]
        >>> fit = power_law_fit(widths, losses, n_boot=200)
        >>> bool(0.9 < fit.alpha < 1.1), bool(fit.alpha_ci[0] < fit.alpha < fit.alpha_ci[1])
        (True, True)
    """
    if statistic != "median":
        raise ValueError(f"unknown statistic {statistic!r}; valid statistics: 'median'")
    w, samples = check_widths_losses(widths, losses)
    meds, boot = _bootstrap_medians(samples, n_boot, ci, rng)  # (K,), (n_boot, K)
    fit = fit_exponent(w, meds)
    alphas = -_loglog_slopes(np.log(w), np.log(boot))  # (n_boot,)
    return PowerLawFit(
        alpha=fit.alpha,
        alpha_ci=_interval(alphas, ci),
        prefactor=fit.prefactor,
        widths=w,
        medians=meds,
        median_ci=np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2], axis=0).T,  # (K, 2)
        n_boot=n_boot,
        ci=ci,
    )


def broken_power_law_fit(
    widths: Sequence[int],
    losses: Sequence[np.ndarray],
    n_boot: int = 1000,
    ci: float = 0.95,
    rng: int | np.random.Generator = 0,
    min_points: int = 2,
) -> BrokenPowerLawFit:
    """Fit a continuous two-segment power law to median loss against width (claim C2).

    With u = log N and u_b = log N_b the model is the hinge
    log m = c + α_early · max(0, u_b - u) - α_late · max(0, u - u_b),
    linear in (c, α_early, α_late) for fixed u_b. u_b is chosen by least squares over a grid
    of 1001 values between the min_points-th and the (K - min_points + 1)-th width (so each
    segment holds ≥ min_points widths), then refined by bounded scalar minimisation for the
    point estimate. Intervals come from refitting (grid only) on bootstrap medians, resampling
    the seeds of each width independently.

    Args:
        widths, losses, n_boot, ci, rng: as for :func:`power_law_fit`.
        min_points: minimum widths per segment, ≥ 2 (default 2); needs K ≥ 2 · min_points.

    Returns:
        BrokenPowerLawFit with both exponents positive for decaying segments.
    """
    w, samples = check_widths_losses(widths, losses)
    min_points = integer(min_points, "min_points", minimum=2)
    if w.size < 2 * min_points:
        raise ValueError(f"need at least 2 * min_points = {2 * min_points} widths, got {w.size}")
    meds, boot = _bootstrap_medians(samples, n_boot, ci, rng)
    u = np.log(w)  # (K,)
    grid = np.linspace(u[min_points - 1], u[w.size - min_points], _BREAK_GRID)  # (G,)

    X, P = _hinge_design(u, grid)  # (G, K, 3), (G, 3, K)
    ylog = np.log(meds)  # (K,)
    g = int(np.argmin(_hinge_fit(X, P, ylog[None])[1][0]))

    def one(ub):  # (coef, rss) at a single breakpoint, each with leading (1, 1)
        return _hinge_fit(*_hinge_design(u, np.array([ub])), ylog[None])

    res = optimize.minimize_scalar(
        lambda ub: one(ub)[1][0, 0], method="bounded", options={"xatol": 1e-10},
        bounds=(grid[max(g - 1, 0)], grid[min(g + 1, grid.size - 1)]),
    )
    ub = float(res.x) if res.fun <= one(grid[g])[1][0, 0] else float(grid[g])
    coef, rss = (a[0, 0] for a in one(ub))

    boot_coef = np.empty((n_boot, 3))  # (n_boot, 3): c, α_early, α_late
    boot_ub = np.empty(n_boot)
    chunk = max(1, _CHUNK // X.size)
    for start in range(0, n_boot, chunk):
        cb, rb = _hinge_fit(X, P, np.log(boot[start:start + chunk]))  # (b, G, 3), (b, G)
        gb = np.argmin(rb, axis=1)  # (b,)
        boot_coef[start:start + chunk] = cb[np.arange(gb.size), gb]
        boot_ub[start:start + chunk] = grid[gb]
    return BrokenPowerLawFit(
        alpha_early=float(coef[1]),
        alpha_early_ci=_interval(boot_coef[:, 1], ci),
        alpha_late=float(coef[2]),
        alpha_late_ci=_interval(boot_coef[:, 2], ci),
        break_width=float(np.exp(ub)),
        break_width_ci=_interval(np.exp(boot_ub), ci),
        break_loss=float(np.exp(coef[0])),
        widths=w,
        medians=meds,
        median_ci=np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2], axis=0).T,  # (K, 2)
        rss=float(rss),
        n_boot=n_boot,
        ci=ci,
    )


def interpolation_mse(
    f: Callable[[np.ndarray], np.ndarray], pieces: int, domain=(-2.0, 2.0), points: int = 100_001
) -> float:
    """MSE of the piecewise-linear interpolant of f with `pieces` equal pieces (claim C3, Fig. 1a).

    The interpolant (np.interp through pieces + 1 equally spaced knots) is compared with f on
    a uniform grid of `points` points; the mean over the domain of the squared error is taken
    by the trapezoid rule, so it converges to the L² MSE as O(spacing²). For f = x² it is
    exactly h⁴/30 with h = (hi - lo) / pieces; for smooth f, ≈ mean(f''²) h⁴ / 120.

    Args:
        f: vectorised callable, float array → float array of the same shape.
        pieces: number of linear pieces, ≥ 1.
        domain: (lo, hi) with lo < hi (default the paper's (-2, 2)).
        points: grid points, ≥ 2 (default 100001).
    """
    lo, hi = _check_domain(domain)
    pieces, points = integer(pieces, "pieces"), integer(points, "points", minimum=2)
    knots = np.linspace(lo, hi, pieces + 1)
    x = np.linspace(lo, hi, points)
    err2 = (np.interp(x, knots, f(knots)) - f(x)) ** 2  # (points,)
    return float(integrate.trapezoid(err2, x) / (hi - lo))


def interpolation_scaling(
    f: Callable[[np.ndarray], np.ndarray], pieces_list: Sequence[int], domain=(-2.0, 2.0), points: int = 100_001
) -> tuple[np.ndarray, ExponentFit]:
    """MSEs of :func:`interpolation_mse` for each entry of pieces_list and their exponent.

    Approximation theory predicts α = 4/d = 4 for smooth 1-D f (claim C3, Fig. 1a).

    Args:
        f, domain, points: as for :func:`interpolation_mse`.
        pieces_list: the numbers of pieces, each ≥ 1.

    Returns:
        (mse, fit), mse a (len(pieces_list),) array and fit from :func:`fit_exponent`.
    """
    mse = np.array([interpolation_mse(f, p, domain, points) for p in pieces_list])
    return mse, fit_exponent(np.asarray(pieces_list, dtype=float), mse)


def silu_quadratic(halfwidth: float = 0.05, points: int = 201) -> SiluQuadratic:
    """SiLU σ(x) = x / (1 + e^-x) near its minimum: σ(x) ≈ A (x - x_star)² + B (claim C4).

    x_star the root of σ' (scipy.optimize.brentq, xtol 1e-15), B = σ(x_star), A the leading
    coefficient of a degree-2 np.polyfit on ``points`` uniform points of [x_star - halfwidth,
    x_star + halfwidth], A_exact = σ''(x_star)/2 with σ'' = s(1 - s)(2 + x(1 - 2s)), s the logistic.

    The minimiser is x_star ≈ -1.2785 (σ'(x) = s(1 + x(1 - s)) vanishes only for x < 0); the
    paper's footnote prints x* ≈ 1.278 without the sign. B = x_star + 1 ≈ -0.2785, A ≈ 0.1089.

    Args:
        halfwidth: half-width of the fitting window, > 0 (default 0.05).
        points: points in the window, ≥ 3 (default 201).
    """
    if not np.isfinite(halfwidth) or halfwidth <= 0:
        raise ValueError(f"halfwidth must be positive and finite, got {halfwidth!r}")
    points = integer(points, "points", minimum=3)
    # root of σ' rather than minimize_scalar on σ: a minimum is flat, so minimising σ locates
    # x* only to ~sqrt(machine eps), the root to machine precision
    x_star = float(optimize.brentq(lambda x: silu_derivatives(x)[1], -5.0, 0.0, xtol=1e-15))
    x = np.linspace(x_star - halfwidth, x_star + halfwidth, points)
    A = np.polyfit(x - x_star, silu_derivatives(x)[0], 2)[0]
    sigma_star, _, d2_star, _ = silu_derivatives(x_star)
    return SiluQuadratic(
        A=float(A),
        x_star=x_star,
        B=float(sigma_star),
        A_exact=float(d2_star / 2),
        halfwidth=float(halfwidth),
    )


def check_widths_losses(widths, losses) -> tuple[np.ndarray, list[np.ndarray]]:
    """Checked widths and per-seed losses, sorted by width.

    Args:
        widths: (K,), K ≥ 2 distinct positive widths.
        losses: K per-seed loss arrays, each 1-D, non-empty, positive and finite.

    Returns:
        widths (K,) ascending and the loss arrays in the same order.

    Raises:
        ValueError: naming what is wrong.
    """
    w = np.asarray(widths, dtype=float)
    if w.ndim != 1 or w.size < 2:
        raise ValueError(f"need a 1-D sequence of at least 2 widths, got {np.asarray(widths).tolist()!r}")
    if len(losses) != w.size:
        raise ValueError(f"got {w.size} widths but {len(losses)} loss arrays; need one array per width")
    if not np.all(np.isfinite(w) & (w > 0)) or np.unique(w).size != w.size:
        raise ValueError(f"widths must be distinct, positive and finite, got {w.tolist()}")
    samples = []
    for n, arr in zip(w, losses):
        a = np.asarray(arr, dtype=float)
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"losses at width {n:g} must be a non-empty 1-D array, got shape {a.shape}")
        if not np.all(np.isfinite(a) & (a > 0)):
            bad = a[~(np.isfinite(a) & (a > 0))]
            raise ValueError(f"losses at width {n:g} must be positive and finite, got {bad[:5].tolist()}")
        samples.append(a)
    order = np.argsort(w)
    return w[order], [samples[i] for i in order]


def _bootstrap_medians(samples, n_boot, ci, rng) -> tuple[np.ndarray, np.ndarray]:
    """Medians (K,) and bootstrap medians (n_boot, K), each width's seeds resampled alone."""
    # numpy rather than scipy.stats.bootstrap: that needs ≥ 2 seeds a width, and its `rng`
    # keyword is newer than the scipy ≥ 1.10 this package supports
    n_boot = integer(n_boot, "n_boot")
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci!r}")
    gen = np.random.default_rng(rng)
    boot = np.empty((n_boot, len(samples)))  # (n_boot, K)
    for k, a in enumerate(samples):
        step = max(1, _CHUNK // a.size)
        for start in range(0, n_boot, step):
            idx = gen.integers(0, a.size, size=(min(step, n_boot - start), a.size))  # (b, S_k)
            boot[start:start + idx.shape[0], k] = np.median(a[idx], axis=1)
    return np.array([np.median(a) for a in samples]), boot


def _loglog_slopes(u: np.ndarray, ylog: np.ndarray) -> np.ndarray:
    """Least-squares slopes (B,) of each row of ylog (B, K) against u (K,)."""
    uc = u - u.mean()
    return (ylog - ylog.mean(axis=1, keepdims=True)) @ uc / (uc @ uc)


def _hinge_design(u: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Design matrices X (G, K, 3) of the hinge model at breakpoints ub (G,), and pinv(X)."""
    d = u[None, :] - ub[:, None]  # (G, K)
    X = np.stack([np.ones_like(d), np.maximum(0.0, -d), -np.maximum(0.0, d)], axis=-1)
    return X, np.linalg.pinv(X)


def _hinge_fit(X: np.ndarray, P: np.ndarray, ylog: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coefficients (B, G, 3) and RSS (B, G) of rows ylog (B, K) at each breakpoint."""
    coef = np.einsum("gpk,bk->bgp", P, ylog)  # (B, G, 3)
    resid = ylog[:, None, :] - np.einsum("gkp,bgp->bgk", X, coef)  # (B, G, K)
    return coef, np.einsum("bgk,bgk->bg", resid, resid)


def _interval(values: np.ndarray, ci: float) -> tuple[float, float]:
    """Percentile interval of a bootstrap distribution, as plain floats."""
    lo, hi = np.quantile(values, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)


def _check_domain(domain) -> tuple[float, float]:
    """Validate an interval (lo, hi) with lo < hi."""
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise ValueError(f"domain must be a pair (lo, hi) of numbers, got {domain!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"domain must be finite with lo < hi, got {domain!r}")
    return lo, hi
