"""Disentangling wide networks into lottery tickets (Appendix C) and distilling them (Appendix D).

For the target y = x², a lottery ticket is a mirror-symmetric pair of neurons (w, b), (−w, b)
of f(x) = Σ_i v_i σ(w_i x + b_i) + c (Eq. 1): σ(wx + b) + σ(−wx + b) is even in x and, for small
w, ≈ 2σ(b) + σ''(b) w² x² (Eq. 4). Appendix C pairs the N neurons of a trained network into N/2
such pairs (:func:`pair_neurons`), scores each pair by R² (:func:`tickets`) and counts the
independent ones from the correlations of their error functions (:func:`error_correlation`,
:func:`effective_rank`); :func:`disentangle` does it for many networks. Appendix D keeps each
network's best pair, refits its last layer (:func:`distil`) and finds extremely ill-conditioned
width-2 networks that resist fine-tuning (:func:`hessian_condition`, :func:`finetune`).

Least squares use :func:`lstsq`, which decides rank after scaling each column to unit norm, so it
keeps the tiny features that numpy's default cutoff drops: the paper's best distilled networks
live exactly there (v ~ 5e12).

Shapes: S networks, N hidden units, K = N/2 pairs, P data points. Width-2 networks are the
7-vectors (w1, w2, b1, b2, v1, v2, c) of Eq. 2 (:mod:`.width2`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch
from scipy.optimize import linear_sum_assignment

from ..activations import activate, check_activation, sigma
from ..checks import integer, number
from .lstsq import lstsq, lstsq_many
from .width2 import as_params7, network_mse

__all__ = [
    "GOOD_R2", "USELESS_R2", "Disentangled", "Distilled", "FineTuned", "Tickets",
    "disentangle", "distil", "effective_rank", "error_correlation", "error_profile", "finetune",
    "hessian_condition", "lstsq", "lstsq_many", "pair_neurons", "pairing_cost", "tickets",
]

#: A pair with R² ≥ GOOD_R2 counts as a lottery ticket (it explains ≥ 99% of Var(y) alone).
GOOD_R2 = 0.99
#: A pair with R² < USELESS_R2 counts as useless (it explains less than half of Var(y)).
USELESS_R2 = 0.5


# --------------------------------------------------------------------------- inputs


def _as_layer(w, b) -> tuple[np.ndarray, np.ndarray]:
    """One network's first layer as float64 w (N,), b (N,); w may be (N, 1)."""
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1 or b.shape != w.shape or w.size == 0:
        raise ValueError(f"need w of shape (N,) or (N, 1) and b of shape (N,); got {np.shape(w)} and {b.shape}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("w and b must be finite")
    return w, b


def _as_batch(w, b, v, c) -> tuple[np.ndarray, ...]:
    """Many networks as float64 w, b, v (S, N) and c (S,); w may be (S, N, 1)."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 3 and w.shape[2] == 1:
        w = w[:, :, 0]
    if w.ndim != 2:
        raise ValueError(f"w must have shape (S, N, 1) or (S, N) (1-D input); got {np.shape(w)}")
    S, N = w.shape
    b, v, c = (np.asarray(a, dtype=np.float64) for a in (b, v, c))
    if b.shape != (S, N) or v.shape != (S, N) or c.shape != (S,) or S == 0:
        raise ValueError(f"need b (S, N), v (S, N), c (S,) with S = {S}, N = {N}, S ≥ 1; got {b.shape}, {v.shape}, {c.shape}")
    return w, b, v, c


def _as_data(x, y, r2: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Training points x (P,), targets y (P,) in float64, finite; for ``r2``, P ≥ 3 and y not constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape or x.size < (3 if r2 else 1):
        raise ValueError(f"need x and y of the same shape (P,) with P ≥ {3 if r2 else 1}; got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    if r2 and np.ptp(y) == 0:
        raise ValueError("y is constant, so R² is undefined")
    return x, y


# --------------------------------------------------------------------------- pairing


def _mirror_cost(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, N) cost (w_i + w_j)² + (b_i − b_j)²: distance² from (w_i, b_i) to the mirror (−w_j, b_j)."""
    return (w[:, None] + w[None, :]) ** 2 + (b[:, None] - b[None, :]) ** 2  # (N, 1) op (1, N)


def _cycles(perm: np.ndarray) -> list[list[int]]:
    """The cycles of the permutation i -> perm[i], each in cycle order."""
    todo, cycles = set(range(perm.size)), []
    while todo:
        cycle = [min(todo)]
        while perm[cycle[-1]] != cycle[0]:
            cycle.append(int(perm[cycle[-1]]))
        todo -= set(cycle)
        cycles.append(cycle)
    return cycles


def _matching(cost: np.ndarray, members: np.ndarray) -> list[tuple[int, int]]:
    """Near-minimum perfect matching of ``members`` (even count) by a repaired cycle cover."""
    sub = cost[np.ix_(members, members)].copy()
    np.fill_diagonal(sub, np.inf)
    price = lambda m: sum(sub[i, j] for i, j in m)  # noqa: E731  (cost of a list of pairs)
    perm = linear_sum_assignment(sub)[1]
    pairs, left = [], []
    for cyc in _cycles(perm):
        n = len(cyc)
        if n % 2 == 0:  # a 2-cycle, or the cheaper of the two alternating matchings of the cycle
            pairs += min(([(cyc[k], cyc[(k + 1) % n]) for k in range(s, n, 2)] for s in (0, 1)), key=price)
        else:  # leave out cyc[k]; pair the path cyc[k+1], ..., cyc[k−1] along the cycle
            options = [[(cyc[(k + t) % n], cyc[(k + t + 1) % n]) for t in range(1, n, 2)] for k in range(n)]
            k = int(np.argmin([price(m) for m in options]))
            pairs += options[k]
            left.append(cyc[k])
    out = [(int(members[i]), int(members[j])) for i, j in pairs]
    return out + (_matching(cost, members[left]) if left else [])


def _two_opt(cost: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Re-pair two pairs (a, b), (c, d) as (a, c), (b, d) or (a, d), (b, c) while that lowers the cost."""
    # Each step takes the largest gain; after it only the two re-paired rows and columns of the gain matrix
    # are recomputed (the numbers a full recomputation gives: the cost is exactly symmetric), O(K) a step.
    K = pairs.shape[0]

    def gain_rows(rows: np.ndarray) -> np.ndarray:  # (R, K): what re-pairing pair r with pair m saves
        a, b = pairs[:, 0], pairs[:, 1]  # (K,) each
        ar, br = a[rows, None], b[rows, None]  # (R, 1) each
        now = cost[ar, br] + cost[a, b][None, :]  # (R, K): pairs r and m as they are
        return now - np.minimum(cost[ar, a] + cost[br, b], cost[ar, b] + cost[br, a])  # (a_r, a_m) or (a_r, b_m)

    gain = gain_rows(np.arange(K))  # (K, K)
    np.fill_diagonal(gain, 0.0)
    for _ in range(K ** 2):  # a safe bound; each accepted swap strictly lowers the cost
        k, m = np.unravel_index(np.argmax(gain), gain.shape)
        (ak, bk), (am, bm) = pairs[k], pairs[m]
        if gain[k, m] <= 1e-12 * (cost[ak, bk] + cost[am, bm]):
            break
        mate = am if cost[ak, am] + cost[bk, bm] <= cost[ak, bm] + cost[bk, am] else bm
        pairs[k], pairs[m] = (ak, mate), (bk, am + bm - mate)
        rows = np.array([k, m])
        gain[rows] = gain_rows(rows)
        gain[:, rows] = gain[rows].T
        gain[rows, rows] = 0.0
    return pairs


def pair_neurons(w, b) -> np.ndarray:
    """Pair the N neurons of one network into N/2 mirror-symmetric pairs (Appendix C).

    Minimises Σ_pairs (w_i + w_j)² + (b_i − b_j)² (:func:`pairing_cost`) over perfect
    matchings. ``scipy.optimize.linear_sum_assignment`` on
    that N × N cost with an infinite diagonal gives a minimum-cost permutation, a cycle cover
    costing at most twice the best matching. If it is an involution (only 2-cycles, the usual
    case for mirror-symmetric neurons) it *is* the best matching, exactly. Otherwise it is
    repaired: an even cycle longer than 2 becomes the cheaper of its two alternating matchings;
    an odd cycle pairs all members but one along the cycle, leaving out the member that makes
    those pairs cheapest; the left-out members are matched among themselves recursively. The
    result, a valid near-optimum, is finally improved by re-pairing two pairs at a time while that
    lowers the cost (2-opt; it never changes an optimum).

    Args:
        w, b: (N,) or (N, 1), and (N,), N even ≥ 2.

    Returns:
        int (N/2, 2), rows (i, j) with i < j, sorted by i.
    """
    w, b = _as_layer(w, b)
    if w.size < 2 or w.size % 2:
        raise ValueError(f"pair_neurons needs an even number N ≥ 2 of neurons; got N = {w.size}")
    cost = _mirror_cost(w, b)
    pairs = _two_opt(cost, np.array(_matching(cost, np.arange(w.size)), dtype=np.int64))
    pairs = np.sort(pairs, axis=1)
    return pairs[np.argsort(pairs[:, 0])]


def _as_pairs(pairs, N: int) -> np.ndarray:
    """pairs as an int (K, 2) array of distinct in-range neuron indices."""
    p = np.asarray(pairs)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0 or not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"pairs must be an integer array of shape (K, 2), K ≥ 1; got {p.dtype} {p.shape}")
    if p.min() < 0 or p.max() >= N or np.any(p[:, 0] == p[:, 1]):
        raise ValueError(f"pairs must hold two different neuron indices in [0, {N}) per row")
    return p.astype(np.int64)


def pairing_cost(w, b, pairs) -> float:
    """Σ over pairs (i, j) of (w_i + w_j)² + (b_i − b_j)², the objective of :func:`pair_neurons`.

    Args:
        w, b: as for :func:`pair_neurons`.
        pairs: int (K, 2) neuron indices.
    """
    w, b = _as_layer(w, b)
    p = _as_pairs(pairs, w.size)
    return float(np.sum(_mirror_cost(w, b)[p[:, 0], p[:, 1]]))


# --------------------------------------------------------------------------- tickets


@dataclass(frozen=True, eq=False)
class Tickets:
    """One network's neuron pairs scored as lottery tickets (see :func:`tickets`).

    Attributes:
        pairs: int (K, 2) neuron indices (i, j).
        r2: (K,) R² of the least-squares fit of y on (1, h_i, h_j), h_i = σ(w_i x + b_i).
        coef: (K, 3) that fit's (intercept, a_i, a_j).
        errors: (K, P) error functions e_k(x) = fit_k(x) − y(x).
        trained_r2: (K,) R² of the pair's trained contribution v_i h_i + v_j h_j after the best
            scale and constant, i.e. its squared Pearson correlation with y (0 if constant).
    """

    pairs: np.ndarray
    r2: np.ndarray
    coef: np.ndarray
    errors: np.ndarray
    trained_r2: np.ndarray


def tickets(w, b, v, c, x, y, activation: str = "silu", negative_slope: float = 0.01, pairs=None) -> Tickets:
    """Score each neuron pair of one network as a lottery ticket for y (Appendix C).

    A pair's R² is that of its best width-2 network with the first layer fixed: the fit of y on
    (1, h_i, h_j) by :func:`lstsq`. This is exactly the fit Appendix D distils with, so the
    distilled network's training MSE is (1 − R²)·Var(y) on the same points (Var with ddof = 0).
    ``trained_r2`` scores what the pair does inside the trained network instead.

    Args:
        w, b, v, c: (N,) or (N, 1), (N,), (N,) and a scalar: one network.
        x, y: (P,) points and targets, P ≥ 3, y not constant.
        activation, negative_slope: σ, "silu" (default), "relu" or "leaky_relu" (slope 0.01).
        pairs: int (K, 2) neuron pairs; default :func:`pair_neurons`.

    Returns:
        :class:`Tickets`.
    """
    w, b = _as_layer(w, b)
    v, c = np.asarray(v, dtype=np.float64), np.asarray(c, dtype=np.float64)
    if v.shape != w.shape or c.shape != ():
        raise ValueError(f"need v of shape (N,) = ({w.size},) and a scalar c; got {v.shape} and {c.shape}")
    x, y = _as_data(x, y)
    pairs = pair_neurons(w, b) if pairs is None else _as_pairs(pairs, w.size)
    h = sigma(w[:, None] * x[None, :] + b[:, None], activation, negative_slope)  # (N, P)
    yc = y - y.mean()
    ss_tot = yc @ yc
    ones = np.ones_like(x)
    design = np.stack([np.broadcast_to(ones, (len(pairs), x.size)), h[pairs[:, 0]], h[pairs[:, 1]]], axis=2)  # (K, P, 3)
    coef = lstsq_many(design, y)  # (K, 3)
    fits = coef[:, :1] + coef[:, 1:2] * h[pairs[:, 0]] + coef[:, 2:3] * h[pairs[:, 1]]  # (K, P)
    errors = fits - y
    g = v[pairs[:, 0], None] * h[pairs[:, 0]] + v[pairs[:, 1], None] * h[pairs[:, 1]]  # (K, P)
    gc = g - g.mean(axis=1, keepdims=True)
    gg = np.einsum("kp,kp->k", gc, gc)  # (K,)
    with np.errstate(divide="ignore", invalid="ignore"):
        trained = np.where(gg > 0, (gc @ yc) ** 2 / (gg * ss_tot), 0.0)
    r2 = 1.0 - np.einsum("kp,kp->k", errors, errors) / ss_tot
    return Tickets(pairs=pairs, r2=r2, coef=coef, errors=errors, trained_r2=trained)


def error_correlation(errors) -> np.ndarray:
    """(K, K) cosine similarities ⟨e_i, e_j⟩ / (‖e_i‖ ‖e_j‖) of error functions (Appendix C).

    Args:
        errors: (K, P) finite; a zero row (a perfect ticket) correlates 0 with the others and 1
            with itself.
    """
    E = np.asarray(errors, dtype=np.float64)
    if E.ndim != 2 or 0 in E.shape or not np.isfinite(E).all():
        raise ValueError(f"errors must be a finite (K, P) array with K, P ≥ 1; got shape {E.shape}")
    norm = np.linalg.norm(E, axis=1)  # (K,)
    U = E / np.where(norm > 0, norm, 1.0)[:, None]  # zero rows stay zero
    C = np.clip(U @ U.T, -1.0, 1.0)  # (K, P) @ (P, K)
    np.fill_diagonal(C, 1.0)
    return C


def effective_rank(matrix) -> float:
    """Participation ratio (Σλ)² / Σλ² of the eigenvalues λ of a symmetric PSD (K, K) matrix.

    Counts independent directions, e.g. independent tickets from :func:`error_correlation`
    (Appendix C): K for the identity, 1 for rank one, always in [1, K]. Negative eigenvalues
    from rounding are clipped to 0.

    Args:
        matrix: (K, K) symmetric positive semi-definite.

    Raises:
        ValueError: unless square and symmetric (to 1e-8 of the largest entry), or all eigenvalues 0.

    Example:
        >>> effective_rank(np.eye(3)), effective_rank(np.ones((3, 3)))
        (3.0, 1.0)
    """
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.size == 0 or not np.isfinite(M).all():
        raise ValueError(f"matrix must be a finite square (K, K) array; got shape {M.shape}")
    if not np.allclose(M, M.T, rtol=0.0, atol=1e-8 * np.abs(M).max()):
        raise ValueError("matrix must be symmetric")
    lam = np.clip(scipy.linalg.eigvalsh(M), 0.0, None)  # (K,)
    if lam.sum() == 0:
        raise ValueError("matrix has no positive eigenvalue; its effective rank is undefined")
    return float(lam.sum() ** 2 / (lam @ lam))


@dataclass(frozen=True, eq=False)
class Disentangled:
    """Tickets of S networks of one width (see :func:`disentangle`); K = N/2.

    Attributes:
        width: N.
        r2: (S, K) each network's pair R², sorted descending per network.
        good_fraction: (S,) fraction of pairs with R² ≥ ``GOOD_R2``.
        useless_fraction: (S,) fraction of pairs with R² < ``USELESS_R2``.
        effective_rank: (S,) :func:`effective_rank` of :func:`error_correlation` over all pairs.
        effective_rank_good: (S,) the same over the pairs with R² ≥ ``GOOD_R2`` (nan if none).
        pair_cost: (S,) :func:`pairing_cost` / Σ_i (w_i² + b_i²): 0 for a perfectly
            mirror-symmetric first layer (0 also when all w, b are 0).
    """

    width: int
    r2: np.ndarray
    good_fraction: np.ndarray
    useless_fraction: np.ndarray
    effective_rank: np.ndarray
    effective_rank_good: np.ndarray
    pair_cost: np.ndarray


def disentangle(w, b, v, c, x, y, activation: str = "silu", negative_slope: float = 0.01) -> Disentangled:
    """Appendix C for S networks: pair, score and count the tickets of each (:func:`tickets`).

    Args:
        w, b, v, c: (S, N, 1) or (S, N), (S, N), (S, N) and (S,), N even.
        x, y, activation, negative_slope: as for :func:`tickets`.
    """
    w, b, v, c = _as_batch(w, b, v, c)
    S, N = w.shape
    r2, er, erg, cost = np.empty((S, N // 2)), np.empty(S), np.full(S, np.nan), np.empty(S)
    for s in range(S):
        t = tickets(w[s], b[s], v[s], c[s], x, y, activation, negative_slope)
        r2[s] = np.sort(t.r2)[::-1]
        er[s] = effective_rank(error_correlation(t.errors))
        good = t.r2 >= GOOD_R2
        if good.any():
            erg[s] = effective_rank(error_correlation(t.errors[good]))
        norm = np.sum(w[s] ** 2 + b[s] ** 2)
        cost[s] = pairing_cost(w[s], b[s], t.pairs) / norm if norm > 0 else 0.0
    return Disentangled(
        width=N,
        r2=r2,
        good_fraction=np.mean(r2 >= GOOD_R2, axis=1),
        useless_fraction=np.mean(r2 < USELESS_R2, axis=1),
        effective_rank=er,
        effective_rank_good=erg,
        pair_cost=cost,
    )


# --------------------------------------------------------------------------- distillation


def error_profile(w, b, v, c, x, y, activation: str = "silu", negative_slope: float = 0.01) -> np.ndarray:
    """Where the tickets err (Fig. 12's bottom row): the median, over the good pairs (R² ≥
    :data:`GOOD_R2`) of S networks, of each pair's abs(e_k(x)) / max abs(e_k); (P,), NaN without one.

    Args:
        w, b, v, c, x, y, activation, negative_slope: as for :func:`disentangle`.
    """
    w, b, v, c = _as_batch(w, b, v, c)
    rows = []
    for s in range(w.shape[0]):
        t = tickets(w[s], b[s], v[s], c[s], x, y, activation, negative_slope)
        e = np.abs(t.errors[t.r2 >= GOOD_R2])  # (K_good, P)
        rows.append(e / np.maximum(e.max(axis=1, keepdims=True), 1e-300))
    x = np.asarray(x, dtype=np.float64)
    return np.median(np.vstack(rows), axis=0) if rows else np.full(x.shape, np.nan)


@dataclass(frozen=True, eq=False)
class Distilled:
    """Width-2 networks distilled from wider ones (see :func:`distil`).

    Attributes:
        params7: (S, 7) (w1, w2, b1, b2, v1, v2, c): neurons pairs[s, 0] and pairs[s, 1] of
            network s with a least-squares last layer.
        train_mse: (S,) their MSE on (x, y), from :func:`network_mse`.
        r2: (S,) the chosen pair's R².
        pairs: int (S, 2) the chosen neuron indices (i < j).
        feature_cond: (S,) 2-norm condition number of the design matrix [h_1, h_2, 1] (P, 3);
            inf where it is singular in float64.
    """

    params7: np.ndarray
    train_mse: np.ndarray
    r2: np.ndarray
    pairs: np.ndarray
    feature_cond: np.ndarray


def distil(w, b, v, c, x, y, activation: str = "silu", negative_slope: float = 0.01) -> Distilled:
    """Appendix D: each network's best pair (highest R², :func:`tickets`) with its last layer
    (v1, v2, c) refit by :func:`lstsq`, as a width-2 network.

    Args:
        w, b, v, c, x, y, activation, negative_slope: as for :func:`disentangle`.

    Returns:
        :class:`Distilled`.
    """
    w, b, v, c = _as_batch(w, b, v, c)
    x, y = _as_data(x, y)
    S = w.shape[0]
    params, r2, pairs, cond = np.empty((S, 7)), np.empty(S), np.empty((S, 2), dtype=np.int64), np.empty(S)
    for s in range(S):
        t = tickets(w[s], b[s], v[s], c[s], x, y, activation, negative_slope)
        k = int(np.argmax(t.r2))
        i, j = t.pairs[k]  # i < j
        pairs[s] = i, j
        params[s] = (w[s, i], w[s, j], b[s, i], b[s, j], t.coef[k, 1], t.coef[k, 2], t.coef[k, 0])
        r2[s] = t.r2[k]
        h = sigma(params[s, 0:2, None] * x + params[s, 2:4, None], activation, negative_slope)  # (2, P)
        cond[s] = np.linalg.cond(np.column_stack([h.T, np.ones_like(x)]), 2)
    return Distilled(params, network_mse(params, x, y, activation, negative_slope), r2, pairs, cond)


def _torch_mse(w, b, v, c, x, y, activation: str, negative_slope: float):
    """MSE (...) of width-2 networks w, b, v (..., 2), c (...) on x, y (P,) tensors."""
    h = activate(w[..., None] * x + b[..., None], activation, negative_slope)  # (..., 2, P)
    f = (v[..., None] * h).sum(-2) + c[..., None]  # (..., P)
    return (f - y).square().mean(-1)


def hessian_condition(params7, x, y, activation: str = "silu", negative_slope: float = 0.01) -> np.ndarray:
    """Condition number max abs(λ) / min abs(λ) (S,) of the 7 × 7 Hessian of each width-2 network's
    MSE with respect to (w1, w2, b1, b2, v1, v2, c), by ``torch.autograd.functional.hessian`` in
    float64, inf if singular: the ill-conditioning that blocks fine-tuning (Appendix D).

    Args:
        params7: (S, 7) or (7,).
        x, y, activation, negative_slope: as for :func:`tickets`.
    """
    p, (x, y) = as_params7(params7), _as_data(x, y, r2=False)
    check_activation(activation)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    loss = lambda q: _torch_mse(q[0:2], q[2:4], q[4:6], q[6], tx, ty, activation, negative_slope)  # noqa: E731
    out = np.empty(p.shape[0])
    for s, row in enumerate(p):
        H = torch.autograd.functional.hessian(loss, torch.tensor(row)).numpy()  # (7, 7)
        lam = np.abs(np.linalg.eigvalsh((H + H.T) / 2))
        out[s] = lam.max() / lam.min() if lam.min() > 0 else np.inf
    return out


@dataclass(frozen=True, eq=False)
class FineTuned:
    """Result of :func:`finetune`: params7 (S, 7) after training, MSE (S,) ``before`` and
    ``after``, and the ``steps`` and ``lr`` used."""

    params7: np.ndarray
    before: np.ndarray
    after: np.ndarray
    steps: int
    lr: float


def finetune(params7, x, y, steps: int = 2000, lr: float = 1e-4, activation: str = "silu", negative_slope: float = 0.01) -> FineTuned:
    """Fine-tune width-2 networks with full-batch Adam (Appendix D: the best distilled networks
    barely move).

    All S networks train at once in float64 with torch's default betas and eps. The objective is
    the *sum* of the networks' MSEs: each network then gets the gradient of its own MSE and, Adam
    being elementwise, trains exactly as it would alone (a mean would rescale eps by S).

    Args:
        params7: (S, 7) or (7,).
        x, y, activation, negative_slope: as for :func:`tickets`.
        steps: Adam steps, ≥ 1 (default 2000).
        lr: learning rate, > 0 (default 1e-4).
    """
    steps, lr = integer(steps, "steps"), number(lr, "lr", positive=True)
    p, (x, y) = as_params7(params7), _as_data(x, y, r2=False)
    before = network_mse(p, x, y, activation, negative_slope)  # also validates activation
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    w, b, v = (torch.tensor(p[:, k : k + 2], requires_grad=True) for k in (0, 2, 4))  # (S, 2) each
    c = torch.tensor(p[:, 6], requires_grad=True)  # (S,)
    opt = torch.optim.Adam([w, b, v, c], lr=float(lr))
    for _ in range(int(steps)):
        opt.zero_grad()
        _torch_mse(w, b, v, c, tx, ty, activation, negative_slope).sum().backward()
        opt.step()
    out = torch.cat([w, b, v, c[:, None]], dim=1).detach().numpy()  # (S, 7)
    return FineTuned(out, before, network_mse(out, x, y, activation, negative_slope), int(steps), float(lr))
