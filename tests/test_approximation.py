"""nslkit.analysis.approximation: planted piecewise-linear targets, the Taylor valley of C8, and
the approximation-theory SiLU network of C3."""
import numpy as np
import pytest

from nslkit.analysis import approximation, limits

X = np.linspace(-2, 2, 100)


def test_polish_knots_finds_planted_knots_from_nearby_kinks():
    knots = np.array([-0.9, 0.35, 1.2])
    y = 0.3 + 0.5 * X + np.maximum(0, X[:, None] - knots).sum(1) * np.array([1.0])  # kinks of slope change 1
    mse, found, inside = approximation.polish_knots(knots + [0.07, -0.05, 0.04], X, y)
    assert inside == 3
    assert mse < 1e-10
    np.testing.assert_allclose(found, knots, atol=1e-3)


def test_polish_knots_never_raises_the_start_and_ignores_kinks_outside():
    y = X ** 2
    start = np.array([-3.0, -1.0, 0.2, np.inf, 2.5])
    mse, found, inside = approximation.polish_knots(start, X, y)
    assert inside == 2
    assert mse <= approximation.spline_mse(np.array([-1.0, 0.2]), X, y)
    assert mse == pytest.approx(limits.piecewise_linear_floor(X, y, 2)[0], rel=1e-3)  # two kinks: one basin


def test_taylor_pair_loss_falls_as_eps_to_the_fourth():
    # b = 0: the pair is εx·tanh(εx/2), even with no constant to cancel; error ∝ ε² x⁴, MSE ∝ ε⁴
    loss = approximation.taylor_pair([1e-1, 1e-2, 1e-3], 0.0, X, X ** 2)
    assert np.all(np.diff(loss) < 0)
    np.testing.assert_allclose(np.diff(np.log10(loss)), -4.0, atol=0.05)


def test_silu_construction_draws_the_piecewise_linear_fit():
    for width in (4, 10):
        w, b, v, c = approximation.silu_construction(width, X, X ** 2)
        assert w.shape == b.shape == v.shape == (1, width) and c.shape == (1,)
        z = w[0] * X[:, None] + b[0]  # (P, N)
        f = (z / (1 + np.exp(-z))) @ v[0] + c[0]
        floor = limits.piecewise_linear_floor(X, X ** 2, width - 1)[0]
        assert floor * 0.5 < np.mean((f - X ** 2) ** 2) < 2 * floor
