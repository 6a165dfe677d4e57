"""Chapter 12's optimiser map: at one budget of 50,000 steps (iterations for L-BFGS), does the
optimiser set the exponent? Every cell is compared with the paper's protocol on the same seeds.

The cells are :func:`nslkit.paper.minima.runs`' stage "map": Adam at four learning rates with and
without the schedule's decay, SGD with momentum 0.9 at five learning rates, and L-BFGS from the
initialisation; :func:`lbfgs_from_adam` adds L-BFGS started from Adam's trained networks, which
asks how far below Adam a quasi-Newton method finds the loss of the very networks Adam made.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..analysis import paired
from ..backends.lbfgs import lbfgs_network
from ..data import training_data
from ..results import Results, curve_steps
from .derived import derived_result
from .minima import load as load_stage, runs
from .scales import SCALING_WIDTHS

__all__ = ["PAPER_CELL", "cells", "paired_table", "best_per_width", "lbfgs_from_adam"]

#: The map's cell that is the paper's protocol (its networks are the main sweep's first seeds).
PAPER_CELL = "Adam lr 0.01"


def cells(scale: str = "full", store=None) -> dict[str, dict[int, Results]]:
    """{cell: {N: Results}} of every map cell stored at all of its widths."""
    want = runs(scale)["map"]
    got = load_stage("map", scale, store)
    return {name: sw for name, sw in got.items() if len(sw) == len(want[name][1])}


def _common(a: Mapping[int, Results], b: Mapping[int, Results], widths) -> tuple[list, list, int]:
    la, lb, n = [], [], None
    for w in widths:
        s, x, y = paired.common_seeds(a[w].seeds, a[w].train_mse, b[w].seeds, b[w].train_mse)
        la.append(x)
        lb.append(y)
        n = len(s) if n is None else min(n, len(s))
    return la, lb, n


def paired_table(map_cells: Mapping[str, Mapping[int, Results]], widths=SCALING_WIDTHS, reference: str = PAPER_CELL,
                 n_boot: int = 1000) -> list[dict[str, Any]]:
    """One row per cell: α over ``widths`` on the seeds it shares with ``reference``, Δα against
    ``reference`` with its paired interval, the seeds per width, and the medians at the first
    and last width."""
    ref = map_cells[reference]
    rows = []
    for name, sw in map_cells.items():
        la, lb, n = _common(sw, ref, widths)
        finite = all(np.all(np.isfinite(x) & (x > 0)) for x in la)
        row = {"cell": name, "seeds": n, f"median at {widths[0]}": float(np.median(la[0])),
               f"median at {widths[-1]}": float(np.median(la[-1]))}
        if finite:
            p = paired.paired_exponents(widths, la, lb, n_boot)
            row.update(alpha=p.alpha_a, alpha_ci=p.alpha_a_ci, delta=p.delta, delta_ci=p.delta_ci)
        rows.append(row)
    return rows


def best_per_width(map_cells: Mapping[str, Mapping[int, Results]], prefix: str, widths=SCALING_WIDTHS
                   ) -> tuple[dict[int, str], dict[int, Results]]:
    """Among the cells whose name starts with ``prefix`` (e.g. "SGD"), the one with the lowest
    median loss at each width (a choice made after seeing the data, to be disclosed as such):
    ({N: cell}, {N: its Results})."""
    family = {name: sw for name, sw in map_cells.items() if name.startswith(prefix)}
    if not family:
        raise ValueError(f"no stored cell starts with {prefix!r}; cells: {', '.join(map_cells)}")
    pick = {w: min(family, key=lambda name: np.nanmedian(np.where(np.isfinite(family[name][w].train_mse),
                                                                   family[name][w].train_mse, np.inf)))
            for w in widths}
    return pick, {w: family[pick[w]][w] for w in widths}


def lbfgs_from_adam(sweep: Mapping[int, Results], networks: int, steps: int = 50_000, store=None,
                    train: bool = True) -> dict[int, dict[str, list]]:
    """L-BFGS-B (:func:`nslkit.backends.lbfgs.lbfgs_network`, at most ``steps`` iterations, stopped
    otherwise only by a line search that cannot progress) started from the first ``networks``
    trained networks of each width of ``sweep``, kept as the derived result "lbfgs_from_adam_N<w>":
    {N: {"before", "after", "iterations", "stops", "curve_steps", "curve"}}. Without ``train``
    a width not stored is left out."""
    first = next(iter(sweep.values())).config
    x, y = (t.numpy() for t in training_data(first))
    record = curve_steps(steps, 100, "log")
    out = {}
    for w, r in sorted(sweep.items()):
        k = min(networks, len(r.seeds))

        def compute(r=r, k=k):
            from threadpoolctl import threadpool_limits

            res = {"before": r.train_mse[:k].tolist(), "after": [], "iterations": [], "stops": [],
                   "curve_steps": record.tolist(), "curve": []}
            with threadpool_limits(1, "blas"):
                for s in range(k):
                    theta = np.concatenate([r.w[s, :, 0], r.b[s], r.v[s], r.c[s:s + 1]])
                    _, curve, nit, message = lbfgs_network(theta, x[:, 0], y, first.activation, first.negative_slope,
                                                           steps, record)
                    res["after"].append(float(curve[-1]))
                    res["iterations"].append(nit)
                    res["stops"].append(message)
                    res["curve"].append(curve.tolist())
            return res

        got = derived_result(f"lbfgs_from_adam_N{w}", [r, f"{k}:{steps}"], compute if train else None,
                             ["backends/lbfgs.py", "results.py:curve_steps"], store)
        if got is not None:
            out[w] = got
    return out
