"""Planted answers for nslkit.ensembles: Eq. 9's bound (C10) and the harmonic ensemble (C11)."""
import numpy as np
import pytest

from nslkit.analysis.ensembles import (
    Comparison,
    OptimalEnsemble,
    compare_distributions,
    ensemble_bound,
    harmonic_ensemble,
    optimal_ensemble,
)


def test_harmonic_ensemble_by_hand():
    # pairs (0,1), (0,2), (1,2) of [1, 2, 4]: 1/(1+1/2) = 2/3, 1/(1+1/4) = 4/5, 1/(1/2+1/4) = 4/3
    np.testing.assert_allclose(harmonic_ensemble([1.0, 2.0, 4.0]), [2 / 3, 4 / 5, 4 / 3], rtol=1e-15)
    assert harmonic_ensemble(np.arange(1.0, 11.0)).shape == (45,)


def test_harmonic_ensemble_of_equal_losses_halves_them():
    np.testing.assert_allclose(harmonic_ensemble(np.full(5, 3e-7)), 1.5e-7, rtol=1e-15)
    # no underflow or overflow far from 1
    np.testing.assert_allclose(harmonic_ensemble([1e-300, 1e-300]), [5e-301], rtol=1e-14)


def test_compare_distributions():
    rng = np.random.default_rng(0)
    a = 10.0 ** (-4.0 + 0.5 * rng.standard_normal(500))
    same = compare_distributions(a, a)
    assert isinstance(same, Comparison)
    assert same.median_ratio == 1.0 and same.log10_median_ratio == 0.0
    assert same.ks_statistic == 0.0 and same.ks_pvalue == 1.0 and same.wasserstein_log10 == 0.0
    shifted = compare_distributions(10.0 * a, a)
    assert shifted.log10_median_ratio == pytest.approx(1.0, abs=1e-12)
    assert shifted.median_ratio == pytest.approx(10.0, rel=1e-12)
    assert shifted.wasserstein_log10 == pytest.approx(1.0, abs=1e-12)
    assert shifted.ks_statistic > 0.6 and shifted.ks_pvalue < 1e-10


def test_ensemble_bound():
    assert ensemble_bound([2.0, 2.0, 2.0, 2.0]) == pytest.approx(0.5)  # |e|²/n
    assert ensemble_bound([1.0, 2.0]) == pytest.approx(2 / 3)


def test_orthogonal_errors_attain_the_bound():
    """The paper's assumption: mutually orthogonal e_i. Then optimum == bound at a_i ∝ 1/|e_i|²."""
    rng = np.random.default_rng(1)
    P, n = 200, 5
    Q = np.linalg.qr(rng.standard_normal((P, n)))[0].T  # (n, P) orthonormal rows (plain sum)
    scales = np.array([0.5, 1.0, 2.0, 3.0, 7.0])
    errors = scales[:, None] * Q * np.sqrt(P)  # (n, P); mean-square norms scales²
    r = optimal_ensemble(errors)
    assert isinstance(r, OptimalEnsemble)
    np.testing.assert_allclose(np.diag(r.gram), scales**2, rtol=1e-12)
    assert r.bound == pytest.approx(1 / np.sum(scales**-2.0), rel=1e-12)
    assert r.optimum == pytest.approx(r.bound, rel=1e-12)
    assert r.inverse_norm_value == pytest.approx(r.bound, rel=1e-12)
    assert r.optimum <= r.mean_value
    np.testing.assert_allclose(r.optimal_weights, scales**-2.0 / np.sum(scales**-2.0), atol=1e-12)
    assert r.optimal_weights.sum() == pytest.approx(1.0, abs=1e-14)


def test_effective_rank_of_equal_orthogonal_errors_is_n():
    n, P = 4, 8
    errors = 3.0 * np.eye(n, P)  # (n, P), disjoint supports
    r = optimal_ensemble(errors)
    assert r.effective_rank == pytest.approx(n, rel=1e-12)
    assert r.optimum == pytest.approx(ensemble_bound(np.diag(r.gram)), rel=1e-12)


def test_quadrature_weights():
    """Weighted norm: two errors orthogonal under w (not under the plain mean)."""
    w = np.array([0.5, 0.25, 0.25])
    errors = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]])  # |e_1|² = 0.5, |e_2|² = 0.5
    r = optimal_ensemble(errors, weights=w)
    np.testing.assert_allclose(r.gram, [[0.5, 0.0], [0.0, 0.5]], atol=1e-15)
    assert r.optimum == pytest.approx(0.25, rel=1e-12) and r.bound == pytest.approx(0.25, rel=1e-12)


def test_random_errors_optimum_beats_the_papers_weights():
    rng = np.random.default_rng(2)
    errors = rng.standard_normal((6, 50)) * rng.uniform(0.5, 2.0, size=(6, 1))  # (n, P)
    r = optimal_ensemble(errors)
    assert r.optimum <= r.inverse_norm_value * (1 + 1e-12)
    assert r.optimum <= r.mean_value * (1 + 1e-12)
    # the closed form 1/(1ᵀG⁻¹1) agrees on this well-conditioned Gram matrix
    assert r.optimum == pytest.approx(1 / np.sum(np.linalg.solve(r.gram, np.ones(6))), rel=1e-10)
    assert 1.0 < r.effective_rank < 6.0


def test_nearly_parallel_errors_go_below_the_bound():
    """Correlated tickets break Eq. 9: e_2 = 1.5 e_1 + noise nearly cancels with a ≈ (3, -2)."""
    rng = np.random.default_rng(3)
    P = 400
    e1 = np.sin(np.linspace(0.0, 2 * np.pi, P, endpoint=False)) * np.sqrt(2)  # |e_1|² = 1
    e2 = 1.5 * e1 + 1e-3 * rng.standard_normal(P)
    r = optimal_ensemble(np.stack([e1, e2]))
    assert r.bound == pytest.approx(1 / (1 + 1 / 2.25), rel=1e-4)
    assert r.optimum < 1e-4 * r.bound  # far below the "lower bound"
    assert r.optimum < 5e-6  # ≈ |2 · noise|² = 4e-6, less what of the noise lies along e_1
    np.testing.assert_allclose(r.optimal_weights, [3.0, -2.0], atol=0.01)
    assert r.effective_rank == pytest.approx(1.0, abs=1e-4)
    assert r.inverse_norm_value > 0.5 * r.bound  # the paper's weights gain nothing here


def test_single_error():
    r = optimal_ensemble([[1.0, -1.0, 2.0]])
    # each through its own arithmetic: equal to rounding, not bit for bit on every BLAS
    assert (r.optimum, r.bound, r.mean_value) == pytest.approx((2.0, 2.0, 2.0), rel=1e-12)
    assert r.effective_rank == pytest.approx(1.0, rel=1e-12) and r.optimal_weights == pytest.approx([1.0], rel=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: harmonic_ensemble([1e-3]), "need at least 2 losses, got 1"),
        (lambda: harmonic_ensemble([1e-3, 0.0]), "1 of 2 are not"),
        (lambda: compare_distributions([1e-3, np.nan], [1e-3, 1e-2]), "a must be finite and positive"),
        (lambda: compare_distributions([1e-3, 1e-2], [1e-3]), "need at least 2 b"),
        (lambda: ensemble_bound([]), "at least 1"),
        (lambda: ensemble_bound([1.0, -1.0]), "sq_norms must be finite and positive"),
        (lambda: optimal_ensemble(np.ones(5)), r"\(n, P\) array"),
        (lambda: optimal_ensemble([[1.0, np.inf]]), "errors must be finite"),
        (lambda: optimal_ensemble([[1.0, 2.0], [0.0, 0.0]]), r"rows \[1\] have"),
        (lambda: optimal_ensemble(np.ones((2, 3)), weights=[0.5, 0.5]), r"shape \(P,\) = \(3,\)"),
        (lambda: optimal_ensemble(np.ones((2, 2)), weights=[0.5, 0.6]), "sum to 1"),
        (lambda: optimal_ensemble(np.ones((2, 2)), weights=[1.5, -0.5]), "non-negative"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_harmonic_ensemble_of_two_widths_pairs_every_network():
    # an odd width N is split into ⌊N/2⌋ + ⌈N/2⌉: every (i, j) of the two samples is ensembled
    out = harmonic_ensemble([1.0, 2.0], [4.0, 1.0, 2.0])
    expected = [1 / (1 / a + 1 / b) for a in (1.0, 2.0) for b in (4.0, 1.0, 2.0)]
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    with pytest.raises(ValueError, match="other"):
        harmonic_ensemble([1.0, 2.0], [0.0])
