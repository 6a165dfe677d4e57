"""How far a trained network is from the limits of its model: collapsed neurons, the best
piecewise-linear approximation, the local minimum near it, and a random-features control.

All on NumPy arrays in float64: w (S, N) or (S, N, 1), b, v (S, N), c (S,) for S one-input
networks f(x) = Σ_i v_i σ(w_i x + b_i) + c (Eq. 1), points x (P,) and targets y (P,).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from ..activations import sigma, silu_derivatives
from ..checks import integer, number

__all__ = ["COLLAPSE_TOL", "collapsed", "piecewise_linear_floor", "Polished", "polish", "random_features"]

#: A neuron has collapsed when |w|, |b| and |v| are all below this (the fraction barely moves
#: between 1e-2 and 1e-4: collapsed neurons sit at zero to many digits).
COLLAPSE_TOL = 1e-3


def _as_networks(w, b, v, c) -> tuple[np.ndarray, ...]:
    w = np.asarray(w, dtype=np.float64)
    w = w[..., 0] if w.ndim == 3 else w
    b, v, c = (np.asarray(a, dtype=np.float64) for a in (b, v, c))
    if w.ndim != 2 or b.shape != w.shape or v.shape != w.shape or c.shape != w.shape[:1]:
        raise ValueError(f"need w (S, N) or (S, N, 1), b, v (S, N), c (S,); got {np.shape(w)}, {b.shape}, {v.shape}, "
                         f"{c.shape}")
    return w, b, v, c


def collapsed(w, b, v, tol: float = COLLAPSE_TOL) -> np.ndarray:
    """(S, N) mask of the neurons whose w, b and v all lie within ``tol`` of zero.

    Such a neuron adds nothing to f, and for SiLU (σ(0) = 0) the gradients of its w, b and v all
    vanish there: (0, 0, 0) is a stationary point of every neuron.

    Args:
        w, b, v: (S, N) the networks' parameters (w of one input).
        tol: how close to zero counts as zero (default :data:`COLLAPSE_TOL`).
    """
    w, b, v, _ = _as_networks(w, b, v, np.zeros(np.shape(b)[0]))
    return (np.abs(w) < tol) & (np.abs(b) < tol) & (np.abs(v) < tol)


def _spline_design(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """(P, 2 + K): 1, x and the hinges (x − t_k)+ of a continuous piecewise-linear function."""
    return np.column_stack([np.ones_like(x), x, np.maximum(0.0, x[:, None] - knots[None, :])])


def _spline_mse(knots: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(_spline_design(x, np.sort(knots)), y, rcond=None)
    return float(np.mean((_spline_design(x, np.sort(knots)) @ coef - y) ** 2))


def piecewise_linear_floor(x, y, kinks: int, restarts: int = 3, rng: int = 0) -> tuple[float, np.ndarray]:
    """(MSE, knots): the best continuous piecewise-linear least-squares fit of (x, y) with
    ``kinks`` free knots, knots optimised (L-BFGS-B from evenly spaced and jittered starts), not
    trained. A LeakyReLU or ReLU network with N neurons is such a function with at most N kinks
    (each neuron's kink at −b/w), so this is the floor its training MSE can reach (claim C2).

    Args:
        x, y: (P,) the points to fit.
        kinks: the number of free knots.
        restarts: jittered starts beside the evenly spaced one (default 3).
        rng: the seed of the jitter.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    kinks = integer(kinks, "kinks")
    lo, hi = float(x.min()), float(x.max())
    gen = np.random.default_rng(rng)
    even = np.linspace(lo, hi, kinks + 2)[1:-1]
    best = (np.inf, even)
    for r in range(restarts):
        start = even if r == 0 else np.sort(even + gen.normal(0, (hi - lo) / (4 * (kinks + 1)), kinks))
        res = scipy.optimize.minimize(_spline_mse, np.clip(start, lo, hi), args=(x, y), method="L-BFGS-B",
                                      bounds=[(lo, hi)] * kinks)
        if res.fun < best[0]:
            best = (float(res.fun), np.sort(res.x))
    return best


@dataclass(frozen=True, eq=False)
class Polished:
    """Networks after :func:`polish`: parameters w, b, v (S, N), c (S,), MSE ``before`` and
    ``after`` (S,), and the solver's status per network (scipy's least_squares codes, > 0 = converged)."""

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: np.ndarray
    before: np.ndarray
    after: np.ndarray
    status: np.ndarray


#: Weight of the rows that tie a polished network to its start, ANCHOR · (θ − θ0): they let
#: Levenberg–Marquardt (which needs at least as many residuals as parameters) run on networks
#: with more parameters than points, and are far too weak to hold a network back (their
#: squared size stays below 1e-20 for any move under 1e-4 · 10^6).
ANCHOR = 1e-16


def _residual_and_jacobian(theta: np.ndarray, theta0: np.ndarray, x: np.ndarray, y: np.ndarray, N: int):
    w, b, v, c = theta[:N], theta[N:2 * N], theta[2 * N:3 * N], theta[3 * N]
    z = w[None, :] * x[:, None] + b[None, :]  # (P, N)
    s, d1, *_ = silu_derivatives(z)
    r = s @ v + c - y  # (P,)
    J = np.concatenate([d1 * v * x[:, None], d1 * v, s, np.ones((x.size, 1))], axis=1)  # (P, 3N + 1)
    return np.concatenate([r, ANCHOR * (theta - theta0)]), np.vstack([J, ANCHOR * np.eye(theta.size)])


def polish(w, b, v, c, x, y, max_nfev: int = 2000) -> Polished:
    """Each SiLU network driven to the local minimum near it: Levenberg–Marquardt on the
    residuals f(x) − y in float64 (``scipy.optimize.least_squares(method="lm")``, exact
    Jacobian, with the :data:`ANCHOR` rows). A network that training left short of its minimum
    moves; one at it does not.

    Args:
        w, b, v, c: the networks' parameters, (S, N, 1) or (S, N), (S, N), (S, N), (S,).
        x, y: (P,) the training points and targets.
        max_nfev: the most residual evaluations per network (default 2000).

    Returns:
        A :class:`Polished`.
    """
    w, b, v, c = _as_networks(w, b, v, c)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    max_nfev = integer(max_nfev, "max_nfev")
    S, N = w.shape
    out = np.empty((S, 3 * N + 1))
    before, after, status = np.empty(S), np.empty(S), np.empty(S, dtype=int)
    for s in range(S):
        theta = np.concatenate([w[s], b[s], v[s], c[s:s + 1]])
        before[s] = np.mean(_residual_and_jacobian(theta, theta, x, y, N)[0][:x.size] ** 2)
        res = scipy.optimize.least_squares(lambda t: _residual_and_jacobian(t, theta, x, y, N)[0], theta,
                                           method="lm", jac=lambda t: _residual_and_jacobian(t, theta, x, y, N)[1],
                                           max_nfev=max_nfev, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        out[s], status[s] = res.x, res.status
        after[s] = np.mean(res.fun[:x.size] ** 2)
    return Polished(out[:, :N], out[:, N:2 * N], out[:, 2 * N:3 * N], out[:, 3 * N], before, after, status)


def random_features(w, b, x, y, activation: str = "silu", negative_slope: float = 0.01, ridge: float = 0.0) -> np.ndarray:
    """Training MSE (S,) of the random-features model: the first layer (w, b) frozen, the last
    layer (v, c) the least-squares fit of y on the features σ(w_i x + b_i) and a constant, with
    an optional ridge penalty on v (a control with no learnt tickets).

    Args:
        w, b: the frozen first layers, (S, N, 1) or (S, N), and (S, N).
        x, y: (P,) the training points and targets.
        activation: a name of :data:`nslkit.activations.ACTIVATIONS`.
        negative_slope: LeakyReLU's slope for x < 0.
        ridge: the penalty on v (default 0, plain least squares).
    """
    w, b, _, _ = _as_networks(w, b, np.zeros(np.shape(b)), np.zeros(np.shape(b)[0]))
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ridge = number(ridge, "ridge")
    out = np.empty(w.shape[0])
    for s in range(w.shape[0]):
        H = np.column_stack([sigma(w[s][None, :] * x[:, None] + b[s][None, :], activation, negative_slope),
                             np.ones_like(x)])  # (P, N + 1)
        if ridge > 0:
            pen = np.sqrt(ridge) * np.eye(H.shape[1])[:-1]  # no penalty on the constant c
            coef = scipy.linalg.lstsq(np.vstack([H, pen]), np.concatenate([y, np.zeros(pen.shape[0])]),
                                      lapack_driver="gelsy")[0]
        else:
            coef = scipy.linalg.lstsq(H, y, lapack_driver="gelsy")[0]
        out[s] = np.mean((H @ coef - y) ** 2)
    return out
