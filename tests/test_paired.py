"""Paired exponents (nslkit.analysis.paired) on planted data."""
import numpy as np
import pytest

from nslkit.analysis import fits
from nslkit.analysis.paired import common_seeds, paired_exponents

WIDTHS = [10, 20, 30, 40, 50]


def _losses(alpha, seeds=200, scatter=0.5, rng=0):
    """Per-seed losses N^-alpha times log-normal scatter: (K,) arrays, one per width."""
    gen = np.random.default_rng(rng)
    return [n ** -alpha * np.exp(scatter * gen.standard_normal(seeds)) for n in WIDTHS]


def test_a_planted_seedwise_shift_gives_an_exact_difference_with_no_spread():
    # B = A · N^0.3 seed by seed: every resample has α_B = α_A − 0.3 exactly
    a = _losses(1.0)
    b = [x * n ** 0.3 for x, n in zip(a, WIDTHS)]
    p = paired_exponents(WIDTHS, a, b, n_boot=300)
    assert p.delta == pytest.approx(0.3, abs=1e-12)
    assert p.delta_ci == pytest.approx((0.3, 0.3), abs=1e-9)
    assert p.decided
    # the unpaired intervals of each exponent are wide: pairing is what makes the difference exact
    assert p.alpha_a_ci[1] - p.alpha_a_ci[0] > 0.1
    assert p.log_ratio == pytest.approx(-0.3 * np.log10(WIDTHS), abs=1e-12)


def test_each_exponent_and_its_interval_are_power_law_fits_on_the_same_resamples():
    a, b = _losses(1.0, rng=1), _losses(0.8, rng=2)
    p = paired_exponents(WIDTHS, a, b, n_boot=400, rng=7)
    f = fits.power_law_fit(WIDTHS, a, n_boot=400, rng=7)
    assert p.alpha_a == pytest.approx(f.alpha, rel=1e-12)
    assert p.alpha_a_ci == pytest.approx(f.alpha_ci, rel=1e-12)


def test_the_interval_level_is_the_one_asked_for():
    a, b = _losses(1.0, rng=3), _losses(1.0, rng=4)
    wide = paired_exponents(WIDTHS, a, b, n_boot=2000, ci=0.99)
    narrow = paired_exponents(WIDTHS, a, b, n_boot=2000, ci=0.5)
    assert wide.delta_ci[0] < narrow.delta_ci[0] < narrow.delta_ci[1] < wide.delta_ci[1]


def test_two_independent_draws_of_one_law_are_not_told_apart():
    a, b = _losses(1.0, seeds=300, rng=5), _losses(1.0, seeds=300, rng=6)
    p = paired_exponents(WIDTHS, a, b, n_boot=1000)
    assert not p.decided
    assert p.delta_ci[0] < 0 < p.delta_ci[1]


def test_a_real_difference_under_shared_noise_is_decided_where_unpaired_intervals_overlap():
    # both protocols see the same per-seed scatter (same initialisations), B decays 0.1 faster
    gen = np.random.default_rng(8)
    noise = [np.exp(1.0 * gen.standard_normal(100)) for _ in WIDTHS]
    a = [n ** -1.0 * z for n, z in zip(WIDTHS, noise)]
    b = [n ** -1.1 * z * np.exp(0.05 * gen.standard_normal(100)) for n, z in zip(WIDTHS, noise)]
    p = paired_exponents(WIDTHS, a, b, n_boot=1000)
    assert p.decided and p.delta_ci[1] < 0
    assert p.alpha_a_ci[1] > p.alpha_b_ci[0]  # side by side, the intervals overlap


def test_unpaired_lengths_and_bad_levels_are_refused():
    a = _losses(1.0)
    with pytest.raises(ValueError, match="pair them by seed"):
        paired_exponents(WIDTHS, a, [x[:-1] for x in a])
    with pytest.raises(ValueError, match="ci must lie"):
        paired_exponents(WIDTHS, a, a, ci=1.0)


def test_common_seeds_pairs_by_seed_whatever_the_order():
    seeds_a, la = [3, 1, 2, 7], [30.0, 10.0, 20.0, 70.0]
    seeds_b, lb = [2, 3, 5, 1], [0.2, 0.3, 0.5, 0.1]
    s, a, b = common_seeds(seeds_a, la, seeds_b, lb)
    assert s.tolist() == [1, 2, 3]
    assert a.tolist() == [10.0, 20.0, 30.0] and b.tolist() == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="must not repeat"):
        common_seeds([1, 1], [1.0, 2.0], [1], [1.0])
