"""Chapter 12's measurements: the exponent against the training budget, paired seed by seed, and
the joint law L(N, T).

The runs are :func:`nslkit.paper.minima.runs`' stage "budget": SiLU y = x² at widths 2-50 under
the paper's schedule stretched to each budget T (lr 0.01 × 0.2 every T/5), 200 seeds, beside the
main sweep (T = 50,000, 1000 seeds) cut to the same seeds. Every comparison between budgets is
paired (:func:`nslkit.analysis.paired.paired_exponents`): the same initialisations at every T.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..analysis import joint, paired
from ..experiment import sweep as run_sweep
from ..results import Results
from .minima import BUDGET_WIDTHS, runs, stored_part
from .scales import SCALING_WIDTHS
from .study import main_sweep

__all__ = ["REFERENCE", "load", "median_falls", "alpha_table", "alpha_frame", "alpha_numbers", "joint_fits", "joint_frame",
           "joint_numbers", "best_form", "compute_optimal", "HELD_WIDTHS", "HELD_BUDGETS"]

#: The budget every other is compared with: the paper's 50,000 steps.
REFERENCE = 50_000
#: What the joint law's forms are judged on: these widths and budgets, left out of the fit.
HELD_WIDTHS = (6, 25)
HELD_BUDGETS = (500_000,)


def load(scale: str = "full", store=None, train: bool = False) -> dict[int, dict[int, Results]]:
    """{T: {N: Results}} of every budget stored (with ``train``, trained where missing), the main
    sweep's T = 50,000 among them, each with every seed stored (a budget still training may hold
    fewer: each comparison pairs the seeds its two budgets share, :func:`alpha_table`)."""
    named = runs(scale)["budget"]
    first_cfg, widths = next(iter(named.values()))
    main_scale = "paper" if scale == "full" else "smoke"
    out: dict[int, dict[int, Results]] = {}
    try:
        ref = main_sweep(main_scale, "silu", widths, train=train, store=store,
                         steps=None if scale == "full" else first_cfg.steps // 2)
        out[next(iter(ref.values())).config.steps] = dict(ref)
    except FileNotFoundError:
        pass
    for cfg, ws in named.values():
        got = {}
        for w in ws:
            try:
                got.update(run_sweep(cfg, [w], store=store, train=train, progress=False))
            except FileNotFoundError:  # still training: the seeds stored so far, if any
                part = stored_part(cfg, w, store)
                if part is not None:
                    got[w] = part
        if got:
            out[cfg.steps] = got
    return dict(sorted(out.items()))


def _pair(a: Mapping[int, Results], b: Mapping[int, Results], widths) -> tuple[list, list, int]:
    """The losses of ``a`` and ``b`` at each of ``widths`` on the seeds both hold there, and the
    fewest such seeds at any width."""
    la, lb, n = [], [], []
    for w in widths:
        common = sorted(set(a[w].seeds) & set(b[w].seeds))
        la.append(a[w].take(common).train_mse)
        lb.append(b[w].take(common).train_mse)
        n.append(len(common))
    return la, lb, min(n)


def _losses(sw: Mapping[int, Results], widths) -> list[np.ndarray]:
    return [sw[w].train_mse for w in widths]


def alpha_table(budgets: Mapping[int, Mapping[int, Results]], widths=SCALING_WIDTHS, n_boot: int = 1000,
                reference: int | None = None) -> list[dict[str, Any]]:
    """One row per budget T whose runs hold every one of ``widths``: α over those widths with its
    interval (on the seeds it shares with the reference), Δα against ``reference`` (default the
    smallest budget: the paper's 50,000 steps) and against the previous budget, each with its
    paired interval on the seeds both budgets hold ("seeds_ref", "seeds_prev": the fewest at any
    width), the seeds stored ("seeds"), and the median at each width over every stored seed."""
    ts = [t for t in sorted(budgets) if all(w in budgets[t] for w in widths)]
    reference = ts[0] if reference is None and ts else reference
    rows = []
    for i, t in enumerate(ts):
        sw = budgets[t]
        row: dict[str, Any] = {"T": t, "seeds": min(len(sw[w].seeds) for w in widths)}
        if reference in ts and t != reference:
            la, lb, n = _pair(sw, budgets[reference], widths)
            base = paired.paired_exponents(widths, la, lb, n_boot)
            row.update(alpha=base.alpha_a, alpha_ci=base.alpha_a_ci, delta_ref=base.delta, delta_ref_ci=base.delta_ci,
                       seeds_ref=n)
        else:  # the reference itself: α on all its seeds
            fit = paired.paired_exponents(widths, _losses(sw, widths), _losses(sw, widths), n_boot)
            row.update(alpha=fit.alpha_a, alpha_ci=fit.alpha_a_ci)
        if i > 0:
            la, lb, n = _pair(sw, budgets[ts[i - 1]], widths)
            prev = paired.paired_exponents(widths, la, lb, n_boot)
            row.update(previous=ts[i - 1], delta_prev=prev.delta, delta_prev_ci=prev.delta_ci, seeds_prev=n)
        row["medians"] = {w: float(np.median(sw[w].train_mse)) for w in widths}
        rows.append(row)
    return rows


def _points(budgets: Mapping[int, Mapping[int, Results]], widths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pts = [(w, t, float(np.median(sw[w].train_mse))) for t, sw in budgets.items() for w in widths if w in sw]
    n, t, l = (np.array(c, dtype=float) for c in zip(*pts))
    return n, t, l


def joint_fits(budgets: Mapping[int, Mapping[int, Results]], widths=BUDGET_WIDTHS, held_widths=HELD_WIDTHS,
               held_budgets=HELD_BUDGETS) -> dict[str, dict[str, Any]]:
    """Each form of :data:`nslkit.analysis.joint.FORMS` fitted to the median losses at every
    (width, budget) stored: {form: {"params", "rms" (decades, all points), "held_rms" (decades,
    predicting the held-out widths and budgets from a fit without them), "held_points"}}."""
    n, t, l = _points(budgets, widths)
    out = {}
    for form in joint.FORMS:
        fit = joint.fit_joint_law(n, t, l, form)
        held = [b for b in held_budgets if b in t]
        _, held_rms, n_held = joint.held_out_error(n, t, l, form, held_widths, held)
        out[form] = {"params": fit.params, "rms": fit.rms, "held_rms": held_rms, "held_points": n_held,
                     "fit": fit}
    return out


def compute_optimal(fit: joint.JointFit, computes, points: int = 100, widths=BUDGET_WIDTHS) -> list[dict[str, float]]:
    """For each compute K (neuron·point-steps of one network), the width among a fine grid over
    ``widths``' range whose fitted loss is least at T = K / (N · points), and that loss and T."""
    grid = np.unique(np.round(np.geomspace(min(widths), max(widths), 200)))
    out = []
    for k in computes:
        n_star, l_star = joint.compute_optimal_width(fit, k, points, grid)
        out.append({"compute": float(k), "N": n_star, "T": float(k / (n_star * points)), "loss": l_star,
                    "at_edge": n_star in (grid[0], grid[-1])})
    return out


def _ci(x: float, ci, fmt: str = ".2f") -> str:
    return f"{x:{fmt}} [{ci[0]:{fmt}}, {ci[1]:{fmt}}]"


def alpha_frame(rows: list[dict[str, Any]]):
    """:func:`alpha_table`'s rows as a pandas DataFrame for the page: α and each Δα with its 95%
    interval ("decided" where the interval excludes 0), the seeds, the medians at the ends."""
    import pandas as pd

    def delta(r, key):
        if key not in r:
            return ""
        lo, hi = r[f"{key}_ci"]
        return _ci(r[key], r[f"{key}_ci"], "+.2f") + ("" if lo <= 0 <= hi else " *")

    out = []
    for r in rows:
        ws = list(r["medians"])
        paired = f" ({r['seeds_ref']:,} paired)" if "seeds_ref" in r else ""
        out.append({"T (steps)": f"{r['T']:,}", "seeds": f"{r['seeds']:,}{paired}", "α": _ci(r["alpha"], r["alpha_ci"]),
                    "Δα vs the first": delta(r, "delta_ref"), "Δα vs the previous": delta(r, "delta_prev"),
                    f"median at {ws[0]}": f"{r['medians'][ws[0]]:.2e}",
                    f"median at {ws[-1]}": f"{r['medians'][ws[-1]]:.2e}"})
    return pd.DataFrame(out).set_index("T (steps)")


def joint_frame(fits: Mapping[str, Mapping[str, Any]]):
    """:func:`joint_fits` as a pandas DataFrame: each form's parameters, its rms misfit over the
    points it was fitted to and over the held-out ones (decades of the loss)."""
    import pandas as pd

    return pd.DataFrame({form: {"parameters": ", ".join(f"{k} = {v:.3g}" for k, v in f["params"].items()),
                                "rms, all points (decades)": f"{f['rms']:.3f}",
                                "rms, held out (decades)": f"{f['held_rms']:.3f}",
                                "held-out points": f["held_points"]} for form, f in fits.items()}).T


def alpha_numbers(rows: list[dict[str, Any]], small: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The page's numbers of :func:`alpha_table` (and of its narrow-width twin ``small``), as
    formatted text: "alpha_first", "alpha_last", "T_last", "alpha_<T>", "dref_<T>",
    "dprev_<T>" (with intervals), and "small_first", "small_last"."""
    out: dict[str, Any] = {}
    for r in rows:
        t = r["T"]
        out[f"alpha_{t}"] = _ci(r["alpha"], r["alpha_ci"])
        for key, name in (("delta_ref", "dref"), ("delta_prev", "dprev")):
            if key in r:
                lo, hi = r[f"{key}_ci"]
                out[f"{name}_{t}"] = _ci(r[key], r[f"{key}_ci"], "+.2f")
                out[f"{name}_{t}_verdict"] = "undecided" if lo <= 0 <= hi else "decided"
                out[f"{name}_{t}_seeds"] = r["seeds_ref" if key == "delta_ref" else "seeds_prev"]
    if rows:
        out.update(alpha_first=out[f"alpha_{rows[0]['T']}"], alpha_last=out[f"alpha_{rows[-1]['T']}"],
                   T_first=f"{rows[0]['T']:,}", T_last=f"{rows[-1]['T']:,}",
                   dref_last=out.get(f"dref_{rows[-1]['T']}", "none"),
                   dref_last_verdict=out.get(f"dref_{rows[-1]['T']}_verdict", "none"),
                   dref_last_seeds=out.get(f"dref_{rows[-1]['T']}_seeds", 0),
                   decided_prev=sum(1 for r in rows if "delta_prev" in r
                                    and not r["delta_prev_ci"][0] <= 0 <= r["delta_prev_ci"][1]),
                   steps_prev=sum(1 for r in rows if "delta_prev" in r))
    for r in small or []:
        out[f"small_{r['T']}"] = _ci(r["alpha"], r["alpha_ci"])
        if "delta_ref" in r:
            lo, hi = r["delta_ref_ci"]
            out[f"small_dref_{r['T']}"] = _ci(r["delta_ref"], r["delta_ref_ci"], "+.2f")
            out[f"small_dref_{r['T']}_verdict"] = "undecided" if lo <= 0 <= hi else "decided"
    if small:
        out.update(small_first=out[f"small_{small[0]['T']}"], small_last=out[f"small_{small[-1]['T']}"],
                   small_T_last=f"{small[-1]['T']:,}")
        if "delta_ref" in small[-1]:
            out.update(small_dref_last=out[f"small_dref_{small[-1]['T']}"],
                       small_dref_last_verdict=out[f"small_dref_{small[-1]['T']}_verdict"])
    return out


def median_falls(budgets: Mapping[int, Mapping[int, Results]]) -> dict[str, Any]:
    """Whether each width's median falls at every longer budget it is stored at: "falls_at" (the
    widths where it does), "rises_at" (where it does not, with the budget), and the factor from
    the first budget to the longest stored at each width ("fold_lo", "fold_hi")."""
    falls, rises, folds = [], [], []
    for w in sorted({w for sw in budgets.values() for w in sw}):
        ts = [t for t in sorted(budgets) if w in budgets[t]]
        med = [float(np.median(budgets[t][w].train_mse)) for t in ts]
        if len(ts) < 2:
            continue
        bad = [f"N = {w} at {ts[i + 1]:,}" for i in range(len(ts) - 1) if not med[i + 1] < med[i]]
        (rises.extend(bad) if bad else falls.append(w))
        folds.append(med[0] / med[-1])
    return {"falls_at": ", ".join(map(str, falls)) or "no width", "rises_at": "; ".join(rises) or "nowhere",
            "fold_lo": f"{min(folds):.3g}" if folds else "", "fold_hi": f"{max(folds):.3g}" if folds else ""}


def best_form(fits: Mapping[str, Mapping[str, Any]]) -> str:
    """The form of :func:`joint_fits` that predicts the held-out points best."""
    return min(fits, key=lambda form: fits[form]["held_rms"])


def joint_numbers(fits: Mapping[str, Mapping[str, Any]], budgets: Mapping[int, Any], held_widths=HELD_WIDTHS,
                  held_budgets=HELD_BUDGETS) -> dict[str, Any]:
    """The page's numbers of :func:`joint_fits`: the held-out widths and budgets, the best form,
    its parameters and its misfits (decades), and the worst form's held-out misfit."""
    out = {"held_widths": ", ".join(map(str, held_widths)),
           "held_budgets": ", ".join(f"{t:,}" for t in held_budgets if t in budgets) or "none stored yet"}
    if fits:
        b = best_form(fits)
        worst = max(fits, key=lambda form: fits[form]["held_rms"])
        out.update(best_form=b, best_params=", ".join(f"{k} = {v:.3g}" for k, v in fits[b]["params"].items()),
                   best_rms=f"{fits[b]['rms']:.2f}", best_held=f"{fits[b]['held_rms']:.2f}", worst_form=worst,
                   worst_held=f"{fits[worst]['held_rms']:.2f}", budgets_fitted=len(budgets))
    else:
        out.update(best_form="not run yet", best_params="", best_rms="", best_held="", worst_form="", worst_held="",
                   budgets_fitted=len(budgets))
    return out
