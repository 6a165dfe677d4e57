"""Our measurement of each claim of the paper's main text, Secs. 2-5 (C1-C12).

Each ``measure_cN`` takes results (or nothing, for the mathematical claims), runs the analysis
and returns a :class:`~.findings.Finding`. Each criterion is stated beside its function as a
constant; :mod:`.ledger` calls these functions on the stored results. No I/O here.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..analysis import ensembles, fits, peaks, symmetry
from ..results import Results
from .findings import Finding, fmt_ci, grade, losses_at, scale_of
from .protocol import PUBLISHED_TICKET, ticket_mse
from .scales import PAPER_WIDTHS, SCALING_WIDTHS
from .tickets import lottery_tickets, ticket_errors

__all__ = ["CHINCHILLA_ALPHA", "C1_TOLERANCE", "C2_EARLY_MIN", "C2_LATE_TOLERANCE", "C3_PIECES", "C3_TOLERANCE",
           "C4_TOLERANCE", "C5_P_SYMMETRIC", "C5_P_CONTROL", "C5_RATIO", "C7_ASYMMETRY", "C7_MATCH",
           "C7_PEAK_DECADES", "C8_CONSTANT", "C8_QUADRATIC", "C11_EXPECTED",
           "measure_c1", "measure_c2", "measure_c3", "measure_c4", "measure_c5", "measure_c6", "measure_c7",
           "measure_c8", "measure_c9", "measure_c10", "measure_c11", "measure_c12"]

#: Chinchilla's fitted model-size exponent (Hoffmann et al. 2022, Eq. 10 of the paper).
CHINCHILLA_ALPHA = 0.34


# ---- Section 2: the scaling law -------------------------------------------------------------

#: C1: |α − 1| at most this counts as "α ≈ 1"; at most twice it, partly.
C1_TOLERANCE = 0.25


def measure_c1(silu: Mapping[int, Results], n_boot: int = 1000) -> Finding:
    """C1: fit median MSE ∝ N^-α over N = 10..50 (SiLU), with a bootstrap 95% interval."""
    widths = [w for w in SCALING_WIDTHS if w in silu]
    fit = fits.power_law_fit(widths, losses_at(silu, widths), n_boot=n_boot)
    err = abs(fit.alpha - 1)
    verdict = grade((err <= C1_TOLERANCE) + (err <= 2 * C1_TOLERANCE), 2)
    return Finding("C1", f"α = {fmt_ci(fit.alpha, fit.alpha_ci)} (95% bootstrap over seeds), N = {widths}",
                   verdict, f"|α − 1| ≤ {C1_TOLERANCE} (partly: ≤ {2 * C1_TOLERANCE})", scale_of(silu),
                   {"alpha": fit.alpha, "alpha_lo": fit.alpha_ci[0], "alpha_hi": fit.alpha_ci[1]}, fit)


#: C2: the steep regime counts as "N^-4" at α_early ≥ 3; the slow one as "N^-1" at |α_late − 1| ≤ 0.5.
C2_EARLY_MIN, C2_LATE_TOLERANCE = 3.0, 0.5


def measure_c2(leaky: Mapping[int, Results], n_boot: int = 1000) -> Finding:
    """C2: a broken power law fitted to LeakyReLU's median MSE over the widths ≥ 10 we have."""
    widths = sorted(w for w in leaky if w >= min(SCALING_WIDTHS))
    fit = fits.broken_power_law_fit(widths, losses_at(leaky, widths), n_boot=n_boot)
    passes = (fit.alpha_early >= C2_EARLY_MIN) + (abs(fit.alpha_late - 1) <= C2_LATE_TOLERANCE)
    value = (f"α_early = {fmt_ci(fit.alpha_early, fit.alpha_early_ci, 1)}, "
             f"α_late = {fmt_ci(fit.alpha_late, fit.alpha_late_ci, 2)}, break at N ≈ {fit.break_width:.0f} "
             f"[{fit.break_width_ci[0]:.0f}, {fit.break_width_ci[1]:.0f}], N = {widths}")
    return Finding("C2", value, grade(passes, 2),
                   f"α_early ≥ {C2_EARLY_MIN} and |α_late − 1| ≤ {C2_LATE_TOLERANCE} (one of two: partly)",
                   scale_of(leaky), {"alpha_early": fit.alpha_early, "alpha_late": fit.alpha_late,
                                   "break_width": fit.break_width}, fit)


#: C3: pieces of the interpolant, the smooth function (sin 3x on [-2, 2]) and the tolerance on α.
C3_PIECES, C3_TOLERANCE = (4, 8, 16, 32, 64, 128, 256), 0.1


def measure_c3() -> Finding:
    """C3: MSE of the piecewise-linear interpolant of sin(3x) on [-2, 2] against its pieces."""
    mse, fit = fits.interpolation_scaling(lambda x: np.sin(3 * x), C3_PIECES)
    verdict = grade(abs(fit.alpha - 4) <= C3_TOLERANCE, 1)
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
                   grade(ok, 1), f"each within {C4_TOLERANCE} of the paper's",
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
    return Finding("C5", value, grade(passes, 3),
                   f"p(w→−w) > {C5_P_SYMMETRIC}, p(control) ≤ {C5_P_CONTROL}, ratio ≤ {C5_RATIO} (the bell "
                   "shape is shown in the figure, not scored)",
                   scale_of(wide), {"pvalue": mirror.pvalue, "control_pvalue": control.pvalue, "ratio": ratio,
                                  "control_ratio": ratio_control}, (mirror, control))


def measure_c6(width2: Results) -> Finding:
    """C6: peaks of the KDE of log10 loss of the width-2 SiLU networks."""
    p = peaks.find_peaks(width2.train_mse)
    locs = ", ".join(f"{x:.1e}" for x in p.locations)
    return Finding("C6", f"{p.n_modes} peaks, at MSE {locs}; lowest at {p.locations[0]:.2e}",
                   grade(p.n_modes >= 2, 1), "≥ 2 KDE modes of log10 MSE",
                   scale_of(width2), {"n_modes": p.n_modes, "lowest_peak": float(p.locations[0])}, p)


#: C7: tickets symmetric when their median pair asymmetry is below 1%; our median ticket like
#: the published one when within 5% of it; the published ticket's loss at our lowest peak when
#: within half a decade of it.
C7_ASYMMETRY, C7_MATCH, C7_PEAK_DECADES = 0.01, 0.05, 0.5


def measure_c7(width2: Results) -> Finding:
    """C7: symmetry of the lowest-peak networks; our median ticket against the published one."""
    tickets, p = lottery_tickets(width2)
    asym = float(np.median(symmetry.pair_asymmetry(tickets).max))
    median_ticket = symmetry.ticket_summary(tickets)
    dist = float(symmetry.match_ticket(median_ticket[None], np.array(PUBLISHED_TICKET))[0])
    published = ticket_mse(width2.config.domain, width2.config.points, width2.config.placement)
    lowest = float(p.locations[0])
    at_peak = abs(np.log10(published / lowest)) <= C7_PEAK_DECADES
    passes = (asym <= C7_ASYMMETRY) + (dist <= C7_MATCH) + bool(at_peak)
    value = (f"{len(tickets)} tickets, median asymmetry {asym:.1e}; median ticket {dist:.1%} from the "
             f"published one; published loss {published:.2e} vs our lowest peak {lowest:.2e}")
    return Finding("C7", value, grade(passes, 3),
                   f"median asymmetry ≤ {C7_ASYMMETRY}, median ticket within {C7_MATCH:.0%}, published "
                   f"loss within {C7_PEAK_DECADES} decade of the lowest peak", scale_of(width2),
                   {"n_tickets": len(tickets), "asymmetry": asym, "distance": dist, "published_mse": published},
                   {"tickets": tickets, "median_ticket": median_ticket, "peaks": p})


#: C8: |2σ(b)v + c| ≤ 1% of |c| and |vσ''(b)w² − 1| ≤ 5%, as medians over the tickets.
C8_CONSTANT, C8_QUADRATIC = 0.01, 0.05


def measure_c8(width2: Results) -> Finding:
    """C8: the Taylor conditions of Eq. 4 on every network of the lowest peak."""
    tickets, _ = lottery_tickets(width2)
    t = symmetry.taylor_conditions(tickets, width2.config.activation)
    const = float(np.median(t.relative_constant))
    quad = float(np.median(t.quadratic))
    passes = (const <= C8_CONSTANT) + (abs(quad - 1) <= C8_QUADRATIC)
    value = (f"median |2σ(b)v + c|/|c| = {const:.1e}, median vσ''(b)w² = {quad:.3f}, median x⁴ "
             f"coefficient {float(np.median(t.quartic)):.2e} ({len(tickets)} tickets)")
    return Finding("C8", value, grade(passes, 2),
                   f"relative constant ≤ {C8_CONSTANT}, |quadratic − 1| ≤ {C8_QUADRATIC}", scale_of(width2),
                   {"relative_constant": const, "quadratic": quad}, t)


# ---- Section 4: the central limit theorem -----------------------------------------------------

def measure_c9(silu: Mapping[int, Results]) -> Finding:
    """C9: KDE modes of log10 loss per width; ≥ 2 expected for N ≤ 4, exactly 1 for N ≥ 10."""
    widths = [w for w in PAPER_WIDTHS if w in silu]
    modes = {w: peaks.count_modes(silu[w].train_mse) for w in widths}
    agree = sum((m >= 2) if w <= 4 else (m == 1) for w, m in modes.items())
    verdict = grade(agree, len(widths), partly_at=2 / 3)
    value = "modes " + ", ".join(f"N={w}: {m}" for w, m in modes.items())
    return Finding("C9", value, verdict, "all widths as the paper says (≥ 2/3 of them: partly)", scale_of(silu),
                   {"modes": modes, "agree": agree}, modes)


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
    return Finding("C10", value, grade(exact + holds, 2),
                   "equality for orthogonal errors, and the bound holds for our tickets (one: partly)",
                   scale_of(width2), {"planted_ratio": planted.optimum / planted.bound, "optimum": real.optimum,
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
    return Finding("C11", value, grade(agree, len(C11_EXPECTED)),
                   "median ratio ≤ 0.1 much better, < 0.8 slightly, 0.8-1.25 match; all four as the paper says",
                   scale_of(silu), {"ratios": {n: c.median_ratio for n, c in comps.items()}, "agree": agree},
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
    return Finding("C12", value, grade(ok, 1),
                   "|1/3 − 0.34| ≤ 0.02 (the arithmetic)", scale, numbers)


