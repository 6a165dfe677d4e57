"""Planted answers for nslkit.peaks: lognormal clusters of losses with known centres (C6, C9)."""
import numpy as np
import pytest

from nslkit.analysis.peaks import MIN_BANDWIDTH, Peaks, assign_peaks, count_modes, find_peaks, peak_members

CENTRES = np.array([-6.0, -4.0, -2.0])  # log10 of the planted cluster centres
SIGMA = 0.15  # decades


def _clusters(seed=0, per=300):
    """300 losses around each of 1e-6, 1e-4, 1e-2 (lognormal, 0.15 decades), and their labels."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(CENTRES.size), per)  # (900,)
    losses = 10.0 ** (CENTRES[labels] + SIGMA * rng.standard_normal(labels.size))
    return losses, labels


def test_three_planted_clusters():
    losses, labels = _clusters()
    p = find_peaks(losses)
    assert isinstance(p, Peaks) and p.n_modes == 3 and count_modes(losses) == 3
    np.testing.assert_allclose(np.log10(p.locations), CENTRES, atol=0.1)
    assert np.all(np.diff(p.locations) > 0)
    # each boundary lies between its two peaks
    assert p.boundaries.shape == (2,)
    assert np.all(p.locations[:-1] < p.boundaries) and np.all(p.boundaries < p.locations[1:])
    assert np.max(p.heights) == pytest.approx(1.0, abs=1e-3) and p.density.max() == 1.0
    assert p.grid.shape == p.density.shape == (512,) and p.bandwidth > 0
    assert np.mean(assign_peaks(losses, p) == labels) > 0.99
    mask = peak_members(losses, p)  # k = 0: the lowest peak, the tickets
    assert mask.dtype == bool and np.mean(mask == (labels == 0)) > 0.99
    assert np.mean(peak_members(losses, p, k=2) == (labels == 2)) > 0.99


def test_input_is_not_mutated_and_lists_work():
    losses, _ = _clusters(seed=1)
    before = losses.copy()
    p = find_peaks(list(losses))
    np.testing.assert_array_equal(losses, before)
    assert p.n_modes == 3


def test_single_lognormal_is_one_mode():
    rng = np.random.default_rng(2)
    losses = 10.0 ** (-4.0 + SIGMA * rng.standard_normal(1000))
    p = find_peaks(losses)
    assert p.n_modes == 1 and p.boundaries.shape == (0,)
    assert abs(np.log10(p.locations[0]) + 4.0) < 0.1
    assert np.all(assign_peaks(losses, p) == 0)


def test_min_prominence_merges_a_small_bump():
    """A 100-network bump 1.5 decades above a 1000-network peak: its normalised height is ~0.1."""
    rng = np.random.default_rng(1)
    main = 10.0 ** (-4.0 + SIGMA * rng.standard_normal(1000))
    bump = 10.0 ** (-2.5 + SIGMA * rng.standard_normal(100))
    losses = np.concatenate([main, bump])
    p = find_peaks(losses, min_prominence=0.05)
    assert p.n_modes == 2 and abs(np.log10(p.locations[1]) + 2.5) < 0.1
    assert 0.05 < p.prominences[1] < 0.2
    assert count_modes(losses, min_prominence=0.2) == 1


def test_bw_method_is_passed_through():
    losses, _ = _clusters()
    # a huge bandwidth factor smooths the three clusters into one peak
    assert count_modes(losses, bw_method=5.0) == 1
    assert find_peaks(losses, bw_method=5.0).bandwidth > 5 * find_peaks(losses).bandwidth


@pytest.mark.parametrize(
    "losses, match",
    [
        ([1e-3, 0.0, 1e-2, -1.0], "2 of 4 are not"),
        ([1e-3, np.nan, 1e-2, 1e-4], "1 of 4 are not"),
        ([1e-3, np.inf, 1e-2, 1e-4], "finite and positive"),
        ([1e-3, 1e-2], "at least 3 losses, got 2"),
        ([1e-3] * 10, "identical"),
        (np.ones((3, 3)), "1-D"),
    ],
)
def test_bad_losses_raise(losses, match):
    with pytest.raises(ValueError, match=match):
        find_peaks(losses)


def test_bad_options_raise():
    losses, _ = _clusters()
    with pytest.raises(ValueError, match="grid_points"):
        find_peaks(losses, grid_points=2)
    with pytest.raises(ValueError, match="min_prominence"):
        find_peaks(losses, min_prominence=1.5)
    p = find_peaks(losses)
    with pytest.raises(ValueError, match=r"k \(a peak.s index\) must be an integer in \[0, 2\]"):
        peak_members(losses, p, k=3)
    with pytest.raises(ValueError, match="finite and positive"):
        assign_peaks([1e-3, -1.0], p)


def test_robust_bandwidth_resolves_tight_clusters_decades_apart():
    # like width-2 losses: tight clusters (0.05 decade) with gaps of decades between them
    rng = np.random.default_rng(7)
    centres, counts = (-5.1, -3.4, 0.17), (20, 60, 20)
    losses = np.concatenate([10 ** (c + 0.05 * rng.standard_normal(n)) for c, n in zip(centres, counts)])
    robust = find_peaks(losses)
    np.testing.assert_allclose(np.log10(robust.locations), centres, atol=0.1)
    assert find_peaks(losses, bw_method="scott").n_modes < 3  # Scott's rule merges the lowest cluster
    assert robust.bandwidth < find_peaks(losses, bw_method="scott").bandwidth / 2


def test_a_point_mass_with_a_tail_still_has_its_peak():
    # width-1 networks: most reach the same loss to 15 digits, a few stop elsewhere
    losses = np.r_[np.full(90, 1.5131906165317839), 1.5131906165317839 * (1 + np.linspace(0.01, 0.08, 10))]
    p = find_peaks(losses)
    assert p.n_modes >= 1 and abs(np.log10(p.locations[0] / 1.5131906165317839)) < 0.01
    assert p.bandwidth >= MIN_BANDWIDTH * (1 - 1e-9)


def test_power_check_on_planted_mixtures():
    from nslkit.analysis.peaks import Mixture, fit_mixture, recovery_rate, seeds_needed

    far = Mixture(np.array([0.5, 0.5]), np.array([-5.0, -3.0]), np.array([0.1, 0.1]))  # 20 sds apart
    near = Mixture(np.array([0.5, 0.5]), np.array([-4.0, -3.65]), np.array([0.12, 0.12]))  # 2.9 sds apart
    merged = Mixture(np.array([0.5, 0.5]), np.array([-4.0, -3.85]), np.array([0.12, 0.12]))  # 1.25 sds: one mode
    assert far.n_modes() == near.n_modes() == 2 and merged.n_modes() == 1
    needed_far, rates_far = seeds_needed(far, trials=100)
    needed_near, rates_near = seeds_needed(near, trials=100)
    assert needed_far == 20 and rates_far[20] >= 0.8
    assert needed_near is None or needed_near >= 200, rates_near  # close peaks need many more networks
    assert recovery_rate(near, 2000, trials=50) > recovery_rate(near, 50, trials=50)
    # a fitted mixture recovers planted components
    rng = np.random.default_rng(0)
    fitted = fit_mixture(far.sample(500, rng))
    assert fitted.n_modes() == 2 and np.allclose(np.sort(fitted.means), [-5, -3], atol=0.05)
