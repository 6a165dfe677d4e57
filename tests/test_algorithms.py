"""Algorithms modulo the neuron swap (Appendix B) against planted clusters and hand-made networks."""
import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import adjusted_rand_score

from nslkit.analysis.algorithms import (
    SWAP,
    _standardise,
    cluster_losses,
    describe_regime,
    find_algorithms,
    neuron_regimes,
    order_neurons,
    parameter_pca,
    params7,
    representative,
)
from nslkit.analysis.width2 import swap_neurons

# Planted centres as (w1, w2, b1, b2, v1, v2, c). SYM is swap-invariant (w1 = w2, b1 = b2,
# v1 = v2), so its blob is its own mirror image; A and B are not, so each appears as two
# mirror blobs: m and m[SWAP].
SYM = np.array([1.0, 1.0, -1.0, -1.0, 2.0, 2.0, 0.5])
A = np.array([2.0, -1.0, 0.5, -2.0, 1.0, 3.0, -1.0])
B = np.array([-2.0, 0.5, 2.0, 1.0, -1.5, 0.5, 1.0])
# planted clusters: (centre, size, algorithm); sizes all differ so size order is unambiguous
PLANTED = ((SYM, 150, 0), (A, 120, 1), (A[list(SWAP)], 100, 1), (B, 80, 2), (B[list(SWAP)], 60, 2))
NOISE = 0.15  # per-coordinate std of each blob, raw units


def silu(z):
    return z * expit(z)


def net(p7, x):
    """(S, P) outputs of width-2 networks p7 (S, 7) at x (P,)."""
    z = p7[:, 0:2, None] * x + p7[:, 2:4, None]  # (S, 2, P)
    return np.einsum("sn,snp->sp", p7[:, 4:6], silu(z)) + p7[:, 6:7]


def planted(seed=0):
    """(p7 (S, 7), cluster (S,), algorithm (S,)) for the PLANTED blobs."""
    rng = np.random.default_rng(seed)
    p = [m + NOISE * rng.normal(size=(n, 7)) for m, n, _ in PLANTED]
    cluster = np.concatenate([np.full(n, i) for i, (_, n, _) in enumerate(PLANTED)])
    algorithm = np.concatenate([np.full(n, a) for _, n, a in PLANTED])
    return np.vstack(p), cluster, algorithm


@pytest.fixture(scope="module")
def found():
    p, cluster, algorithm = planted()
    return p, cluster, algorithm, find_algorithms(p, space="params", criterion="bic", max_clusters=8, n_init=2)


# --------------------------------------------------------------------------- layout and swap


def test_params7_layout_and_errors():
    rng = np.random.default_rng(1)
    w, b, v, c = rng.normal(size=(4, 2, 1)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=4)
    p = params7(w, b, v, c)
    assert p.shape == (4, 7) and p.dtype == np.float64
    np.testing.assert_array_equal(p, np.column_stack([w[:, :, 0], b, v, c]))  # raw order, no reordering
    np.testing.assert_array_equal(params7(w[:, :, 0], b, v, c), p)
    with pytest.raises(ValueError, match="N = 2"):
        params7(rng.normal(size=(4, 3, 1)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), c)
    with pytest.raises(ValueError, match="D = 1"):
        params7(rng.normal(size=(4, 2, 2)), b, v, c)
    with pytest.raises(ValueError, match="S = 4"):
        params7(w, b[:3], v, c)


def test_swap_is_an_involution_that_keeps_the_function():
    p, _, _ = planted()
    x = np.linspace(-2, 2, 41)
    np.testing.assert_array_equal(swap_neurons(swap_neurons(p)), p)
    np.testing.assert_allclose(net(swap_neurons(p), x), net(p, x), atol=1e-12)
    with pytest.raises(ValueError, match=r"\(S, 7\)"):
        swap_neurons(np.zeros((3, 6)))


def test_parameter_pca_twins_use_the_same_fit():
    p, _, _ = planted()
    pca = parameter_pca(p, n_components=3)
    assert pca.scores.shape == pca.twin_scores.shape == (p.shape[0], 3)
    np.testing.assert_allclose(pca.scores, (p - pca.mean) @ pca.components.T, atol=1e-10)
    np.testing.assert_allclose(pca.twin_scores, (p[:, SWAP] - pca.mean) @ pca.components.T, atol=1e-10)
    assert np.all(np.diff(pca.explained_variance_ratio) <= 0) and pca.explained_variance_ratio.sum() <= 1 + 1e-12
    with pytest.raises(ValueError, match="n_components"):
        parameter_pca(p, n_components=8)


# --------------------------------------------------------------------------- find_algorithms


def test_scaling_commutes_with_the_swap():
    p, _, _ = planted()
    p[0] = [40.0, -3.0, 0.0, 90.0, 1.0, -200.0, 5.0]  # an outlier must not break it
    z = _standardise(p)
    np.testing.assert_allclose(_standardise(p[:, SWAP]), z[:, SWAP], atol=1e-12)
    for cols in ((0, 1), (2, 3), (4, 5), (6,)):  # pooled median 0, pooled robust scale 1
        pooled = z[:, cols].ravel()
        assert np.median(pooled) == pytest.approx(0.0, abs=1e-12)
        assert np.subtract(*np.percentile(pooled, [75, 25])) / 1.349 == pytest.approx(1.0)


def test_planted_algorithms_are_recovered(found):
    p, cluster, algorithm, a = found
    assert a.criterion == "bic"
    np.testing.assert_array_equal(a.candidates, np.arange(1, 9))
    assert a.n_clusters == 5 and int(a.candidates[np.argmin(a.scores)]) == 5  # BIC picks 5, not 8
    assert a.n_algorithms == 3 and a.symmetric.sum() == 1
    assert a.twin_agreement > 0.95
    assert adjusted_rand_score(cluster, a.labels) > 0.95
    orbit_of = {k: i for i, orbit in enumerate(a.orbits) for k in orbit}
    assert adjusted_rand_score(algorithm, [orbit_of[k] for k in a.labels]) > 0.95
    # the symmetric cluster is the SYM blob, alone in its orbit; the others pair up as mirrors
    (k_sym,) = np.flatnonzero(a.symmetric)
    assert (k_sym,) in a.orbits and np.all(a.labels[algorithm == 0] == k_sym)
    for orbit in a.orbits:
        if orbit != (k_sym,):
            assert len(orbit) == 2 and a.twin_map[orbit[0]] == orbit[1] and a.twin_map[orbit[1]] == orbit[0]
    assert not a.outliers.any()
    np.testing.assert_allclose(a.scaled, _standardise(p))  # nothing clipped


def test_without_losses_clusters_are_numbered_by_size(found):
    _, cluster, _, a = found
    sizes = np.bincount(a.labels)
    np.testing.assert_array_equal(sizes, sorted((n for _, n, _ in PLANTED), reverse=True))
    # planted clusters were listed by decreasing size too
    np.testing.assert_array_equal(a.labels, cluster)


def test_losses_number_the_clusters_by_median_loss():
    p, cluster, _ = planted()
    rng = np.random.default_rng(2)
    planted_loss = np.array([1e-3, 1e-6, 1e-5, 1e-2, 1e-4])  # per planted cluster
    losses = planted_loss[cluster] * np.exp(0.1 * rng.normal(size=cluster.size))
    a = find_algorithms(p, losses=losses, space="params", criterion="bic", max_clusters=6, n_init=1)
    med = cluster_losses(losses, a.labels).median
    assert np.all(np.diff(med) > 0)
    np.testing.assert_array_equal(a.labels, np.argsort(np.argsort(planted_loss))[cluster])


def test_outliers_are_left_out_of_the_fit():
    p, cluster, _ = planted()
    rng = np.random.default_rng(3)
    far = rng.normal(size=(4, 7)) * 300.0
    a = find_algorithms(np.vstack([p, far]), space="params", criterion="bic", max_clusters=8, n_init=2)
    assert a.n_clusters == 5 and a.n_algorithms == 3
    np.testing.assert_array_equal(a.outliers, np.arange(p.shape[0] + 4) >= p.shape[0])
    assert np.abs(a.scaled).max() == 10.0
    assert adjusted_rand_score(cluster, a.labels[: p.shape[0]]) > 0.95


def test_find_algorithms_validates_input():
    p, _, _ = planted()
    S = p.shape[0]
    for bad in (np.full(S, -1.0), np.full(S, np.nan), np.ones(S - 1), np.ones((S, 1))):
        with pytest.raises(ValueError, match="losses"):
            find_algorithms(p, losses=bad, max_clusters=2, n_init=1)
    with pytest.raises(ValueError, match="max_clusters"):
        find_algorithms(p, max_clusters=0)
    with pytest.raises(ValueError, match=r"\(S, 7\)"):
        find_algorithms(p[:, :6])
    with pytest.raises(ValueError, match="at least 2"):
        find_algorithms(p[:1])


# --------------------------------------------------------------------------- descriptions


def test_cluster_losses_by_hand():
    losses = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 5.0])
    cl = cluster_losses(losses, np.array([0, 0, 0, 1, 1, 3]))
    np.testing.assert_array_equal(cl.counts, [3, 2, 0, 1])
    np.testing.assert_allclose(cl.median[[0, 1, 3]], [2.0, 15.0, 5.0])
    np.testing.assert_allclose(cl.q25[[0, 1]], [1.5, 12.5])
    np.testing.assert_allclose(cl.q75[[0, 1]], [2.5, 17.5])
    assert np.isnan(cl.median[2]) and np.isnan(cl.q25[2])
    with pytest.raises(ValueError, match="labels"):
        cluster_losses(losses, np.array([0, 1]))
    with pytest.raises(ValueError, match="positive"):
        cluster_losses(-losses, np.zeros(6, dtype=int))


def test_neuron_regimes_by_hand():
    x = np.linspace(-2, 2, 101)
    # neuron 1 / neuron 2: (w=0, b=-10) off / (w=0, b=10) linear; (w=1, b=0) nonlinear / (w=4, b=0)
    p = np.array([[0.0, 0.0, -10.0, 10.0, 1.0, 1.0, 0.0], [1.0, 4.0, 0.0, 0.0, 1.0, 1.0, 0.0]])
    r = neuron_regimes(p, x)
    np.testing.assert_array_equal(r.saturating[0], [1.0, 0.0])
    np.testing.assert_array_equal(r.linear[0], [0.0, 1.0])
    assert r.nonlinear[1, 0] == 1.0
    np.testing.assert_allclose(r.z_min[1], [-2.0, -8.0])
    np.testing.assert_allclose(r.z_max[1], [2.0, 8.0])
    # w = 4: z = 4x is below -3 for x < -0.75, above 3 for x > 0.75
    n_sat, n_lin = np.sum(4 * x < -3), np.sum(4 * x > 3)
    np.testing.assert_allclose([r.saturating[1, 1], r.linear[1, 1]], [n_sat / 101, n_lin / 101])
    np.testing.assert_allclose(r.saturating + r.nonlinear + r.linear, 1.0)
    with pytest.raises(ValueError, match=r"\(P,\)"):
        neuron_regimes(p, x[:, None])


def test_silu_edges_match_the_documented_bounds():
    z = np.linspace(3.0, 60.0, 20001)
    assert np.abs(silu(-z)).max() == pytest.approx(0.1423, abs=1e-4)
    assert np.abs(silu(z) - z).max() == pytest.approx(0.1423, abs=1e-4)


def test_describe_regime():
    assert describe_regime(1.0, 0.0, 0.0) == "saturating"
    assert describe_regime(0.1, 0.8, 0.1) == "nonlinear"
    assert describe_regime(0.0, 0.2, 0.8) == "linear"
    assert describe_regime(0.0, 0.45, 0.55) == "nonlinear + linear"
    assert describe_regime(0.5, 0.4, 0.1) == "saturating + nonlinear"
    assert describe_regime(0.4, 0.2, 0.4) == "saturating + linear"
    with pytest.raises(ValueError, match="fractions"):
        describe_regime(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="fractions"):
        describe_regime(-0.1, 0.5, 0.6)


def test_representative():
    p = np.zeros((5, 7))
    p[:, 0] = [0.0, 1.0, 2.0, 10.0, 11.0]
    labels = np.array([0, 0, 0, 1, 1])
    assert representative(p, labels, 0) == 1  # nearest to the median 1.0
    assert representative(p, labels, 1) in (3, 4)
    with pytest.raises(ValueError, match="empty"):
        representative(p, labels, 2)


def test_order_neurons_puts_the_larger_bias_first():
    p, _, _ = planted()
    x = np.linspace(-2, 2, 41)
    q = order_neurons(p)
    assert np.all(q[:, 2] >= q[:, 3])
    np.testing.assert_allclose(net(q, x), net(p, x), atol=1e-12)
    np.testing.assert_array_equal(order_neurons(q), q)
    np.testing.assert_array_equal(order_neurons(p[:, SWAP]), q)  # mirror halves become one
    np.testing.assert_array_equal(p, planted()[0])  # input not mutated


@pytest.mark.parametrize("space", ["params", "pca"])
def test_silhouette_criterion_finds_the_planted_clusters(space):
    p, cluster, algorithm = planted()
    a = find_algorithms(p, space=space, criterion="silhouette", max_clusters=8, n_init=2)
    assert a.criterion == "silhouette" and a.space == space
    assert a.candidates[0] == 2 and a.scores.argmax() == list(a.candidates).index(a.n_clusters)
    if space == "params":  # in 7-D every planted blob is its own cluster
        assert a.n_clusters == 5 and a.n_algorithms == 3
    assert a.twin_agreement > 0.95
    orbit_of = {k: i for i, orbit in enumerate(a.orbits) for k in orbit}
    assert adjusted_rand_score(algorithm, [orbit_of[k] for k in a.labels]) > 0.9


def test_unknown_space_and_criterion_raise():
    p, *_ = planted()
    with pytest.raises(ValueError, match="unknown space"):
        find_algorithms(p, space="umap")
    with pytest.raises(ValueError, match="unknown criterion"):
        find_algorithms(p, criterion="aic")
