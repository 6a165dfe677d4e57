"""The statistics between the raw losses and the verdicts, pinned exactly (issue 35): the
bootstrap of nslkit.analysis.fits recomputed by hand on the same resample indices, the quantile
levels, the broken power law's break grid at its edges, and the peak finder's kernel bandwidth
rule against Silverman's formula."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nslkit.analysis import fits
from nslkit.analysis.peaks import MIN_BANDWIDTH, find_peaks

FAST = settings(max_examples=20, deadline=None, derandomize=True)


def _losses(widths, alpha=1.0, S=31, sigma=0.4, seed=0):
    g = np.random.default_rng(seed)
    return [2.0 * float(n) ** -alpha * np.exp(sigma * g.standard_normal(S + i)) for i, n in enumerate(widths)]


def _boot_medians(samples, n_boot, rng):
    """(n_boot, K): per width, in ascending width order, one (n_boot, S_k) block of indices
    from numpy's Generator seeded with ``rng``."""
    gen = np.random.default_rng(rng)
    return np.column_stack([np.median(a[gen.integers(0, a.size, (n_boot, a.size))], axis=1) for a in samples])


def _hinge_lstsq(u, ylog, ub):
    """Coefficients (c, α_early, α_late) and RSS of the hinge model at one break, by lstsq."""
    X = np.column_stack([np.ones_like(u), np.maximum(0.0, ub - u), -np.maximum(0.0, u - ub)])
    coef = np.linalg.lstsq(X, ylog, rcond=None)[0]
    return coef, float(np.sum((ylog - X @ coef) ** 2))


def _hinge_rss_grid(u, Y, grid):
    """RSS (B, G) of every row of Y (B, K) at every break of grid (G,), by lstsq."""
    out = np.empty((Y.shape[0], grid.size))
    for g, ub in enumerate(grid):
        X = np.column_stack([np.ones_like(u), np.maximum(0.0, ub - u), -np.maximum(0.0, u - ub)])
        coef = np.linalg.lstsq(X, Y.T, rcond=None)[0]  # (3, B)
        out[:, g] = np.sum((Y.T - X @ coef) ** 2, axis=0)
    return out


# ---- power_law_fit: the bootstrap by hand -----------------------------------------------------------

@pytest.mark.parametrize("level", [0.95, 0.8])
def test_power_law_intervals_are_the_percentiles_of_the_resampled_fits(level):
    widths = [40, 10, 30, 20, 50]  # given unsorted: the losses travel with their widths
    losses = _losses(widths)
    f = fits.power_law_fit(widths, losses, n_boot=300, ci=level, rng=9)
    order = np.argsort(widths)
    w = np.asarray(widths, dtype=float)[order]
    samples = [losses[i] for i in order]
    boot = _boot_medians(samples, 300, 9)  # (300, 5)
    q = [(1 - level) / 2, (1 + level) / 2]
    np.testing.assert_array_equal(f.widths, w)
    np.testing.assert_allclose(f.medians, [np.median(a) for a in samples], rtol=1e-15)
    np.testing.assert_allclose(f.median_ci, np.quantile(boot, q, axis=0).T, rtol=1e-13)
    slopes = np.array([np.polyfit(np.log(w), np.log(row), 1)[0] for row in boot])
    assert f.alpha_ci == pytest.approx(tuple(np.quantile(-slopes, q)), rel=1e-10)
    ref = np.polyfit(np.log(w), np.log(f.medians), 1)
    assert f.alpha == pytest.approx(-ref[0], rel=1e-12) and f.prefactor == pytest.approx(np.exp(ref[1]), rel=1e-12)
    assert f.n_boot == 300 and f.ci == level


def test_power_law_defaults_are_1000_resamples_95_percent_seed_0():
    widths = [10, 20, 30, 40, 50]
    losses = _losses(widths, S=15, seed=1)
    f = fits.power_law_fit(widths, losses)
    boot = _boot_medians(losses, 1000, 0)
    np.testing.assert_allclose(f.median_ci, np.quantile(boot, [0.025, 0.975], axis=0).T, rtol=1e-13)
    assert f.n_boot == 1000 and f.ci == 0.95


def test_bootstrap_draws_in_chunks_the_same_resamples(monkeypatch):
    # a small chunk makes the resamples come in several draws; a draw of (b, S) indices takes the
    # same numbers from the generator as b draws of (1, S), so the bootstrap is unchanged
    widths = [10, 20, 40]
    losses = _losses(widths, S=20, seed=2)
    whole = fits.power_law_fit(widths, losses, n_boot=50, rng=4)
    monkeypatch.setattr(fits, "_CHUNK", 60)  # 3 resamples of 20 (21, 22) seeds at a time
    chunked = fits.power_law_fit(widths, losses, n_boot=50, rng=4)
    np.testing.assert_array_equal(whole.median_ci, chunked.median_ci)
    assert whole.alpha_ci == chunked.alpha_ci


# ---- broken_power_law_fit: the break grid and its edges --------------------------------------------

WIDTHS = np.array([10.0, 12, 15, 20, 25, 30, 40, 50])


def _broken(widths, nb, a1=4.0, a2=1.0):
    w = np.asarray(widths, dtype=float)
    return 1e-3 * (w / nb) ** -np.where(w < nb, a1, a2)


@pytest.mark.parametrize("min_points", [2, 3])
@pytest.mark.parametrize("edge", ["first", "last"])
def test_a_break_on_the_grids_edge_is_found_exactly(min_points, edge):
    # noise-free, the break at the min_points-th width (or the (K - min_points + 1)-th): the first
    # (last) point of the break grid, the only break at which the hinge fits exactly
    nb = WIDTHS[min_points - 1] if edge == "first" else WIDTHS[WIDTHS.size - min_points]
    losses = [np.full(3, m) for m in _broken(WIDTHS, nb)]
    f = fits.broken_power_law_fit(WIDTHS, losses, n_boot=5, min_points=min_points)
    assert f.break_width == pytest.approx(nb, rel=1e-9)
    assert f.alpha_early == pytest.approx(4.0, abs=1e-8) and f.alpha_late == pytest.approx(1.0, abs=1e-8)
    assert f.rss < 1e-20 and f.break_width_ci == pytest.approx((nb, nb), rel=1e-9)


@pytest.mark.parametrize("min_points", [2, 3])
def test_the_break_never_leaves_the_grid(min_points):
    # a single power law has no break: the fit may put it anywhere, but only between the
    # min_points-th and the (K - min_points + 1)-th width, and the bootstrap's breaks on the grid
    u = np.log(WIDTHS)
    lo, hi = u[min_points - 1], u[WIDTHS.size - min_points]
    grid = np.linspace(lo, hi, 1001)
    losses = _losses(WIDTHS, S=25, sigma=0.3, seed=5)
    # 201 resamples and a 95% level: the quantiles fall on order statistics 5 and 195, so the
    # ends of the break's interval are breaks of the grid themselves
    f = fits.broken_power_law_fit(WIDTHS, losses, n_boot=201, min_points=min_points, rng=2)
    assert WIDTHS[min_points - 1] * (1 - 1e-12) <= f.break_width <= WIDTHS[WIDTHS.size - min_points] * (1 + 1e-12)
    for end in np.log(f.break_width_ci):
        assert np.min(np.abs(grid - end)) < 1e-12, end


def test_the_break_minimises_the_rss_and_its_intervals_are_the_grid_refits():
    rng = np.random.default_rng(3)
    losses = [m * np.exp(0.3 * rng.standard_normal(21)) for m in _broken(WIDTHS, 22.0)]
    f = fits.broken_power_law_fit(WIDTHS, losses, n_boot=40, rng=6)
    u, ylog = np.log(WIDTHS), np.log([np.median(a) for a in losses])
    grid = np.linspace(u[1], u[-2], 1001)
    # the refined break fits at least as well as every break of the grid, and the fit is the lstsq one
    rss = _hinge_rss_grid(u, ylog[None], grid)[0]
    coef, rss_at = _hinge_lstsq(u, ylog, np.log(f.break_width))
    assert f.rss <= rss.min() * (1 + 1e-9) and f.rss == pytest.approx(rss_at, rel=1e-9, abs=1e-300)
    assert (f.alpha_early, f.alpha_late, f.break_loss) == pytest.approx((coef[1], coef[2], np.exp(coef[0])), rel=1e-8)
    assert abs(np.log(f.break_width) - grid[np.argmin(rss)]) <= grid[1] - grid[0] + 1e-12
    # the bootstrap: the grid break of least RSS for each resample's medians, its exponents, their percentiles
    raw = _boot_medians(losses, 40, 6)  # (40, K)
    boot = np.log(raw)
    g = np.argmin(_hinge_rss_grid(u, boot, grid), axis=1)
    coefs = np.array([_hinge_lstsq(u, row, grid[k])[0] for row, k in zip(boot, g)])  # (40, 3)
    q = [0.025, 0.975]
    assert f.alpha_early_ci == pytest.approx(tuple(np.quantile(coefs[:, 1], q)), rel=1e-8)
    assert f.alpha_late_ci == pytest.approx(tuple(np.quantile(coefs[:, 2], q)), rel=1e-8)
    assert f.break_width_ci == pytest.approx(tuple(np.quantile(np.exp(grid[g]), q)), rel=1e-12)
    np.testing.assert_allclose(f.median_ci, np.quantile(raw, q, axis=0).T, rtol=1e-12)
    np.testing.assert_allclose(f.predict(WIDTHS), np.exp(np.column_stack(
        [np.ones_like(u), np.maximum(0, np.log(f.break_width) - u), -np.maximum(0, u - np.log(f.break_width))])
        @ coef), rtol=1e-9)


def test_broken_defaults():
    losses = [np.full(3, m) for m in _broken(WIDTHS, 20.0)]
    f = fits.broken_power_law_fit(WIDTHS, losses)
    assert f.n_boot == 1000 and f.ci == 0.95 and f.break_width == pytest.approx(20.0, rel=1e-6)


# ---- the peak finder's kernel bandwidth ------------------------------------------------------------

def _silverman(x):
    """0.9 · min(σ, IQR / 1.34) · n^(-1/5), σ with ddof 1 (Silverman 1986, Eq. 3.31)."""
    sd = np.std(x, ddof=1)
    q75, q25 = np.percentile(x, [75, 25])
    return 0.9 * min(sd, (q75 - q25) / 1.34) * x.size ** -0.2


def test_the_robust_rule_uses_the_iqr_for_heavy_tails():
    x = np.random.default_rng(0).standard_t(2, 60)  # log10 losses with heavy tails: IQR/1.34 < σ
    sd, iqr = np.std(x, ddof=1), np.subtract(*np.percentile(x, [75, 25]))
    assert iqr / 1.34 < 0.8 * sd
    p = find_peaks(10.0 ** x)
    assert p.bandwidth == pytest.approx(0.9 * iqr / 1.34 * 60 ** -0.2, rel=1e-12)
    assert p.bandwidth == pytest.approx(_silverman(x), rel=1e-12)


def test_the_robust_rule_uses_sigma_for_a_flat_spread():
    x = np.linspace(-6, -2, 25)  # uniform: σ < IQR/1.34
    sd, iqr = np.std(x, ddof=1), np.subtract(*np.percentile(x, [75, 25]))
    assert sd < 0.85 * iqr / 1.34
    p = find_peaks(10.0 ** x)
    assert p.bandwidth == pytest.approx(0.9 * sd * 25 ** -0.2, rel=1e-12)


def test_the_robust_rule_falls_back_to_sigma_when_most_losses_are_equal():
    x = np.r_[np.full(30, -5.0), np.linspace(-4, -1, 8), [-7.0, -8.0]]  # IQR 0
    assert np.subtract(*np.percentile(x, [75, 25])) == 0
    p = find_peaks(10.0 ** x)
    assert p.bandwidth == pytest.approx(0.9 * np.std(x, ddof=1) * 40 ** -0.2, rel=1e-10)


def test_the_floor_and_a_fixed_bandwidth():
    x = -5 + 1e-4 * np.random.default_rng(1).standard_normal(50)  # the robust h is ~1e-5 decade
    assert _silverman(x) < MIN_BANDWIDTH / 100
    assert MIN_BANDWIDTH == 0.01
    assert find_peaks(10.0 ** x).bandwidth == pytest.approx(MIN_BANDWIDTH, rel=1e-10)
    assert find_peaks(10.0 ** x, min_bandwidth=0.03).bandwidth == pytest.approx(0.03, rel=1e-10)
    assert find_peaks(10.0 ** x, min_bandwidth=0.0).bandwidth == pytest.approx(_silverman(x), rel=1e-8)
    y = np.random.default_rng(2).normal(-5, 1, 40)
    assert find_peaks(10.0 ** y).bandwidth == pytest.approx(_silverman(y), rel=1e-12)  # above the floor: untouched
    # a fixed bandwidth replaces the rule and the floor
    assert find_peaks(10.0 ** y, bandwidth=0.05).bandwidth == pytest.approx(0.05, rel=1e-12)
    assert find_peaks(10.0 ** x, bandwidth=0.002).bandwidth == pytest.approx(0.002, rel=1e-12)
    # Scott's rule: σ · n^(-1/5)
    assert find_peaks(10.0 ** y, bw_method="scott").bandwidth == pytest.approx(np.std(y, ddof=1) * 40 ** -0.2,
                                                                                rel=1e-12)


def test_the_grid_reaches_three_bandwidths_past_the_data():
    y = np.random.default_rng(3).normal(-5, 1, 40)
    p = find_peaks(10.0 ** y, grid_points=101)
    h = p.bandwidth
    np.testing.assert_allclose(p.grid, np.linspace(y.min() - 3 * h, y.max() + 3 * h, 101), rtol=1e-12)
    assert p.density.max() == 1.0


@FAST
@given(st.lists(st.floats(-12, 0), min_size=3, max_size=60, unique=True))
def test_bandwidth_properties(xs):
    x = np.array(xs)
    if np.ptp(x) < 1e-6:
        return
    p = find_peaks(10.0 ** x)
    expect = max(_silverman(x) if np.subtract(*np.percentile(x, [75, 25])) > 0
                 else 0.9 * np.std(x, ddof=1) * x.size ** -0.2, MIN_BANDWIDTH)
    assert p.bandwidth == pytest.approx(expect, rel=1e-7)
    assert p.grid[0] == pytest.approx(x.min() - 3 * p.bandwidth) and p.grid[-1] == pytest.approx(x.max() + 3 * p.bandwidth)
    assert p.n_modes >= 1 and p.density.max() == 1.0


# ---- power-law properties --------------------------------------------------------------------------

@FAST
@given(st.floats(0.2, 5.0), st.floats(1e-6, 1e3), st.integers(0, 1000))
def test_a_common_factor_moves_the_prefactor_not_the_exponent(alpha, scale, seed):
    widths = [10, 20, 30, 40, 50]
    losses = _losses(widths, alpha, S=9, seed=seed)
    a = fits.power_law_fit(widths, losses, n_boot=40, rng=seed)
    b = fits.power_law_fit(widths, [scale * l for l in losses], n_boot=40, rng=seed)
    assert b.alpha == pytest.approx(a.alpha, abs=1e-9) and b.alpha_ci == pytest.approx(a.alpha_ci, abs=1e-9)
    assert b.prefactor == pytest.approx(scale * a.prefactor, rel=1e-9)
    np.testing.assert_allclose(b.median_ci, scale * a.median_ci, rtol=1e-12)
    assert a.median_ci[:, 0].max() <= a.median_ci[:, 1].min() or np.all(a.median_ci[:, 0] <= a.median_ci[:, 1])
    assert a.alpha_ci[0] <= a.alpha_ci[1]


@FAST
@given(st.floats(0.5, 3.0), st.floats(1.0, 3.0), st.sampled_from([15.0, 20.0, 25.0, 30.0]))
def test_a_noise_free_broken_law_is_recovered(a1, a2, nb):
    losses = [np.full(2, m) for m in _broken(WIDTHS, nb, a1, a2)]
    f = fits.broken_power_law_fit(WIDTHS, losses, n_boot=3)
    assert f.alpha_early == pytest.approx(a1, abs=1e-6) and f.alpha_late == pytest.approx(a2, abs=1e-6)
    if abs(a1 - a2) > 0.05:  # a visible break is located
        assert f.break_width == pytest.approx(nb, rel=1e-5)
