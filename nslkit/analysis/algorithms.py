"""Algorithms of width-2 networks: clusters of parameter vectors, counted modulo the neuron swap.

Appendix B of the paper trains many width-2 SiLU networks f(x) = v1 σ(w1 x + b1) +
v2 σ(w2 x + b2) + c on x², lays each out as the 7-vector (w1, w2, b1, b2, v1, v2, c) in raw
neuron order, and runs PCA on these vectors (:func:`parameter_pca`). It sees 6 clusters that
are mirror images about PC1 and reads them as 4 "algorithms": swapping the two neurons,
(w1, w2, b1, b2, v1, v2, c) → (w2, w1, b2, b1, v2, v1, c) (:data:`SWAP`), leaves f unchanged,
so a cluster either maps to itself (a symmetric algorithm) or to a mirror cluster (the two
halves of one asymmetric algorithm).

:func:`find_algorithms` measures this instead of counting by eye: a Gaussian mixture fitted on
robustly scaled parameters; each network's
swapped twin is assigned by the same model, and clusters whose twins land in each other are
merged into one algorithm (an orbit of the swap). The number of components is picked by the
mean silhouette by default, or by BIC (``criterion``); the book shows both. :func:`cluster_losses`,
:func:`neuron_regimes`, :func:`describe_regime`, :func:`representative` and
:func:`order_neurons` describe what each algorithm does.

Shapes: S networks, P input points, K clusters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

from ..checks import choice, integer
from .peaks import check_losses
from .width2 import PARAM_NAMES, SWAP, as_params7, order, stack7

__all__ = [
    "LINEAR_EDGE", "PARAM_NAMES", "SATURATING_EDGE", "SWAP",
    "Algorithms", "ClusterLosses", "NeuronRegimes", "ParameterPCA",
    "algorithm_table", "cluster_losses", "describe_regime", "find_algorithms", "neuron_regimes",
    "order_neurons", "parameter_pca", "params7", "representative",
]

# SWAP and PARAM_NAMES are the seven-vector's (.width2), named here too for the algorithm figures
_TYPES = ((0, 1), (2, 3), (4, 5), (6,))  # columns of w, b, v, c: one scale per parameter type
_CLIP = 10.0  # robust scales beyond which a network is an outlier, and features are clipped

# Parts of SiLU σ(z) = z·expit(z), checked numerically: for z < −3, |σ(z)| ≤ 0.142 and
# |σ'(z)| ≤ 0.088 (the neuron is nearly off); for z > 3, |σ(z) − z| ≤ 0.142 and
# |σ'(z) − 1| ≤ 0.088 (nearly the identity). In between lies the curved part, with the
# minimum σ(−1.278) = −0.278.
SATURATING_EDGE = 3.0
LINEAR_EDGE = 3.0


def _as_p7(p7) -> np.ndarray:
    """``p7`` as a finite float64 (S, 7) array, S ≥ 1."""
    return as_params7(p7, "p7", single=False, finite=True)


def _as_labels(labels, S: int) -> np.ndarray:
    """``labels`` as a non-negative int (S,) array."""
    lab = np.asarray(labels)
    if lab.shape != (S,) or not (np.issubdtype(lab.dtype, np.integer) and np.all(lab >= 0)):
        raise ValueError(f"labels must be a non-negative integer array of shape ({S},); got {lab.dtype} {lab.shape}")
    return lab.astype(int)


def params7(w, b, v, c) -> np.ndarray:
    """Width-2, 1-D-input networks as 7-vectors (w1, w2, b1, b2, v1, v2, c), raw neuron order.

    Unlike :func:`nslkit.symmetry.canonical_pairs` the neurons are NOT reordered: the mirror
    clusters of Appendix B only exist in raw order.

    Args:
        w, b, v, c: (S, 2, 1) or (S, 2), (S, 2), (S, 2) and (S,), the layout of ``Results``.

    Returns:
        float64 (S, 7).

    Raises:
        ValueError: unless N = 2, D = 1 and all S agree.
    """
    return stack7(w, b, v, c, "params7")


@dataclass(frozen=True, eq=False)
class ParameterPCA:
    """Result of :func:`parameter_pca`.

    Attributes:
        mean: (7,) mean of the 7-vectors.
        components: (k, 7) principal axes, by decreasing variance.
        explained_variance_ratio: (k,) fraction of the total variance along each axis.
        scores: (S, k) the networks in PC coordinates.
        twin_scores: (S, k) their swapped twins projected with the same fit (the mirror images).
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    scores: np.ndarray
    twin_scores: np.ndarray


def parameter_pca(p7, n_components: int = 2) -> ParameterPCA:
    """PCA of the raw 7-vectors, as in Appendix B (``sklearn.decomposition.PCA``).

    The twins are projected with the PCA fitted on the networks alone, so a symmetric population
    shows up as a cloud that overlaps its twin cloud.

    Args:
        p7: (S, 7) raw 7-vectors.
        n_components: k, an integer in [1, min(S, 7)] (default 2).
    """
    p = _as_p7(p7)
    kmax = min(p.shape[0], 7)
    n_components = integer(n_components, "n_components (at most min(S, 7))", 1, kmax)
    pca = PCA(n_components=n_components).fit(p)
    return ParameterPCA(
        mean=pca.mean_,
        components=pca.components_,
        explained_variance_ratio=pca.explained_variance_ratio_,
        scores=pca.transform(p),
        twin_scores=pca.transform(p[:, SWAP]),
    )


@dataclass(frozen=True, eq=False)
class Algorithms:
    """Result of :func:`find_algorithms`: clusters of networks, grouped modulo the neuron swap.

    Attributes:
        n_clusters: K, mixture components chosen by the criterion that hold ≥ 1 network.
        criterion: "silhouette" or "bic".
        space: "pca" or "params", the features clustered (see :func:`find_algorithms`).
        candidates: (C,) numbers of components tried, 1..min(max_clusters, S).
        scores: (C,) criterion value per candidate (silhouette: higher is better; BIC: lower).
        labels: (S,) cluster of each network in [0, K): ordered by increasing median loss if
            losses were given, else by decreasing size (ties: by size, then component order).
        twin_labels: (S,) cluster the fitted model assigns to each network's swapped twin.
        twin_map: (K,) the cluster most twins of cluster k's members land in.
        twin_agreement: fraction of networks whose twin lands in twin_map[label].
        symmetric: (K,) bool, twin_map[k] == k (the cluster is its own mirror image).
        orbits: the algorithms: connected components of the graph k — twin_map[k], each a
            sorted tuple of clusters, ordered by smallest member.
        n_algorithms: len(orbits).
        scaled: (S, F) the robustly scaled features, clipped to ±10; the mixture was fitted
            on the rows that are not outliers.
        outliers: (S,) bool, networks with a scaled feature beyond ±10 before clipping: left
            out of the fit, then labelled like the others.
    """

    n_clusters: int
    criterion: str
    space: str
    candidates: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    twin_labels: np.ndarray
    twin_map: np.ndarray
    twin_agreement: float
    symmetric: np.ndarray
    orbits: tuple[tuple[int, ...], ...]
    n_algorithms: int
    scaled: np.ndarray
    outliers: np.ndarray


def _standardise(p: np.ndarray) -> np.ndarray:
    """Per parameter type: (p − pooled median) / (pooled IQR/1.349, else pooled std, else 1)."""
    out = np.empty_like(p)
    for cols in _TYPES:
        pooled = p[:, cols].ravel()  # both neurons' columns share one centre and scale
        q25, med, q75 = np.percentile(pooled, [25, 50, 75])
        scale = (q75 - q25) / 1.349 or float(np.std(pooled)) or 1.0
        out[:, cols] = (p[:, cols] - med) / scale
    return out


def _robust_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the median, and the IQR/1.349 (else the std, else 1)."""
    q25, med, q75 = np.percentile(x, [25, 50, 75], axis=0)  # (k,) each
    scale = (q75 - q25) / 1.349
    scale = np.where(scale > 0, scale, x.std(axis=0))
    return med, np.where(scale > 0, scale, 1.0)


def _orbits(twin_map: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Connected components of the graph with edges k — twin_map[k], sorted, by smallest member."""
    K = twin_map.size
    graph = csr_matrix((np.ones(K), (np.arange(K), twin_map)), shape=(K, K))  # (K, K)
    _, comp = connected_components(graph, directed=False)  # (K,)
    return tuple(sorted(tuple(np.flatnonzero(comp == c).tolist()) for c in np.unique(comp)))


def find_algorithms(p7, losses=None, space: str = "pca", n_components: int = 2, max_clusters: int = 10,
                    criterion: str = "silhouette", random_state: int = 0, n_init: int = 5) -> Algorithms:
    """Cluster width-2 networks and count the algorithms modulo the neuron swap (Appendix B).

    Spaces (``space``):

    - "pca" (default, the paper's Fig. 9): the networks' scores on the first ``n_components``
      principal components of the raw 7-vectors (:func:`parameter_pca`); the twins are the
      swapped networks projected with the same fit. Each score column is centred on its median
      and divided by its IQR/1.349 (a robust std; the std, then 1, if 0), and the twins get the
      same transformation. In this plane the sign of w hardly shows (the leading components
      are made of b, v and c), so the mirror images x → −x of a solution, which fit the even
      target x² equally well, fall together, as they do in the paper's figure.
    - "params": the 7-vectors themselves. Per parameter type (w: w1, w2; b: b1, b2; v: v1, v2;
      c) subtract the median pooled over both neurons and divide by the pooled robust std.
      Pooling makes the scaling commute with the swap, so a twin's features are the network's
      features permuted by :data:`SWAP`. Here a solution and its mirror image x → −x are
      different clusters.

    Outliers: a network with any feature beyond ±10 robust scales is left out of the fit. A
    few networks with very large parameters would otherwise each claim a component: a
    component on one point has a near-singular covariance and a huge likelihood, which BIC
    rewards, and clipping alone does not prevent this. Features are then clipped to ±10 and
    the outliers labelled by the fitted model, so their labels stay bounded.

    Model: ``GaussianMixture(k, covariance_type="full", reg_covar=1e-6)`` for each candidate
    k; the criterion picks one:

    - "silhouette" (default): k = 2 .. min(max_clusters, inliers - 1), the highest mean
      silhouette (sklearn.metrics.silhouette_score) of the mixture's hard labels: compact,
      well-separated clusters. On our 1000 width-2 networks BIC keeps falling up to any cap
      we tried (12), splitting the elongated clusters into Gaussian pieces; the silhouette
      has a clear maximum.
    - "bic": k = 1 .. min(max_clusters, inliers), the lowest BIC.

    Its components that hold no network are dropped, and networks and twins go to the most
    probable remaining component. Clusters k and twin_map[k] (where most twins of k land) are one
    algorithm.

    Args:
        p7: (S, 7) raw 7-vectors (:func:`params7`), S ≥ 2.
        losses: optional (S,) finite positive losses, used only to number the clusters.
        space: "pca" or "params", as above.
        n_components: principal components kept in the "pca" space (default 2, as Fig. 9).
        max_clusters: largest number of components tried, integer ≥ 1 (default 10).
        criterion: "silhouette" or "bic", as above.
        random_state, n_init: passed to ``GaussianMixture`` (defaults 0 and 5).

    Returns:
        :class:`Algorithms`.
    """
    p = _as_p7(p7)
    S = p.shape[0]
    if S < 2:
        raise ValueError(f"find_algorithms needs at least 2 networks; got S = {S}")
    if losses is not None:
        losses = check_losses(losses)
        if losses.shape != (S,):
            raise ValueError(f"losses must have shape ({S},) to match p7; got {losses.shape}")
    max_clusters = integer(max_clusters, "max_clusters")
    choice(criterion, "criterion", ("silhouette", "bic"))
    z, z_twin = _features(p, space, n_components)
    outliers = np.any(np.abs(z) > _CLIP, axis=1)  # (S,)
    x = np.clip(z, -_CLIP, _CLIP)  # (S, k)
    if int((~outliers).sum()) < 2:
        raise ValueError(f"need at least 2 networks within ±{_CLIP} robust scales; got {int((~outliers).sum())} of {S}")
    candidates, scores, best = _fit_mixtures(x[~outliers], criterion, max_clusters, random_state, n_init)
    labels, twin_labels = _numbered_clusters(best, x, np.clip(z_twin, -_CLIP, _CLIP), losses)
    K = int(labels.max()) + 1
    twin_map = np.array([np.bincount(twin_labels[labels == j], minlength=K).argmax() for j in range(K)])
    orbits = _orbits(twin_map)
    return Algorithms(
        n_clusters=K,
        criterion=criterion,
        space=space,
        candidates=candidates,
        scores=scores,
        labels=labels,
        twin_labels=twin_labels,
        twin_map=twin_map,
        twin_agreement=float(np.mean(twin_labels == twin_map[labels])),
        symmetric=twin_map == np.arange(K),
        orbits=orbits,
        n_algorithms=len(orbits),
        scaled=x,
        outliers=outliers,
    )


def _features(p: np.ndarray, space: str, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """The networks' and their twins' robustly scaled features in ``space`` (find_algorithms)."""
    if space == "params":
        z = _standardise(p)  # (S, 7)
        return z, z[:, SWAP]
    if space == "pca":
        pca = parameter_pca(p, n_components)
        centre, scale = _robust_columns(pca.scores)
        return (pca.scores - centre) / scale, (pca.twin_scores - centre) / scale  # (S, k) each
    raise ValueError(f"unknown space {space!r}; valid spaces: 'pca', 'params'")


def _fit_mixtures(fit_x: np.ndarray, criterion: str, max_clusters: int, random_state: int,
                  n_init: int) -> tuple[np.ndarray, np.ndarray, GaussianMixture]:
    """(candidate k, their criterion scores, the chosen mixture) fitted on the inliers fit_x (n, k)."""
    n = fit_x.shape[0]
    if criterion == "bic":
        candidates = np.arange(1, min(max_clusters, n) + 1)
    else:
        if n < 3 or max_clusters < 2:
            raise ValueError("the silhouette criterion needs max_clusters ≥ 2 and at least 3 inlying networks")
        candidates = np.arange(2, min(max_clusters, n - 1) + 1)
    models, scores = [], []
    for k in candidates:
        gm = GaussianMixture(int(k), covariance_type="full", random_state=random_state, n_init=n_init, reg_covar=1e-6)
        models.append(gm.fit(fit_x))
        if criterion == "bic":
            scores.append(gm.bic(fit_x))
        else:
            hard = gm.predict(fit_x)
            scores.append(silhouette_score(fit_x, hard) if np.unique(hard).size > 1 else -1.0)
    best = models[int(np.argmin(scores) if criterion == "bic" else np.argmax(scores))]
    return candidates, np.asarray(scores, dtype=np.float64), best


def _numbered_clusters(model: GaussianMixture, x: np.ndarray, x_twin: np.ndarray,
                       losses: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Labels (S,) of the networks and of their twins under ``model``, empty components dropped,
    clusters numbered by median loss (else by size), then size, then component order."""
    resp, twin_resp = model.predict_proba(x), model.predict_proba(x_twin)  # (S, k) each
    used = np.flatnonzero(np.bincount(resp.argmax(1), minlength=resp.shape[1]))  # occupied components
    raw, raw_twin = resp[:, used].argmax(1), twin_resp[:, used].argmax(1)  # (S,) in [0, K)
    K = used.size
    sizes = np.bincount(raw, minlength=K)
    if losses is None:
        order_ = np.lexsort((np.arange(K), -sizes))
    else:
        medians = np.array([np.median(losses[raw == j]) for j in range(K)])
        order_ = np.lexsort((np.arange(K), -sizes, medians))
    new = np.empty(K, dtype=int)
    new[order_] = np.arange(K)  # old component → new cluster number
    return new[raw], new[raw_twin]


@dataclass(frozen=True, eq=False)
class ClusterLosses:
    """Result of :func:`cluster_losses`: (K,) arrays; NaN statistics for an empty cluster.

    Attributes:
        counts: networks per cluster.
        median, q25, q75: median and quartiles of each cluster's losses.
    """

    counts: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray


def cluster_losses(losses, labels) -> ClusterLosses:
    """Loss statistics per cluster.

    Args:
        losses: (S,) finite positive.
        labels: (S,) ints in [0, K), K = max + 1.
    """
    x = check_losses(losses)
    lab = _as_labels(labels, x.size)
    K = int(lab.max()) + 1
    q = np.full((3, K), np.nan)  # rows: q25, median, q75
    for k in range(K):
        if np.any(lab == k):
            q[:, k] = np.percentile(x[lab == k], [25, 50, 75])
    return ClusterLosses(counts=np.bincount(lab, minlength=K), median=q[1], q25=q[0], q75=q[2])


@dataclass(frozen=True, eq=False)
class NeuronRegimes:
    """Result of :func:`neuron_regimes`: (S, 2) arrays, one column per neuron (raw order).

    Attributes:
        z_min, z_max: range of the pre-activation z = w x + b over the x points.
        saturating: fraction of points with z < −SATURATING_EDGE (σ ≈ 0).
        nonlinear: fraction with −SATURATING_EDGE ≤ z ≤ LINEAR_EDGE (the curved part).
        linear: fraction with z > LINEAR_EDGE (σ(z) ≈ z).
    """

    z_min: np.ndarray
    z_max: np.ndarray
    saturating: np.ndarray
    nonlinear: np.ndarray
    linear: np.ndarray


def neuron_regimes(p7, x) -> NeuronRegimes:
    """Which part of SiLU each neuron uses on the inputs.

    Args:
        p7: (S, 7) networks.
        x: (P,) inputs, P ≥ 1.
    """
    p = _as_p7(p7)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be a non-empty finite (P,) array; got shape {x.shape}")
    z = p[:, 0:2, None] * x + p[:, 2:4, None]  # (S, 2, P)
    sat, lin = z < -SATURATING_EDGE, z > LINEAR_EDGE  # (S, 2, P)
    return NeuronRegimes(
        z_min=z.min(axis=2),
        z_max=z.max(axis=2),
        saturating=sat.mean(axis=2),
        nonlinear=(~sat & ~lin).mean(axis=2),
        linear=lin.mean(axis=2),
    )


def describe_regime(saturating: float, nonlinear: float, linear: float) -> str:
    """A short label for one neuron from its three fractions (e.g. medians over a cluster).

    The part holding ≥ 2/3 of the total, else the two largest parts joined by " + " in the
    order along the z axis (e.g. "saturating + nonlinear", "nonlinear + linear").

    Args:
        saturating, nonlinear, linear: the fractions, finite, ≥ 0 and not all 0.
    """
    f = np.array([saturating, nonlinear, linear], dtype=np.float64)
    if not (np.all(np.isfinite(f)) and np.all(f >= 0) and f.sum() > 0):
        raise ValueError(f"fractions must be finite, ≥ 0 and not all 0; got {tuple(f.tolist())}")
    names = ("saturating", "nonlinear", "linear")
    f = f / f.sum()
    if f.max() >= 2 / 3:
        return names[int(f.argmax())]
    top = sorted(np.argsort(-f, kind="stable")[:2])
    return " + ".join(names[i] for i in top)


def representative(p7, labels, k: int) -> int:
    """Index of the member of cluster k nearest to the cluster's coordinate-wise median.

    Args:
        p7: (S, 7) raw parameters, in which the distance is Euclidean.
        labels: (S,) ints.
        k: the cluster.

    Raises:
        ValueError: if no network is in cluster k.
    """
    p = _as_p7(p7)
    lab = _as_labels(labels, p.shape[0])
    members = np.flatnonzero(lab == k)
    if members.size == 0:
        raise ValueError(f"cluster {k!r} is empty; labels hold clusters {sorted(set(lab.tolist()))}")
    d = np.linalg.norm(p[members] - np.median(p[members], axis=0), axis=1)  # (n_k,)
    return int(members[np.argmin(d)])


def order_neurons(p7) -> np.ndarray:
    """(S, 7) with neuron 1 the one of larger mean pre-activation over x in [−2, 2], i.e. b1 ≥ b2.

    The mean of w x over a symmetric domain is 0, so the mean pre-activation is b. Used to
    describe the two mirror halves of an asymmetric algorithm the same way.

    Args:
        p7: (S, 7) or (7,) seven-vectors.
    """
    return order(_as_p7(p7), "b")


def algorithm_table(p7, labels, losses: ClusterLosses, orbits: Sequence[Sequence[int]], x) -> list[dict[str, Any]]:
    """One row per algorithm (an orbit of clusters), by median loss: its clusters, whether it is
    symmetric, its networks and median loss, and each neuron's median pre-activation range and
    part of SiLU on the inputs x (P,), neurons ordered by bias, larger first (:func:`order_neurons`).

    ``representative`` is the index of the orbit's first cluster's :func:`representative` network.

    Args:
        p7: (S, 7) raw seven-vectors.
        labels: (S,) their clusters.
        losses: from :func:`cluster_losses`.
        orbits: from :class:`Algorithms` (or a subset of them).
        x: (P,) inputs.
    """
    lab = _as_labels(labels, _as_p7(p7).shape[0])
    reg = neuron_regimes(order_neurons(p7), x)
    rows = []
    for orbit in sorted(orbits, key=lambda o: min(losses.median[k] for k in o)):
        m = lab == orbit[0]
        parts = [describe_regime(*(float(np.median(f[m, i])) for f in (reg.saturating, reg.nonlinear, reg.linear)))
                 for i in range(2)]
        rows.append({"clusters": tuple(orbit), "symmetric": len(orbit) == 1,
                     "networks": int(sum(losses.counts[k] for k in orbit)),
                     "median MSE": float(np.median([losses.median[k] for k in orbit])),
                     "z range 1": (float(np.median(reg.z_min[m, 0])), float(np.median(reg.z_max[m, 0]))),
                     "z range 2": (float(np.median(reg.z_min[m, 1])), float(np.median(reg.z_max[m, 1]))),
                     "neuron 1": parts[0], "neuron 2": parts[1], "representative": representative(p7, lab, orbit[0])})
    return rows
