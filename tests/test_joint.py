"""L(N, T) fits (nslkit.analysis.joint) on planted laws."""
import numpy as np
import pytest

from nslkit.analysis import joint

N = np.array([2, 3, 4, 6, 8, 10, 15, 20, 25, 30, 40, 50], dtype=float)
T = np.array([5e4, 1e5, 2e5, 5e5, 1e6, 2e6])
NN, TT = (a.ravel() for a in np.meshgrid(N, T))


def test_each_form_recovers_its_planted_law():
    truth = {"sum": (3e-3 * NN ** -1.2 + 40 * TT ** -1.5),
             "sum+floor": (3e-3 * NN ** -1.2 + 40 * TT ** -1.5 + 1e-9),
             "product": 5.0 * NN ** -1.1 * TT ** -0.7,
             "product+floor": 5.0 * NN ** -1.1 * TT ** -0.7 + 1e-8,
             "mixed": 3e-3 * NN ** -4.0 + 2.0 * NN ** -0.5 * TT ** -1.2}
    planted = {"sum": {"a": 1.2, "b": 1.5}, "sum+floor": {"a": 1.2, "b": 1.5, "C": 1e-9},
               "product": {"a": 1.1, "b": 0.7}, "product+floor": {"a": 1.1, "b": 0.7, "C": 1e-8},
               "mixed": {"a": 4.0, "c": 0.5, "b": 1.2}}
    for form, loss in truth.items():
        fit = joint.fit_joint_law(NN, TT, loss, form)
        assert fit.rms < 1e-6, form
        for name, value in planted[form].items():
            assert fit.params[name] == pytest.approx(value, rel=1e-4), (form, name)
        assert fit.predict(10, 1e5) == pytest.approx(loss[(NN == 10) & (TT == 1e5)][0], rel=1e-6)


def test_held_out_points_tell_the_true_form_from_a_wrong_one():
    gen = np.random.default_rng(0)
    loss = (3e-3 * NN ** -1.2 + 3e3 * TT ** -1.5 + 1e-9) * np.exp(0.02 * gen.standard_normal(NN.size))
    kw = {"held_widths": [6, 25], "held_budgets": [5e5]}
    _, right, held = joint.held_out_error(NN, TT, loss, "sum+floor", **kw)
    _, wrong, _ = joint.held_out_error(NN, TT, loss, "product", **kw)
    assert held == 2 * len(T) + len(N) - 2
    assert right < 0.03 < wrong


def test_compute_optimal_width_balances_the_two_terms():
    fit = joint.fit_joint_law(NN, TT, 1e-2 * NN ** -1.0 + 1e3 * TT ** -1.0, "sum")
    # at compute K, T = K / (100 N): L = 1e-2/N + 1e5 N / K is least at N* = sqrt(1e-7 K)
    grid = np.arange(1, 201, dtype=float)
    n_star, l_star = joint.compute_optimal_width(fit, 1e11, 100, grid)
    assert n_star == pytest.approx(100, abs=1)
    assert l_star == pytest.approx(2e-4, rel=1e-3)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown form"):
        joint.fit_joint_law(NN, TT, NN ** -1.0, "exp")
    with pytest.raises(ValueError, match="positive and finite"):
        joint.fit_joint_law(NN, TT, -NN, "sum")
    with pytest.raises(ValueError, match="needs more than"):
        joint.fit_joint_law(N[:4], T[:4], N[:4] ** -1.0, "sum+floor")
    with pytest.raises(ValueError, match="hold out some points"):
        joint.held_out_error(NN, TT, NN ** -1.0, "sum")
