"""Positive controls for the minimum finder: problems whose minimum has a known positive loss.

A method that fails to stop says something about the method until it has found known answers.
:func:`planted_minimum` builds such an answer. Take a SiLU network θ* of width N (Eq. 1) and
targets

    y = f_θ*(x) + r,   r ⟂ every column of the Jacobian J(θ*),

so that ∇L(θ*) = (2/P) J(θ*)ᵀ r = 0: θ* is a stationary point with loss L* = mean(r²) > 0 that
no width-N network near θ* lowers. It is a strict local minimum when the Hessian is positive
definite there, which :func:`~nslkit.analysis.landscape.curvature` decides without squaring
cond(J); r is halved until that curvature is at least :data:`MIN_CURVATURE` (a residual whose
second-order term outweighs the Jacobian's weakest direction makes θ* a saddle instead). The
construction needs M = 3N + 1 < P: with as many parameters as points J spans every residual
(N ≥ 33 on the book's 100 points).

:func:`positive_controls` starts :func:`~nslkit.analysis.minfinder.find_minima` from θ*
perturbed by several relative sizes, at several widths, and reports every start: the rule met
or not, and the loss found against the known one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import integer, number
from .extended import loss_long
from .landscape import curvature, residuals_and_jacobian, split
from .minfinder import GTOL, decrement, find_minima

__all__ = ["MIN_CURVATURE", "LOSS_RTOL", "Planted", "planted_minimum", "Controls", "positive_controls"]

#: The smallest curvature (relative to Gauss–Newton's, :func:`~nslkit.analysis.landscape.curvature`)
#: a planted minimum is given: well inside the strict minima.
MIN_CURVATURE = 0.5
#: A start has found the planted minimum when its loss is within this relative distance of L*
#: (L* and the loss found both evaluated in extended precision) and it met the stopping rule.
LOSS_RTOL = 1e-8


@dataclass(frozen=True, eq=False)
class Planted:
    """A planted minimum (:func:`planted_minimum`).

    Attributes:
        theta (M,): the minimum θ* = (w, b, v, c). y (P,): the targets. x (P,): the points.
        loss: L* = L(θ*), in extended precision. residual: the rms of r, √L*.
        curvature: the smallest curvature at θ* relative to Gauss–Newton's (> 0: strict minimum).
        decrement: the Gauss–Newton decrement at θ* in float64 (zero but for rounding).
        cond: the condition number of the column-scaled Jacobian at θ*.
    """

    theta: np.ndarray
    x: np.ndarray
    y: np.ndarray
    loss: float
    residual: float
    curvature: float
    decrement: float
    cond: float


def _network(width: int, sharpness: float, gen: np.random.Generator) -> np.ndarray:
    """θ (M,): kinks t_i evenly spaced over [-1.8, 1.8] (jittered by a quarter spacing), |w_i| = sharpness
    × U(1, 1.5) / spacing with random signs, b_i = −w_i t_i, v_i ~ N(0, 1) / U(1, 1.5), c ~ N(0, 1/4)."""
    spacing = 3.6 / width
    t = np.linspace(-1.8 + spacing / 2, 1.8 - spacing / 2, width) + gen.uniform(-0.25, 0.25, width) * spacing
    w = gen.choice([-1.0, 1.0], width) * gen.uniform(1.0, 1.5, width) * sharpness / spacing
    v = gen.normal(size=width) / gen.uniform(1.0, 1.5, width)
    return np.concatenate([w, -w * t, v, [0.5 * gen.normal()]])


def planted_minimum(width: int, x=None, residual: float = 1e-3, sharpness: float = 4.0, seed: int = 0) -> Planted:
    """A width-N SiLU network θ* and targets y for which θ* is a strict local minimum of known loss.

    Args:
        width: N, with 3N + 1 < P.
        x: (P,) points; None: the book's 100 training points, ``np.linspace(-2, 2, 100)``.
        residual: the rms of the residual r to start from (halved until the minimum is strict).
        sharpness: |w_i| × the kink spacing: large makes each neuron a sharp hinge and J well
            conditioned (4: cond ~1e4 to 1e6); near 1, neurons overlap as in trained networks
            and cond(J) grows (~1e10 at N = 10), so that only a small residual keeps θ* a minimum.
        seed: draws θ* and the direction of r.

    Returns:
        A :class:`Planted`. ValueError when 3N + 1 ≥ P, or when no residual down to 10⁻¹² · ``residual``
        leaves θ* a strict minimum.
    """
    x = np.linspace(-2.0, 2.0, 100) if x is None else np.asarray(x, dtype=np.float64).ravel()
    width = integer(width, "width")
    M = 3 * width + 1
    if M >= x.size:
        raise ValueError(f"a planted minimum of positive loss needs 3N + 1 < P parameters; got N = {width}, "
                         f"P = {x.size} (N ≤ {(x.size - 2) // 3})")
    residual = number(residual, "residual", positive=True)
    sharpness = number(sharpness, "sharpness", positive=True)
    gen = np.random.default_rng(integer(seed, "seed", minimum=0))
    theta = _network(width, sharpness, gen)
    f, J = residuals_and_jacobian(theta[None], x, np.zeros_like(x))
    scaled = J[0] / np.linalg.norm(J[0], axis=0)
    U, s, _ = np.linalg.svd(scaled, full_matrices=True)
    perp = U[:, M:]  # (P, P − M): the complement of the tangent space
    r = perp @ (perp.T @ gen.normal(size=x.size))
    r *= 1.0 / np.sqrt(np.mean(r ** 2))
    for _ in range(41):
        y = f[0] + residual * r
        curv = float(curvature(theta[None], x, y)[0])
        if curv >= MIN_CURVATURE:
            break
        residual /= 2
    else:
        raise ValueError(f"no residual leaves the width-{width} network of seed {seed} a strict minimum "
                         f"(sharpness {sharpness:g}); try a larger sharpness")
    loss = float(loss_long(theta, x, y))
    return Planted(theta, x, y, loss, float(np.sqrt(loss)), curv, float(decrement(theta[None], x, y)[0]),
                   float(s[0] / s[-1]))


@dataclass(frozen=True, eq=False)
class Controls:
    """Every start of :func:`positive_controls`, one entry per start (arrays of length K).

    Attributes:
        width, scale, start: the problem's N, the relative size of the perturbation, the start's index.
        known: L* of the planted minimum. start_loss: the loss at the start. loss: the loss where
            the finder stopped (all three in extended precision). rel_error: loss / known − 1.
        status: the finder's status. iterations: its trial steps. method: the iteration that gave
            the result. decrement: d at the end.
        distance: ‖θ − θ*‖ / ‖θ*‖ at the end.
        end_curvature: the curvature where the finder stopped (> 0: the rule met there is a
            minimum; another minimum where ``found`` is False).
        found: the rule met ("converged") and |rel_error| ≤ ``loss_rtol``.
        curvature, cond, residual: of the planted minimum of the start's width.
        loss_rtol, gtol, max_iter: the tolerances and the cap.
    """

    width: np.ndarray
    scale: np.ndarray
    start: np.ndarray
    known: np.ndarray
    start_loss: np.ndarray
    loss: np.ndarray
    rel_error: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    method: np.ndarray
    decrement: np.ndarray
    distance: np.ndarray
    end_curvature: np.ndarray
    found: np.ndarray
    curvature: np.ndarray
    cond: np.ndarray
    residual: np.ndarray
    loss_rtol: float
    gtol: float
    max_iter: int

    def rows(self) -> list[dict]:
        """One dict per start (for a table)."""
        keys = [k for k, v in self.__dict__.items() if isinstance(v, np.ndarray)]
        return [{k: getattr(self, k)[i].item() for k in keys} for i in range(self.width.size)]


def positive_controls(widths=(3, 10, 30), scales=(1e-3, 1e-2, 1e-1, 0.3), starts: int = 3, x=None,
                      residual: float = 1e-3, sharpness: float = 4.0, seed: int = 0, max_iter: int = 3000,
                      gtol: float = GTOL, loss_rtol: float = LOSS_RTOL, method: str = "both") -> Controls:
    """:func:`~nslkit.analysis.minfinder.find_minima` started near planted minima of known positive loss.

    At each width, :func:`planted_minimum` builds θ*, and the finder starts from θ* ⊙ (1 + s ξ),
    ξ ~ N(0, 1) per parameter, for each relative size s of ``scales``, ``starts`` times. Every
    start is reported as it ended: found (the rule met at the known loss), the rule met at another
    loss (another stationary point), or the rule missed ("stalled" or "cap"), never relabelled.

    Args:
        widths: the N of the problems (3N + 1 < P).
        scales: relative sizes of the perturbations.
        starts: starts per width and scale.
        x: (P,) points (None: ``np.linspace(-2, 2, 100)``).
        residual, sharpness: as for :func:`planted_minimum`.
        seed: the planted minimum of width N uses ``seed + N``; the starts draw from ``seed``.
        max_iter, gtol, method: the finder's cap, rule and iteration.
        loss_rtol: the relative distance to L* within which a start has found it.

    Returns:
        A :class:`Controls`, one entry per start, widths outermost, then scales.
    """
    starts = integer(starts, "starts")
    loss_rtol = number(loss_rtol, "loss_rtol", positive=True)
    scales = [number(s, "each scale", positive=True) for s in scales]
    gen = np.random.default_rng(integer(seed, "seed", minimum=0))
    cols: dict[str, list] = {k: [] for k in Controls.__dataclass_fields__ if k not in ("loss_rtol", "gtol", "max_iter")}
    for n in widths:
        pm = planted_minimum(n, x, residual, sharpness, seed + integer(n, "each width"))
        th0 = np.concatenate([(pm.theta * (1 + s * gen.normal(size=(starts, pm.theta.size))))
                              for s in scales])  # (len(scales) · starts, M)
        found = find_minima(*split(th0), pm.x, pm.y, gtol=gtol, max_iter=max_iter, method=method)
        loss = np.array([float(loss_long(t, pm.x, pm.y)) for t in found.theta])
        rel = loss / pm.loss - 1
        cols["width"] += [n] * th0.shape[0]
        cols["scale"] += [s for s in scales for _ in range(starts)]
        cols["start"] += list(range(starts)) * len(scales)
        cols["known"] += [pm.loss] * th0.shape[0]
        cols["start_loss"] += [float(loss_long(t, pm.x, pm.y)) for t in th0]
        cols["loss"] += list(loss)
        cols["rel_error"] += list(rel)
        cols["status"] += list(found.status)
        cols["iterations"] += list(found.iterations)
        cols["method"] += list(found.method)
        cols["decrement"] += list(found.decrement)
        cols["distance"] += list(np.linalg.norm(found.theta - pm.theta, axis=1) / np.linalg.norm(pm.theta))
        cols["end_curvature"] += list(curvature(found.theta, pm.x, pm.y))
        cols["found"] += list(found.converged & (np.abs(rel) <= loss_rtol))
        cols["curvature"] += [pm.curvature] * th0.shape[0]
        cols["cond"] += [pm.cond] * th0.shape[0]
        cols["residual"] += [pm.residual] * th0.shape[0]
    return Controls(**{k: np.asarray(v) for k, v in cols.items()}, loss_rtol=loss_rtol, gtol=gtol,
                    max_iter=max_iter)
