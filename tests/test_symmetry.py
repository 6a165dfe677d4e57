"""Symmetry analyses (claims C5, C7, C8) against planted answers and the published ticket."""
import numpy as np
import pytest
from scipy import stats

from nslkit.paper.protocol import PUBLISHED_TICKET
from nslkit.analysis.symmetry import (
    canonical_pairs,
    energy_distance,
    match_ticket,
    mirror_test,
    nearest_mirror_ratio,
    pair_asymmetry,
    taylor_conditions,
    ticket_summary,
)

TICKET = np.array(PUBLISHED_TICKET)


def bell_cloud(n, seed, shift=0.0, positive_only=False):
    """(n, 2) planted first layer: w ~ N(0, 1), b = bell(w) + noise; symmetric under w → −w."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    if positive_only:
        w = np.abs(w)
    b = np.exp(-(w**2)) + 0.05 * rng.normal(size=n)
    return np.column_stack([w + shift, b])


# --------------------------------------------------------------------------- energy distance


def test_energy_distance_basic_properties():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(200, 2))
    assert energy_distance(a, a) == pytest.approx(0.0, abs=1e-12)
    e_ab = energy_distance(a, b)
    assert e_ab > 0
    assert energy_distance(b, a) == pytest.approx(e_ab, rel=1e-12)
    shifts = [energy_distance(a, b + [s, 0.0]) for s in (0.5, 1.0, 2.0)]
    assert e_ab < shifts[0] < shifts[1] < shifts[2]


def test_energy_distance_matches_scipy_in_1d():
    # scipy's 1-D energy_distance is sqrt of the V-statistic E.
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=400), rng.normal(0.3, 1.2, size=250)
    assert energy_distance(a, b) == pytest.approx(stats.energy_distance(a, b) ** 2, rel=1e-10)


def test_energy_distance_subsampling_is_seeded_and_close():
    a, b = bell_cloud(3000, 2), bell_cloud(3000, 3, shift=0.3)
    assert energy_distance(a, b, max_points=500, rng=4) == energy_distance(a, b, max_points=500, rng=4)
    full = energy_distance(a, b, max_points=3000)
    assert energy_distance(a, b, max_points=1000, rng=5) == pytest.approx(full, rel=0.2)


def test_energy_distance_errors():
    with pytest.raises(ValueError, match="same dimension"):
        energy_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="max_points"):
        energy_distance(np.zeros((3, 2)), np.zeros((3, 2)), max_points=1)
    with pytest.raises(ValueError, match="non-empty"):
        energy_distance(np.zeros((0, 2)), np.zeros((3, 2)))


# --------------------------------------------------------------------------- mirror symmetry


def test_mirror_test_symmetric_cloud():
    p = bell_cloud(3000, 12)
    r = mirror_test(p, rng=0)
    assert r.pvalue > 0.05
    assert r.n_points == 2000 and r.flip == (-1.0, 1.0)
    assert abs(nearest_mirror_ratio(p) - 1.0) < 0.3


def test_mirror_test_is_calibrated():
    # Under the null the p-value is uniform: at level 0.05, 40 clouds give Binomial(40, 0.05)
    # rejections (mean 2); more than 6 has probability about 1e-3.
    pvalues = [mirror_test(bell_cloud(300, 100 + s), n_perm=99, rng=s).pvalue for s in range(40)]
    assert sum(p <= 0.05 for p in pvalues) <= 6


@pytest.mark.parametrize("kw", [dict(shift=0.5), dict(positive_only=True)])
def test_mirror_test_asymmetric_cloud(kw):
    p = bell_cloud(3000, 11, **kw)
    r = mirror_test(p, rng=0)
    assert r.pvalue <= 0.01
    assert r.statistic > 10 * r.null_q95
    assert nearest_mirror_ratio(p) > 5


def test_mirror_test_other_flip_detects_b_asymmetry():
    # The bell cloud has b ≈ exp(-w²) ∈ (0, 1]: not symmetric under b → −b.
    p = bell_cloud(3000, 12)
    r = mirror_test(p, flip=(1.0, -1.0), rng=0)
    assert r.pvalue <= 0.01 and r.flip == (1.0, -1.0)
    assert nearest_mirror_ratio(p, flip=(1.0, -1.0)) > 5


def test_mirror_test_matches_explicit_reflection():
    # Statistic = E(P, flip P); each null draw = E(P', flip P') with P' reflected point by point.
    p = bell_cloud(50, 13, shift=0.2)
    r = mirror_test(p, n_perm=5, rng=7)
    assert r.statistic == pytest.approx(energy_distance(p, p * [-1.0, 1.0]), rel=1e-10)
    signs = np.random.default_rng(7).choice((-1.0, 1.0), size=(5, 50))  # the draws mirror_test makes
    null = []
    for t in signs:
        pp = np.where(t[:, None] < 0, p * [-1.0, 1.0], p)
        null.append(energy_distance(pp, pp * [-1.0, 1.0]))
    assert r.null_median == pytest.approx(np.median(null), rel=1e-10)
    assert r.pvalue == pytest.approx((1 + np.sum(np.array(null) >= r.statistic)) / 6)


def test_mirror_errors():
    p = bell_cloud(100, 14)
    for bad in [(1.0, 1.0), (-1.0, 0.5), (-1.0,)]:
        with pytest.raises(ValueError, match="flip must hold 2 factors"):
            mirror_test(p, flip=bad)
        with pytest.raises(ValueError, match="flip must hold 2 factors"):
            nearest_mirror_ratio(p, flip=bad)
    with pytest.raises(ValueError, match="n_perm"):
        mirror_test(p, n_perm=0)
    with pytest.raises(ValueError, match="duplicated points"):
        nearest_mirror_ratio(np.repeat(p, 2, axis=0))


# --------------------------------------------------------------------------- width-2 tickets


def ticket_arrays(t):
    """(w (1, 2, 1), b (1, 2), v (1, 2), c (1,)) of a 7-vector."""
    w1, w2, b1, b2, v1, v2, c = t
    return np.array([[[w1], [w2]]]), np.array([[b1, b2]]), np.array([[v1, v2]]), np.array([c])


def test_canonical_pairs_removes_neuron_order():
    w, b, v, c = ticket_arrays(TICKET)
    swapped = (w[:, ::-1], b[:, ::-1], v[:, ::-1], c)
    np.testing.assert_array_equal(canonical_pairs(w, b, v, c)[0], TICKET)
    np.testing.assert_array_equal(canonical_pairs(*swapped)[0], TICKET)
    np.testing.assert_array_equal(canonical_pairs(w[:, :, 0], b, v, c)[0], TICKET)  # (S, 2) w
    stacked = canonical_pairs(*(np.concatenate(x) for x in zip((w, b, v, c), swapped)))
    assert stacked.shape == (2, 7) and np.all(stacked[:, 0] <= stacked[:, 1])


def test_canonical_pairs_errors():
    with pytest.raises(ValueError, match="N = 2"):
        canonical_pairs(np.zeros((4, 3, 1)), np.zeros((4, 3)), np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="D = 2"):
        canonical_pairs(np.zeros((4, 2, 2)), np.zeros((4, 2)), np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"c \(S,\)"):
        canonical_pairs(np.zeros((4, 2, 1)), np.zeros((4, 2)), np.zeros((4, 2)), np.zeros(3))


def test_pair_asymmetry():
    sym = pair_asymmetry(TICKET)
    for field in (sym.w, sym.b, sym.v, sym.max):
        assert field.shape == (1,) and field[0] < 1e-5
    # An asymmetric pair: same-sign w, different b and v (Fig. 10-11's asymmetric algorithms).
    asym = pair_asymmetry([[0.5, 1.5, -1.0, 2.0, 3.0, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])
    np.testing.assert_allclose(asym.w, [1.0, 0.0])  # 0/0 → 0 on the all-zero pair
    np.testing.assert_allclose(asym.b, [1.0, 0.0])
    np.testing.assert_allclose(asym.v, [1.0, 0.0])
    np.testing.assert_allclose(asym.max, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"shape \(S, 7\)"):
        pair_asymmetry(np.zeros((3, 6)))


def test_taylor_conditions_on_published_ticket():
    t = taylor_conditions(TICKET)
    w1, w2, b1, b2, v1, v2, c = TICKET
    b, v = (b1 + b2) / 2, (v1 + v2) / 2
    expected_constant = 2 * b / (1 + np.exp(-b)) * v + c  # 2σ(b)v + c, SiLU written out
    assert t.constant[0] == pytest.approx(expected_constant, rel=1e-12)
    assert t.constant[0] == pytest.approx(0.0030, abs=3e-4)
    assert abs(t.relative_constant[0]) < 2e-3
    assert abs(t.quadratic[0] - 1.0) < 0.03
    assert 0 < t.quartic[0] < 0.05  # small positive x⁴ error coefficient


def test_taylor_conditions_needs_smooth_activation():
    for act in ("relu", "leaky_relu"):
        with pytest.raises(ValueError, match="smooth activation.*'silu'"):
            taylor_conditions(TICKET, activation=act)
    with pytest.raises(ValueError, match="'tanh' is unknown"):
        taylor_conditions(TICKET, activation="tanh")


def test_ticket_summary_and_match():
    rng = np.random.default_rng(20)
    jitter = TICKET * (1 + 1e-3 * rng.normal(size=(101, 7)))  # (S, 7) planted around the ticket
    jitter[::2] = jitter[::2][:, [1, 0, 3, 2, 5, 4, 6]]  # half with the neurons swapped
    np.testing.assert_allclose(ticket_summary(jitter), TICKET, rtol=1e-3)
    d = match_ticket(jitter, PUBLISHED_TICKET)
    assert d.shape == (101,) and np.all(d < 5e-3)
    swapped_ref = TICKET[[1, 0, 3, 2, 5, 4, 6]]
    np.testing.assert_allclose(match_ticket(jitter, swapped_ref), d)
    assert match_ticket(2 * TICKET, TICKET)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="non-zero"):
        match_ticket(jitter, np.zeros(7))
    with pytest.raises(ValueError, match="single 7-vector"):
        match_ticket(jitter, np.zeros((2, 7)))
