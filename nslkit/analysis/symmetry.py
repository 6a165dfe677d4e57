"""Symmetries of trained networks: mirror-symmetric wide layers and symmetric lottery tickets.

Two analyses of the model f(x) = Σ_i v_i σ(w_i·x + b_i) + c (Eq. 1), on plain numpy arrays:

* **Mirror symmetry** (claim C5, Fig. 2a): are the first-layer neurons (w_i, b_i) of a wide
  network distributed symmetrically under w → −w? :func:`mirror_test` is a sign-flip
  permutation test on the energy distance (:func:`energy_distance`) between the point set and
  its reflection; :func:`nearest_mirror_ratio` is a quick geometric check.
* **Width-2 lottery tickets** (claims C7, C8; Fig. 2c, Eqs. 2-4): :func:`canonical_pairs`
  removes the neuron-permutation symmetry and lays each network out as the paper's 7-vector
  (w1, w2, b1, b2, v1, v2, c); :func:`pair_asymmetry` measures how far a pair is from
  w1 = −w2, b1 = b2, v1 = v2; :func:`taylor_conditions` evaluates the Taylor coefficients of
  Eq. 4; :func:`ticket_summary` and :func:`match_ticket` compare with the published ticket.

Shapes: S networks, N hidden units, D input dimension; a point cloud is (n, d).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..activations import ACTIVATIONS, SMOOTH_ACTIVATIONS, silu_derivatives
from ..checks import integer
from .width2 import as_params7, order, stack7

__all__ = [
    "MirrorTest",
    "PairAsymmetry",
    "TaylorConditions",
    "energy_distance",
    "mirror_test",
    "nearest_mirror_ratio",
    "canonical_pairs",
    "pair_asymmetry",
    "taylor_conditions",
    "ticket_summary",
    "match_ticket",
]

# --------------------------------------------------------------------------- mirror symmetry


@dataclass(frozen=True)
class MirrorTest:
    """Result of :func:`mirror_test` (claim C5).

    Attributes:
        statistic: energy distance between the points P and their reflection flip(P).
        null_median: median of the sign-flip null distribution.
        null_q95: its 95th percentile.
        pvalue: (1 + #{null ≥ statistic}) / (1 + n_perm).
        n_points: points used (after subsampling to max_points).
        flip: the reflection, one ±1 factor per coordinate.
    """

    statistic: float
    null_median: float
    null_q95: float
    pvalue: float
    n_points: int
    flip: tuple


def _as_points(x, name: str) -> np.ndarray:
    """A float64 (n, d) point cloud; 1-D input is read as (n, 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (n, d) array; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains non-finite values")
    return x


def _subsample(x: np.ndarray, max_points: int, rng: np.random.Generator) -> np.ndarray:
    """At most max_points rows of x, drawn without replacement."""
    if x.shape[0] <= max_points:
        return x
    return x[np.sort(rng.choice(x.shape[0], size=max_points, replace=False))]


def _as_flip(flip, d: int) -> np.ndarray:
    """The reflection as a (d,) array of ±1 with at least one −1."""
    f = np.asarray(flip, dtype=np.float64).reshape(-1)
    if f.shape != (d,) or not np.all(np.isin(f, (-1.0, 1.0))) or not np.any(f == -1.0):
        raise ValueError(
            f"flip must hold {d} factors, each -1.0 or 1.0, at least one -1.0 "
            f"(e.g. (-1.0, 1.0) for w → −w); got {tuple(np.asarray(flip).reshape(-1).tolist())}"
        )
    return f


def energy_distance(a, b, max_points: int = 2000, rng=0) -> float:
    """Multivariate energy distance (Székely) between two point clouds.

    E = 2·mean‖a_i − b_j‖ − mean‖a_i − a_j‖ − mean‖b_i − b_j‖, in the V-statistic form: every
    mean runs over all pairs, the i = j zeros included, so E ≥ 0 and E = 0 for identical clouds.
    Serves C5 (Fig. 2a) through :func:`mirror_test`.

    Args:
        a, b: (n, d) and (m, d) point clouds; 1-D input is read as (n, 1).
        max_points: each cloud is first subsampled without replacement to at most this many
            rows, so that memory stays O(max_points²) (default 2000).
        rng: int seed or numpy Generator of the subsample (default 0).
    """
    max_points = integer(max_points, "max_points", minimum=2)
    a, b = _as_points(a, "a"), _as_points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same dimension d; got {a.shape[1]} and {b.shape[1]}")
    rng = np.random.default_rng(rng)
    a, b = _subsample(a, max_points, rng), _subsample(b, max_points, rng)
    return float(2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean())


def mirror_test(points, flip=(-1.0, 1.0), n_perm: int = 200, max_points: int = 2000, rng=0) -> MirrorTest:
    """Is the distribution of a point cloud symmetric under the reflection P → P·flip?

    Claim C5 (Fig. 2a): for the first layer of a wide network, points = (w_i, b_i) (n = N,
    d = 2) and the default flip = (-1.0, 1.0) is w → −w with b unchanged.

    Statistic: E(P, flip(P)), the energy distance (:func:`energy_distance`). Null: the
    sign-flip permutation test: reflect each point independently with probability 1/2 to get
    P' and compute E(P', flip(P')); under the symmetric null p_i and flip(p_i) are equally
    likely, so P and flip(P) are exchangeable point by point. Since the flip F is an isometry
    and an involution, with t_i = ±1 the reflection signs, E(P', F P') = (2/n²) tᵀ K t with
    K_ij = ‖p_i − F p_j‖ − ‖p_i − p_j‖, so one (n, n) matrix serves the statistic (t = 1) and
    all the null draws.

    Args:
        points: (n, d) point cloud.
        flip: the reflection, one factor -1.0 or 1.0 per coordinate, at least one -1.0.
        n_perm: null draws (default 200).
        max_points: P is subsampled to at most this many rows first (default 2000).
        rng: int seed or numpy Generator of the subsample and the signs (default 0).

    Returns:
        :class:`MirrorTest`.

    Example:
        A cloud symmetric under w → −w, and one that is not:

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> w, b = rng.normal(size=300), rng.normal(size=300)
        >>> mirror_test(np.c_[np.r_[w, -w], np.r_[b, b]]).pvalue > 0.05
        True
        >>> mirror_test(np.c_[np.abs(w) + 0.5, b]).pvalue < 0.01
        True
    """
    max_points = integer(max_points, "max_points", minimum=2)
    n_perm = integer(n_perm, "n_perm")
    p = _as_points(points, "points")
    f = _as_flip(flip, p.shape[1])
    rng = np.random.default_rng(rng)
    p = _subsample(p, max_points, rng)
    n = p.shape[0]
    k = cdist(p, p * f) - cdist(p, p)  # (n, n)
    statistic = 2.0 * k.sum() / n**2
    t = rng.choice((-1.0, 1.0), size=(int(n_perm), n))  # (n_perm, n)
    null = 2.0 * np.einsum("rn,rn->r", t @ k, t) / n**2  # (n_perm,)
    return MirrorTest(
        statistic=float(statistic),
        null_median=float(np.median(null)),
        null_q95=float(np.quantile(null, 0.95)),
        pvalue=float((1 + np.count_nonzero(null >= statistic)) / (1 + n_perm)),
        n_points=int(n),
        flip=tuple(float(x) for x in f),
    )


def nearest_mirror_ratio(points, flip=(-1.0, 1.0)) -> float:
    """Median distance from each point to its nearest mirror image, over the median
    nearest-neighbour distance within the set (the point itself excluded).

    About 1 for a symmetric cloud, ≫ 1 for an asymmetric one: a quick geometric check of
    claim C5 (Fig. 2a).

    Args:
        points: (n, d), n ≥ 2.
        flip: as for :func:`mirror_test` (default w → −w).

    Raises:
        ValueError: if the median nearest-neighbour distance is 0 (duplicated points).
    """
    p = _as_points(points, "points")
    if p.shape[0] < 2:
        raise ValueError(f"points needs at least 2 rows; got {p.shape[0]}")
    f = _as_flip(flip, p.shape[1])
    tree = cKDTree(p)
    d_within = tree.query(p, k=2)[0][:, 1]  # (n,): column 0 is the point itself
    d_mirror = tree.query(p * f, k=1)[0]  # (n,): ‖F p_i − P‖ = ‖p_i − F P‖
    scale = np.median(d_within)
    if scale == 0:
        raise ValueError("median nearest-neighbour distance within points is 0 (duplicated points)")
    return float(np.median(d_mirror) / scale)


# --------------------------------------------------------------------------- width-2 tickets


@dataclass(frozen=True, eq=False)
class PairAsymmetry:
    """Result of :func:`pair_asymmetry` (claim C7): arrays (S,), each in [0, 1], 0 if symmetric.

    Attributes:
        w: abs(w1 + w2) / (abs(w1) + abs(w2)).
        b: abs(b1 − b2) / (abs(b1) + abs(b2)).
        v: abs(v1 − v2) / (abs(v1) + abs(v2)).
        max: elementwise max of the three.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    max: np.ndarray


@dataclass(frozen=True, eq=False)
class TaylorConditions:
    """Result of :func:`taylor_conditions` (claim C8, Eq. 4): arrays (S,).

    Attributes:
        constant: 2σ(b)v + c (≈ 0 on a ticket).
        relative_constant: abs(constant) / abs(c).
        quadratic: v σ''(b) w² (≈ 1 for y = x²).
        quartic: (1/12) v σ''''(b) w⁴ (the leading error).
    """

    constant: np.ndarray
    relative_constant: np.ndarray
    quadratic: np.ndarray
    quartic: np.ndarray


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0/0 → 0 (and x/0 → inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(num == 0, 0.0, num / den)


def canonical_pairs(w, b, v, c) -> np.ndarray:
    """Width-2, 1-D-input networks as the paper's 7-vectors (w1, w2, b1, b2, v1, v2, c) (Eq. 2).

    The two neurons are ordered so that w1 ≤ w2, which removes the neuron-permutation symmetry
    (the mirror pairs of Fig. 9 / claim C15 become one). Serves C7 (Fig. 2c) and C8.

    Args:
        w, b, v, c: (S, 2, 1) or (S, 2), (S, 2), (S, 2) and (S,), the layout of ``Results``.

    Returns:
        float64 (S, 7).

    Raises:
        ValueError: unless N = 2 and D = 1.
    """
    return order(stack7(w, b, v, c, "canonical_pairs"), "w")


def pair_asymmetry(params7) -> PairAsymmetry:
    """How far each width-2 network is from a symmetric pair w1 = −w2, b1 = b2, v1 = v2 (claim C7,
    Fig. 2c, Eq. 2).

    Args:
        params7: (S, 7) or (7,) as (w1, w2, b1, b2, v1, v2, c); neuron order does not matter.

    Returns:
        :class:`PairAsymmetry` of (S,) arrays in [0, 1]; 0/0 counts as 0.

    Example:
        The published ticket (Eq. 2) is symmetric to 5 digits:

        >>> from nslkit.paper.protocol import PUBLISHED_TICKET
        >>> bool(pair_asymmetry(PUBLISHED_TICKET).max[0] < 1e-5)
        True
    """
    p = as_params7(params7)
    w1, w2, b1, b2, v1, v2, _ = p.T
    aw = _ratio(np.abs(w1 + w2), np.abs(w1) + np.abs(w2))
    ab = _ratio(np.abs(b1 - b2), np.abs(b1) + np.abs(b2))
    av = _ratio(np.abs(v1 - v2), np.abs(v1) + np.abs(v2))
    return PairAsymmetry(w=aw, b=ab, v=av, max=np.maximum(np.maximum(aw, ab), av))


def taylor_conditions(params7, activation: str = "silu", negative_slope: float = 0.01) -> TaylorConditions:
    """Taylor coefficients of a width-2 network read as a symmetric pair (Eqs. 3-4, claim C8).

    With the pair averages w = (w2 − w1)/2, b = (b1 + b2)/2, v = (v1 + v2)/2, the network is
    f(x) ≈ (2σ(b)v + c) + v σ''(b) w² x² + (1/12) v σ''''(b) w⁴ x⁴ + … (Eq. 4; the paper writes
    u for v), and a ticket for y = x² needs constant ≈ 0 and quadratic ≈ 1.

    Args:
        params7: (S, 7) or (7,) as (w1, w2, b1, b2, v1, v2, c).
        activation: must be smooth (default "silu").
        negative_slope: accepted for a uniform signature, unused by SiLU (default 0.01).

    Returns:
        :class:`TaylorConditions` of (S,) arrays.

    Raises:
        ValueError: for "relu" or "leaky_relu", whose σ'' is 0 away from the kink.
    """
    if activation not in SMOOTH_ACTIVATIONS:
        kind = "is not smooth (σ'' = 0 away from its kink)" if activation in ACTIVATIONS else "is unknown"
        raise ValueError(
            f"activation {activation!r} {kind}; Taylor conditions need a smooth activation "
            f"(valid: {', '.join(repr(a) for a in SMOOTH_ACTIVATIONS)})"
        )
    p = as_params7(params7)
    w1, w2, b1, b2, v1, v2, c = p.T
    w, b, v = (w2 - w1) / 2, (b1 + b2) / 2, (v1 + v2) / 2
    sigma, _, d2, d4 = silu_derivatives(b)
    constant = 2 * sigma * v + c
    return TaylorConditions(
        constant=constant,
        relative_constant=_ratio(np.abs(constant), np.abs(c)),
        quadratic=v * d2 * w**2,
        quartic=v * d4 * w**4 / 12,
    )


def ticket_summary(params7) -> np.ndarray:
    """Our "median ticket", to set beside the published one of Eq. 2 (claim C7).

    Args:
        params7: (S, 7) seven-vectors; rows are put in canonical order (w1 ≤ w2) first, so
            non-canonical input gives the same answer.

    Returns:
        The elementwise median (7,).
    """
    return np.median(order(params7, "w"), axis=0)


def match_ticket(params7, reference) -> np.ndarray:
    """Relative distance ‖p − ref‖ / ‖ref‖ of each 7-vector to a reference (claim C7).

    Both are put in canonical order (w1 ≤ w2) first.

    Args:
        params7: (S, 7) seven-vectors.
        reference: one 7-vector, e.g. ``nslkit.protocol.PUBLISHED_TICKET`` (Eq. 2).

    Returns:
        (S,).

    Raises:
        ValueError: if the reference is all zeros or not a single 7-vector.
    """
    p = order(params7, "w")
    ref = as_params7(reference, "reference")
    if ref.shape[0] != 1:
        raise ValueError(f"reference must be a single 7-vector; got shape {np.shape(reference)}")
    ref = order(ref, "w")[0]
    norm = np.linalg.norm(ref)
    if norm == 0:
        raise ValueError("reference must be non-zero; got the zero vector")
    return np.linalg.norm(p - ref, axis=1) / norm
