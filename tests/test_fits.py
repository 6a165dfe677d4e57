"""nslkit.fits against planted answers: known exponents, a known break, exact interpolation errors."""
import numpy as np
import pytest

from nslkit import fits, shapes

WIDTHS = np.array([10, 20, 30, 40, 50])  # the paper's scaling-law widths (Sec. 2.2)
BROKEN_WIDTHS = np.array([1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 50])


def planted(widths, alpha, seeds, sigma=0.5, C=2.0, seed=0):
    """Per-seed losses C · N^-alpha · lognormal(0, sigma), one array per width."""
    g = np.random.default_rng(seed)
    return [C * float(n) ** -alpha * np.exp(sigma * g.standard_normal(seeds)) for n in widths]


def broken(n, a1=4.0, a2=1.0, nb=6.0, m_b=1e-3):
    """Continuous broken power law: m_b (N/nb)^-a1 below nb, m_b (N/nb)^-a2 above."""
    n = np.asarray(n, dtype=float)
    return m_b * (n / nb) ** -np.where(n < nb, a1, a2)


# ---- fit_exponent -----------------------------------------------------------------------

def test_fit_exponent_noise_free_is_exact():
    x = np.array([10.0, 20, 30, 40, 50])
    f = fits.fit_exponent(x, 3.0 * x**-1.7)
    assert abs(f.alpha - 1.7) < 1e-12 and abs(f.prefactor / 3.0 - 1) < 1e-12 and f.alpha_stderr < 1e-12
    assert all(type(v) is float for v in (f.alpha, f.prefactor, f.alpha_stderr))


@pytest.mark.parametrize(
    "x, y, match",
    [
        ([10.0], [1.0], "at least 2 points"),
        ([10.0, 20.0], [1.0, 0.0], "y must be positive and finite"),
        ([10.0, -20.0], [1.0, 2.0], "x must be positive and finite"),
        ([10.0, 20.0], [1.0, np.nan], "y must be positive and finite"),
        ([10.0, 20.0, 30.0], [1.0, 2.0], "equal length"),
        ([10.0, 10.0], [1.0, 2.0], "must not all be equal"),
    ],
)
def test_fit_exponent_rejects(x, y, match):
    with pytest.raises(ValueError, match=match):
        fits.fit_exponent(x, y)


# ---- power_law_fit (claims C1, C2) ------------------------------------------------------

@pytest.mark.parametrize("alpha", [1.0, 4.0])
def test_power_law_recovers_planted_exponent(alpha):
    f = fits.power_law_fit(WIDTHS, planted(WIDTHS, alpha, 1000), rng=1)
    assert abs(f.alpha - alpha) < 0.05  # median of 1000 lognormals: ~2% error per width
    lo, hi = f.alpha_ci
    assert lo < alpha < hi and hi - lo < 0.2
    assert f.median_ci.shape == (5, 2) and np.all(f.median_ci[:, 0] <= f.medians)
    assert np.all(f.medians <= f.median_ci[:, 1])
    np.testing.assert_allclose(f.predict(WIDTHS), 2.0 * WIDTHS**-alpha, rtol=0.05)
    assert f.n_boot == 1000 and f.ci == 0.95


def test_power_law_ci_shrinks_with_more_seeds():
    few = fits.power_law_fit(WIDTHS, planted(WIDTHS, 1.0, 100), n_boot=500)
    many = fits.power_law_fit(WIDTHS, planted(WIDTHS, 1.0, 1000), n_boot=500)
    width = lambda f: f.alpha_ci[1] - f.alpha_ci[0]  # noqa: E731
    assert width(many) < 0.5 * width(few)  # expect a factor ~ sqrt(10)


def test_power_law_noise_free_is_exact():
    losses = [np.full(7, 0.5 * float(n) ** -1.0) for n in WIDTHS]
    f = fits.power_law_fit(WIDTHS, losses, n_boot=50)
    assert abs(f.alpha - 1.0) < 1e-12 and abs(f.prefactor - 0.5) < 1e-12
    assert abs(f.alpha_ci[0] - 1.0) < 1e-12 and abs(f.alpha_ci[1] - 1.0) < 1e-12


def test_power_law_is_deterministic_order_free_and_leaves_input_alone():
    losses = planted(WIDTHS, 1.0, 50)
    copies = [a.copy() for a in losses]
    a = fits.power_law_fit(WIDTHS, losses, n_boot=200, rng=7)
    b = fits.power_law_fit(WIDTHS, losses, n_boot=200, rng=np.random.default_rng(7))
    assert a.alpha_ci == b.alpha_ci
    c = fits.power_law_fit(WIDTHS[::-1], losses[::-1], n_boot=200, rng=7)
    np.testing.assert_array_equal(c.widths, WIDTHS)
    assert c.alpha == pytest.approx(a.alpha, abs=1e-12)
    assert all(np.array_equal(x, y) for x, y in zip(losses, copies))
    # different seed counts per width, including a single seed
    f = fits.power_law_fit([10, 20, 40], [np.ones(1), np.full(3, 0.5), np.full(9, 0.25)], n_boot=20)
    assert f.alpha == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "widths, losses, kwargs, match",
    [
        ([10], [np.ones(3)], {}, "at least 2 widths"),
        ([10, 20], [np.ones(3)], {}, "one array per width"),
        ([10, 20], [np.ones(3), np.array([])], {}, "width 20 must be a non-empty"),
        ([10, 20], [np.ones(3), np.ones((2, 2))], {}, "width 20 must be a non-empty 1-D"),
        ([10, 20], [np.ones(3), np.array([1.0, -1.0])], {}, "width 20 must be positive and finite"),
        ([10, 20], [np.array([1.0, np.inf]), np.ones(3)], {}, "width 10 must be positive and finite"),
        ([10, 10], [np.ones(3), np.ones(3)], {}, "distinct, positive"),
        ([0, 10], [np.ones(3), np.ones(3)], {}, "distinct, positive"),
        ([10, 20], [np.ones(3), np.ones(3)], {"statistic": "mean"}, "valid statistics: 'median'"),
        ([10, 20], [np.ones(3), np.ones(3)], {"n_boot": 0}, "n_boot must be a positive integer"),
        ([10, 20], [np.ones(3), np.ones(3)], {"ci": 1.0}, "ci must lie strictly between 0 and 1"),
    ],
)
def test_power_law_rejects(widths, losses, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fits.power_law_fit(widths, losses, **kwargs)


# ---- broken_power_law_fit (claim C2) ----------------------------------------------------

def test_broken_power_law_recovers_planted_break():
    g = np.random.default_rng(3)
    losses = [broken(n) * np.exp(0.3 * g.standard_normal(300)) for n in BROKEN_WIDTHS]
    f = fits.broken_power_law_fit(BROKEN_WIDTHS, losses, n_boot=300, rng=4)
    assert abs(f.alpha_early - 4.0) < 0.1 and abs(f.alpha_late - 1.0) < 0.05
    assert abs(f.break_width / 6.0 - 1) < 0.05
    for (lo, hi), truth in [(f.alpha_early_ci, 4.0), (f.alpha_late_ci, 1.0), (f.break_width_ci, 6.0)]:
        assert lo <= hi and lo < truth < hi
    np.testing.assert_allclose(f.predict(BROKEN_WIDTHS), broken(BROKEN_WIDTHS), rtol=0.1)


def test_broken_power_law_noise_free_is_exact():
    losses = [np.full(3, broken(n)) for n in BROKEN_WIDTHS]
    f = fits.broken_power_law_fit(BROKEN_WIDTHS, losses, n_boot=20)
    assert abs(f.alpha_early - 4.0) < 1e-6 and abs(f.alpha_late - 1.0) < 1e-6
    assert abs(f.break_width - 6.0) < 1e-6 and f.rss < 1e-12
    np.testing.assert_allclose(f.predict([2.0, 6.0, 30.0]), broken([2.0, 6.0, 30.0]), rtol=1e-6)


def test_broken_power_law_keeps_min_points_per_segment():
    # a single power law: the break may only sit between the 3rd and the (K-2)-th width
    losses = [np.full(3, float(n) ** -1.0) for n in BROKEN_WIDTHS]
    f = fits.broken_power_law_fit(BROKEN_WIDTHS, losses, n_boot=10, min_points=3)
    assert 3.0 - 1e-9 <= f.break_width <= 30.0 + 1e-9
    assert f.alpha_early == pytest.approx(1.0, abs=1e-6) and f.alpha_late == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "k, min_points, match",
    [(3, 2, "at least 2 \\* min_points = 4 widths, got 3"), (8, 1, "min_points must be an integer ≥ 2")],
)
def test_broken_power_law_rejects(k, min_points, match):
    with pytest.raises(ValueError, match=match):
        fits.broken_power_law_fit(WIDTHS[:k] if k <= 5 else BROKEN_WIDTHS[:k], [np.ones(3)] * k, min_points=min_points)


# ---- interpolation (claim C3) -----------------------------------------------------------

@pytest.mark.parametrize("pieces", [1, 7, 8, 50])
def test_interpolation_mse_of_square_is_exact(pieces):
    # on each piece the interpolant of x² minus x² is t(h - t); its mean square is h⁴/30
    h = 4.0 / pieces
    assert fits.interpolation_mse(np.square, pieces) == pytest.approx(h**4 / 30, rel=1e-6)


@pytest.mark.parametrize("f", [np.square, lambda x: np.sin(3 * x)], ids=["x2", "sin3x"])
def test_interpolation_exponent_is_four(f):
    mse, fit = fits.interpolation_scaling(f, [16, 32, 64, 128, 256], points=20_001)
    assert mse.shape == (5,) and np.all(np.diff(mse) < 0)
    assert abs(fit.alpha - 4.0) < 0.05


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pieces": 0}, "pieces must be a positive integer, got 0"),
        ({"pieces": 4, "domain": (2.0, -2.0)}, "lo < hi"),
        ({"pieces": 4, "points": 1}, "points must be an integer ≥ 2"),
    ],
)
def test_interpolation_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fits.interpolation_mse(np.square, **kwargs)


# ---- silu_quadratic (claim C4) ----------------------------------------------------------

def test_silu_quadratic_matches_paper_footnote():
    q = fits.silu_quadratic()
    # the minimiser is negative; the paper's footnote prints |x*| ≈ 1.278
    assert abs(q.x_star + 1.27846) < 1e-4 and round(abs(q.x_star), 3) == 1.278
    assert abs(q.B + 0.27846) < 1e-4 and q.B == pytest.approx(q.x_star + 1, abs=1e-10)
    assert abs(q.A - q.A_exact) < 1e-4 and round(q.A, 3) == 0.109
    x = np.linspace(q.x_star - 0.05, q.x_star + 0.05, 11)
    silu = x / (1 + np.exp(-x))
    # the cubic term σ'''(x*)/6 · 0.05³ ≈ 6e-6 is what remains
    np.testing.assert_allclose(q.A * (x - q.x_star) ** 2 + q.B, silu, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"halfwidth": 0.0}, "halfwidth must be positive"), ({"points": 2}, "points must be an integer ≥ 3")],
)
def test_silu_quadratic_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fits.silu_quadratic(**kwargs)


# ---- curve_shape and n1_window (C13, C14) ---------------------------------------------------

def _planted_curve(medians, seeds=200, spread=0.05, rng=0):
    """Per-seed losses around the given medians (log-normal, small spread)."""
    gen = np.random.default_rng(rng)
    return [m * np.exp(spread * gen.standard_normal(seeds)) for m in medians]


WIDTHS_A = [10, 20, 30, 40, 50]


@pytest.mark.parametrize("medians, shape", [
    ([1 / n for n in WIDTHS_A], "N^-1"),
    ([n ** -3.0 for n in WIDTHS_A], "faster than N^-1"),
    ([n ** -0.4 for n in WIDTHS_A], "decays, slower than N^-1"),
    ([1e-3] * 5, "plateaus"),
    ([1e-3 * (n / 10) ** 0.5 for n in WIDTHS_A], "rises"),
])
def test_curve_shape_classifies_planted_curves(medians, shape):
    res = shapes.curve_shape(WIDTHS_A, _planted_curve(medians), n_boot=200)
    assert res.shape == shape
    assert res.shape in shapes.CURVE_SHAPES


def test_curve_shape_early_n1_then_flat():
    widths = [10, 20, 30, 60, 100]  # N^-1 over 10-30, then N^-0.1: overall α ≈ 0.5
    medians = [1 / 10, 1 / 20, 1 / 30, 1 / 30 * (30 / 60) ** 0.1, 1 / 30 * (30 / 100) ** 0.1]
    res = shapes.curve_shape(widths, _planted_curve(medians), n_boot=200)
    assert res.shape == "N^-1, then flattens"
    assert abs(res.early.alpha - 1) < 0.05 and res.late.alpha < 0.2


def test_curve_shape_needs_four_widths():
    with pytest.raises(ValueError, match="at least 4"):
        shapes.curve_shape([10, 20, 30], _planted_curve([1, 2, 3]))


def test_n1_window_finds_the_planted_range():
    widths = [1, 2, 3, 4, 10, 20, 30, 40, 50]
    # N^-3 up to 10, then N^-1 from 10 to 40, then flat
    med = {1: 1.0, 2: 2 ** -3, 3: 3 ** -3, 4: 4 ** -3, 10: 1e-3}
    med.update({n: 1e-3 * 10 / n for n in (20, 30, 40)})
    med[50] = 2 * med[40]  # rises at the end
    res = shapes.n1_window(widths, _planted_curve([med[n] for n in widths]), n_boot=200)
    assert res.widths == (10, 20, 30, 40)
    assert abs(res.fit.alpha - 1) < 0.05


def test_n1_window_none_when_nothing_follows():
    res = shapes.n1_window([10, 20, 30, 40], _planted_curve([n ** -3.0 for n in (10, 20, 30, 40)]), n_boot=50)
    assert res.widths == () and res.fit is None
