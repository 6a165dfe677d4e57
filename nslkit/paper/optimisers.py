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

from ..analysis import fits, paired
from ..backends.lbfgs import lbfgs_network
from ..data import training_data
from ..results import Results, curve_steps
from .derived import derived_result
from .minima import load as load_stage, runs
from .scales import SCALING_WIDTHS

__all__ = ["PAPER_CELL", "LBFGS_NETWORKS", "cells", "paired_table", "paired_frame", "map_numbers", "best_per_width",
           "sgd_best", "lbfgs_from_adam", "lbfgs_frame", "lbfgs_numbers", "c11_c17_by_budget"]

#: The map's cell that is the paper's protocol (its networks are the main sweep's first seeds).
PAPER_CELL = "Adam lr 0.01"
#: Adam's trained networks per width that L-BFGS is started from (:func:`lbfgs_from_adam`).
LBFGS_NETWORKS = 50


def cells(scale: str = "full", store=None) -> dict[str, dict[int, Results]]:
    """{cell: {N: Results}} of every map cell stored at all of its widths (at the seeds stored so
    far where a cell is still training: each comparison pairs the seeds both cells hold)."""
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


def paired_frame(rows: list[dict[str, Any]]):
    """:func:`paired_table`'s rows as a pandas DataFrame for the page ("*": Δα's interval excludes 0)."""
    import pandas as pd

    out = {}
    for r in rows:
        ws = [k for k in r if k.startswith("median at ")]
        d = {"seeds": r["seeds"]}
        if "alpha" in r:
            lo, hi = r["delta_ci"]
            d["α"] = f"{r['alpha']:.2f} [{r['alpha_ci'][0]:.2f}, {r['alpha_ci'][1]:.2f}]"
            d[f"Δα vs {PAPER_CELL}"] = (f"{r['delta']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
                                        + ("" if lo <= 0 <= hi else " *"))
        else:
            d["α"] = d[f"Δα vs {PAPER_CELL}"] = "diverged"
        d.update({k: f"{r[k]:.1e}" for k in ws})
        out[r["cell"]] = d
    return pd.DataFrame(out).T


def map_numbers(rows: list[dict[str, Any]], map_cells: Mapping[str, Mapping[int, Results]]) -> dict[str, Any]:
    """The page's numbers of :func:`paired_table`: the seeds per cell, the range of α over the
    cells, the Adam cells with and without the decay, and how many Δα are decided."""
    out: dict[str, Any] = {"map_seeds": min((r["seeds"] for r in rows), default=0)}
    alphas = {r["cell"]: r for r in rows if "alpha" in r}
    if alphas:
        lo = min(alphas, key=lambda c: alphas[c]["alpha"])
        hi = max(alphas, key=lambda c: alphas[c]["alpha"])
        out.update(map_alpha_lo=f"{alphas[lo]['alpha']:.2f}", map_lo_at=lo, map_alpha_hi=f"{alphas[hi]['alpha']:.2f}",
                   map_hi_at=hi, map_decided=sum(1 for r in alphas.values() if r["cell"] != PAPER_CELL
                                                 and not r["delta_ci"][0] <= 0 <= r["delta_ci"][1]),
                   map_cells=len(alphas) - (PAPER_CELL in alphas))
        for family, test in (("decay", lambda c: c.startswith("Adam") and "no decay" not in c),
                             ("nodecay", lambda c: c.startswith("Adam") and "no decay" in c),
                             ("sgd", lambda c: c.startswith("SGD"))):
            a = [alphas[c]["alpha"] for c in alphas if test(c)]
            if a:
                out[f"{family}_alpha_lo"], out[f"{family}_alpha_hi"] = f"{min(a):.2f}", f"{max(a):.2f}"
    return out


def sgd_best(map_cells: Mapping[str, Mapping[int, Results]], widths=SCALING_WIDTHS, n_boot: int = 1000) -> dict:
    """SGD at its best learning rate per width (:func:`best_per_width`, chosen after the data):
    {"picks": {N: lr}, "alpha", "delta" (against the paper's Adam on the same seeds, paired),
    "median_ratio_50" (SGD's best median over Adam's at the widest width)}."""
    if not any(c.startswith("SGD") for c in map_cells):
        return {}
    pick, best = best_per_width(map_cells, "SGD", widths)
    la, lb, n = _common(best, map_cells[PAPER_CELL], widths)
    p = paired.paired_exponents(widths, la, lb, n_boot)
    return {"picks": {w: map_cells[pick[w]][w].config.lr for w in widths}, "seeds": n,
            "alpha": f"{p.alpha_a:.2f} [{p.alpha_a_ci[0]:.2f}, {p.alpha_a_ci[1]:.2f}]",
            "delta": f"{p.delta:+.2f} [{p.delta_ci[0]:+.2f}, {p.delta_ci[1]:+.2f}]",
            "decided": "decided" if not p.delta_ci[0] <= 0 <= p.delta_ci[1] else "undecided",
            "ratio_last": f"{np.median(la[-1]) / np.median(lb[-1]):.2g}",
            "ratio_first": f"{np.median(la[0]) / np.median(lb[0]):.2g}"}


def lbfgs_frame(from_adam: Mapping[int, Mapping[str, list]], map_cells: Mapping[str, Mapping[int, Results]]):
    """L-BFGS from the initialisation (the map's cell) and from Adam's networks, per width: the
    medians before and after, and how each run ended."""
    import pandas as pd

    init = map_cells.get("L-BFGS", {})
    rows = {}
    for w, r in sorted(from_adam.items()):
        stops = pd.Series(r["stops"]).value_counts()
        rows[w] = {"networks": len(r["after"]), "Adam (start)": f"{np.median(r['before']):.1e}",
                   "L-BFGS from Adam": f"{np.median(r['after']):.1e}",
                   "improvement": f"{np.median(r['before']) / np.median(r['after']):.2g}×",
                   "L-BFGS from init": f"{np.median(init[w].train_mse):.1e}" if w in init else "not run yet",
                   "stopped by": "; ".join(f"{m[:40]} ({k})" for m, k in stops.items())}
    return pd.DataFrame(rows).T.rename_axis("N")


def lbfgs_numbers(from_adam: Mapping[int, Mapping[str, list]], map_cells: Mapping[str, Mapping[int, Results]]
                  ) -> dict[str, Any]:
    """The page's numbers of :func:`lbfgs_frame`: the networks, the improvement factor range, α of
    L-BFGS from Adam and from the initialisation over the widths where both exist."""
    out: dict[str, Any] = {"lbfgs_networks": len(next(iter(from_adam.values()))["after"]) if from_adam else 0}
    if from_adam:
        f = {w: np.median(r["before"]) / np.median(r["after"]) for w, r in from_adam.items()}
        out.update(lbfgs_gain_lo=f"{min(f.values()):.2g}", lbfgs_gain_hi=f"{max(f.values()):.2g}")
        ws = sorted(from_adam)
        if len(ws) >= 2:
            fit = fits.fit_exponent(ws, [np.median(from_adam[w]["after"]) for w in ws])
            out["lbfgs_adam_alpha"] = f"{fit.alpha:.2f}"
    init = map_cells.get("L-BFGS", {})
    if len(init) >= 2:
        ws = sorted(init)
        out["lbfgs_init_alpha"] = f"{fits.fit_exponent(ws, [np.median(init[w].train_mse) for w in ws]).alpha:.2f}"
    return out


def c11_c17_by_budget(budgets: Mapping[int, Mapping[int, Results]], ts) -> Any:
    """C11 and C17 measured on the networks of each budget in ``ts`` (the budget runs have no
    width 1, so C11 compares N = 4, 20 and 40 with their halves; C17 has no width 1000), at each
    width on the seeds all of ``ts`` hold there (paired; a width some budget lacks is left out): a
    pandas DataFrame of their verdicts and headline numbers per budget."""
    import pandas as pd

    from .appendices import measure_c17
    from .sections import measure_c11

    rows = {}
    ts = [t for t in ts if budgets.get(t)]
    for t in ts:
        # paired: at each width, the seeds every budget of ``ts`` holds there
        sw = {}
        for w, r in budgets[t].items():
            have = [budgets[u][w] for u in ts if w in budgets[u]]
            if len(have) == len(ts):
                sw[w] = r.take(sorted(set.intersection(*(set(h.seeds) for h in have))))
        if not sw:
            continue
        n = sorted({len(r.seeds) for r in sw.values()})
        label = f"{t:,} steps ({n[0]} seeds)" if len(n) == 1 else f"{t:,} steps ({n[0]}-{n[-1]} seeds)"
        c11 = measure_c11(sw)
        nets = {w: sw[w] for w in (10, 30, 50) if w in sw}
        row = {"C11 ratios": c11.headline.removeprefix("ratios ")}
        if nets:
            c17 = measure_c17(nets)
            row.update({"C17 good pairs": ", ".join(f"N={w}: {c17.numbers['good'][w]:.2f}" for w in nets),
                        "C17 independent tickets": ", ".join(f"N={w}: {c17.numbers['rank'][w]:.2f}" for w in nets)})
        rows[label] = row
    return pd.DataFrame(rows).T.rename_axis("budget")
