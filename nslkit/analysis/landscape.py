"""The loss landscape of one-input SiLU networks, as the minimum finder and its checks need it.

The networks are f(x) = Σ_i v_i σ(w_i x + b_i) + c (Eq. 1, SiLU σ), θ = (w, b, v, c) their
M = 3N + 1 parameters, r = f(x) − y their residuals on P points and L = (1/P) Σ_p r_p² the MSE.
Here: θ from and to (w, b, v, c); r and its Jacobian J = ∂r/∂θ (analytic); the change of f
between two nearby networks, accurate where two evaluations of f would cancel; the MSE in
extended precision; the SVD of the column-scaled Jacobian Ĵ = J D⁻¹ (Moré's scaling) that the
finder steps with; the Hessian and its smallest curvature relative to Gauss–Newton's, which tell
a minimum from a saddle; and the parameter norms that tell a minimum from a valley with
diverging weights.

NumPy float64 (extended precision where said), many networks at once: θ (S, 3N + 1), points x
(P,), targets y (P,).
"""
from __future__ import annotations

import numpy as np

from ..activations import silu_derivatives
from ..checks import number

__all__ = ["CARRY", "parameters", "split", "points", "residuals", "residuals_and_jacobian", "change", "mse_long",
           "norms", "scales", "scaled_svd", "hessian", "curvature"]

#: A neuron *carries* the function when |v_i| · (max − min over the points of σ(w_i x + b_i)) is at
#: least this fraction of the largest such amplitude in its network (:func:`norms`).
CARRY = 1e-3
_EPS = np.finfo(np.float64).eps
# a column far smaller than the largest (a neuron with v ≈ 0) is scaled as if this fraction of it,
# so that rounding noise in V does not become a step of size noise / ‖J_j‖
_SCALE_FLOOR = 1e-10


def parameters(w, b, v, c) -> np.ndarray:
    """θ (S, 3N + 1) = (w, b, v, c) of S networks, checked.

    Args:
        w: (S, N) or (S, N, 1) input weights of S networks of width N.
        b: (S, N) biases.
        v: (S, N) output weights.
        c: (S,) output biases.

    Returns:
        A new float64 array.

    Raises:
        ValueError: when the shapes disagree.
    """
    w = np.asarray(w, dtype=np.float64)
    w = w[..., 0] if w.ndim == 3 else w
    b, v, c = (np.asarray(a, dtype=np.float64) for a in (b, v, c))
    if w.ndim != 2 or b.shape != w.shape or v.shape != w.shape or c.shape != w.shape[:1]:
        raise ValueError(f"need w (S, N) or (S, N, 1), b, v (S, N), c (S,); got {np.shape(w)}, {b.shape}, "
                         f"{v.shape}, {c.shape}")
    return np.concatenate([w, b, v, c[:, None]], axis=1)


def split(theta) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(w, b, v (S, N), c (S,)) of θ (S, 3N + 1); ValueError when 3N + 1 does not divide.

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c), N ≥ 1; any array-like, its dtype kept.

    Returns:
        (w, b, v, c), slices of θ (views, not copies).

    Raises:
        ValueError: when θ is not 2-D or its number of columns is not 3N + 1 with N ≥ 1.
    """
    theta = np.asarray(theta)
    if theta.ndim != 2 or (theta.shape[1] - 1) % 3 or theta.shape[1] < 4:
        raise ValueError(f"θ must have shape (S, 3N + 1) with N ≥ 1, got {theta.shape}")
    N = (theta.shape[1] - 1) // 3
    return theta[:, :N], theta[:, N:2 * N], theta[:, 2 * N:3 * N], theta[:, 3 * N]


def points(x, y) -> tuple[np.ndarray, np.ndarray]:
    """x, y (P,) as float64 arrays; ValueError unless they have the same number (≥ 1) of points.

    Args:
        x: the points, any shape (flattened).
        y: the targets, any shape (flattened).

    Returns:
        (x, y), each a float64 array (P,).

    Raises:
        ValueError: unless x and y hold the same number (≥ 1) of values.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y need the same number (≥ 1) of points, got {x.size} and {y.size}")
    return x, y


def residuals(theta, x, y) -> np.ndarray:
    """r (S, P) = f(x) − y of SiLU networks θ (S, 3N + 1) on points x (P,) with targets y (P,).

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c), float64.
        x: (P,) the points, a 1-D array.
        y: (P,) the targets, a 1-D array.

    Returns:
        (S, P) the residuals, in float64.
    """
    w, b, v, c = split(theta)
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    return np.einsum("spn,sn->sp", z * (0.5 * (1.0 + np.tanh(0.5 * z))), v) + c[:, None] - y[None, :]


def mse_long(theta, x, y) -> np.ndarray:
    """(S,) the MSE of networks θ (S, 3N + 1) evaluated in numpy's ``longdouble`` (80-bit on x86-64
    Linux; where it is plain double, the float64 MSE), returned as ``longdouble``.

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c), converted to ``longdouble``.
        x: (P,) the points, any shape (flattened), converted to ``longdouble``.
        y: (P,) the targets, any shape (flattened), converted to ``longdouble``.

    Returns:
        (S,) L = (1/P) Σ_p r_p² of each network, ``longdouble``.
    """
    theta, x, y = (np.asarray(a, dtype=np.longdouble) for a in (theta, x, y))
    w, b, v, c = split(theta)
    z = w[:, None, :] * x.ravel()[None, :, None] + b[:, None, :]  # (S, P, N)
    h = z * (np.longdouble(0.5) * (1 + np.tanh(np.longdouble(0.5) * z)))
    r = np.einsum("spn,sn->sp", h, v) + c[:, None] - y.ravel()[None, :]  # (S, P); einsum keeps longdouble
    return np.mean(r * r, axis=1)


def residuals_and_jacobian(theta, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(r (S, P), J (S, P, 3N + 1)): the residuals and their Jacobian ∂r/∂θ, analytic (Eq. 1).

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c), float64.
        x: (P,) the points, a 1-D array.
        y: (P,) the targets, a 1-D array.

    Returns:
        (r, J), J's columns in θ's order (∂r/∂w_i, ∂r/∂b_i, ∂r/∂v_i, ∂r/∂c).
    """
    w, b, v, c = split(theta)
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    s, d1, *_ = silu_derivatives(z)
    r = np.einsum("spn,sn->sp", s, v) + c[:, None] - y[None, :]  # (S, P)
    db = d1 * v[:, None, :]  # (S, P, N): ∂r/∂b
    return r, np.concatenate([db * x[None, :, None], db, s, np.ones(r.shape + (1,))], axis=2)


def change(theta, trial, x) -> np.ndarray:
    """(S, P) f_θ'(x) − f_θ(x) for networks θ and θ' (S, 3N + 1), accurate relative to the change.

    Subtracting two evaluations of f loses ε₆₄ · (|c| + Σ_i |v_i σ_i|) at each point, which near
    a minimum of networks with large, cancelling terms exceeds the change a step makes. Each
    neuron's change is computed instead as δv σ(z') + v Δσ, with z' − z from the parameters'
    differences and Δσ = Δz s(z') − z s(z') s(−z) expm1(−Δz) (s the logistic sigmoid), so a
    step's effect on the loss is resolved to the rounding of the change itself.

    Args:
        theta: (S, 3N + 1) the networks θ = (w, b, v, c), float64.
        trial: (S, 3N + 1) the networks θ' (a step from θ), of θ's shape.
        x: (P,) the points, a 1-D array.

    Returns:
        (S, P) f_θ'(x) − f_θ(x), in float64.
    """
    w, b, v, c = split(theta)
    w1, b1, v1, c1 = split(trial)
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    dz = (w1 - w)[:, None, :] * x[None, :, None] + (b1 - b)[:, None, :]  # (S, P, N)
    z1 = z + dz
    s1 = 0.5 * (1.0 + np.tanh(0.5 * z1))
    dsig = dz * s1 - z * s1 * (0.5 * (1.0 - np.tanh(0.5 * z))) * np.expm1(-dz)  # σ(z') − σ(z)
    return (np.einsum("spn,sn->sp", z1 * s1, v1 - v) + np.einsum("spn,sn->sp", dsig, v)
            + (c1 - c)[:, None])


def _contributions(theta, x) -> np.ndarray:
    """(S, N) |v_i| · (max − min over the points of σ(w_i x + b_i)): what neuron i adds to f's shape."""
    w, b, v, _ = split(theta)
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    h = z * (0.5 * (1.0 + np.tanh(0.5 * z)))
    return np.abs(v) * (h.max(axis=1) - h.min(axis=1))


def norms(theta, x, carry: float = CARRY) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sizes of SiLU networks that tell a minimum from a valley with diverging weights.

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c).
        x: (P,) the points on which a neuron's contribution is measured.
        carry: neuron i *carries* the function when |v_i| · (max_p σ(w_i x_p + b_i) − min_p σ(…))
            is at least ``carry`` times the largest such amplitude of its network: a neuron that
            adds only a constant (w_i = 0) or nothing (v_i = 0) does not.

    Returns:
        (‖θ‖₂, max_i |v_i|, min |w_i| over the carrying neurons), each (S,); the last is NaN for a
        network whose every neuron adds nothing.
    """
    theta = np.asarray(theta, dtype=np.float64)
    carry = number(carry, "carry", positive=True)
    w, _, v, _ = split(theta)
    amp = _contributions(theta, np.asarray(x, dtype=np.float64).ravel())  # (S, N)
    top = amp.max(axis=1, keepdims=True)
    carries = (amp >= carry * top) & (top > 0)
    w_min = np.where(carries, np.abs(w), np.inf).min(axis=1)
    return np.linalg.norm(theta, axis=1), np.abs(v).max(axis=1), np.where(np.isfinite(w_min), w_min, np.nan)


def _svd(Js) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of a stack (S, P, M); a matrix on which LAPACK's divide and conquer fails gets gesvd."""
    try:
        return np.linalg.svd(Js, full_matrices=False)
    except np.linalg.LinAlgError:
        import scipy.linalg
        out = [scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesvd") for a in Js]
        return tuple(np.stack([o[k] for o in out]) for k in range(3))


def scales(J, D=None) -> np.ndarray:
    """(S, M) Moré's column scales D of J (S, P, M): the largest norm each column has had, floored
    at 1e-10 of the network's largest (1 where J = 0).

    Args:
        J: (S, P, M) the Jacobians ∂r/∂θ of S networks (:func:`residuals_and_jacobian`).
        D: (S, M) the scales so far (this function's previous result), or None at the start.

    Returns:
        (S, M) the new scales, each at least the old one.
    """
    n = np.linalg.norm(J, axis=1)
    n = n if D is None else np.maximum(D, n)
    top = n.max(axis=1, keepdims=True)
    return np.maximum(n, _SCALE_FLOOR * np.where(top > 0, top, 1.0 / _SCALE_FLOOR))


def scaled_svd(J, D) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(U (S, P, K), σ (S, K), Vᵀ (S, K, M)): the thin SVD of the column-scaled Jacobian Ĵ = J D⁻¹,
    K = min(P, M), with the singular values float64 cannot resolve (below max(P, M) · ε₆₄ · σ_max,
    numpy's ``matrix_rank`` rule) set to 0.

    Args:
        J: (S, P, M) the Jacobians ∂r/∂θ of S networks (:func:`residuals_and_jacobian`).
        D: (S, M) their column scales (:func:`scales`).

    Returns:
        (U, σ, Vᵀ), σ in descending order.
    """
    U, s, Vt = _svd(J / D[:, None, :])
    cut = max(J.shape[1], J.shape[2]) * _EPS * s[:, :1]
    return U, np.where(s > cut, s, 0.0), Vt


def _residual_curvature(theta, r, x) -> np.ndarray:
    """(S, M, M) Σ_p r_p ∇²r_p: the part of the Hessian of ½‖r‖² that Gauss–Newton leaves out.
    Each neuron's w_i, b_i, v_i couple only among themselves (∂²f/∂v_i² = 0, and c enters linearly)."""
    w, b, v, _ = split(theta)
    S, N = w.shape
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    _, d1, d2, _ = silu_derivatives(z)
    rx = r[:, :, None] * x[None, :, None]  # (S, P, 1)
    rv2 = r[:, :, None] * d2 * v[:, None, :]  # (S, P, N): r_p v_i σ''
    ww, wb, bb = (np.einsum("spn,sp->sn", rv2, x[None, :] ** k * np.ones_like(r)) for k in (2, 1, 0))
    wv = np.sum(rx * d1, axis=1)  # (S, N)
    bv = np.einsum("spn,sp->sn", d1, r)
    out = np.zeros((S, 3 * N + 1, 3 * N + 1))
    i = np.arange(N)
    for (a, bb_), val in (((0, 0), ww), ((0, 1), wb), ((1, 1), bb), ((0, 2), wv), ((1, 2), bv)):
        out[:, a * N + i, bb_ * N + i] = val
        out[:, bb_ * N + i, a * N + i] = val
    return out


def hessian(theta, x, y) -> np.ndarray:
    """(S, M, M) the Hessian of the MSE, (2/P) (JᵀJ + Σ_p r_p ∇²r_p), analytic (Eq. 1).

    For checks, not for steps: forming JᵀJ squares the Jacobian's condition number (:func:`curvature`
    does not).

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c).
        x: the points (P,), any shape (flattened).
        y: the targets (P,), any shape (flattened).

    Returns:
        (S, M, M) the Hessian of each network, rows and columns in θ's order, M = 3N + 1.
    """
    x, y = points(x, y)
    theta = np.asarray(theta, dtype=np.float64)
    r, J = residuals_and_jacobian(theta, x, y)
    return (2.0 / x.size) * (np.einsum("spm,spn->smn", J, J) + _residual_curvature(theta, r, x))


def curvature(theta, x, y) -> np.ndarray:
    """(S,) the smallest curvature of the MSE relative to its Gauss–Newton part: λ_min(I + Σ⁻¹ Vᵀ Ŝ V Σ⁻¹).

    Ĵ = J D⁻¹ = U Σ Vᵀ is the column-scaled Jacobian (its resolved directions, as in the steps)
    and Ŝ = D⁻¹ (Σ_p r_p ∇²r_p) D⁻¹ the curvature Gauss–Newton leaves out, so the Hessian on the
    resolved directions is V Σ (I + Σ⁻¹VᵀŜVΣ⁻¹) Σ Vᵀ: positive definite exactly when this is > 0.
    At a stationary point, > 0 means a strict local minimum (when J has full column rank, M ≤ P
    and nothing left unresolved), < 0 a saddle with a direction of negative curvature. JᵀJ is not
    formed, so the answer holds to the Jacobian's condition number, not its square.

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c).
        x: the points (P,), any shape (flattened).
        y: the targets (P,), any shape (flattened).

    Returns:
        (S,) the smallest eigenvalue; 1 where Gauss–Newton is exact (zero residuals).
    """
    x, y = points(x, y)
    theta = np.asarray(theta, dtype=np.float64)
    r, J = residuals_and_jacobian(theta, x, y)
    D = scales(J)
    _, s, Vt = scaled_svd(J, D)
    Sh = _residual_curvature(theta, r, x) / D[:, :, None] / D[:, None, :]  # (S, M, M)
    B = np.einsum("skm,smn,sln->skl", Vt, Sh, Vt)  # (S, K, K) = Vᵀ Ŝ V
    out = np.empty(theta.shape[0])
    for k in range(theta.shape[0]):
        keep = s[k] > 0
        inv = 1.0 / s[k, keep]
        A = np.eye(keep.sum()) + inv[:, None] * B[k][np.ix_(keep, keep)] * inv[None, :]
        out[k] = np.linalg.eigvalsh(A)[0]
    return out
