"""Drive SiLU networks to a stationary point of their training MSE, with a stated stopping rule.

Batched Levenberg–Marquardt on the residuals r = f(x) − y of S networks at once, in float64,
with the analytic Jacobian of Eq. 1. Each iteration solves the damped Gauss–Newton system

    (JᵀJ + λI) δ = −Jᵀr                      (the primal form, M ≤ P parameters), or
    δ = −Jᵀ (JJᵀ + λI)⁻¹ r                   (the same step, dual form, M > P),

the dual form being the cheaper one for wide networks (P × P systems instead of M × M). A step
is kept only where it lowers the loss, so polishing never raises a loss; λ shrinks after a
kept step and grows after a refused one, per network.

**The stopping rule.** A network has *converged* when

    ‖∇L‖₂ ≤ rtol · L,        L = (1/P) Σ_p r_p², ∇L = (2/P) Jᵀr,

(with ``rtol = RTOL`` by default), or when L ≤ ``atol``, the level where the residuals are
float64 rounding of f (about 1e-13 each). It *stalls* when no step is accepted before λ
reaches ``MAX_DAMPING`` times the Jacobian's scale (the loss cannot be lowered in float64 along
any damped Gauss–Newton direction), and it *runs out* at ``max_iter`` iterations. Only the
first counts as converged; :class:`Stationary` reports which, with the gradient norm left.

All arrays are NumPy float64: w (S, N) or (S, N, 1), b, v (S, N), c (S,), points x (P,) and
targets y (P,), as in :mod:`.limits`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import silu_derivatives
from ..checks import integer, number

__all__ = ["RTOL", "ATOL", "MAX_DAMPING", "Stationary", "residuals_and_jacobian", "loss_and_gradient",
           "lm_step", "polish_silu", "meets_rule", "mse"]

#: Default relative gradient threshold of the stopping rule: ‖∇L‖ ≤ RTOL · L.
RTOL = 1e-6
#: Default absolute floor: a loss this small is float64 rounding of f, and counts as converged.
ATOL = 1e-26
#: λ / (mean diagonal of JᵀJ) beyond which a network that cannot take a step has stalled.
MAX_DAMPING = 1e12
_MIN_DAMPING = 1e-15  # keeps JᵀJ + λI invertible in float64


@dataclass(frozen=True, eq=False)
class Stationary:
    """Networks after :func:`polish_silu`.

    w, b, v (S, N), c (S,): the polished parameters. before, after (S,): training MSE at the
    start and the end (after ≤ before). grad_norm (S,): ‖∇L‖₂ at the end. iterations (S,):
    iterations each network ran. status (S,): "converged" (met the rule), "floor" (met it through
    L ≤ atol), "stalled" (no step lowers the loss) or "cap" (``max_iter`` reached).
    rtol, atol: the rule.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: np.ndarray
    before: np.ndarray
    after: np.ndarray
    grad_norm: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    record: np.ndarray
    trace: np.ndarray
    rtol: float
    atol: float

    @property
    def converged(self) -> np.ndarray:
        """(S,) bool: met the stopping rule ("converged" or "floor")."""
        return np.isin(self.status, ("converged", "floor"))


def _networks(w, b, v, c) -> np.ndarray:
    """(S, 3N + 1) parameter vectors θ = (w, b, v, c) of validated arrays."""
    w = np.asarray(w, dtype=np.float64)
    w = w[..., 0] if w.ndim == 3 else w
    b, v, c = (np.asarray(a, dtype=np.float64) for a in (b, v, c))
    if w.ndim != 2 or b.shape != w.shape or v.shape != w.shape or c.shape != w.shape[:1]:
        raise ValueError(f"need w (S, N) or (S, N, 1), b, v (S, N), c (S,); got {np.shape(w)}, {b.shape}, {v.shape}, "
                         f"{c.shape}")
    return np.concatenate([w, b, v, c[:, None]], axis=1)


def residuals_and_jacobian(theta, x, y) -> tuple[np.ndarray, np.ndarray]:
    """r (S, P) = f(x) − y and J (S, P, 3N + 1) = ∂r/∂θ for SiLU networks θ = (w, b, v, c).

    Args:
        theta: (S, 3N + 1) the networks' parameters, (w, b, v, c) flattened.
        x, y: (P,) the training points and targets.
    """
    theta = np.asarray(theta, dtype=np.float64)
    N = (theta.shape[1] - 1) // 3
    w, b, v, c = theta[:, :N], theta[:, N:2 * N], theta[:, 2 * N:3 * N], theta[:, 3 * N]
    z = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, P, N)
    s, d1, *_ = silu_derivatives(z)
    r = np.einsum("spn,sn->sp", s, v) + c[:, None] - y[None, :]  # (S, P)
    dv = d1 * v[:, None, :]  # (S, P, N): ∂r/∂b
    J = np.concatenate([dv * x[None, :, None], dv, s, np.ones(r.shape + (1,))], axis=2)  # (S, P, 3N + 1)
    return r, J


def _residuals(theta, x, y) -> np.ndarray:
    """r (S, P) alone."""
    N = (theta.shape[1] - 1) // 3
    z = theta[:, None, :N] * x[None, :, None] + theta[:, None, N:2 * N]  # (S, P, N)
    return np.einsum("spn,sn->sp", z * (0.5 * (1.0 + np.tanh(0.5 * z))), theta[:, 2 * N:3 * N]) \
        + theta[:, 3 * N, None] - y[None, :]


def loss_and_gradient(w, b, v, c, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(L (S,), ∇L (S, 3N + 1)): the training MSE of SiLU networks and its gradient in θ = (w, b, v, c).

    Args:
        w, b, v, c: the networks' parameters, (S, N), (S, N), (S, N), (S,).
        x, y: (P,) the training points and targets.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    r, J = residuals_and_jacobian(_networks(w, b, v, c), x, y)
    return np.mean(r ** 2, axis=1), np.einsum("spm,sp->sm", J, r) * (2.0 / x.size)


def mse(w, b, v, c, x, y) -> np.ndarray:
    """(S,) the MSE of SiLU networks, without the Jacobian.

    Args:
        w, b, v, c: the networks' parameters, (S, N), (S, N), (S, N), (S,).
        x, y: (P,) the points and their targets.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    theta = _networks(w, b, v, c)
    step = max(1, (1 << 22) // max(1, x.size * theta.shape[1]))  # networks per block of ~4M elements
    return np.concatenate([np.mean(_residuals(theta[i:i + step], x, y) ** 2, axis=1)
                           for i in range(0, theta.shape[0], step)])


def meets_rule(loss, grad_norm, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """(S,) bool: ‖∇L‖ ≤ rtol · L or L ≤ atol, the stopping rule of :func:`polish_silu`.

    Args:
        loss: (S,) the losses L.
        grad_norm: (S,) their gradients' norms ‖∇L‖.
        rtol, atol: the rule's relative and absolute tolerances (:data:`RTOL`, :data:`ATOL`).
    """
    loss, grad_norm = np.asarray(loss), np.asarray(grad_norm)
    return (grad_norm <= rtol * loss) | (loss <= atol)


def lm_step(r, J, lam) -> np.ndarray:
    """δ (S, M): the damped Gauss–Newton step (JᵀJ + λI) δ = −Jᵀr for r (S, P), J (S, P, M) and
    λ (S,), through the primal form when M ≤ P and the dual form −Jᵀ(JJᵀ + λI)⁻¹r when M > P
    (equal in exact arithmetic).

    Args:
        r: (S, P) the residuals.
        J: (S, P, M) their Jacobians.
        lam: (S,) the damping λ.
    """
    S, P, M = J.shape
    if M <= P:
        Jt = J.transpose(0, 2, 1)  # (S, M, P); batched matmul, which BLAS serves, not einsum
        A = Jt @ J  # (S, M, M)
        A[:, np.arange(M), np.arange(M)] += lam[:, None]
        return -np.linalg.solve(A, Jt @ r[..., None])[..., 0]
    K = J @ J.transpose(0, 2, 1)  # (S, P, P)
    K[:, np.arange(P), np.arange(P)] += lam[:, None]
    alpha = np.linalg.solve(K, r[..., None])  # (S, P, 1)
    return -(J.transpose(0, 2, 1) @ alpha)[..., 0]


def polish_silu(w, b, v, c, x, y, rtol: float = RTOL, atol: float = ATOL, max_iter: int = 2000,
                record=()) -> Stationary:
    """SiLU networks (Eq. 1) driven by batched Levenberg–Marquardt to a point that meets the stopping
    rule ‖∇L‖ ≤ ``rtol`` · L (or L ≤ ``atol``), within ``max_iter`` iterations (the module docstring
    gives the method and the rule), the loss kept after each iteration count in ``record``. Every
    network is polished independently: its result does not depend on the others in the batch.

    Args:
        w, b, v, c: the networks' parameters, (S, N), (S, N), (S, N), (S,).
        x, y: (P,) the training points and targets.
        rtol, atol: the stopping rule's tolerances (:data:`RTOL`, :data:`ATOL`).
        max_iter: the most iterations (default 2000).
        record: iteration counts after which the loss is kept.

    Returns:
        A :class:`Stationary`.
    """
    theta = _networks(w, b, v, c)
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y need the same number of points, got {x.size} and {y.size}")
    rtol, atol = number(rtol, "rtol", positive=True), number(atol, "atol", positive=True)
    max_iter = integer(max_iter, "max_iter")
    record = np.asarray(sorted({integer(k, "each record count") for k in record}), dtype=np.int64)
    S, P = theta.shape[0], x.size
    trace = np.empty((S, record.size))
    r, J = residuals_and_jacobian(theta, x, y)
    loss = np.mean(r ** 2, axis=1)
    before = loss.copy()
    grad = np.einsum("spm,sp->sm", J, r) * (2.0 / P)  # (S, M)
    scale = np.einsum("spm,spm->s", J, J) / theta.shape[1]  # mean diagonal of JᵀJ
    mu = np.full(S, 1e-3)  # λ / scale
    iterations = np.zeros(S, dtype=np.int64)
    status = np.full(S, "cap", dtype=object)
    active = np.ones(S, dtype=bool)
    for it in range(max_iter + 1):
        trace[:, record == it] = loss[:, None]
        gnorm = np.linalg.norm(grad, axis=1)
        done = active & meets_rule(loss, gnorm, rtol, atol)
        status[done] = np.where(loss[done] <= atol, "floor", "converged")
        stalled = active & ~done & (mu > MAX_DAMPING)
        status[stalled] = "stalled"
        active &= ~(done | stalled)
        idx = np.flatnonzero(active & (iterations < max_iter))
        if idx.size == 0:
            trace[:, record > it] = loss[:, None]
            break
        iterations[idx] += 1
        lam = np.maximum(mu[idx], _MIN_DAMPING) * scale[idx]
        with np.errstate(all="ignore"):  # a near-singular system gives a useless step, refused below
            trial = theta[idx] + lm_step(r[idx], J[idx], lam)
            new_loss = np.mean(_residuals(trial, x, y) ** 2, axis=1)
        ok = np.isfinite(new_loss) & (new_loss < loss[idx])
        mu[idx] = np.where(ok, mu[idx] / 3.0, mu[idx] * 4.0)
        keep = idx[ok]
        if keep.size:
            theta[keep] = trial[ok]
            r[keep], J[keep] = residuals_and_jacobian(theta[keep], x, y)
            loss[keep] = np.mean(r[keep] ** 2, axis=1)
            grad[keep] = np.einsum("spm,sp->sm", J[keep], r[keep]) * (2.0 / P)
            scale[keep] = np.einsum("spm,spm->s", J[keep], J[keep]) / theta.shape[1]
    N = (theta.shape[1] - 1) // 3
    return Stationary(theta[:, :N], theta[:, N:2 * N], theta[:, 2 * N:3 * N], theta[:, 3 * N], before, loss,
                      np.linalg.norm(grad, axis=1), iterations, status.astype(str), record, trace, rtol, atol)
