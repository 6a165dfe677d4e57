"""The minimum finder (nslkit.analysis.minfinder), its landscape (nslkit.analysis.landscape) and its
positive controls (nslkit.analysis.controls):
planted minima of known positive loss are found within the stopping rule from every start in their
basin, the Jacobian, Hessian and rule agree with independent computations (torch's autograd, a QR
projection, scipy's least_squares), every network's status says what happened, and a network's
result does not depend on its batch. Tolerances are stated at each assertion; the file reruns
under OpenBLAS's Prescott kernels (Makefile NUMERIC_TESTS)."""
import numpy as np
import pytest
import scipy.optimize
import torch

from nslkit.analysis import controls, landscape as ls, minfinder as mf
from nslkit.analysis.extended import residuals_long

X = np.linspace(-2, 2, 100)
TEACHER = np.array([1.0, -0.5, 1.5, 0.3, -0.7, 0.1, 1.0, 2.0, -1.0, 0.2])  # θ = (w, b, v, c), N = 3


def _torch_loss(theta, x, y):
    """The MSE of one network as a torch function of θ (M,), the independent reference."""
    N = (theta.numel() - 1) // 3
    xt, yt = torch.tensor(x), torch.tensor(y)
    f = torch.nn.functional.silu(theta[None, :N] * xt[:, None] + theta[None, N:2 * N]) @ theta[2 * N:3 * N]
    return (f + theta[3 * N] - yt).square().mean()


def _starts(theta, scale, k, seed):
    return theta * (1 + scale * np.random.default_rng(seed).normal(size=(k, theta.size)))


def test_jacobian_and_hessian_match_autograd():
    g = np.random.default_rng(0)
    theta = g.normal(size=(2, 13))
    y = X ** 2
    r, J = ls.residuals_and_jacobian(theta, X, y)
    H = ls.hessian(theta, X, y)
    for s in range(2):
        t = torch.tensor(theta[s])
        Jt = torch.autograd.functional.jacobian(
            lambda u: torch.nn.functional.silu(u[None, :4] * torch.tensor(X)[:, None] + u[None, 4:8]) @ u[8:12]
            + u[12], t).numpy()
        Ht = torch.autograd.functional.hessian(lambda u: _torch_loss(u, X, y), t).numpy()
        np.testing.assert_allclose(J[s], Jt, rtol=1e-12, atol=1e-13 * np.abs(Jt).max())
        np.testing.assert_allclose(H[s], Ht, rtol=1e-10, atol=1e-12 * np.abs(Ht).max())
    np.testing.assert_allclose(r, ls.residuals(theta, X, y), rtol=0, atol=1e-13)


def test_change_is_accurate_where_a_difference_of_outputs_is_not():
    # large cancelling terms (|w|, |b| ~ 30) and a step of 1e-9: the difference of two float64
    # outputs loses ~1e-7 of the change, the change formula keeps it to ~1e-11 (vs longdouble)
    g = np.random.default_rng(1)
    theta = g.normal(size=(2, 31)) * np.r_[np.full(20, 30.0), np.ones(11)]
    trial = theta * (1 + 1e-9 * g.normal(size=theta.shape))
    exact = np.stack([(residuals_long(tr, X, 0 * X) - residuals_long(th, X, 0 * X)).astype(float)
                      for th, tr in zip(theta, trial)])
    err = np.abs(ls.change(theta, trial, X) - exact).max() / np.abs(exact).max()
    naive = np.abs(ls.residuals(trial, X, 0 * X) - ls.residuals(theta, X, 0 * X) - exact).max() / np.abs(exact).max()
    assert err < 1e-9 and naive > 100 * err


def test_a_planted_zero_loss_minimum_is_found():
    y = ls.residuals(TEACHER[None], X, np.zeros_like(X))[0]
    f = mf.find_minima(*ls.split(_starts(TEACHER, 0.02, 4, 0)), X, y, max_iter=200)
    assert f.converged.all(), f.status
    assert np.all(f.after <= mf.ATOL)
    np.testing.assert_allclose(f.theta, np.tile(TEACHER, (4, 1)), atol=1e-7)


@pytest.mark.parametrize("width, scales, starts", [(3, (1e-3, 1e-2, 1e-1), 2), (10, (1e-3, 1e-2), 2), (30, (1e-3,), 1)])
def test_positive_controls_every_start_in_the_basin_is_found(width, scales, starts):
    c = controls.positive_controls(widths=(width,), scales=scales, starts=starts, max_iter=400)
    assert np.all(c.status == "converged"), c.status
    assert np.all(c.found), c.rel_error  # the known loss to 1e-8 relative (LOSS_RTOL), the rule met
    assert np.all(c.decrement <= c.gtol)
    assert np.all(c.curvature >= controls.MIN_CURVATURE) and np.all(c.start_loss > c.known)
    assert np.all(c.distance < 1e-5)  # back at θ*, not at another minimum of the same loss


def test_an_ill_conditioned_planted_minimum_is_found():
    # sharpness 1.5: overlapping neurons as in trained networks, cond(Ĵ) ~2e6, L* ~ 2e-10; the
    # Levenberg–Marquardt iteration alone crawls here for hundreds of steps, "gn" does not
    c = controls.positive_controls(widths=(10,), scales=(1e-3,), starts=2, sharpness=1.5, max_iter=400, method="gn")
    assert np.all(c.found), (c.status, c.rel_error)
    assert np.all(c.cond > 1e6) and np.all(c.known < 1e-9)


def test_the_rule_holds_under_an_independent_projection():
    pm = controls.planted_minimum(10, seed=3)
    f = mf.find_minima(*ls.split(_starts(pm.theta, 1e-2, 3, 4)), pm.x, pm.y, max_iter=400)
    assert f.converged.all(), f.status
    r, J = ls.residuals_and_jacobian(f.theta, pm.x, pm.y)
    for s in range(3):
        q, _ = np.linalg.qr(J[s] / np.linalg.norm(J[s], axis=0))  # (P, M): the tangent space, by QR
        d = np.linalg.norm(q.T @ r[s]) / np.linalg.norm(r[s])
        assert d <= 1.01 * f.gtol and d == pytest.approx(f.decrement[s], rel=1e-3, abs=1e-9)
        loss = _torch_loss(torch.tensor(f.theta[s], requires_grad=True), pm.x, pm.y)
        loss.backward()
        assert float(loss.detach()) == pytest.approx(pm.loss, rel=1e-8)


def test_agrees_with_scipy_least_squares():
    pm = controls.planted_minimum(3, seed=5)
    start = _starts(pm.theta, 0.05, 2, 6)
    f = mf.find_minima(*ls.split(start), pm.x, pm.y, max_iter=400)
    for s in range(2):
        ref = scipy.optimize.least_squares(lambda t: ls.residuals(t[None], pm.x, pm.y)[0], start[s],
                                           jac=lambda t: ls.residuals_and_jacobian(t[None], pm.x, pm.y)[1][0],
                                           method="trf", x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-12)
        assert f.after[s] == pytest.approx(np.mean(ref.fun ** 2), rel=1e-8)


def test_a_saddle_is_told_from_a_minimum():
    # a planted minimum is strict; the same construction on an ill-conditioned network with a large
    # residual makes θ* a saddle: stationary, with negative curvature
    pm = controls.planted_minimum(3, sharpness=4.0, seed=7)
    assert pm.curvature >= controls.MIN_CURVATURE and pm.decrement < 1e-10
    H = ls.hessian(pm.theta[None], pm.x, pm.y)[0]
    assert np.linalg.eigvalsh(H)[0] > 0  # cond(J) ~1e3 here: the float64 Hessian is decisive too
    g = np.random.default_rng(0)
    w = g.choice([-1.0, 1.0], 10) * g.uniform(0.8, 2.0, 10)  # smooth, overlapping neurons: cond(J) ~1e14
    theta = np.concatenate([w, -w * np.linspace(-1.8, 1.8, 10), g.normal(size=10), [0.3]])[None]
    f, J = ls.residuals_and_jacobian(theta, X, np.zeros_like(X))
    u = np.linalg.svd(J[0] / np.linalg.norm(J[0], axis=0))[0][:, theta.shape[1]:]
    y = f[0] + u @ (u.T @ np.random.default_rng(1).normal(size=X.size)) * 1e-2
    assert mf.decrement(theta, X, y)[0] < 1e-9 and ls.curvature(theta, X, y)[0] < -1


def test_statuses_say_what_happened():
    g = np.random.default_rng(2)
    S, N = 4, 4
    theta = np.concatenate([g.normal(size=(S, 2 * N)), 0.5 * g.normal(size=(S, N)), g.normal(size=(S, 1))], axis=1)
    y = X ** 2
    f = mf.find_minima(*ls.split(theta), X, y, max_iter=30, record=(0, 10, 30))
    assert set(f.status) <= {"converged", "stalled", "cap"}
    assert np.all(f.after <= f.before * (1 + 1e-15))
    assert np.all(np.diff(f.trace, axis=1) <= 1e-15 * f.trace[:, :-1]) and np.all(f.trace[:, -1] == f.after)
    np.testing.assert_allclose(f.trace[:, 0], f.before, rtol=1e-15)
    tn, vm, wm = ls.norms(theta, X)
    np.testing.assert_allclose(np.c_[f.theta_norm[:, 0], f.v_max[:, 0], f.w_min[:, 0]], np.c_[tn, vm, wm])
    np.testing.assert_allclose(f.decrement, mf.decrement(f.theta, X, y), rtol=1e-6)
    assert np.all((f.decrement <= f.gtol) == f.converged)
    assert np.all(f.iterations[f.status == "cap"] == 30)


def test_a_network_is_found_the_same_alone_and_in_a_batch():
    pm = controls.planted_minimum(3, seed=8)
    starts = _starts(pm.theta, 0.3, 3, 9)
    batch = mf.find_minima(*ls.split(starts), pm.x, pm.y, max_iter=30)
    alone = mf.find_minima(*ls.split(starts[1:2]), pm.x, pm.y, max_iter=30)
    assert alone.iterations[0] == batch.iterations[1] and alone.status[0] == batch.status[1]
    np.testing.assert_allclose(alone.theta[0], batch.theta[1], rtol=1e-12, atol=1e-14)


def test_norms_count_only_the_neurons_that_carry_the_function():
    # neuron 0 carries f; neuron 1 has v = 0; neuron 2 has w = 0 (a constant); neuron 3 is tiny
    theta = np.array([[2.0, 1e-3, 0.0, 0.5, 0.1, 0.2, 0.3, 0.4, 1.5, 0.0, 7.0, 1e-7, 3.0]])
    tn, vm, wm = ls.norms(theta, X)
    assert tn[0] == pytest.approx(np.linalg.norm(theta)) and vm[0] == 7.0
    assert wm[0] == 2.0  # not 1e-3 (v = 0), 0 (constant), nor 0.5 (below CARRY of the largest)
    assert ls.norms(theta, X, carry=1e-9)[2][0] == 0.5


def test_bad_input_is_refused():
    w = np.zeros((2, 3))
    with pytest.raises(ValueError, match="need w"):
        mf.find_minima(w, w, w[:, :2], np.zeros(2), X, X)
    with pytest.raises(ValueError, match="points"):
        mf.find_minima(w, w, w, np.zeros(2), X, X[:-1])
    with pytest.raises(ValueError, match="gtol"):
        mf.find_minima(w, w, w, np.zeros(2), X, X, gtol=0)
    with pytest.raises(ValueError, match="method"):
        mf.find_minima(w, w, w, np.zeros(2), X, X, method="newton")
    with pytest.raises(ValueError, match="record"):
        mf.find_minima(w, w, w, np.zeros(2), X, X, record=(-1,))
    with pytest.raises(ValueError, match="3N"):
        controls.planted_minimum(33)
