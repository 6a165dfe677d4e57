"""Find the local minimum of a SiLU network's training MSE near where it starts, with a stated
stopping rule, and the parameter norms along the way.

The networks and their landscape are those of :mod:`.landscape`: f(x) = Σ_i v_i σ(w_i x + b_i) + c
(Eq. 1, SiLU σ, one input), θ = (w, b, v, c) with M = 3N + 1 parameters, r = f(x) − y on P
points, L = (1/P) Σ_p r_p². NumPy float64, many networks at once: w (S, N) or (S, N, 1), b, v
(S, N), c (S,), x (P,), y (P,), the conventions of :mod:`.polish`.

**The steps.** Every step comes from the singular value decomposition of the column-scaled
Jacobian Ĵ = J D⁻¹ = U Σ Vᵀ (D: the largest norm each column of J has had, Moré's scaling as in
MINPACK; :func:`~.landscape.scaled_svd`). The normal equations JᵀJ are never formed, so a step
sees cond(Ĵ), not its square; singular values float64 cannot resolve are left out. Two
iterations share this, and differ in the step they try in the trust region ‖D δ‖ ≤ Δ:

* ``"lm"``: the Levenberg–Marquardt step δ = −D⁻¹ V diag(σ_k / (σ_k² + λ)) Uᵀ r, λ ≥ 0 the
  smallest with ‖D δ‖ ≤ Δ (the minimiser of the linear model ‖r + Jδ‖ in the region). Damping
  shortens the weakest directions first; far from a minimum, in a valley, it is the robust one.
* ``"gn"``: the Gauss–Newton step −D⁻¹ V Σ⁺ Uᵀ r shortened as a whole to the region, plus half
  its geodesic acceleration (Transtrum & Sethna 2012: the second directional derivative of r
  along the step, by a finite difference, solved as the step is), which bends it along a
  curved valley; the Levenberg–Marquardt step where it fails. Near an ill-conditioned minimum
  (cond(Ĵ) ≳ 1e6) it keeps the weak directions that damping would starve, and converges in
  tens of iterations where ``"lm"`` crawls for thousands.
* ``"both"`` (the default) runs ``"gn"`` from every start, then ``"lm"`` from the starts where
  ``"gn"`` did not meet the rule, and keeps the ``"lm"`` result where it met the rule or ended
  lower; ``method`` says which result each network has.

A step is kept when the loss falls, by at least 10⁻⁴ of the model's prediction; the fall is
computed from the change of f (:func:`~.landscape.change`), accurate where two evaluations of f
would cancel. Δ shrinks to a quarter of the step after a poor step and doubles after a good one
that reached the boundary.

**The stopping rule.** With g = Uᵀr over the resolved directions, the *Gauss–Newton decrement*

    d = ‖g‖ / ‖r‖  (the cosine of the angle between r and the range of J)

is zero exactly where ∇L = (2/P) Jᵀ r is, and d² is the fraction of the loss that the full
Gauss–Newton step would remove if f were linear. It does not change when a parameter is
rescaled, unlike ‖∇L‖ / L, which grows without limit along a valley where w → 0 and v ∝ 1/w².
A network has

* **converged** when d ≤ ``gtol`` (:data:`GTOL` = 1e-6: the linear model can remove at most a
  fraction 10⁻¹² of the loss), or when L ≤ ``atol`` (:data:`ATOL`: the residuals are float64
  rounding of f, as for a network that interpolates its points);
* **stalled** when :data:`MAX_REJECTS` trial steps in a row lower the loss by nothing (or by less
  than 10⁻⁴ of the prediction), the trust region having shrunk by 4³⁰ ≈ 10¹⁸ meanwhile: float64
  resolves no lower loss near θ;
* run into the **cap** when ``max_iter`` trial steps were taken while neither held: still
  descending.

Only the first is a stationary point; which one is reported, never relabelled. Second-order
conditions are not part of the rule: :func:`~.landscape.curvature` tells a minimum from a saddle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import choice, integer, number
from .landscape import (CARRY, change, mse_long, norms, parameters, points, residuals_and_jacobian, scaled_svd,
                        scales)

__all__ = ["GTOL", "ATOL", "MAX_REJECTS", "METHODS", "Found", "decrement", "find_minima"]

#: Default threshold of the rule on the Gauss–Newton decrement d = ‖Uᵀr‖ / ‖r‖.
GTOL = 1e-6
#: Default absolute floor: a loss this small is float64 rounding of f and counts as converged.
ATOL = 1e-26
#: Trial steps refused in a row (each shrinks the trust region at least 4×) before a network stalls.
MAX_REJECTS = 30
#: The iterations of :func:`find_minima` (module docstring).
METHODS = ("both", "lm", "gn")
_ETA = 1e-4  # smallest ratio of actual to predicted reduction that keeps a step
_H = 0.1  # finite-difference step, as a fraction of the step, of the geodesic acceleration
_ALPHA = 0.75  # largest 2‖a‖/‖p‖ at which the acceleration is trusted (Transtrum & Sethna)


@dataclass(frozen=True, eq=False)
class Found:
    """Networks after :func:`find_minima`.

    Attributes:
        w, b, v (S, N), c (S,): the parameters where each network stopped.
        before, after (S,): the MSE at the start and at the end (after ≤ before), evaluated in
            extended precision (:func:`~.landscape.mse_long`), so that near float64's resolution
            they are the loss of the float64 parameters and not float64's rounding of it.
        grad_norm (S,): ‖∇L‖₂ at the end.
        decrement (S,): the Gauss–Newton decrement d at the end (the rule: d ≤ gtol).
        iterations (S,): trial steps taken by the iteration that gave the result.
        status (S,): "converged", "stalled" or "cap" (the module docstring defines them).
        method (S,): the iteration that gave the result, "lm" or "gn".
        record (R,): the iteration counts at which the trace was kept.
        trace (S, R): the MSE (as ``after``) after each count of ``record`` (the final MSE for
            counts after a network stopped).
        theta_norm, v_max, w_min (S, R): ‖θ‖₂, the largest |v_i| and the smallest |w_i| among the
            neurons that carry the function (:func:`~.landscape.norms`) after each count of ``record``.
        gtol, atol, carry: the rule and the carrying fraction used.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: np.ndarray
    before: np.ndarray
    after: np.ndarray
    grad_norm: np.ndarray
    decrement: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    method: np.ndarray
    record: np.ndarray
    trace: np.ndarray
    theta_norm: np.ndarray
    v_max: np.ndarray
    w_min: np.ndarray
    gtol: float
    atol: float
    carry: float

    @property
    def converged(self) -> np.ndarray:
        """(S,) bool: the stopping rule was met."""
        return self.status == "converged"

    @property
    def theta(self) -> np.ndarray:
        """(S, 3N + 1) the final parameters θ = (w, b, v, c)."""
        return np.concatenate([self.w, self.b, self.v, self.c[:, None]], axis=1)


def _decrement(g, s, r) -> np.ndarray:
    """(S,) ‖g‖/‖r‖ over the resolved directions (s > 0); 0 for a zero residual."""
    rn = np.linalg.norm(r, axis=1)
    return np.where(rn > 0, np.linalg.norm(np.where(s > 0, g, 0.0), axis=1) / np.where(rn > 0, rn, 1.0), 0.0)


def decrement(theta, x, y) -> np.ndarray:
    """(S,) the Gauss–Newton decrement d = ‖Uᵀr‖ / ‖r‖ of the stopping rule (module docstring), with
    U the resolved left singular vectors of the column-scaled Jacobian at θ (S, 3N + 1).

    Args:
        theta: (S, 3N + 1) networks θ = (w, b, v, c) (:func:`~.landscape.parameters`).
        x: the points (P,), any shape (flattened).
        y: the targets (P,), any shape (flattened).

    Returns:
        (S,) d in [0, 1] for each network; 0 for a zero residual.
    """
    x, y = points(x, y)
    r, J = residuals_and_jacobian(np.asarray(theta, dtype=np.float64), x, y)
    U, s, _ = scaled_svd(J, scales(J))
    return _decrement(np.einsum("spk,sp->sk", U, r), s, r)


def _trust_step(s, g, radius) -> tuple[np.ndarray, np.ndarray]:
    """(p (S, K) in the V basis, λ (S,)): the minimiser of ‖g + σ p‖ over ‖p‖ ≤ Δ (s = 0: left out),
    λ from the secular equation ‖p(λ)‖ = Δ by safeguarded Newton on 1/Δ − 1/‖p(λ)‖."""
    keep = s > 0
    sg = s * g  # (S, K); zero on the unresolved directions
    with np.errstate(divide="ignore", invalid="ignore"):
        p_gn = np.where(keep, -g / np.where(keep, s, 1.0), 0.0)
    lam = np.zeros(s.shape[0])
    outside = np.linalg.norm(p_gn, axis=1) > radius
    if outside.any():
        s2, sgo, rad = s[outside] ** 2, sg[outside], radius[outside]
        kept = keep[outside]

        def norm_and_slope(lm):  # ‖p(λ)‖ and d‖p‖/dλ, over the resolved directions
            d = np.where(kept, s2 + lm[:, None], 1.0)
            q = np.sqrt(np.sum(sgo ** 2 / d ** 2, axis=1))
            return q, -np.sum(sgo ** 2 / d ** 3, axis=1) / q

        lo, hi = np.zeros(rad.size), np.linalg.norm(sgo, axis=1) / rad  # ‖p(hi)‖ ≤ ‖σg‖/hi = Δ
        lm = np.zeros(rad.size)
        for _ in range(60):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                q, dq = norm_and_slope(lm)
                newton = lm - (1.0 / rad - 1.0 / q) * q ** 2 / dq  # Newton on 1/Δ − 1/‖p(λ)‖
            big = q > rad
            lo, hi = np.where(big, lm, lo), np.where(big, hi, np.minimum(hi, lm))
            close = np.abs(q - rad) <= 1e-3 * rad  # each network stops on its own: batch-independent
            if close.all():
                break
            mid = np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi)
            lm = np.where(close, lm, np.where(np.isfinite(newton) & (newton > lo) & (newton < hi), newton, mid))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            q, _ = norm_and_slope(lm)
        lam[outside] = np.where(q <= rad * (1 + 1e-3), lm, hi)  # never (much) outside the region
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(lam[:, None] > 0, -sg / (s ** 2 + lam[:, None]), p_gn)
    return p, lam


def _model_gain(s, g, p) -> np.ndarray:
    """(S,) ‖r‖² − ‖r + Ĵ V p‖² for a step p (S, K) in the V basis: −Σ σp (2g + σp), without cancellation."""
    sp = s * p
    return -np.sum(sp * (2 * g + sp), axis=1)


def _gauss_newton(theta, r, U, s, Vt, D, g, radius, x) -> np.ndarray:
    """(S, K) the Gauss–Newton step −Σ⁺g in the V basis shortened to ‖p‖ ≤ Δ, plus half its geodesic
    acceleration a where 2‖a‖ ≤ :data:`_ALPHA` ‖p‖ and the model still predicts a gain.

    a solves the same least squares as p with r replaced by the second directional derivative of
    r along the step, (2/h)((f(θ + hδ) − f(θ))/h − Jδ), h = :data:`_H`."""
    keep = s > 0
    p = np.where(keep, -g / np.where(keep, s, 1.0), 0.0)
    n = np.linalg.norm(p, axis=1)
    p = p * np.where(n > radius, radius / np.where(n > 0, n, 1.0), 1.0)[:, None]
    step = np.einsum("skm,sk->sm", Vt, p) / D  # (S, M)
    with np.errstate(all="ignore"):
        rvv = (2.0 / _H) * (change(theta, theta + _H * step, x) / _H - np.einsum("spk,sk->sp", U, s * p))  # (S, P)
        a = np.where(keep, -np.einsum("spk,sp->sk", U, rvv) / np.where(keep, s, 1.0), 0.0)
        q = p + 0.5 * a
        use = (2 * np.linalg.norm(a, axis=1) <= _ALPHA * np.linalg.norm(p, axis=1)) & (_model_gain(s, g, q) > 0)
    return np.where((use & np.isfinite(q).all(axis=1))[:, None], q, p)


def _try(theta, r, s, g, Vt, D, p, x):
    """(θ + δ, ‖r‖² − ‖r_new‖², its ratio to the model's, kept?) for steps p (S, K) in the V basis."""
    step = np.einsum("skm,sk->sm", Vt, p) / D  # (S, M): δ = D⁻¹ V p
    with np.errstate(all="ignore"):  # a wild step overflows; it is refused
        trial = theta + step
        df = change(theta, trial, x)  # (S, P) f(θ') − f(θ), accurate to the change
        actual = -np.sum(df * (2 * r + df), axis=1)  # ‖r‖² − ‖r + Δf‖²
        ratio = actual / _model_gain(s, g, p)
    return trial, ratio, np.isfinite(actual) & (actual > 0) & (ratio > _ETA)


def _iterate(theta, x, y, method, gtol, atol, max_iter, record, carry) -> dict:
    """One iteration ("lm" or "gn") from θ (S, M) (modified in place); the fields of :class:`Found`."""
    S, R = theta.shape[0], record.size
    trace, theta_norm, v_max, w_min = (np.full((S, R), np.nan) for _ in range(4))
    r, J = residuals_and_jacobian(theta, x, y)
    D = scales(J)  # (S, M)
    U, s, Vt = scaled_svd(J, D)
    g = np.einsum("spk,sp->sk", U, r)  # (S, K)
    loss = np.mean(r ** 2, axis=1)
    dec = _decrement(g, s, r)
    radius = np.linalg.norm(D * theta, axis=1)
    radius = np.where(radius > 0, radius, 1.0)
    rejects, iterations = np.zeros(S, dtype=np.int64), np.zeros(S, dtype=np.int64)
    status = np.full(S, "cap", dtype=object)
    active = np.ones(S, dtype=bool)

    def keep_record(rows, cols):
        if rows.size and cols.any():
            tn, vm, wm = norms(theta[rows], x, carry)
            for out, val in ((trace, mse_long(theta[rows], x, y).astype(np.float64)), (theta_norm, tn), (v_max, vm),
                             (w_min, wm)):
                out[np.ix_(rows, cols)] = val[:, None]

    for it in range(max_iter + 1):
        done = active & ((dec <= gtol) | (loss <= atol))
        status[done] = "converged"
        stalled = active & ~done & (rejects >= MAX_REJECTS)
        status[stalled] = "stalled"
        keep_record(np.flatnonzero(active), record == it)
        active &= ~(done | stalled)
        if it == max_iter or not active.any():
            break
        i = np.flatnonzero(active)
        iterations[i] += 1
        p, _ = _trust_step(s[i], g[i], radius[i])  # (n, K) in the V basis
        trial, ratio, ok = _try(theta[i], r[i], s[i], g[i], Vt[i], D[i], p, x)
        if method == "gn":  # the Gauss–Newton step where it is kept, else the Levenberg–Marquardt one
            p_gn = _gauss_newton(theta[i], r[i], U[i], s[i], Vt[i], D[i], g[i], radius[i], x)
            trial_gn, ratio_gn, ok_gn = _try(theta[i], r[i], s[i], g[i], Vt[i], D[i], p_gn, x)
            trial[ok_gn], ratio[ok_gn], ok[ok_gn], p[ok_gn] = trial_gn[ok_gn], ratio_gn[ok_gn], True, p_gn[ok_gn]
        pnorm = np.linalg.norm(p, axis=1)
        radius[i] = np.where(~ok | (ratio < 0.25), 0.25 * pnorm,
                             np.where((ratio > 0.75) & (pnorm > 0.95 * radius[i]), 2 * radius[i], radius[i]))
        rejects[i] = np.where(ok, 0, rejects[i] + 1)
        kept = i[ok]
        if kept.size:
            theta[kept] = trial[ok]
            r[kept], J[kept] = residuals_and_jacobian(theta[kept], x, y)
            D[kept] = scales(J[kept], D[kept])
            U[kept], s[kept], Vt[kept] = scaled_svd(J[kept], D[kept])
            g[kept] = np.einsum("spk,sp->sk", U[kept], r[kept])
            loss[kept] = np.mean(r[kept] ** 2, axis=1)
            dec[kept] = _decrement(g[kept], s[kept], r[kept])
    for k in range(R):  # counts after a network stopped keep its final values
        keep_record(np.flatnonzero(np.isnan(trace[:, k])), np.arange(R) == k)
    grad = np.einsum("spm,sp->sm", J, r) * (2.0 / x.size)  # (S, M)
    return {"theta": theta, "after": mse_long(theta, x, y).astype(np.float64),
            "grad_norm": np.linalg.norm(grad, axis=1),
            "decrement": dec, "iterations": iterations, "status": status.astype("<U9"),
            "method": np.full(S, method), "trace": trace, "theta_norm": theta_norm, "v_max": v_max, "w_min": w_min}


def find_minima(w, b, v, c, x, y, gtol: float = GTOL, atol: float = ATOL, max_iter: int = 2000, record=(),
                carry: float = CARRY, method: str = "both") -> Found:
    """Drive SiLU networks (Eq. 1) to the local minimum of their training MSE near where they start.

    Trust-region Gauss–Newton from the SVD of the column-scaled Jacobian, every network on its
    own (its result does not depend on the others in the batch); the module docstring gives the
    steps and the stopping rule. The loss never rises.

    Args:
        w: (S, N) or (S, N, 1) input weights of S networks of width N. Not modified (nor are
            b, v and c).
        b: (S, N) biases.
        v: (S, N) output weights.
        c: (S,) output biases.
        x, y: (P,) the training points and targets.
        gtol: converged when the Gauss–Newton decrement d ≤ gtol (default :data:`GTOL`).
        atol: or when L ≤ atol (default :data:`ATOL`).
        max_iter: trial steps at most per network and iteration (``"both"`` may run two).
        record: iteration counts (≥ 0) after which the loss and the norms are kept.
        carry: the fraction that defines a carrying neuron in the norms (:func:`~.landscape.norms`).
        method: "both" (default), "lm" or "gn" (:data:`METHODS`; module docstring).

    Returns:
        A :class:`Found`.
    """
    theta = parameters(w, b, v, c)
    x, y = points(x, y)
    gtol, atol = number(gtol, "gtol", positive=True), number(atol, "atol", positive=True)
    carry = number(carry, "carry", positive=True)
    max_iter = integer(max_iter, "max_iter")
    method = choice(method, "method", METHODS)
    record = np.asarray(sorted({integer(k, "each record count", minimum=0) for k in record}), dtype=np.int64)
    before = mse_long(theta, x, y).astype(np.float64)
    out = _iterate(theta.copy(), x, y, "lm" if method == "lm" else "gn", gtol, atol, max_iter, record, carry)
    again = np.flatnonzero(out["status"] != "converged") if method == "both" else np.empty(0, dtype=int)
    if again.size:  # "lm" from the starts where "gn" missed the rule; its result where it met it or went lower
        lm = _iterate(theta[again].copy(), x, y, "lm", gtol, atol, max_iter, record, carry)
        take = (lm["status"] == "converged") | (lm["after"] < out["after"][again])
        for k, val in lm.items():
            out[k][again[take]] = val[take]
    N = (theta.shape[1] - 1) // 3
    th = out.pop("theta")
    return Found(th[:, :N].copy(), th[:, N:2 * N].copy(), th[:, 2 * N:3 * N].copy(), th[:, 3 * N].copy(), before,
                 record=record, gtol=gtol, atol=atol, carry=carry, **out)
