"""The loss as a joint law of width and training budget, L(N, T), and the width that a fixed
compute buys best.

Five forms, each fitted to median losses by least squares on log L (every point weighs the
same whatever its magnitude; :func:`fit_joint_law`):

* ``"sum"``: L = A N^-a + B T^-b: width and budget each remove their own part of the loss;
* ``"sum+floor"``: the same plus a floor C ≥ 0 that neither removes;
* ``"product"``: L = A N^-a T^-b: the budget rescales the whole width law (a straight plane in
  log-log);
* ``"product+floor"``: the same plus a floor C ≥ 0;
* ``"mixed"``: L = A N^-a + B N^-c T^-b: a part that width alone removes, and a part that the
  budget removes faster the wider the network.

A form is judged on points it did not see (:func:`held_out_error`): fit on some widths and
budgets, predict the others. With compute K = N · P · T (neuron·point-steps of one network),
:func:`compute_optimal_width` gives the width whose fitted loss is lowest at fixed K, within the
widths the fit covers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize

__all__ = ["FORMS", "JointFit", "fit_joint_law", "held_out_error", "compute_optimal_width"]

#: The forms of :func:`fit_joint_law`, with their parameter names.
FORMS = {"sum": ("A", "a", "B", "b"), "sum+floor": ("A", "a", "B", "b", "C"),
         "product": ("A", "a", "b"), "product+floor": ("A", "a", "b", "C"), "mixed": ("A", "a", "B", "c", "b")}


def _predict(form: str, p: np.ndarray, n: np.ndarray, t: np.ndarray) -> np.ndarray:
    """L at widths n and budgets t under ``form`` with parameters p (log-amplitudes for A, B, C)."""
    if form == "mixed":
        return np.exp(p[0]) * n ** -p[1] + np.exp(p[2]) * n ** -p[3] * t ** -p[4]
    if form.startswith("sum"):
        out = np.exp(p[0]) * n ** -p[1] + np.exp(p[2]) * t ** -p[3]
    else:
        out = np.exp(p[0]) * n ** -p[1] * t ** -p[2]
    return out + (np.exp(p[-1]) if form.endswith("floor") else 0.0)


@dataclass(frozen=True, eq=False)
class JointFit:
    """A fitted L(N, T).

    Attributes:
        form: one of :data:`FORMS`.
        params: {name: value}: amplitudes A, B, C as values, exponents a, b as decay rates.
        rms: root-mean-square residual of log10 L over the fitted points (decades).
        n_points: the points fitted.
    """

    form: str
    params: dict[str, float]
    rms: float
    n_points: int
    _p: np.ndarray

    def predict(self, widths, budgets) -> np.ndarray:
        """Fitted L at widths N and budgets T (broadcast together).

        Args:
            widths: the widths N.
            budgets: the budgets T (steps).
        """
        n, t = np.broadcast_arrays(np.asarray(widths, dtype=float), np.asarray(budgets, dtype=float))
        return _predict(self.form, self._p, n, t)


def _check(widths, budgets, losses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, t, l = (np.asarray(a, dtype=float).ravel() for a in (widths, budgets, losses))
    if not (n.size == t.size == l.size):
        raise ValueError(f"widths, budgets and losses must have equal length, got {n.size}, {t.size}, {l.size}")
    for name, a in (("widths", n), ("budgets", t), ("losses", l)):
        if not np.all(np.isfinite(a) & (a > 0)):
            raise ValueError(f"{name} must be positive and finite, got {a[~(np.isfinite(a) & (a > 0))][:5].tolist()}")
    return n, t, l


def fit_joint_law(widths, budgets, losses, form: str = "sum+floor") -> JointFit:
    """Fit L(N, T) of ``form`` (:data:`FORMS`) to losses (e.g. medians over seeds) at
    (width, budget) points, minimising the squared residuals of log L.

    Args:
        widths, budgets, losses: 1-D, equal length, positive: one point each.
        form: "sum", "sum+floor", "product" or "product+floor".

    Returns:
        :class:`JointFit`. Several starts are tried (exponents 0.5, 1, 2; amplitudes from the
        data's scale) and the best kept.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; valid forms: {', '.join(FORMS)}")
    n, t, l = _check(widths, budgets, losses)
    k = len(FORMS[form])
    if n.size <= k:
        raise ValueError(f"form {form!r} has {k} parameters; it needs more than {k} points, got {n.size}")
    ll = np.log(l)

    def resid(p):
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return np.log(_predict(form, p, n, t)) - ll

    scale = float(np.log(np.max(l)))
    best = None
    for a0 in (0.5, 1.0, 2.0, 4.0):
        for b0 in (0.5, 1.0, 2.0):
            if form == "mixed":
                p0 = [scale + a0 * np.log(n.min()), a0, scale + b0 * np.log(t.min()) + np.log(n.min()), 1.0, b0]
            elif form.startswith("sum"):
                p0 = [scale + a0 * np.log(n.min()), a0, scale + b0 * np.log(t.min()), b0]
            else:
                p0 = [scale + a0 * np.log(n.min()) + b0 * np.log(t.min()), a0, b0]
            if form.endswith("floor"):
                p0.append(float(np.log(np.min(l))) - 1.0)
            try:
                r = optimize.least_squares(resid, p0, method="trf", max_nfev=4000)
            except (ValueError, FloatingPointError):
                continue
            if np.all(np.isfinite(r.fun)) and (best is None or r.cost < best.cost):
                best = r
    if best is None:
        raise RuntimeError(f"no start of form {form!r} gave a finite fit")
    p = best.x
    names = FORMS[form]
    values = [float(np.exp(v)) if name in ("A", "B", "C") else float(v) for name, v in zip(names, p)]
    rms = float(np.sqrt(np.mean((best.fun / np.log(10)) ** 2)))
    return JointFit(form, dict(zip(names, values)), rms, int(n.size), p)


def held_out_error(widths, budgets, losses, form: str, held_widths: Sequence[float] = (),
                   held_budgets: Sequence[float] = ()) -> tuple[JointFit, float, int]:
    """(fit, rms, points): ``form`` fitted on the points whose width is not in ``held_widths`` and
    whose budget is not in ``held_budgets``, and the root-mean-square error of log10 L (decades)
    with which it predicts the held-out points (those with a held width or a held budget).

    Args:
        widths, budgets, losses: one point each, (M,) N, T and its loss L.
        form: the law's form, a name of :data:`FORMS`.
        held_widths, held_budgets: the widths and budgets held out of the fit.
    """
    n, t, l = _check(widths, budgets, losses)
    held = np.isin(n, np.asarray(held_widths, dtype=float)) | np.isin(t, np.asarray(held_budgets, dtype=float))
    if not held.any() or held.all():
        raise ValueError("hold out some points and keep some: held_widths and held_budgets select "
                         f"{int(held.sum())} of {n.size}")
    fit = fit_joint_law(n[~held], t[~held], l[~held], form)
    err = np.log10(fit.predict(n[held], t[held])) - np.log10(l[held])
    return fit, float(np.sqrt(np.mean(err ** 2))), int(held.sum())


def compute_optimal_width(fit: JointFit, compute: float, points: int, widths: Sequence[float]) -> tuple[float, float]:
    """(N*, L*): the width among ``widths`` (a grid: the ones the fit saw, or a finer one inside
    them) whose fitted loss is lowest when one network gets ``compute`` neuron·point-steps,
    i.e. T = compute / (N · points), and that loss. An optimum at either end of ``widths`` says
    the fit wants a width (or a budget) outside what was measured.

    Args:
        fit: the joint law.
        compute: the neuron·point-steps one network gets.
        points: the training points P.
        widths: the widths to choose from.
    """
    w = np.asarray(widths, dtype=float)
    if w.ndim != 1 or w.size < 1 or not np.all(w > 0):
        raise ValueError(f"widths must be a non-empty list of positive widths, got {list(widths)!r}")
    if not compute > 0 or not points > 0:
        raise ValueError(f"compute and points must be positive, got {compute!r} and {points!r}")
    loss = fit.predict(w, compute / (w * points))
    i = int(np.argmin(loss))
    return float(w[i]), float(loss[i])
