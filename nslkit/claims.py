"""The claims ledger: each paper claim (C1-C18 of CLAIMS.md), our measurement and a verdict.

Each ``measure_cN`` takes results (or nothing, for the mathematical claims), runs the analysis
and returns a :class:`Finding`: our value with its uncertainty, the scale it was measured at,
the criterion and the verdict. The criteria are fixed here, in code, before any result is
looked at, and they never change to make a claim pass: a claim that fails its criterion is
"not reproduced", with our number. The chapters call these functions for their final checks,
and :func:`ledger` calls the very same functions on the stored results, so the ledger is
generated from results and never typed by hand.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import torch

from . import algorithms, disentangle, ensembles, fits, peaks, symmetry
from .data import training_data
from .population import forward
from .protocol import PUBLISHED_TICKET, ticket_mse
from .scales import scale_label
from .study import (PAPER_WIDTHS, PRODUCT_TARGETS, SCALING_WIDTHS, SWEEP_WIDTHS, UNARY_TARGETS,
                    disentangle_networks, first_stored, main_sweep, target_sweep, wide_network)
from .targets import get_target
from .train import Results

__all__ = ["CLAIMS", "VERDICTS", "Claim", "Finding", "ledger", "pending", "CHINCHILLA_ALPHA",
           "measure_c1", "measure_c2", "measure_c3", "measure_c4", "measure_c5", "measure_c6",
           "measure_c7", "measure_c8", "measure_c9", "measure_c10", "measure_c11", "measure_c12",
           "measure_c13", "measure_c14", "measure_c15", "measure_c16", "measure_c17", "measure_c18",
           "ticket_errors", "training_xy", "error_profile", "table"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "pending")

#: Chinchilla's fitted model-size exponent (Hoffmann et al. 2022, Eq. 10 of the paper).
CHINCHILLA_ALPHA = 0.34


@dataclass(frozen=True)
class Claim:
    """One claim of CLAIMS.md: its ID, where the paper makes it, what it says, our chapter."""

    id: str
    where: str
    statement: str
    chapter: str


CLAIMS: dict[str, Claim] = {c.id: c for c in [
    Claim("C1", "Fig. 1c", "SiLU: median MSE ∝ N^-α with α ≈ 1 over N = 10..50.", "01_scaling_law"),
    Claim("C2", "Fig. 1c", "LeakyReLU: the loss first falls like N^-4, then slows to about N^-1.", "01_scaling_law"),
    Claim("C3", "Fig. 1a", "A piecewise-linear fit with N pieces of a smooth 1-D function has MSE ∝ N^-4.",
          "01_scaling_law"),
    Claim("C4", "Sec. 2 remark", "SiLU near its minimum: σ(x) ≈ A(x − x*)² + B, A ≈ 0.109, x* ≈ 1.278, B ≈ −0.278.",
          "02_lottery_tickets"),
    Claim("C5", "Fig. 2a", "Width-10000 SiLU network: neurons (w, b) on a bell-shaped curve, symmetric under w → −w.",
          "02_lottery_tickets"),
    Claim("C6", "Fig. 2b", "Width-2 SiLU loss histogram has several peaks; the lowest peak is the lottery tickets.",
          "02_lottery_tickets"),
    Claim("C7", "Fig. 2c, Eq. 2", "Lottery tickets have symmetric neurons (w1 ≈ −w2, b1 ≈ b2, v1 ≈ v2), "
          "like the published ticket.", "02_lottery_tickets"),
    Claim("C8", "Eqs. 3-4", "On tickets 2σ(b)v + c ≈ 0 and vσ''(b)w² ≈ 1; the x⁴ term is the leading error.",
          "02_lottery_tickets"),
    Claim("C9", "Fig. 3", "Loss histograms multi-peaked for N ≤ 4, single-peaked for N ≥ 10.", "03_clt"),
    Claim("C10", "Eqs. 5-9", "Ensembling n tickets: |e_E|² ≥ (Σ 1/|e_i|²)^-1, i.e. |e|²/n for equal tickets.",
          "03_clt"),
    Claim("C11", "Fig. 4", "N = 2 ≫ 1 + 1, N = 4 slightly better than 2 + 2, N = 20, 40 match 10 + 10, 20 + 20.",
          "03_clt"),
    Claim("C12", "Sec. 5", "Loss ∝ width^-1 and width ∝ params^(1/3) give loss ∝ params^(-1/3), near Chinchilla's 0.34.",
          "04_llm_implications"),
    Claim("C13", "Figs. 5, 7", "Unary targets: narrow multi-peaked, wide single-peaked; some N^-1, some plateau.",
          "05_unary_functions"),
    Claim("C14", "Figs. 6, 8", "Products of 2-5 inputs: peaks at small widths; each curve has an N^-1 range.",
          "06_multiplication"),
    Claim("C15", "Fig. 9", "PCA of width-2 networks: 6 clusters, mirror-symmetric; 4 algorithms modulo permutation.",
          "07_algorithms"),
    Claim("C16", "Figs. 10-11", "Algorithms 1, 3 symmetric, 2, 4 asymmetric, each using a different part of SiLU.",
          "07_algorithms"),
    Claim("C17", "Fig. 12", "Symmetric pairs: R² ≈ 1 at N = 10-50, half useless at 1000; ~1, 2, 3 independent tickets.",
          "08_disentangling"),
    Claim("C18", "Fig. 13", "Distilled width-2 networks: best MSE below 1e-16, with ill-conditioned weights.",
          "09_distillation"),
]}


@dataclass(frozen=True)
class Finding:
    """Our measurement of one claim.

    Attributes:
        claim: the claim ID, e.g. "C1".
        value: our measurement in words and numbers, with its uncertainty.
        verdict: one of :data:`VERDICTS`.
        criterion: the rule the verdict follows, fixed before the measurement.
        scale: the scale it was measured at (seeds × steps), or "exact" for mathematics.
        numbers: the measured numbers as plain floats, for checks and the closing notes.
        detail: the analysis objects behind it (fits, peaks, tests), for the chapter's figures.
    """

    claim: str
    value: str
    verdict: str
    criterion: str
    scale: str
    numbers: dict[str, Any] = field(default_factory=dict)
    detail: Any = None

    def __post_init__(self) -> None:
        assert self.verdict in VERDICTS, self.verdict
        assert self.claim in CLAIMS, self.claim

    def row(self) -> dict[str, str]:
        """The ledger row: ID, where, the paper's statement, our value, scale, verdict."""
        c = CLAIMS[self.claim]
        return {"claim": c.id, "where": c.where, "paper": c.statement, "ours": self.value,
                "scale": self.scale, "criterion": self.criterion, "verdict": self.verdict}


def pending(claim: str, why: str) -> Finding:
    """A claim not measured yet, and why."""
    return Finding(claim, f"pending: {why}", "pending", "", "")


def _grade(passes: int, total: int) -> str:
    """All criteria met: reproduced; some: partly; none: not reproduced."""
    return "reproduced" if passes == total else "partly reproduced" if passes else "not reproduced"


def _label(results: Mapping[int, Results] | Results) -> str:
    r = results if isinstance(results, Results) else next(iter(results.values()))
    return scale_label(r.config)


def _losses(results: Mapping[int, Results], widths) -> list[np.ndarray]:
    return [np.asarray(results[w].train_mse) for w in widths]


def _fmt_ci(x: float, ci: tuple[float, float], digits: int = 2) -> str:
    return f"{x:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


# ---- Section 2: the scaling law -------------------------------------------------------------

#: C1: |α − 1| at most this counts as "α ≈ 1"; at most twice it, partly.
C1_TOLERANCE = 0.25


def measure_c1(silu: Mapping[int, Results], n_boot: int = 1000) -> Finding:
    """C1: fit median MSE ∝ N^-α over N = 10..50 (SiLU), with a bootstrap 95% interval."""
    widths = [w for w in SCALING_WIDTHS if w in silu]
    fit = fits.power_law_fit(widths, _losses(silu, widths), n_boot=n_boot)
    err = abs(fit.alpha - 1)
    verdict = ("reproduced" if err <= C1_TOLERANCE else
               "partly reproduced" if err <= 2 * C1_TOLERANCE else "not reproduced")
    return Finding("C1", f"α = {_fmt_ci(fit.alpha, fit.alpha_ci)} (95% bootstrap over seeds), N = {widths}",
                   verdict, f"|α − 1| ≤ {C1_TOLERANCE} (partly: ≤ {2 * C1_TOLERANCE})", _label(silu),
                   {"alpha": fit.alpha, "alpha_lo": fit.alpha_ci[0], "alpha_hi": fit.alpha_ci[1]}, fit)


#: C2: the steep regime counts as "N^-4" at α_early ≥ 3; the slow one as "N^-1" at |α_late − 1| ≤ 0.5.
C2_EARLY_MIN, C2_LATE_TOLERANCE = 3.0, 0.5


def measure_c2(leaky: Mapping[int, Results], n_boot: int = 1000) -> Finding:
    """C2: a broken power law fitted to LeakyReLU's median MSE over the widths ≥ 10 we have."""
    widths = sorted(w for w in leaky if w >= min(SCALING_WIDTHS))
    fit = fits.broken_power_law_fit(widths, _losses(leaky, widths), n_boot=n_boot)
    passes = (fit.alpha_early >= C2_EARLY_MIN) + (abs(fit.alpha_late - 1) <= C2_LATE_TOLERANCE)
    value = (f"α_early = {_fmt_ci(fit.alpha_early, fit.alpha_early_ci, 1)}, "
             f"α_late = {_fmt_ci(fit.alpha_late, fit.alpha_late_ci, 2)}, break at N ≈ {fit.break_width:.0f} "
             f"[{fit.break_width_ci[0]:.0f}, {fit.break_width_ci[1]:.0f}], N = {widths}")
    return Finding("C2", value, _grade(passes, 2),
                   f"α_early ≥ {C2_EARLY_MIN} and |α_late − 1| ≤ {C2_LATE_TOLERANCE} (one of two: partly)",
                   _label(leaky), {"alpha_early": fit.alpha_early, "alpha_late": fit.alpha_late,
                                   "break_width": fit.break_width}, fit)


#: C3: pieces of the interpolant, the smooth function (sin 3x on [-2, 2]) and the tolerance on α.
C3_PIECES, C3_TOLERANCE = (4, 8, 16, 32, 64, 128, 256), 0.1


def measure_c3() -> Finding:
    """C3: MSE of the piecewise-linear interpolant of sin(3x) on [-2, 2] against its pieces."""
    mse, fit = fits.interpolation_scaling(lambda x: np.sin(3 * x), C3_PIECES)
    verdict = "reproduced" if abs(fit.alpha - 4) <= C3_TOLERANCE else "not reproduced"
    return Finding("C3", f"α = {fit.alpha:.3f} for sin 3x, pieces {C3_PIECES[0]}-{C3_PIECES[-1]}", verdict,
                   f"|α − 4| ≤ {C3_TOLERANCE}", "exact (no training)", {"alpha": fit.alpha},
                   (np.asarray(C3_PIECES), mse, fit))


# ---- Section 3: lottery tickets -------------------------------------------------------------

#: C4: each of A, x*, B within this of the paper's printed value (its last printed digit).
C4_TOLERANCE = 5e-4


def measure_c4() -> Finding:
    """C4: x* by minimising SiLU, B = σ(x*), A by a least-squares quadratic around x*."""
    q = fits.silu_quadratic()
    ok = all(abs(a - b) <= C4_TOLERANCE for a, b in ((q.A, 0.109), (q.x_star, 1.278), (q.B, -0.278)))
    sign = " (SiLU's minimum is at negative x: the paper's x* ≈ +1.278 has the wrong sign)" if q.x_star < 0 else ""
    return Finding("C4", f"A = {q.A:.5f}, x* = {q.x_star:.5f}, B = {q.B:.5f} (σ''(x*)/2 = {q.A_exact:.5f}){sign}",
                   "reproduced" if ok else "not reproduced", f"each within {C4_TOLERANCE} of the paper's",
                   "exact (no training)", {"A": q.A, "x_star": q.x_star, "B": q.B}, q)


#: C5: symmetry not rejected (p > 0.05), the asymmetric control rejected (p ≤ 0.01), and each
#: neuron's mirror image about as close as its own nearest neighbour (ratio ≤ 1.5).
C5_P_SYMMETRIC, C5_P_CONTROL, C5_RATIO = 0.05, 0.01, 1.5


def measure_c5(wide: Results, n_perm: int = 200) -> Finding:
    """C5: energy-distance sign-flip test of w → −w on the wide network, beside the b → −b control."""
    pts = np.column_stack([wide.w[0, :, 0], wide.b[0]])  # (N, 2): (w_i, b_i)
    mirror = symmetry.mirror_test(pts, (-1.0, 1.0), n_perm=n_perm)
    control = symmetry.mirror_test(pts, (1.0, -1.0), n_perm=n_perm)
    ratio = symmetry.nearest_mirror_ratio(pts, (-1.0, 1.0))
    ratio_control = symmetry.nearest_mirror_ratio(pts, (1.0, -1.0))
    passes = (mirror.pvalue > C5_P_SYMMETRIC) + (control.pvalue <= C5_P_CONTROL) + (ratio <= C5_RATIO)
    value = (f"w → −w: energy distance {mirror.statistic:.2e}, p = {mirror.pvalue:.2f}, mirror/nearest "
             f"ratio {ratio:.2f}; control b → −b: {control.statistic:.2e}, p = {control.pvalue:.3f}, "
             f"ratio {ratio_control:.2f} (N = {pts.shape[0]:,})")
    return Finding("C5", value, _grade(passes, 3),
                   f"p(w→−w) > {C5_P_SYMMETRIC}, p(control) ≤ {C5_P_CONTROL}, ratio ≤ {C5_RATIO} (the bell "
                   "shape is shown in the figure, not scored)",
                   _label(wide), {"pvalue": mirror.pvalue, "control_pvalue": control.pvalue, "ratio": ratio,
                                  "control_ratio": ratio_control}, (mirror, control))


def measure_c6(width2: Results) -> Finding:
    """C6: peaks of the KDE of log10 loss of the width-2 SiLU networks."""
    p = peaks.find_peaks(width2.train_mse)
    locs = ", ".join(f"{x:.1e}" for x in p.locations)
    return Finding("C6", f"{p.n_modes} peaks, at MSE {locs}; lowest at {p.locations[0]:.2e}",
                   "reproduced" if p.n_modes >= 2 else "not reproduced", "≥ 2 KDE modes of log10 MSE",
                   _label(width2), {"n_modes": p.n_modes, "lowest_peak": float(p.locations[0])}, p)


#: C7: tickets symmetric when their median pair asymmetry is below 1%; our median ticket like
#: the published one when within 5% of it; the published ticket's loss at our lowest peak when
#: within half a decade of it.
C7_ASYMMETRY, C7_MATCH, C7_PEAK_DECADES = 0.01, 0.05, 0.5


def _lowest_peak(width2: Results) -> tuple[np.ndarray, peaks.Peaks]:
    """(S,) mask of the networks in the lowest loss peak (the lottery tickets), and the peaks."""
    p = peaks.find_peaks(width2.train_mse)
    return peaks.peak_members(width2.train_mse, p, 0), p


def _tickets(width2: Results) -> tuple[np.ndarray, peaks.Peaks]:
    """Canonical (S_tickets, 7) parameters of the networks in the lowest peak."""
    members, p = _lowest_peak(width2)
    params = symmetry.canonical_pairs(width2.w, width2.b, width2.v, width2.c)
    return params[members], p


def measure_c7(width2: Results) -> Finding:
    """C7: symmetry of the lowest-peak networks; our median ticket against the published one."""
    tickets, p = _tickets(width2)
    asym = float(np.median(symmetry.pair_asymmetry(tickets).max))
    median_ticket = symmetry.ticket_summary(tickets)
    dist = float(symmetry.match_ticket(median_ticket[None], np.array(PUBLISHED_TICKET))[0])
    published = ticket_mse(width2.config.domain, width2.config.points, width2.config.placement)
    lowest = float(p.locations[0])
    at_peak = abs(np.log10(published / lowest)) <= C7_PEAK_DECADES
    passes = (asym <= C7_ASYMMETRY) + (dist <= C7_MATCH) + bool(at_peak)
    value = (f"{len(tickets)} tickets, median asymmetry {asym:.1e}; median ticket {dist:.1%} from the "
             f"published one; published loss {published:.2e} vs our lowest peak {lowest:.2e}")
    return Finding("C7", value, _grade(passes, 3),
                   f"median asymmetry ≤ {C7_ASYMMETRY}, median ticket within {C7_MATCH:.0%}, published "
                   f"loss within {C7_PEAK_DECADES} decade of the lowest peak", _label(width2),
                   {"n_tickets": len(tickets), "asymmetry": asym, "distance": dist, "published_mse": published},
                   {"tickets": tickets, "median_ticket": median_ticket, "peaks": p})


#: C8: |2σ(b)v + c| ≤ 1% of |c| and |vσ''(b)w² − 1| ≤ 5%, as medians over the tickets.
C8_CONSTANT, C8_QUADRATIC = 0.01, 0.05


def measure_c8(width2: Results) -> Finding:
    """C8: the Taylor conditions of Eq. 4 on every network of the lowest peak."""
    tickets, _ = _tickets(width2)
    t = symmetry.taylor_conditions(tickets, width2.config.activation)
    const = float(np.median(t.relative_constant))
    quad = float(np.median(t.quadratic))
    passes = (const <= C8_CONSTANT) + (abs(quad - 1) <= C8_QUADRATIC)
    value = (f"median |2σ(b)v + c|/|c| = {const:.1e}, median vσ''(b)w² = {quad:.3f}, median x⁴ "
             f"coefficient {float(np.median(t.quartic)):.2e} ({len(tickets)} tickets)")
    return Finding("C8", value, _grade(passes, 2),
                   f"relative constant ≤ {C8_CONSTANT}, |quadratic − 1| ≤ {C8_QUADRATIC}", _label(width2),
                   {"relative_constant": const, "quadratic": quad}, t)


# ---- Section 4: the central limit theorem -----------------------------------------------------

def measure_c9(silu: Mapping[int, Results]) -> Finding:
    """C9: KDE modes of log10 loss per width; ≥ 2 expected for N ≤ 4, exactly 1 for N ≥ 10."""
    widths = [w for w in PAPER_WIDTHS if w in silu]
    modes = {w: peaks.count_modes(silu[w].train_mse) for w in widths}
    agree = sum((m >= 2) if w <= 4 else (m == 1) for w, m in modes.items())
    verdict = ("reproduced" if agree == len(widths) else
               "partly reproduced" if agree >= 2 * len(widths) / 3 else "not reproduced")
    value = "modes " + ", ".join(f"N={w}: {m}" for w, m in modes.items())
    return Finding("C9", value, verdict, "all widths as the paper says (≥ 2/3 of them: partly)", _label(silu),
                   {"modes": modes, "agree": agree}, modes)


def ticket_errors(width2: Results, points: int = 2001, max_tickets: int = 50) -> np.ndarray:
    """(n, points) error functions e_i(x) = f_i(x) − x² of up to ``max_tickets`` lowest-peak networks,
    on an even grid of the training domain."""
    idx = np.flatnonzero(_lowest_peak(width2)[0])[:max_tickets]
    cfg = width2.config
    x = torch.linspace(*cfg.domain, points, dtype=torch.float64)[:, None]  # (P, 1)
    pop = width2.population().select(torch.as_tensor(idx))
    f = forward(pop, x, cfg.activation, cfg.negative_slope)  # (n, P)
    return (f - get_target(cfg.target)(x)[None, :]).numpy()


def measure_c10(width2: Results, rng: int = 0) -> Finding:
    """C10: Eq. 9 on planted orthogonal errors (equality), and on our tickets' real error functions."""
    gen = np.random.default_rng(rng)
    q, _ = np.linalg.qr(gen.standard_normal((400, 8)))  # (P, n) orthonormal columns
    planted = ensembles.optimal_ensemble((q * gen.uniform(0.5, 2.0, 8)).T * np.sqrt(400))
    real = ensembles.optimal_ensemble(ticket_errors(width2))
    exact = abs(planted.optimum - planted.bound) <= 1e-9 * planted.bound
    holds = real.optimum >= real.bound * (1 - 1e-9)
    value = (f"orthogonal errors: optimum/bound = {planted.optimum / planted.bound:.12f}; our "
             f"{real.gram.shape[0]} tickets: optimum {real.optimum:.2e} vs bound {real.bound:.2e}, "
             f"effective rank {real.effective_rank:.2f}")
    return Finding("C10", value, _grade(exact + holds, 2),
                   "equality for orthogonal errors, and the bound holds for our tickets (one: partly)",
                   _label(width2), {"planted_ratio": planted.optimum / planted.bound, "optimum": real.optimum,
                                    "bound": real.bound, "effective_rank": real.effective_rank},
                   (planted, real))


#: C11: median(N)/median(N/2 + N/2): "much better" ≤ 0.1, "slightly better" in (0.1, 0.8),
#: "match" within [0.8, 1.25].
C11_EXPECTED = {2: "much better", 4: "slightly better", 20: "match", 40: "match"}


def _c11_kind(ratio: float) -> str:
    return "much better" if ratio <= 0.1 else "slightly better" if ratio < 0.8 else (
        "match" if ratio <= 1.25 else "worse")


def measure_c11(silu: Mapping[int, Results]) -> Finding:
    """C11: width N against the harmonic ensemble of two width-N/2 networks, N = 2, 4, 20, 40."""
    comps = {n: ensembles.compare_distributions(silu[n].train_mse, ensembles.harmonic_ensemble(silu[n // 2].train_mse))
             for n in C11_EXPECTED if n in silu and n // 2 in silu}
    kinds = {n: _c11_kind(c.median_ratio) for n, c in comps.items()}
    agree = sum(kinds[n] == C11_EXPECTED[n] for n in kinds)
    value = "; ".join(f"N={n}: ratio {c.median_ratio:.2g} ({kinds[n]}), KS {c.ks_statistic:.2f}"
                      for n, c in comps.items())
    return Finding("C11", value, _grade(agree, len(C11_EXPECTED)),
                   "median ratio ≤ 0.1 much better, < 0.8 slightly, 0.8-1.25 match; all four as the paper says",
                   _label(silu), {"ratios": {n: c.median_ratio for n, c in comps.items()}, "agree": agree},
                   comps)


# ---- Section 5: language models ------------------------------------------------------------

def measure_c12(c1: Finding | None = None) -> Finding:
    """C12: 1/3 against Chinchilla's 0.34, and our SiLU α/3 with its interval when C1 is given."""
    ok = abs(1 / 3 - CHINCHILLA_ALPHA) <= 0.02
    value = f"1/3 = 0.333 vs {CHINCHILLA_ALPHA} (difference {CHINCHILLA_ALPHA - 1 / 3:.3f})"
    numbers: dict[str, Any] = {"predicted": 1 / 3}
    scale = "exact (arithmetic)"
    if c1 is not None and c1.verdict != "pending":
        a, lo, hi = (c1.numbers[k] / 3 for k in ("alpha", "alpha_lo", "alpha_hi"))
        value += f"; with our α: {a:.3f} [{lo:.3f}, {hi:.3f}]"
        numbers.update(ours=a, ours_lo=lo, ours_hi=hi)
        scale = c1.scale
    return Finding("C12", value, "reproduced" if ok else "not reproduced",
                   "|1/3 − 0.34| ≤ 0.02 (the arithmetic)", scale, numbers)


# ---- Appendix A: other targets ----------------------------------------------------------------

#: C13: the shapes (fits.curve_shape) that agree with what Appendix A says of each target's
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
    shape over N ≥ 10 (:func:`nslkit.fits.curve_shape`) among :data:`C13_EXPECTED`'s.
    """
    rows, passes, total = {}, 0, 0
    for t, sw in sweeps.items():
        modes = _modes(sw)
        widths = sorted(w for w in sw if w >= min(SCALING_WIDTHS))
        shape = fits.curve_shape(widths, _losses(sw, widths), n_boot=n_boot)
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
    verdict = ("reproduced" if passes == total else
               "partly reproduced" if passes >= 2 * total / 3 else "not reproduced")
    return Finding("C13", f"{passes}/{total} criteria met. {value}", verdict,
                   "per target: ≥ 2 KDE modes at some N ≤ 4, 1 mode at the widest N, and the curve shape over "
                   "N ≥ 10 the paper gives (all: reproduced; ≥ 2/3: partly)", _label(next(iter(sweeps.values()))),
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
    and some run of ≥ 3 consecutive widths has |α − 1| ≤ 0.25 (:func:`nslkit.fits.n1_window`).
    """
    rows, passes = {}, 0
    for t, sw in sweeps.items():
        modes = _modes(sw)
        widths = sorted(sw)
        window = fits.n1_window(widths, _losses(sw, widths), n_boot=n_boot)
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
    verdict = ("reproduced" if passes == total else
               "partly reproduced" if passes >= 2 * total / 3 else "not reproduced")
    return Finding("C14", f"{passes}/{total} criteria met. {value}", verdict,
                   "per product: ≥ 2 KDE modes exactly where the paper says, and ≥ 3 consecutive widths with "
                   "|α − 1| ≤ 0.25 (all: reproduced; ≥ 2/3: partly)", _label(next(iter(sweeps.values()))),
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
    return Finding("C15", value, _grade(passes, 3),
                   f"swap keeps PC1 (cos ≥ {C15_COSINE}) and flips PC2 (cos ≤ −{C15_COSINE}); 6 clusters and 4 "
                   f"algorithms with median MSE < {ALGORITHM_MAX_LOSS:g} (the paper's cut)", _label(width2),
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
    """One row per algorithm below the loss cut, by median loss: its clusters, symmetry, loss and
    each neuron's pre-activation range and part of SiLU (neurons ordered by bias, larger first)."""
    d = c15.detail
    found, cl = d["algorithms"], d["losses"]
    p7 = algorithms.order_neurons(d["params7"])
    reg = algorithms.neuron_regimes(p7, x)
    rows = []
    for orbit in sorted(d["orbits"], key=lambda o: min(cl.median[k] for k in o)):
        m = found.labels == orbit[0]
        parts = [algorithms.describe_regime(*(float(np.median(f[m, i])) for f in
                                              (reg.saturating, reg.nonlinear, reg.linear))) for i in range(2)]
        rows.append({"clusters": orbit, "symmetric": len(orbit) == 1, "networks": int(sum(cl.counts[k] for k in orbit)),
                     "median MSE": float(np.median([cl.median[k] for k in orbit])),
                     "z range 1": (float(np.median(reg.z_min[m, 0])), float(np.median(reg.z_max[m, 0]))),
                     "z range 2": (float(np.median(reg.z_min[m, 1])), float(np.median(reg.z_max[m, 1]))),
                     "neuron 1": parts[0], "neuron 2": parts[1], "representative": algorithms.representative(
                         d["params7"], found.labels, orbit[0])})
    return rows


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
    return Finding("C16", f"{passes}/5 criteria met. {value}", _grade(passes, 5),
                   "symmetric/asymmetric pattern 1-4 as the paper, and each algorithm's parts of SiLU as the paper "
                   f"describes (SiLU split at z = ±{algorithms.LINEAR_EDGE:g})", c15.scale,
                   {"pattern": pattern, "parts": parts_ok, "passes": passes}, rows)


# ---- Appendix C: disentangling, Appendix D: distillation ----------------------------------------

def training_xy(res: Results) -> tuple[np.ndarray, np.ndarray]:
    """The training points x (P,) and targets y (P,) of a one-input result, as float64 arrays."""
    x, y = training_data(res.config)
    if x.shape[1] != 1:
        raise ValueError(f"need a one-input target, got {res.config.target!r}")
    return x[:, 0].numpy(), y.numpy()


#: C17: "almost all" pairs good (median fraction with R² ≥ GOOD_R2 at least this) at N = 10-50;
#: "about half" useless at N = 1000 (median fraction with R² < USELESS_R2 in this range);
#: independent tickets within ±0.5 of 1, 2, 3; error minima within 0.25 of x = 0, ±1.6.
C17_GOOD, C17_HALF, C17_RANK, C17_MINIMA, C17_MINIMA_TOL = 0.9, (0.3, 0.7), {10: 1, 30: 2, 50: 3}, (-1.6, 0.0, 1.6), 0.25


def error_profile(res: Results, max_networks: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(x (P,), profile (P,)): the median over the good pairs (R² ≥ GOOD_R2) of the first
    ``max_networks`` networks of |e_k(x)| / max |e_k|, each ticket's normalised error size."""
    x, y = training_xy(res)
    rows = []
    for s in range(min(max_networks, len(res.c))):
        t = disentangle.tickets(res.w[s], res.b[s], res.v[s], res.c[s], x, y, res.config.activation,
                                res.config.negative_slope)
        e = np.abs(t.errors[t.r2 >= disentangle.GOOD_R2])
        rows.append(e / np.maximum(e.max(axis=1, keepdims=True), 1e-300))
    return x, np.median(np.vstack(rows), axis=0) if rows else np.full_like(x, np.nan)


def measure_c17(nets: Mapping[int, Results]) -> Finding:
    """C17: pair every network's neurons, score the pairs, count independent tickets."""
    from scipy.signal import argrelmin

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
    return Finding("C17", value, _grade(sum(ok), 4),
                   f"good fraction ≥ {C17_GOOD} at N = 10-50; useless fraction in {list(C17_HALF)} at N = 1000; "
                   f"tickets within 0.5 of 1, 2, 3; error minima within {C17_MINIMA_TOL} of 0, ±1.6",
                   _label(nets[min(nets)]), {"good": good, "useless": useless, "rank": rank, "minima": minima.tolist(),
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
    return Finding("C18", value, _grade(sum(ok), 4),
                   f"median ratio ≥ {C18_RATIO}; best < {C18_BEST:g}; Hessian condition ≥ {C18_COND:g}; fine-tuning "
                   "does not lower the best loss", _label(width50),
                   {"ratio": ratio, "best": float(d.train_mse[best]), "hessian_cond": cond,
                    "best_after": float(ft.after.min()), "improved": float(np.mean(ft.after < ft.before)),
                    "criteria": ok}, {"distilled": d, "finetuned": ft, "best": best})


# ---- the ledger ------------------------------------------------------------------------------

def table(findings: list[Finding]):
    """The ledger as a pandas DataFrame, one row per claim."""
    import pandas as pd

    return pd.DataFrame([f.row() for f in findings]).set_index("claim")


def ledger(scales=("paper", "cpu", "cpu-small"), store: str | os.PathLike | None = None) -> list[Finding]:
    """Every claim C1-C18 measured on the stored results of the largest scale that has them.

    Never trains. A claim whose results are stored at none of ``scales`` is "pending".
    """
    def sweep_at(activation: str, scale: str) -> dict[int, Results]:
        try:  # with the extra widths we add, when they are stored
            return main_sweep(scale, activation, SWEEP_WIDTHS, store=store, train=False)
        except FileNotFoundError:
            return main_sweep(scale, activation, PAPER_WIDTHS, store=store, train=False)

    findings: dict[str, Finding] = {}
    silu = first_stored(lambda s: sweep_at("silu", s), scales)[1]
    leaky = first_stored(lambda s: sweep_at("leaky_relu", s), scales)[1]
    wide = first_stored(lambda s: wide_network(s, store=store, train=False), scales)[1]
    missing = f"no stored results at scales {', '.join(scales)}"
    findings["C1"] = measure_c1(silu) if silu else pending("C1", missing)
    findings["C2"] = measure_c2(leaky) if leaky else pending("C2", missing)
    findings["C3"], findings["C4"] = measure_c3(), measure_c4()
    findings["C5"] = measure_c5(wide) if wide else pending("C5", missing)
    for cid, fn in (("C6", measure_c6), ("C7", measure_c7), ("C8", measure_c8), ("C10", measure_c10)):
        findings[cid] = fn(silu[2]) if silu else pending(cid, missing)
    findings["C9"] = measure_c9(silu) if silu else pending("C9", missing)
    findings["C11"] = measure_c11(silu) if silu else pending("C11", missing)
    findings["C12"] = measure_c12(findings["C1"])
    unary = first_stored(lambda s: {t: target_sweep(s, t, store=store, train=False) for t in UNARY_TARGETS}, scales)[1]
    products = first_stored(lambda s: {t: target_sweep(s, t, store=store, train=False) for t in PRODUCT_TARGETS},
                            scales)[1]
    nets = first_stored(lambda s: disentangle_networks(s, store=store, train=False), scales)[1]
    findings["C13"] = measure_c13(unary) if unary else pending("C13", missing)
    findings["C14"] = measure_c14(products) if products else pending("C14", missing)
    if silu:
        findings["C15"] = measure_c15(silu[2])
        findings["C16"] = measure_c16(findings["C15"], training_xy(silu[2])[0])
    else:
        findings["C15"], findings["C16"] = pending("C15", missing), pending("C16", missing)
    findings["C17"] = measure_c17(nets) if nets else pending("C17", missing)
    findings["C18"] = measure_c18(silu[50], silu[2]) if silu else pending("C18", missing)
    return [findings[c] for c in CLAIMS]

