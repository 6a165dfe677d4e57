"""The extended-precision check (nslkit.analysis.extended): its loss and gradient agree with mpmath
at 40 digits; a planted minimum is stationary; a point off it is not and the extended steps find
the descent; and at the end of the width-2 Taylor valley (C8), where the network's terms cancel to
~1e-8 of themselves, it finds a descent that float64 cannot measure. Tolerances at each assertion."""
import mpmath
import numpy as np
import pytest

from nslkit.analysis import controls, extended, landscape as ls

X = np.linspace(-2, 2, 100)


def _mp_loss_and_grad(theta, x, y):
    """(L, ∇L) of one SiLU network in mpmath at 40 digits (from the float64 inputs, exactly)."""
    mpmath.mp.dps = 40
    N = (theta.size - 1) // 3
    t = [mpmath.mpf(float(a)) for a in theta]
    loss, grad = mpmath.mpf(0), [mpmath.mpf(0)] * theta.size
    for xp, yp in zip(x, y):
        xp = mpmath.mpf(float(xp))
        f, d = t[3 * N], [mpmath.mpf(0)] * theta.size
        for i in range(N):
            z = t[i] * xp + t[N + i]
            s = 1 / (1 + mpmath.exp(-z))
            f += t[2 * N + i] * z * s
            d1 = t[2 * N + i] * s * (1 + z * (1 - s))
            d[i], d[N + i], d[2 * N + i] = d1 * xp, d1, z * s
        d[3 * N] = mpmath.mpf(1)
        r = f - mpmath.mpf(float(yp))
        loss += r * r
        grad = [g + 2 * r * e for g, e in zip(grad, d)]
    return float(loss / len(x)), np.array([float(g / len(x)) for g in grad])


def test_loss_and_gradient_agree_with_mpmath():
    g = np.random.default_rng(0)
    theta = g.normal(size=10) * np.r_[np.full(6, 3.0), np.full(4, 20.0)]  # terms that cancel
    y = X ** 2
    loss, grad = _mp_loss_and_grad(theta, X[::4], y[::4])
    assert float(extended.loss_long(theta, X[::4], y[::4])) == pytest.approx(loss, rel=1e-16)
    np.testing.assert_allclose(extended.gradient_long(theta, X[::4], y[::4]).astype(float), grad,
                               rtol=1e-15, atol=1e-16 * np.abs(grad).max())


def test_a_planted_minimum_is_stationary_and_a_point_off_it_is_not():
    pm = controls.planted_minimum(3, seed=1)
    off = pm.theta * (1 + 1e-6 * np.random.default_rng(2).normal(size=pm.theta.size))
    e = extended.extended_check(*ls.split(np.stack([pm.theta, off])), pm.x, pm.y, steps=3)
    # θ* is stationary up to the rounding of y to float64: d ~ 1e-13, far below the rule's 1e-6
    assert e.verdict[0] == "stationary" and e.decrement[0] < 1e-10
    assert e.gain[0] < e.noise[0]  # nothing below L* beyond the rounding of the extended loss
    assert e.loss[0] == pytest.approx(pm.loss, rel=1e-15)
    # 1e-6 off: d ~ 1e-3, the steps recover the excess loss (~1e-6 of L*) and float64 sees it
    assert e.verdict[1] == "descent float64 sees" and e.decrement[1] > 1e-4
    assert e.gain[1] == pytest.approx(1 - pm.loss / e.loss[1], rel=1e-3)
    assert e.end_decrement[1] < 1e-6


def test_a_descent_float64_cannot_see_at_the_end_of_the_taylor_valley():
    # the symmetric pair v[σ(εx) + σ(−εx)] + c at ε = 3e-4, v ~ 2e7: its loss (~1e-16) falls as ε
    # shrinks (C8), but f's terms cancel to 1e-8 of themselves and float64 rounds the fall away
    eps, y = 3e-4, X ** 2
    L = np.longdouble
    z = np.stack([eps * X, -eps * X]).astype(L)
    h = (z * 0.5 * (1 + np.tanh(z / 2))).sum(0)
    A = np.stack([h, np.ones_like(h)], 1)
    AtA, Aty = A.T @ A, A.T @ y.astype(L)  # v, c: least squares in extended precision
    det = AtA[0, 0] * AtA[1, 1] - AtA[0, 1] ** 2
    v = (AtA[1, 1] * Aty[0] - AtA[0, 1] * Aty[1]) / det
    c = (AtA[0, 0] * Aty[1] - AtA[0, 1] * Aty[0]) / det
    theta = np.array([[eps, -eps, 0.0, 0.0, float(v), float(v), float(c)]])
    e = extended.extended_check(*ls.split(theta), X, y, steps=3)
    assert e.verdict[0] == "descent float64 cannot see", e
    assert e.gain[0] > 10 * e.noise[0] and e.noise64[0] > 10 * e.gain[0]


def test_bad_input_is_refused():
    w = np.zeros((1, 2))
    with pytest.raises(ValueError, match="points"):
        extended.extended_check(w, w, w, np.zeros(1), X, X[:-1])
    with pytest.raises(ValueError, match="steps"):
        extended.extended_check(w, w, w, np.zeros(1), X, X, steps=-1)
