"""Our measurement of each claim of the paper's appendices (C13-C18): other targets (A),
algorithms (B), disentangling (C) and distillation (D).

As in :mod:`.sections`: each ``measure_cN`` returns a :class:`~.findings.Finding`, its criteria
stated beside it as constants. No I/O here.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from scipy.signal import argrelmin

from ..analysis import algorithms, disentangle, peaks, shapes
from ..results import Results
from .findings import Finding, grade, losses_at, scale_of
from .scales import SCALING_WIDTHS
from .tickets import training_xy

__all__ = ["C13_EXPECTED", "NARROW_WIDTHS", "C14_MULTI", "ALGORITHM_MAX_LOSS", "C15_COSINE", "C16_EXPECTED",
           "C17_GOOD", "C17_HALF", "C17_RANK", "C17_MINIMA", "C17_MINIMA_TOL", "C18_RATIO", "C18_BEST", "C18_COND",
           "C18_FINETUNE_LR", "C18_FINETUNE_STEPS", "algorithm_table", "error_profile",
           "measure_c13", "measure_c14", "measure_c15", "measure_c16", "measure_c17", "measure_c18"]


# ---- Appendix A: other targets ----------------------------------------------------------------

#: C13: the shapes (shapes.curve_shape) that agree with what Appendix A says of each target's
#: curve: "obey N^-1 quite well: x², x³, tanh (early stage)"; "still decaying but seem to
#: plateau: x⁴, sin², exp(x²)"; "the others already plateaued or even slightly increase".
C13_EXPECTED = {
    "x2": ("N^-1",), "x3": ("N^-1",), "tanh": ("N^-1", "N^-1, then flattens"),
    **{t: ("decays, slower than N^-1", "N^-1, then flattens") for t in ("x4", "sin2", "expx2")},
    **{t: ("plateaus", "rises") for t in ("sin", "cos", "exp", "relu")},
}
#: C13, C14: the narrow widths, where the histograms should have several peaks.
NARROW_WIDTHS = (1, 2, 3, 4)


def _modes(sweep: Mapping[int, Results]) -> dict[int, int]:
    return {w: peaks.count_modes(r.train_mse) for w, r in sweep.items()}


def measure_c13(sweeps: Mapping[str, Mapping[int, Results]], n_boot: int = 1000) -> Finding:
    """C13: per unary target, KDE modes at narrow and at the widest width, and the curve's shape.

    Three criteria per target: ≥ 2 modes at some N ≤ 4, 1 mode at the widest N, and a curve
    shape over N ≥ 10 (:func:`nslkit.shapes.curve_shape`) among :data:`C13_EXPECTED`'s.
    """
    rows, passes, total = {}, 0, 0
    for t, sw in sweeps.items():
        modes = _modes(sw)
        widths = sorted(w for w in sw if w >= min(SCALING_WIDTHS))
        shape = shapes.curve_shape(widths, losses_at(sw, widths), n_boot=n_boot)
        narrow = max(modes[w] for w in modes if w in NARROW_WIDTHS) >= 2
        wide = modes[max(modes)] == 1
        as_paper = shape.shape in C13_EXPECTED[t]
        passes += narrow + wide + as_paper
        total += 3
        rows[t] = {"modes": modes, "shape": shape.shape, "alpha": shape.overall.alpha,
                   "alpha_late": shape.late.alpha, "narrow_multi": narrow, "wide_single": wide,
                   "shape_as_paper": as_paper, "curve": shape}
    value = "; ".join(f"{t}: {r['shape']} (α = {r['alpha']:.2f}, late {r['alpha_late']:.2f})"
                      f"{'' if r['shape_as_paper'] else ' ≠ paper'}"
                      f"{'' if r['narrow_multi'] else ', narrow single-peaked'}"
                      f"{'' if r['wide_single'] else ', widest multi-peaked'}" for t, r in rows.items())
    verdict = grade(passes, total, partly_at=2 / 3)
    return Finding("C13", f"{passes}/{total} criteria met. {value}", verdict,
                   "per target: ≥ 2 KDE modes at some N ≤ 4, 1 mode at the widest N, and the curve shape over "
                   "N ≥ 10 the paper gives (all: reproduced; ≥ 2/3: partly)", scale_of(next(iter(sweeps.values()))),
                   {"passes": passes, "total": total,
                    "shapes": {t: r["shape"] for t, r in rows.items()},
                    "alphas": {t: r["alpha"] for t, r in rows.items()}}, rows)


#: C14: the widths at which each product should have several peaks, and where one.
C14_MULTI = {"prod2": "some N in 2-4", "prod3": "N = 10 only", "prod4": "N = 10 only", "prod5": "none"}


def _c14_peaks_as_paper(target: str, modes: Mapping[int, int]) -> bool:
    multi = {w for w, m in modes.items() if m >= 2}
    if target == "prod2":
        return bool(multi & {2, 3, 4})
    if target in ("prod3", "prod4"):
        return multi == {10}
    return not multi


def measure_c14(sweeps: Mapping[str, Mapping[int, Results]], n_boot: int = 1000) -> Finding:
    """C14: per product, where the histograms have several peaks, and its N^-1 range.

    Two criteria per product: the widths with ≥ 2 KDE modes are those of :data:`C14_MULTI`,
    and some run of ≥ 3 consecutive widths has |α − 1| ≤ 0.25 (:func:`nslkit.shapes.n1_window`).
    """
    rows, passes = {}, 0
    for t, sw in sweeps.items():
        modes = _modes(sw)
        widths = sorted(sw)
        window = shapes.n1_window(widths, losses_at(sw, widths), n_boot=n_boot)
        as_paper = _c14_peaks_as_paper(t, modes)
        passes += as_paper + bool(window.widths)
        rows[t] = {"modes": modes, "multi": [w for w, m in modes.items() if m >= 2], "peaks_as_paper": as_paper,
                   "window": window.widths, "alpha": window.fit.alpha if window.fit else float("nan"),
                   "n1": window}
    value = "; ".join(
        f"{t}: several peaks at N = {r['multi'] or 'none'} (paper: {C14_MULTI[t]}), "
        + (f"N^-1 over N = {r['window'][0]}-{r['window'][-1]} (α = {r['alpha']:.2f})" if r["window"]
           else "no N^-1 range") for t, r in rows.items())
    total = 2 * len(rows)
    verdict = grade(passes, total, partly_at=2 / 3)
    return Finding("C14", f"{passes}/{total} criteria met. {value}", verdict,
                   "per product: ≥ 2 KDE modes exactly where the paper says, and ≥ 3 consecutive widths with "
                   "|α − 1| ≤ 0.25 (all: reproduced; ≥ 2/3: partly)", scale_of(next(iter(sweeps.values()))),
                   {"passes": passes, "total": total, "multi": {t: r["multi"] for t, r in rows.items()},
                    "windows": {t: r["window"] for t, r in rows.items()}}, rows)


# ---- Appendix B: algorithms -------------------------------------------------------------------

#: C15, C16: Appendix B's own cut: "if we only care about peaks below loss 1e-2, there are 4".
ALGORITHM_MAX_LOSS = 1e-2
#: C15: |cos| between a principal axis and its image under the neuron swap for "mirror about PC1".
C15_COSINE = 0.9


def measure_c15(width2: Results, criterion: str = "silhouette", max_clusters: int = 10) -> Finding:
    """C15: PCA of the 7 parameters, clusters by a mixture whose size the silhouette picks.

    Criteria: the neuron swap leaves PC1 in place and flips PC2 (cosines ≥ 0.9 and ≤ −0.9:
    the picture is mirror-symmetric about PC1); 6 clusters and 4 algorithms (orbits of the
    swap) among the clusters with median loss below 1e-2.
    """
    p7 = algorithms.params7(width2.w, width2.b, width2.v, width2.c)
    pca = algorithms.parameter_pca(p7)
    found = algorithms.find_algorithms(p7, width2.train_mse, criterion=criterion, max_clusters=max_clusters)
    cos = [float(c @ c[list(algorithms.SWAP)] / (c @ c)) for c in pca.components[:2]]
    cl = algorithms.cluster_losses(width2.train_mse, found.labels)
    low = cl.median < ALGORITHM_MAX_LOSS  # (K,)
    low_orbits = [o for o in found.orbits if all(low[k] for k in o)]
    mirror = cos[0] >= C15_COSINE and cos[1] <= -C15_COSINE
    passes = mirror + (int(low.sum()) == 6) + (len(low_orbits) == 4)
    value = (f"{found.n_clusters} clusters ({found.criterion} picks k = {found.n_clusters} of "
             f"{found.candidates[0]}-{found.candidates[-1]}), {found.n_algorithms} algorithms modulo the swap; below "
             f"MSE {ALGORITHM_MAX_LOSS:g}: {int(low.sum())} clusters, {len(low_orbits)} algorithms. Swap: PC1 cosine "
             f"{cos[0]:+.3f}, PC2 {cos[1]:+.3f}; {found.twin_agreement:.1%} of twins land in the mirror cluster")
    return Finding("C15", value, grade(passes, 3),
                   f"swap keeps PC1 (cos ≥ {C15_COSINE}) and flips PC2 (cos ≤ −{C15_COSINE}); 6 clusters and 4 "
                   f"algorithms with median MSE < {ALGORITHM_MAX_LOSS:g} (the paper's cut)", scale_of(width2),
                   {"n_clusters": found.n_clusters, "n_algorithms": found.n_algorithms, "low_clusters": int(low.sum()),
                    "low_algorithms": len(low_orbits), "pc_cosines": cos, "twin_agreement": found.twin_agreement},
                   {"params7": p7, "pca": pca, "algorithms": found, "losses": cl, "orbits": low_orbits})


#: C16: the paper's description of algorithms 1-4, in the words of algorithms.describe_regime:
#: whether each is symmetric, and which parts of SiLU its two neurons use.
C16_EXPECTED = (
    (True, "both neurons in the curved part", lambda a, b: _parts(a) == _parts(b) == {"nonlinear"}),
    (False, "one saturating, one curved", lambda a, b: _parts(a) == {"saturating"} and _parts(b) == {"nonlinear"}),
    (True, "both at the curved/linear boundary", lambda a, b: "linear" in _parts(a) and "linear" in _parts(b)),
    (False, "one linear, one at the boundary",
     lambda a, b: _parts(a) == {"linear"} and _parts(b) == {"nonlinear", "linear"}),
)


def _parts(description: str) -> set[str]:
    """The parts of SiLU named by :func:`nslkit.algorithms.describe_regime`, e.g. {"nonlinear", "linear"}."""
    return set(description.split(" + "))


def algorithm_table(c15: Finding, x: np.ndarray) -> list[dict[str, Any]]:
    """:func:`nslkit.analysis.algorithms.algorithm_table` of C15's algorithms below the loss cut."""
    d = c15.detail
    return algorithms.algorithm_table(d["params7"], d["algorithms"].labels, d["losses"], d["orbits"], x)


def measure_c16(c15: Finding, x: np.ndarray) -> Finding:
    """C16: the four lowest-loss algorithms against the paper's: symmetric or not, and the parts
    of SiLU their neurons use (pre-activations over the training points ``x``).

    Criteria: the symmetry pattern (symmetric, asymmetric, symmetric, asymmetric), and each
    algorithm's neurons as :data:`C16_EXPECTED` describes (5 in all).
    """
    rows = algorithm_table(c15, x)[:4]
    pattern = len(rows) == 4 and all(r["symmetric"] == e[0] for r, e in zip(rows, C16_EXPECTED))
    parts_ok = [bool(e[2](r["neuron 1"], r["neuron 2"]) or e[2](r["neuron 2"], r["neuron 1"]))
                for r, e in zip(rows, C16_EXPECTED)]
    passes = pattern + sum(parts_ok)
    value = "; ".join(f"algorithm {i + 1}: {'symmetric' if r['symmetric'] else 'asymmetric'}, {r['neuron 1']} / "
                      f"{r['neuron 2']}, MSE {r['median MSE']:.1e}{'' if ok else ' (paper: ' + e[1] + ')'}"
                      for i, (r, e, ok) in enumerate(zip(rows, C16_EXPECTED, parts_ok)))
    return Finding("C16", f"{passes}/5 criteria met. {value}", grade(passes, 5),
                   "symmetric/asymmetric pattern 1-4 as the paper, and each algorithm's parts of SiLU as the paper "
                   f"describes (SiLU split at z = ±{algorithms.LINEAR_EDGE:g})", c15.scale,
                   {"pattern": pattern, "parts": parts_ok, "passes": passes}, rows)


# ---- Appendix C: disentangling, Appendix D: distillation ----------------------------------------

#: C17: "almost all" pairs good (median fraction with R² ≥ GOOD_R2 at least this) at N = 10-50;
#: "about half" useless at N = 1000 (median fraction with R² < USELESS_R2 in this range);
#: independent tickets within ±0.5 of 1, 2, 3; error minima within 0.25 of x = 0, ±1.6.
C17_GOOD, C17_HALF, C17_RANK, C17_MINIMA, C17_MINIMA_TOL = 0.9, (0.3, 0.7), {10: 1, 30: 2, 50: 3}, (-1.6, 0.0, 1.6), 0.25

def error_profile(res: Results, max_networks: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(x (P,), profile (P,)): :func:`nslkit.analysis.disentangle.error_profile` of the first
    ``max_networks`` networks of ``res`` on its training points."""
    x, y = training_xy(res)
    k = min(max_networks, len(res.c))
    cfg = res.config
    return x, disentangle.error_profile(res.w[:k], res.b[:k], res.v[:k], res.c[:k], x, y, cfg.activation,
                                        cfg.negative_slope)


def measure_c17(nets: Mapping[int, Results]) -> Finding:
    """C17: pair every network's neurons, score the pairs, count independent tickets."""
    summary = {}
    for n, r in nets.items():
        x, y = training_xy(r)
        summary[n] = disentangle.disentangle(r.w, r.b, r.v, r.c, x, y, r.config.activation, r.config.negative_slope)
    narrow = [n for n in C17_RANK if n in summary]
    good = {n: float(np.median(summary[n].good_fraction)) for n in summary}
    useless = {n: float(np.median(summary[n].useless_fraction)) for n in summary}
    rank = {n: float(np.median(summary[n].effective_rank)) for n in summary}
    wide = max(summary)
    xs, prof = error_profile(nets[max(narrow)]) if narrow else (np.zeros(0), np.zeros(0))
    minima = xs[argrelmin(prof, order=3)[0]] if prof.size else np.zeros(0)
    near = all(np.any(np.abs(minima - m) <= C17_MINIMA_TOL) for m in C17_MINIMA)
    ok = [bool(all(good[n] >= C17_GOOD for n in narrow)),
          bool(wide >= 1000 and C17_HALF[0] <= useless[wide] <= C17_HALF[1]),
          bool(all(abs(rank[n] - C17_RANK[n]) <= 0.5 for n in narrow)), bool(near)]
    value = (f"median fraction of pairs with R² ≥ {disentangle.GOOD_R2}: "
             + ", ".join(f"N={n}: {good[n]:.2f}" for n in summary)
             + f"; useless (R² < {disentangle.USELESS_R2}) at N={wide}: {useless[wide]:.2f}; independent tickets "
             "(participation ratio of the error correlations, median): "
             + ", ".join(f"N={n}: {rank[n]:.2f}" for n in summary)
             + f"; error minima at x = {', '.join(f'{m:.2f}' for m in minima)} (N={max(narrow) if narrow else '-'}); "
             + ", ".join(f"N={n}: {len(r.c)} networks" for n, r in nets.items()))
    return Finding("C17", value, grade(sum(ok), 4),
                   f"good fraction ≥ {C17_GOOD} at N = 10-50; useless fraction in {list(C17_HALF)} at N = 1000; "
                   f"tickets within 0.5 of 1, 2, 3; error minima within {C17_MINIMA_TOL} of 0, ±1.6",
                   scale_of(nets[min(nets)]), {"good": good, "useless": useless, "rank": rank, "minima": minima.tolist(),
                                             "criteria": ok}, {"summary": summary, "profile": (xs, prof)})


#: C18: "similar or even worse" on average: median distilled / median trained width-2 ≥ 0.5;
#: "below machine precision": best < 1e-16; "extremely ill-conditioned": Hessian condition
#: number ≥ 1e12; "impossible to fine-tune further": Adam does not lower the best loss.
C18_RATIO, C18_BEST, C18_COND = 0.5, 1e-16, 1e12
#: C18: fine-tuning: the training schedule's final learning rate (1e-2 · 0.2^4), this many steps.
C18_FINETUNE_LR, C18_FINETUNE_STEPS = 1e-2 * 0.2**4, 1000


def measure_c18(width50: Results, width2: Results, finetune_steps: int = C18_FINETUNE_STEPS,
                finetune_lr: float = C18_FINETUNE_LR) -> Finding:
    """C18: distil a width-2 network from every width-50 network; compare with trained width 2."""
    x, y = training_xy(width50)
    cfg = width50.config
    d = disentangle.distil(width50.w, width50.b, width50.v, width50.c, x, y, cfg.activation, cfg.negative_slope)
    best = int(np.argmin(d.train_mse))
    cond = float(disentangle.hessian_condition(d.params7[best], x, y, cfg.activation, cfg.negative_slope)[0])
    ft = disentangle.finetune(d.params7, x, y, finetune_steps, finetune_lr, cfg.activation, cfg.negative_slope)
    ratio = float(np.median(d.train_mse) / np.median(width2.train_mse))
    ok = [bool(ratio >= C18_RATIO), bool(d.train_mse[best] < C18_BEST), bool(cond >= C18_COND),
          bool(ft.after.min() >= ft.before.min())]
    value = (f"median distilled MSE {np.median(d.train_mse):.2e} vs trained width 2 {np.median(width2.train_mse):.2e} "
             f"(ratio {ratio:.2g}); best {d.train_mse[best]:.2e} (seed {cfg.seeds[best]}), Hessian condition "
             f"{cond:.1e}, |v| up to {np.abs(d.params7[best, 4:6]).max():.1e}; Adam ({finetune_steps} steps, lr "
             f"{finetune_lr:.1e}): best {ft.before.min():.2e} → {ft.after.min():.2e}, "
             f"{np.mean(ft.after < ft.before):.0%} of networks improved")
    return Finding("C18", value, grade(sum(ok), 4),
                   f"median ratio ≥ {C18_RATIO}; best < {C18_BEST:g}; Hessian condition ≥ {C18_COND:g}; fine-tuning "
                   "does not lower the best loss", scale_of(width50),
                   {"ratio": ratio, "best": float(d.train_mse[best]), "hessian_cond": cond,
                    "best_after": float(ft.after.min()), "improved": float(np.mean(ft.after < ft.before)),
                    "criteria": ok}, {"distilled": d, "finetuned": ft, "best": best})


