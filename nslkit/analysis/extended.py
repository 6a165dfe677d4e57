"""Stationarity checked in extended precision: does the gradient of a SiLU network's MSE vanish, or
is there a descent that float64 cannot see?

:func:`~nslkit.analysis.minfinder.find_minima` works in float64, where f(x) = Σ_i v_i σ(w_i x + b_i)
+ c is rounded to about ε₆₄ · (|c| + Σ_i |v_i σ_i| + |y|) at each point. When the network's terms
cancel (large |v|) and the residuals are small, that rounding can hide the residual's last
component along the Jacobian's range, and "stalled" then means float64, not the landscape, ran
out. :func:`extended_check` evaluates the residuals, the loss, the gradient and the Gauss–Newton
decrement of the stopping rule in numpy's ``longdouble`` (the x87 80-bit format on x86-64 Linux,
ε = 1.1e-19; quad precision on some other platforms; a platform where it is plain double is
refused), then takes Gauss–Newton steps whose residuals and line search are in extended
precision, and asks whether the extended-precision loss falls, and whether float64 sees the fall.

The singular vectors come from float64 (LAPACK has no extended precision); they enter only as
directions to try, each kept only where the extended-precision loss falls, so their rounding can
hide a descent but never fake one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import integer, number
from .landscape import mse_long, parameters, residuals, residuals_and_jacobian, scaled_svd, scales
from .minfinder import GTOL

__all__ = ["LONG", "EPS_LONG", "Extended", "residuals_long", "loss_long", "gradient_long", "extended_check"]

#: The extended float type, and its machine epsilon.
LONG = np.longdouble
EPS_LONG = float(np.finfo(LONG).eps)
_EPS64 = float(np.finfo(np.float64).eps)
#: Truncation levels (relative to the largest singular value) of the Gauss–Newton directions tried.
_CUTS = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14)
#: Step lengths tried along each direction: 1, 1/4, …, 4⁻²⁵ ≈ 1e-15.
_LENGTHS = 0.25 ** np.arange(26)
#: A fall of the extended-precision loss counts when it exceeds this multiple of its rounding bound.
_SEEN = 10.0
#: float64 sees a fall when its own loss falls by the extended fall to within this fraction of it.
_AGREE = 0.5


def _check_long() -> None:
    """ValueError unless numpy's longdouble carries more digits than float64 here."""
    if EPS_LONG > 1e-18:
        raise ValueError(f"numpy.longdouble is not an extended type on this platform (ε = {EPS_LONG:.1e}); "
                         "the extended-precision check needs the x87 80-bit or quad format")


def _terms(theta, x):
    """(z, σ(z), s(z)) in extended precision, each (P, N), for one network θ (M,)."""
    N = (theta.size - 1) // 3
    z = theta[None, :N] * x[:, None] + theta[None, N:2 * N]
    s = LONG(0.5) * (LONG(1) + np.tanh(LONG(0.5) * z))
    return z, z * s, s


def residuals_long(theta, x, y) -> np.ndarray:
    """r (P,) = f(x) − y of one SiLU network θ (M,) = (w, b, v, c), all in extended precision.

    Args:
        theta: (M,) = (3N + 1,) the network's parameters θ = (w, b, v, c), as from
            :func:`~nslkit.analysis.landscape.parameters`; converted to ``longdouble``.
        x: (P,) the points, converted to ``longdouble``.
        y: (P,) the targets, converted to ``longdouble``.

    Returns:
        (P,) the residuals, ``longdouble``.
    """
    theta, x, y = (np.asarray(a, dtype=LONG) for a in (theta, x, y))
    N = (theta.size - 1) // 3
    _, h, _ = _terms(theta, x)
    return h @ theta[2 * N:3 * N] + theta[3 * N] - y


def loss_long(theta, x, y) -> LONG:
    """The MSE of one network θ (M,) in extended precision.

    Args:
        theta: (M,) = (3N + 1,) the network's parameters θ = (w, b, v, c).
        x: (P,) the points.
        y: (P,) the targets.

    Returns:
        L = (1/P) Σ_p r_p², a ``longdouble`` scalar (:func:`~nslkit.analysis.landscape.mse_long`).
    """
    return mse_long(np.asarray(theta)[None], x, y)[0]


def _jacobian_long(theta, x) -> np.ndarray:
    """J (P, M) = ∂r/∂θ in extended precision."""
    N = (theta.size - 1) // 3
    z, h, s = _terms(theta, x)
    db = (s * (LONG(1) + z * (LONG(1) - s))) * theta[None, 2 * N:3 * N]  # (P, N) v_i σ'(z)
    return np.concatenate([db * x[:, None], db, h, np.ones((x.size, 1), dtype=LONG)], axis=1)


def gradient_long(theta, x, y) -> np.ndarray:
    """∇L (M,) = (2/P) Jᵀ r of one network θ (M,), in extended precision.

    Args:
        theta: (M,) = (3N + 1,) the network's parameters θ = (w, b, v, c), converted to ``longdouble``.
        x: (P,) the points, converted to ``longdouble``.
        y: (P,) the targets, converted to ``longdouble``.

    Returns:
        (M,) the gradient of the MSE with respect to θ (in θ's order), ``longdouble``.
    """
    theta, x, y = (np.asarray(a, dtype=LONG) for a in (theta, x, y))
    return (LONG(2) / x.size) * (_jacobian_long(theta, x).T @ residuals_long(theta, x, y))


def _rounding(theta, x, y, eps: float) -> float:
    """A bound on the rounding of ‖r‖² when f is computed with machine epsilon ``eps``: 2 Σ_p |r_p| e_p,
    e_p = 4 ε (|c| + Σ_i |v_i σ_i| + |y_p|), relative to ‖r‖²."""
    N = (theta.size - 1) // 3
    _, h, _ = _terms(theta, x)
    r = residuals_long(theta, x, y)
    size = np.abs(h) @ np.abs(theta[2 * N:3 * N]) + abs(theta[3 * N]) + np.abs(y)
    rr = float(np.sum(r * r))
    return float(2 * np.sum(np.abs(r) * 4 * eps * size)) / rr if rr > 0 else np.inf


@dataclass(frozen=True, eq=False)
class Extended:
    """The verdict of :func:`extended_check` on S networks.

    Attributes:
        loss64, loss (S,): the MSE in float64 and in extended precision.
        grad_norm64, grad_norm (S,): ‖∇L‖₂ in float64 and in extended precision.
        decrement64, decrement (S,): the Gauss–Newton decrement d = ‖Uᵀr‖/‖r‖ of the stopping
            rule, with r in float64 and in extended precision.
        noise64, noise (S,): the relative rounding bound of the loss in float64 and in extended
            precision (a fall below it is not resolved).
        gain (S,): the relative fall of the extended-precision loss over ``steps`` extended steps.
        gain64 (S,): the relative fall of the float64 loss from θ to the end point rounded to float64.
        end_decrement (S,): d in extended precision at the end point.
        verdict (S,): "stationary" (d ≤ gtol in extended precision), "descent float64 sees" (the
            extended loss falls by more than 10× its rounding bound, and the float64 loss at the
            end point rounded to float64 falls by the same fraction, to within half of it),
            "descent float64 cannot see" (the extended loss falls, the float64 loss does not
            measure that fall), or "undecided" (d > gtol, and no step lowered the extended loss
            by more than its rounding).
        theta (S, M): the end points, rounded to float64.
        steps, gtol: as given.
    """

    loss64: np.ndarray
    loss: np.ndarray
    grad_norm64: np.ndarray
    grad_norm: np.ndarray
    decrement64: np.ndarray
    decrement: np.ndarray
    noise64: np.ndarray
    noise: np.ndarray
    gain: np.ndarray
    gain64: np.ndarray
    end_decrement: np.ndarray
    verdict: np.ndarray
    theta: np.ndarray
    steps: int
    gtol: float


def _factors(theta, x, y):
    """(r, Jᵀr, U (P, K), σ (K,), Vᵀ (K, M), D (M,)) at one network: r and Jᵀr in extended precision,
    the SVD of the column-scaled Jacobian in float64 (σ below max(P, M) ε₆₄ σ_max set to 0)."""
    r = residuals_long(theta, x, y)
    J = _jacobian_long(theta, x)
    J64 = J.astype(np.float64)[None]
    D = scales(J64)
    U, s, Vt = (a[0] for a in scaled_svd(J64, D))
    D = D[0]
    return r, J.T @ r, U, s, Vt, D


def _decrement_long(r, U, s) -> float:
    """‖Uᵀr‖/‖r‖ over the resolved directions, the projection taken in extended precision."""
    g = U[:, s > 0].astype(LONG).T @ r
    rn = np.sqrt(np.sum(r * r))
    return float(np.sqrt(np.sum(g * g)) / rn) if rn > 0 else 0.0


def _best_step(theta, x, y, loss):
    """(θ', L(θ')) the lowest extended-precision loss found along the truncated Gauss–Newton directions
    and the scaled gradient, with a backtracking line search on each; (θ, L) when none falls."""
    r, Jr, U, s, Vt, D = _factors(theta, x, y)
    g = U.astype(LONG).T @ r  # (K,)
    directions = []
    for cut in _CUTS:
        keep = s > cut * s[0]
        p = np.zeros(s.size, dtype=LONG)
        p[keep] = -g[keep] / s[keep].astype(LONG)
        directions.append(Vt.astype(LONG).T @ p / D.astype(LONG))
    Dl = D.astype(LONG)
    grad = -Jr / (Dl * Dl)  # the steepest descent in the scaled variables, exact in extended precision
    gn = np.sqrt(np.sum(grad * grad))
    if gn > 0:
        directions.append(grad * (np.sqrt(np.sum(directions[-1] ** 2)) / gn))
    best, best_loss = theta, loss
    for step in directions:
        for t in _LENGTHS:
            trial = theta + LONG(t) * step
            value = loss_long(trial, x, y)
            if value < best_loss:
                best, best_loss = trial, value
                break
    return best, best_loss


def extended_check(w, b, v, c, x, y, steps: int = 10, gtol: float = GTOL) -> Extended:
    """Check in extended precision whether SiLU networks sit at a stationary point of their MSE.

    For each network: the loss, ‖∇L‖ and the Gauss–Newton decrement d of the stopping rule of
    :mod:`.minfinder` in float64 and in extended precision; then up to ``steps`` steps, each the
    best of several Gauss–Newton directions (the float64 SVD truncated at 10⁻², 10⁻⁴, …, 10⁻¹⁴ of
    the largest singular value) and the scaled gradient, each with a backtracking line search on
    the extended-precision loss. The module docstring gives the method; :class:`Extended` the verdict.

    Args:
        w: (S, N) or (S, N, 1) input weights of S networks of width N, as for
            :func:`~nslkit.analysis.minfinder.find_minima`; a few networks (each takes about a second).
        b: (S, N) the networks' biases.
        v: (S, N) the networks' output weights.
        c: (S,) the networks' output biases.
        x, y: (P,) points and targets.
        steps: extended-precision steps at most per network (≥ 0; 0 only measures).
        gtol: the rule's threshold on the decrement (default :data:`~nslkit.analysis.minfinder.GTOL`).

    Returns:
        An :class:`Extended`.

    Raises:
        ValueError: where ``longdouble`` is plain double, and for shapes that disagree or values
            ``steps`` and ``gtol`` cannot take.
    """
    _check_long()
    theta64 = parameters(w, b, v, c)
    x64, y64 = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x64.shape != y64.shape or x64.size == 0:
        raise ValueError(f"x and y need the same number (≥ 1) of points, got {x64.size} and {y64.size}")
    steps = integer(steps, "steps", minimum=0)
    gtol = number(gtol, "gtol", positive=True)
    x, y = x64.astype(LONG), y64.astype(LONG)
    S = theta64.shape[0]
    out = {k: np.empty(S) for k in ("loss64", "loss", "grad_norm64", "grad_norm", "decrement64", "decrement",
                                    "noise64", "noise", "gain", "gain64", "end_decrement")}
    verdict, ends = np.empty(S, dtype=object), np.empty_like(theta64)
    r64 = residuals(theta64, x64, y64)  # (S, P)
    for k in range(S):
        th = theta64[k].astype(LONG)
        r, Jr, U, s, _, _ = _factors(th, x, y)
        loss = np.mean(r * r)
        out["loss"][k], out["loss64"][k] = float(loss), float(np.mean(r64[k] ** 2))
        out["grad_norm"][k] = float(np.sqrt(np.sum(Jr * Jr)) * 2 / x.size)
        out["grad_norm64"][k] = float(np.linalg.norm(_grad64(theta64[k], x64, y64)))
        out["decrement"][k] = _decrement_long(r, U, s)
        keep = s > 0
        g64 = U[:, keep].T @ r64[k]
        rn64 = np.linalg.norm(r64[k])
        out["decrement64"][k] = np.linalg.norm(g64) / rn64 if rn64 > 0 else 0.0
        out["noise"][k], out["noise64"][k] = _rounding(th, x, y, EPS_LONG), _rounding(th, x, y, _EPS64)
        end, end_loss = th, loss
        for _ in range(steps):
            nxt, nxt_loss = _best_step(end, x, y, end_loss)
            if not nxt_loss < end_loss:
                break
            end, end_loss = nxt, nxt_loss
        out["gain"][k] = float((loss - end_loss) / loss) if loss > 0 else 0.0
        ends[k] = end.astype(np.float64)
        l64_end = float(np.mean(residuals(ends[k][None], x64, y64)[0] ** 2))
        out["gain64"][k] = (out["loss64"][k] - l64_end) / out["loss64"][k] if out["loss64"][k] > 0 else 0.0
        r_end, _, U_end, s_end, _, _ = _factors(end, x, y)
        out["end_decrement"][k] = _decrement_long(r_end, U_end, s_end)
        if out["decrement"][k] <= gtol:
            verdict[k] = "stationary"
        elif out["gain"][k] > _SEEN * out["noise"][k]:
            sees = abs(out["gain64"][k] - out["gain"][k]) <= _AGREE * out["gain"][k]
            verdict[k] = "descent float64 sees" if sees else "descent float64 cannot see"
        else:
            verdict[k] = "undecided"
    return Extended(**out, verdict=verdict.astype(str), theta=ends, steps=steps, gtol=gtol)


def _grad64(theta, x, y) -> np.ndarray:
    """∇L (M,) of one network in float64."""
    r, J = residuals_and_jacobian(theta[None], x, y)
    return (2.0 / x.size) * (J[0].T @ r[0])
