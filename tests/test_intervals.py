"""nslkit.analysis.intervals against scipy.stats.bootstrap and against the percentile interval
computed by hand on the same resample indices (issue 35): the level, the statistic and the
resampling are each pinned, so a one-line change to any of them fails here."""
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from nslkit.analysis.intervals import bootstrap_ci, median_ci, ratio_of_medians_ci

FAST = settings(max_examples=25, deadline=None, derandomize=True)


def _sample(n=41, seed=0):
    """Skewed positive values (lognormal): their median, mean and midrange all differ."""
    return np.random.default_rng(seed).lognormal(0, 1.5, n)


def _by_hand(samples, statistic, n_boot, level, rng):
    """The percentile interval on the resamples scipy draws: one (n_boot, n) block of indices per
    sample, in order, from numpy's Generator seeded with ``rng``; linear quantiles at (1 ∓ level)/2."""
    gen = np.random.default_rng(rng)
    resampled = [s[gen.integers(0, s.size, (n_boot, s.size))] for s in samples]  # each (n_boot, n)
    theta = statistic(*resampled, axis=-1)  # (n_boot,)
    lo, hi = np.quantile(theta, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _median_ratio(a, b, axis=-1):
    return np.median(a, axis=axis) / np.median(b, axis=axis)


@pytest.mark.parametrize("level", [0.95, 0.9, 0.5])
def test_median_ci_is_scipys_percentile_bootstrap_of_the_median(level):
    x = _sample()
    value, (lo, hi) = median_ci(x, n_boot=500, ci=level, rng=3)
    assert value == np.median(x)
    ref = scipy.stats.bootstrap((x,), np.median, n_resamples=500, confidence_level=level, method="percentile",
                                vectorized=True, rng=3).confidence_interval
    assert (lo, hi) == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert (lo, hi) == pytest.approx(_by_hand((x,), np.median, 500, level, 3), rel=1e-12)


def test_the_default_level_is_95_percent_and_1000_resamples():
    x = _sample(40, seed=1)  # even: each bootstrap median is the mean of two values, few ties
    _, (lo, hi) = median_ci(x)
    assert (lo, hi) == pytest.approx(_by_hand((x,), np.median, 1000, 0.95, 0), rel=1e-12)
    # the 2.5% and 97.5% quantiles of the bootstrap medians, not those of another level
    for other in (0.9, 0.99):
        assert (lo, hi) != pytest.approx(_by_hand((x,), np.median, 1000, other, 0), rel=1e-9)
    # nor another seed or another number of resamples
    assert (lo, hi) != pytest.approx(_by_hand((x,), np.median, 1000, 0.95, 1), rel=1e-9)


def test_the_defaults_reach_scipy(monkeypatch):
    seen = []
    real = scipy.stats.bootstrap

    def spy(data, statistic, **kw):
        seen.append(kw)
        return real(data, statistic, **kw)

    monkeypatch.setattr(scipy.stats, "bootstrap", spy)
    x = _sample(seed=6)
    median_ci(x)
    ratio_of_medians_ci(x, x + 1)
    bootstrap_ci((x,), np.mean)
    for kw in seen:
        assert kw["n_resamples"] == 1000 and kw["confidence_level"] == 0.95 and kw["method"] == "percentile"
        assert kw["vectorized"] is True and kw.get("rng", kw.get("random_state")) == 0
    assert len(seen) == 3


def test_the_statistic_is_the_median():
    x = _sample(seed=2)
    value, ci = median_ci(x, n_boot=300, rng=5)
    assert value == np.median(x) != pytest.approx(np.mean(x), rel=1e-3)
    assert ci == pytest.approx(_by_hand((x,), np.median, 300, 0.95, 5), rel=1e-12)
    assert ci != pytest.approx(_by_hand((x,), np.mean, 300, 0.95, 5), rel=1e-3)


def test_ratio_of_medians_resamples_each_sample_alone():
    a, b = _sample(30, seed=3), _sample(50, seed=4)
    value, ci = ratio_of_medians_ci(a, b, n_boot=400, rng=7)
    assert value == pytest.approx(np.median(a) / np.median(b), rel=1e-15)
    ref = scipy.stats.bootstrap((a, b), _median_ratio, n_resamples=400, confidence_level=0.95, method="percentile",
                                vectorized=True, rng=7).confidence_interval
    assert ci == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert ci == pytest.approx(_by_hand((a, b), _median_ratio, 400, 0.95, 7), rel=1e-12)
    # defaults: 95%, 1000 resamples, seed 0
    assert ratio_of_medians_ci(a, b)[1] == pytest.approx(_by_hand((a, b), _median_ratio, 1000, 0.95, 0), rel=1e-12)


def test_bootstrap_ci_passes_level_seed_and_resamples_through():
    x = _sample(25, seed=5)
    value, ci = bootstrap_ci((x,), np.mean, n_boot=200, ci=0.8, rng=11)
    assert value == pytest.approx(np.mean(x), rel=1e-15) and type(value) is float
    assert ci == pytest.approx(_by_hand((x,), np.mean, 200, 0.8, 11), rel=1e-12)
    assert all(type(v) is float for v in ci)
    # input given as nested lists or column vectors is read flat
    assert bootstrap_ci((x[:, None].tolist(),), np.mean, n_boot=200, ci=0.8, rng=11) == (value, ci)


def test_samples_are_read_as_float64():
    x32 = np.array([0.1, 16777216.0, 0.3, 3.0], dtype=np.float32)  # the median 0.3 + 3 rounds in float32
    x64 = x32.astype(np.float64)
    assert median_ci(x32, n_boot=100) == median_ci(x64, n_boot=100)
    assert median_ci(x32, n_boot=100)[0] == np.median(x64) != np.median(x32)


def test_a_sample_of_one_gives_the_degenerate_interval():
    assert median_ci([3.5]) == (3.5, (3.5, 3.5))
    assert ratio_of_medians_ci([2.0], [1.0, 4.0, 6.0]) == (0.5, (0.5, 0.5))
    # two values are enough to resample
    value, (lo, hi) = median_ci([1.0, 3.0], n_boot=200)
    assert value == 2.0 and lo == 1.0 and hi == 3.0


def test_bad_resample_counts_are_refused():
    with pytest.raises(ValueError, match="^n_boot must be a positive integer, got 0$"):
        median_ci(_sample(), n_boot=0)
    with pytest.raises(ValueError, match="^n_boot must be a positive integer, got 2.5$"):
        median_ci(_sample(), n_boot=2.5)


# ---- properties ------------------------------------------------------------------------------

samples = st.lists(st.floats(1e-12, 1e3, allow_nan=False), min_size=2, max_size=40).map(np.array)


@FAST
@given(samples, st.integers(0, 2**16))
def test_the_interval_lies_within_the_data_and_holds_the_median_of_resamples(x, seed):
    value, (lo, hi) = median_ci(x, n_boot=64, rng=seed)
    slack = 1e-12 * x.max()  # the linear interpolation between order statistics rounds
    assert x.min() - slack <= lo <= hi + slack and hi <= x.max() + slack
    assert x.min() <= value <= x.max()
    assert (lo, hi) == pytest.approx(_by_hand((x,), np.median, 64, 0.95, seed), rel=1e-12)


@FAST
@given(samples, st.floats(1e-3, 1e3), st.integers(0, 2**16))
def test_the_interval_scales_with_the_data(x, scale, seed):
    value, ci = median_ci(x, n_boot=64, rng=seed)
    v2, ci2 = median_ci(scale * x, n_boot=64, rng=seed)
    assert v2 == pytest.approx(scale * value, rel=1e-12)
    assert ci2 == pytest.approx((scale * ci[0], scale * ci[1]), rel=1e-12)


@FAST
@given(samples, samples, st.floats(1e-3, 1e3), st.integers(0, 2**16))
def test_the_ratio_scales_with_its_numerator(a, b, scale, seed):
    value, ci = ratio_of_medians_ci(a, b, n_boot=64, rng=seed)
    v2, ci2 = ratio_of_medians_ci(scale * a, b, n_boot=64, rng=seed)
    assert v2 == pytest.approx(scale * value, rel=1e-12)
    assert ci2 == pytest.approx((scale * ci[0], scale * ci[1]), rel=1e-12)
    assert ci[0] <= ci[1]


@FAST
@given(samples, st.integers(0, 2**16))
def test_a_wider_level_gives_a_wider_interval_on_the_same_resamples(x, seed):
    _, (lo90, hi90) = median_ci(x, n_boot=64, ci=0.9, rng=seed)
    _, (lo99, hi99) = median_ci(x, n_boot=64, ci=0.99, rng=seed)
    slack = 1e-12 * x.max()  # the linear interpolation between order statistics rounds
    assert lo99 <= lo90 + slack and lo90 <= hi90 + slack and hi90 <= hi99 + slack
