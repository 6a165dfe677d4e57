"""What networks of width N can reach, built rather than trained: a SiLU network drawn from the
best piecewise-linear fit (the approximation theory of C3), the symmetric width-2 pair along
the Taylor valley of C8 (Eq. 4), and a LeakyReLU network's own kinks moved to the best
free-knot fit near them.

NumPy float64 throughout; points x (P,) and targets y (P,) of a one-input target.
"""
from __future__ import annotations

import numpy as np
import scipy.optimize

from .limits import piecewise_linear_floor

__all__ = ["spline_mse", "polish_knots", "silu_construction", "taylor_pair"]


def spline_mse(knots, x, y) -> float:
    """The MSE of the least-squares continuous piecewise-linear fit of (x, y) with kinks at ``knots``
    (the basis 1, x, (x − t_k)+; :func:`nslkit.analysis.limits.piecewise_linear_floor` optimises
    the same objective over the knots).

    Args:
        knots: (K,) the kinks' positions.
        x, y: (P,) the points to fit.
    """
    knots = np.sort(np.asarray(knots, dtype=np.float64))
    A = np.column_stack([np.ones_like(x), x, np.maximum(0.0, x[:, None] - knots[None, :])])  # (P, 2 + K)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(np.mean((A @ coef - y) ** 2))


def polish_knots(kinks, x, y) -> tuple[float, np.ndarray, int]:
    """(MSE, knots, K): a LeakyReLU or ReLU network polished in function space. The network is a
    continuous piecewise-linear function with kinks at ``kinks`` (N,) = −b/w; those inside the data
    range (K of them) are moved to the nearest local minimum of the free-knot least-squares fit
    (L-BFGS-B, as :func:`piecewise_linear_floor` but from these kinks instead of evenly spaced
    ones), the coefficients refitted by least squares. Kinks outside the data act linearly there
    and are spanned by the fit's own 1 and x. The MSE is at most the network's own.

    Args:
        kinks: (N,) the network's kinks, −b/w.
        x, y: (P,) the training points and targets.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    kinks = np.asarray(kinks, dtype=np.float64).ravel()
    lo, hi = float(x.min()), float(x.max())
    inside = np.sort(kinks[np.isfinite(kinks) & (kinks > lo) & (kinks < hi)])
    if inside.size == 0:
        return spline_mse(inside, x, y), inside, 0
    res = scipy.optimize.minimize(spline_mse, inside, args=(x, y), method="L-BFGS-B", bounds=[(lo, hi)] * inside.size)
    start = spline_mse(inside, x, y)
    return (float(res.fun), np.sort(res.x), inside.size) if res.fun <= start else (start, inside, inside.size)


def silu_construction(width: int, x, y, sharpness: float = 20.0) -> tuple[np.ndarray, ...]:
    """(w, b, v (1, N), c (1,)): a SiLU network of width N built the way approximation theory builds
    a piecewise-linear fit (C3, Fig. 1a). Kinks: one at the left end of the data (it supplies the
    linear term) and N − 1 at the knots of the best piecewise-linear fit with N − 1 free knots
    (:func:`~nslkit.analysis.piecewise_linear_floor`); neuron i is SiLU(k(x − t_i))/k with
    k = ``sharpness`` / (the smallest knot spacing), a smoothed hinge; v and c are then the least
    squares fit of y on those N features (the random-features fit of :func:`random_features`
    with the first layer fixed). Width 1 is a single hinge at the left end.

    Args:
        width: N, the neurons.
        x, y: (P,) the training points and targets.
        sharpness: the hinges' sharpness, in units of the smallest knot spacing (default 20).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    lo = float(x.min())
    knots = np.sort(piecewise_linear_floor(x, y, width - 1)[1]) if width > 1 else np.empty(0)
    t = np.concatenate([[lo - (x.max() - lo) / (4 * width)], knots])  # (N,) kinks, the first left of the data
    k = sharpness / max(np.min(np.diff(np.concatenate([[lo], knots, [x.max()]]))), 1e-3)
    w, b = np.full((1, width), k), -k * t[None, :]
    z = w[0][None, :] * x[:, None] + b[0][None, :]  # (P, N)
    H = np.column_stack([z * 0.5 * (1 + np.tanh(0.5 * z)), np.ones_like(x)])  # (P, N + 1), SiLU without overflow
    coef = np.linalg.lstsq(H, y, rcond=None)[0]
    return w, b, coef[None, :-1], coef[-1:]


def taylor_pair(eps, b: float, x, y) -> np.ndarray:
    """(E,) the training MSE of the symmetric width-2 SiLU network v·[σ(εx + b) + σ(−εx + b)] + c,
    with v and c the least-squares fit, for each ε of ``eps`` (E,). For y = x² its error is the
    x⁴ term of C8 (Eq. 4), of order ε²: the loss falls to zero along ε → 0, v ∝ 1/ε², until
    float64 cancellation stops it. So a width-2 network has no minimum of positive loss at the end
    of that valley, and neither has any wider one (it contains a width-2 network).

    Args:
        eps: (E,) the values of ε.
        b: the shared bias.
        x, y: (P,) the training points and targets.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    out = []
    for e in np.asarray(eps, dtype=np.float64).ravel():
        z = np.stack([e * x + b, -e * x + b])  # (2, P)
        h = (z * 0.5 * (1 + np.tanh(0.5 * z))).sum(0)  # (P,) the pair's two neurons
        H = np.column_stack([h, np.ones_like(x)])
        coef = np.linalg.lstsq(H, y, rcond=None)[0]
        out.append(float(np.mean((H @ coef - y) ** 2)))
    return np.asarray(out)
