"""Every criterion constant of the claim modules, with planted data just inside and just outside
it: the criterion's outcome and the verdict flip where they should (issue 35).

Where the analysis can be planted exactly (noise-free losses: every seed of a width the same loss,
so every bootstrap interval is the single value), the raw losses are planted. Where it cannot
(p-values, cluster counts, error profiles), the analysis function the claim calls is replaced by
one that returns the planted measurement, so that the criterion alone is under test.
"""
from types import SimpleNamespace

import numpy as np
import pytest

import nslkit as nk
from nslkit.analysis import algorithms, disentangle, fits, peaks, symmetry
from nslkit.analysis.fits import ExponentFit, SiluQuadratic
from nslkit.analysis.peaks import Peaks
from nslkit.analysis.symmetry import TaylorConditions
from nslkit.paper import appendices, findings, sections
from nslkit.paper.findings import Criterion, grade, seeds_to_decide, verdict_of, within

EPS = 1e-6  # "just": far above the fits' rounding (1e-12), far below any tolerance
PUBLISHED = np.array(nk.PUBLISHED_TICKET)


def planted(width, losses, activation="silu", target="x2", params=None):
    """Results of len(losses) networks of ``width`` with these final losses (parameters arbitrary,
    or width-2 7-vectors ``params``)."""
    losses = np.asarray(losses, dtype=float)
    S = losses.size
    cfg = nk.scale_config("cpu", seeds=S, target=target, activation=activation, width=width)
    if target != "x2":
        cfg = cfg.replace(points=None, placement=None)
    if params is None:
        rng = np.random.default_rng(width)
        w, b, v, c = rng.uniform(-1, 1, (S, width, 1)), rng.uniform(-1, 1, (S, width)), rng.uniform(-1, 1, (S, width)), \
            rng.uniform(-1, 1, S)
    else:
        w, b, v, c = params[:, 0:2, None], params[:, 2:4], params[:, 4:6], params[:, 6]
    return nk.Results(cfg, losses, losses, w, b, v, c, np.array([0, 1]), np.ones((S, 2)))


def outcomes(f):
    return [c.outcome for c in f.criteria]


# ---- findings: the one rule ---------------------------------------------------------------------

def test_within_closed_bounds_and_the_three_cases():
    assert within(1.0, None, 1.0, 2.0) is True and within(2.0, None, 1.0, 2.0) is True
    assert within(1.0 - EPS, None, 1.0, 2.0) is False and within(2.0 + EPS, None, 1.0, 2.0) is False
    assert within(1.5, (1.0, 2.0), 1.0, 2.0) is True  # an interval touching both bounds is inside
    assert within(1.5, (1.0 - EPS, 2.0), 1.0, 2.0) is None and within(1.5, (1.0, 2.0 + EPS), 1.0, 2.0) is None
    assert within(0.5, (0.0, 1.0 - EPS), 1.0, 2.0) is False and within(3.0, (2.0 + EPS, 4.0), 1.0, 2.0) is False
    assert within(0.5, (0.0, 1.0), 1.0, 2.0) is None and within(3.0, (2.0, 4.0), 1.0, 2.0) is None  # touching
    assert within(5.0, (4.0, 6.0)) is True and within(-1e300, None) is True  # no bounds: always inside
    assert within(3.0, (2.0, 4.0), lo=2.0) is True and within(3.0, (2.0, 4.0), hi=4.0) is True
    assert type(within(1.5, None, 1.0, 2.0)) is bool


def test_all_of_is_three_valued():
    assert findings.all_of([True, True]) is True and findings.all_of([]) is True
    assert findings.all_of([True, None]) is None and findings.all_of([None, False]) is False
    assert findings.all_of(iter([True, False, None])) is False


@pytest.mark.parametrize("passes, total, partly_at, verdict", [
    (3, 3, None, "reproduced"), (1, 3, None, "partly reproduced"), (0, 3, None, "not reproduced"),
    (6, 9, 2 / 3, "partly reproduced"), (5, 9, 2 / 3, "not reproduced"), (1, 2, 0.5, "partly reproduced"),
    (0, 2, 0.0, "not reproduced"), (1, 1, 2 / 3, "reproduced")])
def test_grade_at_its_edges(passes, total, partly_at, verdict):
    assert grade(passes, total, partly_at) == verdict


@pytest.mark.parametrize("passes, total", [(-1, 2), (3, 2), (0, 0)])
def test_grade_refuses_impossible_counts(passes, total):
    with pytest.raises(ValueError, match="passes must lie in"):
        grade(passes, total)


def test_verdict_of_resolves_undecided_criteria_both_ways():
    C = Criterion
    assert verdict_of([C("a", True), C("b", True)]) == ("reproduced", ("reproduced", "reproduced"))
    assert verdict_of([C("a", True), C("b", None)]) == ("inconclusive", ("partly reproduced", "reproduced"))
    assert verdict_of([C("a", None), C("b", None)]) == ("inconclusive", ("not reproduced", "reproduced"))
    assert verdict_of([C("a", None), C("b", False), C("c", True)], 2 / 3) == (
        "inconclusive", ("not reproduced", "partly reproduced"))
    assert verdict_of([C("a", None), C("b", False), C("c", True), C("d", True)], 0.5) == (
        "partly reproduced", ("partly reproduced", "partly reproduced"))


def test_seeds_to_decide():
    # the half-width 0.1 must shrink to the gap 0.05: 4x the seeds, rounded up to hundreds
    assert seeds_to_decide(1.0, (0.9, 1.1), (1.05,), 100) == 400
    assert seeds_to_decide(1.0, (0.9, 1.1), (1.05, 0.5), 1000) == 4000  # the nearest bound decides
    assert seeds_to_decide(1.0, (0.99, 1.01), (1.05,), 100) == 200  # at least twice the seeds
    assert seeds_to_decide(1.0, (0.9, 1.1), (1.0,), 100) == 1000  # on the bound: ten times
    assert seeds_to_decide(1.0, (0.9, 1.1), (1.03,), 100) == 1200  # 100 · (0.1/0.03)² = 1111 → 1200
    assert seeds_to_decide(1.0, (0.7995, 1.2005), (1.1,), 1000) == 4100  # 1000 · 2.005² = 4020 → 4100


def test_a_finding_reports_its_criteria():
    crit = [Criterion("a ≥ 1", True), Criterion("b ≤ 2", None, "after", "why b", "more seeds"),
            Criterion("c", False, decides="ignored: decided")]
    f = findings.Finding("C1", "value", crit, "scale", note="a note", headline="head")
    assert f.verdict == "partly reproduced" and f.between == ("partly reproduced", "partly reproduced")
    assert f.criterion == "a ≥ 1 [met]; b ≤ 2 [undecided]; c [missed]"
    assert f.fixed == "after: b ≤ 2 (why b)" and f.decides == "more seeds"
    row = f.row()
    assert row["headline"] == "head" and row["ours"] == "value" and row["note"].endswith("a note")
    assert "C1 (Fig. 1c) is" in f.sentence() and "Note: " in f.sentence()
    plain = findings.Finding("C3", "v", [Criterion("x", True)], "exact", kind="check")
    assert plain.fixed == "before" and plain.decides == "" and plain.row()["headline"] == "v"
    assert "(a check, not evidence)" in plain.sentence() and "Note" not in plain.sentence()
    assert "<b>met</b>" in f._repr_html_() and "fixed after the data" in f._repr_html_()


def test_an_inconclusive_finding_says_between_what_and_what_decides():
    f = findings.Finding("C2", "v", [Criterion("a", True), Criterion("b", None, decides="200 seeds")], "s")
    assert f.verdict == "inconclusive" and f.between == ("partly reproduced", "reproduced")
    assert f.row()["note"] == "partly reproduced or reproduced; 200 seeds would decide"
    g = findings.Finding("C2", "v", [Criterion("a", None)], "s")
    assert g.row()["note"] == "not reproduced or reproduced; more seeds would decide"


# ---- C1: |α − 1| ≤ C1_TOLERANCE, partly at twice it ---------------------------------------------

def power_law(alpha, widths=(10, 20, 30, 40, 50), S=5, activation="silu"):
    """Noise-free: every seed of width N has loss N^-α, so α and its interval are α exactly."""
    return {w: planted(w, np.full(S, 1e-2 * float(w) ** -alpha), activation) for w in widths}


@pytest.mark.parametrize("alpha, expect, verdict", [
    (1 + 0.25 - EPS, [True, True], "reproduced"), (1 + 0.25 + EPS, [False, True], "partly reproduced"),
    (1 - 0.25 + EPS, [True, True], "reproduced"), (1 - 0.25 - EPS, [False, True], "partly reproduced"),
    (1 + 0.5 - EPS, [False, True], "partly reproduced"), (1 + 0.5 + EPS, [False, False], "not reproduced"),
    (1 - 0.5 + EPS, [False, True], "partly reproduced"), (1 - 0.5 - EPS, [False, False], "not reproduced")])
def test_c1_tolerance(alpha, expect, verdict):
    assert sections.C1_TOLERANCE == 0.25
    f = sections.measure_c1(power_law(alpha), n_boot=20)
    assert f.numbers["alpha"] == pytest.approx(alpha, abs=1e-10)
    assert f.numbers["alpha_lo"] == pytest.approx(alpha, abs=1e-10) == f.numbers["alpha_hi"]
    assert outcomes(f) == expect and f.verdict == verdict
    assert [c.text for c in f.criteria] == ["|α − 1| ≤ 0.25", "|α − 1| ≤ 0.5"]


def test_c1_straddling_says_what_would_decide(monkeypatch):
    fit = SimpleNamespace(alpha=1.2, alpha_ci=(1.15, 1.25 + EPS))
    monkeypatch.setattr(fits, "power_law_fit", lambda *a, **k: fit)
    f = sections.measure_c1(power_law(1.0, S=100), n_boot=5)
    assert outcomes(f) == [None, True] and f.verdict == "inconclusive"
    assert f.criteria[0].decides.startswith("about ") and "clear 0.75 and 1.25" in f.criteria[0].decides
    assert f.criteria[1].decides == ""
    fit.alpha_ci = (1.15, 1.25)
    assert outcomes(sections.measure_c1(power_law(1.0, S=100), n_boot=5)) == [True, True]


def test_c1_uses_only_the_stored_widths_asked_for():
    sweep = power_law(1.0, widths=(5, 10, 20, 30, 40, 50))
    sweep[5] = planted(5, np.full(5, 1.0))  # far off the law, but not a scaling width
    assert sections.measure_c1(sweep, n_boot=10).verdict == "reproduced"
    assert "N = [10, 20, 30, 40, 50]" in sections.measure_c1(sweep, n_boot=10).value


# ---- C2: α_early ≥ C2_EARLY_MIN, |α_late − 1| ≤ C2_LATE_TOLERANCE ---------------------------------

C2_WIDTHS = (10, 15, 20, 25, 30, 40, 50)


def broken(a1, a2, nb=15.0):
    """Noise-free broken power law with its break at the second width: the first point of the
    break grid, so that the grid refits of the bootstrap find it exactly."""
    m = {w: 1e-3 * (w / nb) ** -(a1 if w < nb else a2) for w in C2_WIDTHS}
    sweep = {w: planted(w, np.full(5, m[w]), "leaky_relu") for w in C2_WIDTHS}
    sweep[4] = planted(4, np.full(5, 1.0), "leaky_relu")  # below N = 10: left out
    return sweep


@pytest.mark.parametrize("a1, a2, expect", [
    (3 + EPS, 1.0, [True, True]), (3 - EPS, 1.0, [False, True]),
    (4.0, 1.5 - EPS, [True, True]), (4.0, 1.5 + EPS, [True, False]),
    (4.0, 0.5 + EPS, [True, True]), (4.0, 0.5 - EPS, [True, False])])
def test_c2_thresholds(a1, a2, expect):
    assert (sections.C2_EARLY_MIN, sections.C2_LATE_TOLERANCE) == (3.0, 0.5)
    f = sections.measure_c2(broken(a1, a2), n_boot=10)
    assert f.numbers["alpha_early"] == pytest.approx(a1, abs=1e-8) and f.numbers["break_width"] == pytest.approx(15)
    assert f.detail.alpha_early_ci == pytest.approx((a1, a1), abs=1e-8)
    assert f.detail.alpha_late_ci == pytest.approx((a2, a2), abs=1e-8)
    assert outcomes(f) == expect
    assert f.verdict == ("reproduced" if all(expect) else "partly reproduced")
    assert "N = [10, 15, 20, 25, 30, 40, 50]" in f.value


def test_c2_undecided_late_exponent_says_what_would_decide(monkeypatch):
    fit = SimpleNamespace(alpha_early=4.0, alpha_early_ci=(3.5, 4.5), alpha_late=1.4, alpha_late_ci=(1.3, 1.5 + EPS),
                          break_width=20.0, break_width_ci=(18.0, 22.0))
    monkeypatch.setattr(fits, "broken_power_law_fit", lambda *a, **k: fit)
    f = sections.measure_c2(broken(4.0, 1.0), n_boot=5)
    assert outcomes(f) == [True, None] and f.criteria[0].decides == "" and "clear 0.5 and 1.5" in f.criteria[1].decides


# ---- C3, C4, C12: the checks ---------------------------------------------------------------------

@pytest.mark.parametrize("alpha, ok", [(4.1 - EPS, True), (4.1 + EPS, False), (3.9 + EPS, True), (3.9 - EPS, False)])
def test_c3_tolerance(monkeypatch, alpha, ok):
    seen = []

    def fake(f, pieces):
        seen.append(tuple(pieces))
        return np.ones(len(pieces)), ExponentFit(alpha, 1.0, 0.0)

    monkeypatch.setattr(fits, "interpolation_scaling", fake)
    f = sections.measure_c3()
    assert seen == [sections.C3_PIECES] and sections.C3_TOLERANCE == 0.1
    assert outcomes(f) == [ok] and f.kind == "check"


def test_c3_measures_sin_3x():
    f = sections.measure_c3()
    pieces, mse, fit = f.detail
    expect = [fits.interpolation_mse(lambda x: np.sin(3 * x), p) for p in sections.C3_PIECES]
    np.testing.assert_allclose(mse, expect, rtol=1e-12)
    assert abs(fit.alpha - 4) < 0.1 and f.numbers["alpha"] == fit.alpha


def _quadratic(A=0.109, x_star=-1.278, B=-0.278):
    return SiluQuadratic(A=A, x_star=x_star, B=B, A_exact=A, halfwidth=0.05)


@pytest.mark.parametrize("field, value, index", [
    ("A", 0.109 + 5e-4 - EPS, None), ("A", 0.109 + 5e-4 + EPS, 0), ("A", 0.109 - 5e-4 - EPS, 0),
    ("x_star", -1.278 - 5e-4 + EPS, None), ("x_star", -1.278 - 5e-4 - EPS, 1), ("x_star", -1.278 + 5e-4 + EPS, 1),
    ("B", -0.278 + 5e-4 - EPS, None), ("B", -0.278 - 5e-4 - EPS, 2), ("B", -0.278 + 5e-4 + EPS, 2)])
def test_c4_tolerance(monkeypatch, field, value, index):
    assert sections.C4_TOLERANCE == 5e-4
    monkeypatch.setattr(fits, "silu_quadratic", lambda: _quadratic(**{field: value}))
    f = sections.measure_c4()
    expect = [True, True, True]
    if index is not None:
        expect[index] = False
    assert outcomes(f) == expect
    assert f.verdict == ("reproduced" if index is None else "partly reproduced")


def test_c4_reads_the_sign_as_printed_when_asked(monkeypatch):
    monkeypatch.setattr(fits, "silu_quadratic", lambda: _quadratic(x_star=1.278 + 5e-4 - EPS))
    signed = sections.measure_c4(signed=True)
    assert outcomes(signed) == [True, True, True] and not signed.note
    monkeypatch.setattr(fits, "silu_quadratic", lambda: _quadratic(x_star=1.278 + 5e-4 + EPS))
    assert outcomes(sections.measure_c4(signed=True)) == [True, False, True]
    monkeypatch.setattr(fits, "silu_quadratic", lambda: _quadratic(x_star=-1.278))
    assert outcomes(sections.measure_c4(signed=True)) == [True, False, True]
    unsigned = sections.measure_c4()
    assert outcomes(unsigned) == [True, True, True] and "wrong sign" in unsigned.note
    monkeypatch.setattr(fits, "silu_quadratic", lambda: _quadratic(x_star=1.278))
    assert sections.measure_c4().note == ""  # a positive minimum: no typo to report


def test_c12_tolerance(monkeypatch):
    assert sections.CHINCHILLA_ALPHA == 0.34
    assert sections.measure_c12().verdict == "reproduced"
    for alpha, ok in [(1 / 3 + 0.02 - EPS, True), (1 / 3 + 0.02 + EPS, False), (1 / 3 - 0.02 + EPS, True),
                      (1 / 3 - 0.02 - EPS, False)]:
        monkeypatch.setattr(sections, "CHINCHILLA_ALPHA", alpha)
        assert outcomes(sections.measure_c12()) == [ok], alpha


def test_c12_carries_our_alpha_over_three():
    c1 = sections.measure_c1(power_law(0.9), n_boot=10)
    f = sections.measure_c12(c1)
    assert f.numbers["ours"] == pytest.approx(0.3, abs=1e-9) and f.numbers["ours_lo"] == pytest.approx(0.3, abs=1e-9)
    assert f.scale == c1.scale and "with our α: 0.300" in f.value
    assert "ours" not in sections.measure_c12(findings.pending("C1", "x")).numbers


# ---- C5: the mirror test's p-values and the nearest-mirror ratio ----------------------------------

def _mirror(p):
    return symmetry.MirrorTest(statistic=0.1, null_median=0.1, null_q95=0.2, pvalue=p, n_points=10, flip=(-1.0, 1.0))


@pytest.mark.parametrize("p_mirror, p_control, ratio, expect", [
    (0.5, 0.001, 1.5 - EPS, [True, True, True]), (0.5, 0.001, 1.5 + EPS, [True, True, False]),
    (0.0503, 0.001, 1.0, [True, True, True]), (0.0497, 0.001, 1.0, [False, True, True]),
    (0.5, 0.0097, 1.0, [True, True, True]), (0.5, 0.0103, 1.0, [True, False, True])])
def test_c5_thresholds(monkeypatch, p_mirror, p_control, ratio, expect):
    assert (sections.C5_P_SYMMETRIC, sections.C5_P_CONTROL, sections.C5_RATIO) == (0.05, 0.01, 1.5)
    monkeypatch.setattr(symmetry, "mirror_test", lambda pts, flip, n_perm: _mirror(
        p_mirror if tuple(flip) == (-1.0, 1.0) else p_control))
    monkeypatch.setattr(symmetry, "nearest_mirror_ratio", lambda pts, flip: ratio if tuple(flip) == (-1.0, 1.0) else 9.0)
    wide = planted(20, [1e-6])
    # 10^7 permutations: the p-values' Monte Carlo intervals are ±0.0002 wide, inside the margins above
    f = sections.measure_c5(wide, n_perm=10**7)
    assert outcomes(f) == expect
    lo, hi = f.numbers["pvalue_ci"]
    assert lo < p_mirror < hi and hi - lo < 1e-3


def test_c5_few_permutations_leave_a_p_value_near_the_threshold_undecided(monkeypatch):
    monkeypatch.setattr(symmetry, "mirror_test", lambda pts, flip, n_perm: _mirror(0.06 if flip[0] < 0 else 0.001))
    f = sections.measure_c5(planted(20, [1e-6]), n_perm=200)
    assert f.criteria[0].outcome is None and "more networks" in f.criteria[0].decides
    assert f.verdict == "inconclusive"


# ---- C7: asymmetry, the match with Eq. 2 and the published loss at our lowest peak --------------

SYM = np.array([-0.830104, 0.830104, -1.1684235, -1.1684235, 5.685851, 5.685851, 3.1539197])  # symmetric Eq. 2


def _c7(monkeypatch, tickets, lowest=None, edge=None):
    published = nk.ticket_mse()
    lowest = published if lowest is None else lowest
    edge = 10 * lowest if edge is None else edge
    p = Peaks(locations=np.array([lowest, 100 * lowest]), heights=np.ones(2), prominences=np.ones(2),
              boundaries=np.array([edge]), bandwidth=0.1, grid=np.zeros(3), density=np.ones(3))
    monkeypatch.setattr(sections, "lottery_tickets", lambda res, **kw: (tickets, p))
    return sections.measure_c7(planted(2, np.full(4, 1e-5)))


def _asymmetric(e, n=5):
    t = np.tile(SYM, (n, 1))
    t[:, 0] *= 1 - e  # |w1 + w2| / (|w1| + |w2|) = e
    t[:, 1] *= 1 + e
    return t


@pytest.mark.parametrize("e, ok", [(0.01 - EPS, True), (0.01 + EPS, False)])
def test_c7_asymmetry(monkeypatch, e, ok):
    assert sections.C7_ASYMMETRY == 0.01
    f = _c7(monkeypatch, _asymmetric(e))
    assert f.numbers["asymmetry"] == pytest.approx(e, rel=1e-9)
    assert outcomes(f) == [ok, True, True] and f.verdict == ("reproduced" if ok else "partly reproduced")


@pytest.mark.parametrize("d, ok", [(0.05 - EPS, True), (0.05 + EPS, False)])
def test_c7_match(monkeypatch, d, ok):
    assert sections.C7_MATCH == 0.05
    f = _c7(monkeypatch, np.tile(PUBLISHED * (1 + d), (5, 1)))  # ‖p − ref‖ / ‖ref‖ = d
    assert f.numbers["distance"] == pytest.approx(d, rel=1e-9)
    assert outcomes(f) == [True, ok, True]


@pytest.mark.parametrize("decades, ok", [(0.5 - EPS, True), (0.5 + EPS, False), (-0.5 + EPS, True), (-0.5 - EPS, False)])
def test_c7_peak_decades(monkeypatch, decades, ok):
    assert sections.C7_PEAK_DECADES == 0.5
    published = nk.ticket_mse()
    f = _c7(monkeypatch, np.tile(SYM, (5, 1)), lowest=published * 10**decades)
    assert f.numbers["published_mse"] == published
    assert outcomes(f) == [True, True, ok]


@pytest.mark.parametrize("factor, ok", [(1 + EPS, True), (1 - EPS, False)])
def test_c7_below_edge_reading(monkeypatch, factor, ok):
    published = nk.ticket_mse()
    tickets = np.tile(SYM, (5, 1))
    monkeypatch.setattr(sections, "lottery_tickets", lambda res, **kw: (tickets, Peaks(
        np.array([published / 100, published * 100]), np.ones(2), np.ones(2), np.array([published * factor]), 0.1,
        np.zeros(3), np.ones(3))))
    f = sections.measure_c7(planted(2, np.full(4, 1e-5)), rule="below-edge")
    assert outcomes(f) == [True, True, ok] and f.criteria[2].fixed == "before"
    with pytest.raises(ValueError, match="valid rules: within, below-edge"):
        sections.measure_c7(planted(2, np.full(4, 1e-5)), rule="nearest")


def test_c7_one_ticket_has_a_degenerate_interval(monkeypatch):
    f = _c7(monkeypatch, SYM[None])
    assert f.numbers["n_tickets"] == 1 and f.verdict == "reproduced"


# ---- C8: the Taylor conditions ---------------------------------------------------------------------

@pytest.mark.parametrize("const, quad, expect", [
    (0.01 - EPS, 1.0, [True, True]), (0.01 + EPS, 1.0, [False, True]),
    (0.0, 1.05 - EPS, [True, True]), (0.0, 1.05 + EPS, [True, False]),
    (0.0, 0.95 + EPS, [True, True]), (0.0, 0.95 - EPS, [True, False])])
def test_c8_thresholds(monkeypatch, const, quad, expect):
    assert (sections.C8_CONSTANT, sections.C8_QUADRATIC) == (0.01, 0.05)
    tickets = np.tile(SYM, (6, 1))
    monkeypatch.setattr(sections, "lottery_tickets", lambda res, **kw: (tickets, None))
    seen = []

    def taylor(t, activation):
        seen.append((t, activation))
        n = len(t)
        return TaylorConditions(constant=np.zeros(n), relative_constant=np.full(n, const), quadratic=np.full(n, quad),
                                quartic=np.full(n, 0.01))

    monkeypatch.setattr(symmetry, "taylor_conditions", taylor)
    f = sections.measure_c8(planted(2, np.full(4, 1e-5)))
    assert seen[0][0] is tickets and seen[0][1] == "silu"
    assert outcomes(f) == expect and f.numbers["quadratic"] == pytest.approx(quad, abs=1e-15)


# ---- C9: modes per width -----------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, verdict", [((), "reproduced"), ((10,), "partly reproduced"),
                                            ((1, 10, 50), "partly reproduced"),
                                            ((1, 2, 10, 50), "not reproduced")])
def test_c9_narrow_and_wide_widths(monkeypatch, wrong, verdict):
    # 9 widths, partly at 2/3: 6 agreeing is partly reproduced, 5 is not
    truth = {1: 2, 2: 3, 3: 2, 4: 2, 10: 1, 20: 1, 30: 1, 40: 1, 50: 1}
    modes = {w: (1 if m >= 2 else 2) if w in wrong else m for w, m in truth.items()}
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: modes[int(losses[0])])
    f = sections.measure_c9({w: planted(w, np.full(3, float(w))) for w in truth})
    assert f.verdict == verdict and f.numbers["agree"] == 9 - len(wrong)
    assert [c.text for c in f.criteria][3:5] == ["N=4: ≥ 2 modes", "N=10: 1 mode"]


def test_c9_two_modes_at_a_wide_width_is_not_one(monkeypatch):
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: 2)
    f = sections.measure_c9({w: planted(w, np.full(3, float(w))) for w in (4, 10)})
    assert outcomes(f) == [True, False]


# ---- C11: the ensemble bands ----------------------------------------------------------------------

def c11_sweep(r2=0.01, r4=0.4, r20=1.0, r40=1.0):
    """Noise-free: the harmonic ensemble of two equal losses L is L/2, so width N at r · L/2 has
    median ratio r exactly, and so has every bootstrap resample."""
    L = {1: 1e-2, 10: 1e-5}
    L[2] = r2 * L[1] / 2
    L[4] = r4 * L[2] / 2
    L[20] = r20 * L[10] / 2
    L[40] = r40 * L[20] / 2
    return {n: planted(n, np.full(6, v)) for n, v in L.items()}


@pytest.mark.parametrize("kw, expect", [
    ({"r2": 0.1 - EPS}, [True, True, True, True]), ({"r2": 0.1 + EPS}, [False, True, True, True]),
    ({"r4": 0.1 + EPS}, [True, True, True, True]), ({"r4": 0.1 - EPS}, [True, False, True, True]),
    ({"r4": 0.8 - EPS}, [True, True, True, True]), ({"r4": 0.8 + EPS}, [True, False, True, True]),
    ({"r20": 0.8 + EPS}, [True, True, True, True]), ({"r20": 0.8 - EPS}, [True, True, False, True]),
    ({"r40": 1.25 - EPS}, [True, True, True, True]), ({"r40": 1.25 + EPS}, [True, True, True, False])])
def test_c11_bands(kw, expect):
    f = sections.measure_c11(c11_sweep(**kw))
    assert outcomes(f) == expect
    for n, r in zip((2, 4, 20, 40), (kw.get("r2", 0.01), kw.get("r4", 0.4), kw.get("r20", 1.0), kw.get("r40", 1.0))):
        assert f.numbers["ratios"][n] == pytest.approx(r, rel=1e-9)
        assert f.numbers["ratio_cis"][n] == pytest.approx((r, r), rel=1e-9)


@pytest.mark.parametrize("r, kind", [(0.1, "much better"), (0.1 + EPS, "slightly better"), (0.8 - EPS, "slightly better"),
                                     (0.8, "match"), (1.25, "match"), (1.25 + EPS, "worse")])
def test_c11_words_for_a_ratio(r, kind):
    f = sections.measure_c11(c11_sweep(r40=r))
    assert f"N=40: ratio {r:.2g}" in f.value and f.value.endswith(f"({kind}), KS {f.detail[40].ks_statistic:.2f}")


def test_c11_skips_widths_without_their_half():
    sweep = c11_sweep()
    del sweep[10]
    f = sections.measure_c11(sweep)
    assert [c.text.split(":")[0] for c in f.criteria] == ["N=2", "N=4", "N=40"]  # N = 20 lacks its half


# ---- C13: Appendix A's words on the exponents ----------------------------------------------------

def _fit(alpha, lo=None, hi=None):
    return SimpleNamespace(alpha=alpha, alpha_ci=(alpha if lo is None else lo, alpha if hi is None else hi))


def _shape(overall=1.0, early=1.0, late=1.0, tol=0.25):
    return SimpleNamespace(overall=_fit(overall), early=_fit(early), late=_fit(late), tolerance=tol,
                           shape="N^-1")


@pytest.mark.parametrize("target, shape, ok", [
    ("x2", _shape(overall=1.25 - EPS), True), ("x2", _shape(overall=1.25 + EPS), False),
    ("x3", _shape(overall=0.75 + EPS), True), ("x3", _shape(overall=0.75 - EPS), False),
    ("tanh", _shape(overall=0.0, early=1.25 - EPS), True), ("tanh", _shape(overall=1.0, early=0.75 - EPS), False),
    ("x4", _shape(overall=EPS, early=0.5, late=0.5 - EPS), True), ("sin2", _shape(overall=-EPS, early=0.5, late=0.1), False),
    ("expx2", _shape(overall=0.5, early=0.5, late=0.5 + EPS), False),
    ("sin", _shape(late=0.25 - EPS), True), ("cos", _shape(late=0.25 + EPS), False), ("relu", _shape(late=-1.0), True),
    ("exp", _shape(overall=1.0, early=1.0, late=0.3, tol=0.35), True)])
def test_c13_words(target, shape, ok):
    assert appendices.c13_matches(target, shape) is ok


def test_c13_words_undecided_on_a_straddling_interval():
    s = _shape()
    s.overall = _fit(1.2, 1.1, 1.3)
    assert appendices.c13_matches("x2", s) is None
    s = _shape(overall=0.5, early=0.6)
    s.late = _fit(0.5, 0.4, 0.7)  # α_late's interval reaches past α_early
    assert appendices.c13_matches("x4", s) is None


def test_c13_the_two_readings_and_the_narrow_widths(monkeypatch):
    assert appendices.NARROW_WIDTHS == (1, 2, 3, 4)
    # modes: 2 only at N = 4 (a narrow width), 1 at the widest
    modes = {1: 1, 2: 1, 3: 1, 4: 2, 10: 1, 20: 1, 30: 1, 40: 1, 50: 1}
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: modes[int(round(losses[0]))])
    sweep = {w: planted(w, np.full(3, float(w)), target="tanh") for w in modes}
    curve = SimpleNamespace(**vars(_shape(overall=0.5, early=1.0, late=0.1)), )
    curve.shape = "N^-1, then flattens"
    f = appendices.measure_c13({"tanh": sweep}, curves={"tanh": curve})
    assert outcomes(f) == [True, True, True] and f.verdict == "reproduced"
    curve.shape = "plateaus"
    assert outcomes(appendices.measure_c13({"tanh": sweep}, reading="labels", curves={"tanh": curve})) == [True, True, False]
    curve.shape = "N^-1"
    assert outcomes(appendices.measure_c13({"tanh": sweep}, reading="labels", curves={"tanh": curve})) == [True, True, True]
    modes.update({4: 1, 50: 2})
    f = appendices.measure_c13({"tanh": sweep}, curves={"tanh": curve})
    assert outcomes(f) == [False, False, True] and f.verdict == "not reproduced"  # 1 of 3 < 2/3
    modes[4] = 3
    assert appendices.measure_c13({"tanh": sweep}, curves={"tanh": curve}).verdict == "partly reproduced"
    with pytest.raises(ValueError, match="valid readings: words, labels"):
        appendices.measure_c13({"tanh": sweep}, reading="pictures", curves={"tanh": curve})


def test_c13_expected_labels():
    assert set(appendices.C13_EXPECTED) == {"x2", "x3", "x4", "sin", "cos", "exp", "sin2", "expx2", "relu", "tanh"}
    assert appendices.C13_EXPECTED["x2"] == ("N^-1",) and "rises" in appendices.C13_EXPECTED["relu"]


# ---- C14: where the products have several peaks, and what learnt nothing ------------------------------

PROD_WIDTHS = (1, 2, 3, 4, 10, 20, 30, 40, 50)


def prod_sweep(target, medians):
    return {w: planted(w, np.full(5, medians[w]), target=target) for w in medians}


NO_POWER = {w: {"modes": 1, "needed": 5, "rates": {}} for w in PROD_WIDTHS}  # 5 seeds are enough


@pytest.mark.parametrize("target, multi, ok", [
    ("prod2", {2}, True), ("prod2", {4, 10}, True), ("prod2", {1}, False), ("prod2", {10}, False),
    ("prod3", {10}, True), ("prod3", {10, 20}, False), ("prod3", set(), False), ("prod4", {10}, True),
    ("prod4", {4, 10}, False), ("prod5", set(), True), ("prod5", {50}, False)])
def test_c14_peaks_where_the_paper_says(monkeypatch, target, multi, ok):
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: 2 if int(round(losses[0] * 1e4)) in multi else 1)
    sweep = prod_sweep(target, {w: w * 1e-4 for w in PROD_WIDTHS})
    f = appendices.measure_c14({target: sweep}, n_boot=20, power={target: NO_POWER})
    assert f.criteria[0].outcome is ok and f.numbers["multi"][target] == sorted(multi)


def test_c14_learnt_nothing_cut(monkeypatch):
    assert appendices.LEARNT_NOTHING == 0.9
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: 1)
    cfg = planted(2, [1.0], target="prod2").config
    var = float(nk.training_data(cfg)[1].var(unbiased=False))
    for factor, learnt in [(1 - EPS, True), (1 + EPS, False)]:
        medians = {w: 1e-3 / w for w in PROD_WIDTHS}
        medians[4] = 0.9 * var * factor
        f = appendices.measure_c14({"prod2": prod_sweep("prod2", medians)}, n_boot=20, power={"prod2": NO_POWER})
        assert (4 in f.detail["prod2"]["learnt"]) is learnt
        medians[4] = 0.5 * var * factor
        g = appendices.measure_c14({"prod2": prod_sweep("prod2", medians)}, n_boot=20, power={"prod2": NO_POWER},
                                   learnt_nothing=0.5)
        assert (4 in g.detail["prod2"]["learnt"]) is learnt


def test_c14_n1_window_and_its_absence(monkeypatch):
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: 1)
    n1 = {w: 1e-3 / w for w in PROD_WIDTHS}
    f = appendices.measure_c14({"prod5": prod_sweep("prod5", n1)}, n_boot=20, power={"prod5": NO_POWER})
    assert outcomes(f) == [True, True] and f.verdict == "reproduced" and f.numbers["windows"]["prod5"]
    flat = {w: 1e-3 for w in PROD_WIDTHS}
    f = appendices.measure_c14({"prod5": prod_sweep("prod5", flat)}, n_boot=20, power={"prod5": NO_POWER})
    assert outcomes(f) == [True, False] and f.verdict == "not reproduced" and "no N^-1 range" in f.value  # 1/2 < 2/3
    # fewer than 3 widths learnt something: no window, the criterion missed
    cfg = planted(2, [1.0], target="prod5").config
    var = float(nk.training_data(cfg)[1].var(unbiased=False))
    f = appendices.measure_c14({"prod5": prod_sweep("prod5", {w: var for w in PROD_WIDTHS})}, n_boot=20,
                               power={"prod5": NO_POWER})
    assert outcomes(f) == [True, False] and f.detail["prod5"]["learnt"] == []


def test_c14_power_decides_whether_the_peak_criterion_counts(monkeypatch):
    monkeypatch.setattr(peaks, "count_modes", lambda losses, **kw: 1)
    sweep = prod_sweep("prod5", {w: 1e-3 / w for w in PROD_WIDTHS})  # 5 seeds a width
    for needed, outcome in [(5, True), (6, None), (None, None)]:
        power = {w: {"modes": 2, "needed": needed if w == 3 else 5, "rates": {}} for w in PROD_WIDTHS}
        f = appendices.measure_c14({"prod5": sweep}, n_boot=20, power={"prod5": power})
        assert f.criteria[0].outcome is outcome, needed
        if outcome is None:
            assert f.criteria[0].decides.startswith(f"{needed or 2000:,}" + (" or more" if needed is None else ""))
            assert "N = [3]" in f.criteria[0].decides


# ---- C15, C16: algorithms ---------------------------------------------------------------------------

def _unit_pair(cos):
    """PC1, PC2 whose images under the neuron swap have cosines +cos and -cos with them."""
    t = (1 - np.sqrt(1 - cos**2)) / cos  # 2t / (1 + t²) = cos
    return np.array([[1.0, t, 0, 0, 0, 0, 0], [1.0, -t, 0, 0, 0, 0, 0]])


def _c15(monkeypatch, cos1=0.95, cos2=-0.95, k=6, a=4, medians=None, seen=None):
    comps = np.vstack([_unit_pair(cos1)[0], _unit_pair(-cos2)[1]])
    monkeypatch.setattr(algorithms, "parameter_pca", lambda p7: SimpleNamespace(components=comps))
    medians = np.full(k, 1e-5) if medians is None else np.asarray(medians)
    orbits = [(j,) for j in range(len(medians))]

    def find(p7, losses, **kw):
        if seen is not None:
            seen.append(losses.size)
        return SimpleNamespace(n_clusters=k, n_algorithms=a, labels=np.zeros(losses.size, int), orbits=orbits,
                               candidates=(2, 10), twin_agreement=1.0)

    monkeypatch.setattr(algorithms, "find_algorithms", find)
    monkeypatch.setattr(algorithms, "cluster_losses", lambda losses, labels: SimpleNamespace(median=medians))
    return planted(2, np.r_[np.full(3, 1e-1), np.full(5, 1e-5)], params=np.tile(SYM, (8, 1)))


@pytest.mark.parametrize("cos1, cos2, ok", [(0.9 + EPS, -0.9 - EPS, True), (0.9 - EPS, -0.95, False),
                                            (0.95, -0.9 + EPS, False), (0.9, -0.9, True)])
def test_c15_mirror_cosines(monkeypatch, cos1, cos2, ok):
    assert appendices.C15_COSINE == 0.9
    res = _c15(monkeypatch, cos1, cos2)
    f = appendices.measure_c15(res, alternatives=False)
    assert f.numbers["pc_cosines"] == pytest.approx([cos1, cos2], abs=1e-12)
    assert outcomes(f)[0] is ok


@pytest.mark.parametrize("k, a, expect", [(6, 4, [True, True, True]), (5, 4, [True, False, True]),
                                          (7, 4, [True, False, True]), (6, 3, [True, True, False]),
                                          (6, 5, [True, True, False])])
def test_c15_counts(monkeypatch, k, a, expect):
    assert (appendices.C15_CLUSTERS, appendices.C15_ALGORITHMS) == (6, 4)
    f = appendices.measure_c15(_c15(monkeypatch, k=k, a=a), alternatives=False)
    assert outcomes(f) == expect and f.numbers["n_clusters"] == k and f.numbers["n_algorithms"] == a
    assert f.criteria[1].fixed == "after"
    assert appendices.measure_c15(_c15(monkeypatch, k=k, a=a), criterion="bic",
                                  alternatives=False).criteria[1].fixed == "before"


def test_c15_the_loss_cut(monkeypatch):
    assert appendices.ALGORITHM_MAX_LOSS == 1e-2
    # clusters of median loss just below and just above 1e-2: counted after clustering, or not
    medians = [1e-2 * (1 - EPS)] * 4 + [1e-2 * (1 + EPS)] * 2
    f = appendices.measure_c15(_c15(monkeypatch, medians=medians), cut="after", alternatives=False)
    assert f.numbers["n_clusters"] == 4 and f.numbers["n_algorithms"] == 4 and f.numbers["low_clusters"] == 4
    assert "with median MSE below 1e-2" in f.criteria[1].text
    # before clustering: only the networks below the cut are clustered (5 of the 8)
    seen = []
    appendices.measure_c15(_c15(monkeypatch, seen=seen), cut="before", alternatives=False)
    assert seen == [5]
    seen.clear()
    appendices.measure_c15(_c15(monkeypatch, seen=seen), cut="none", alternatives=False)
    assert seen == [8]


def _row(symmetric, n1, n2, mse=1e-5):
    return {"symmetric": symmetric, "neuron 1": n1, "neuron 2": n2, "median MSE": mse}


PAPER_ROWS = [_row(True, "nonlinear", "nonlinear"), _row(False, "saturating", "nonlinear"),
              _row(True, "nonlinear + linear", "linear"), _row(False, "linear", "nonlinear + linear")]


@pytest.mark.parametrize("i, row, ok", [
    (0, _row(True, "nonlinear", "nonlinear + linear"), False), (1, _row(False, "nonlinear", "saturating"), True),
    (1, _row(False, "saturating", "saturating"), False), (2, _row(True, "linear", "nonlinear"), False),
    (2, _row(True, "saturating + nonlinear + linear", "nonlinear + linear"), True),
    (3, _row(False, "nonlinear + linear", "linear"), True), (3, _row(False, "linear", "nonlinear"), False)])
def test_c16_descriptions(monkeypatch, i, row, ok):
    rows = list(PAPER_ROWS)
    rows[i] = row
    monkeypatch.setattr(appendices, "algorithm_table", lambda c15, x: rows)
    f = appendices.measure_c16(SimpleNamespace(scale="s"), np.zeros(3))
    assert f.numbers["parts"][i] is ok and f.numbers["parts"][:i] + f.numbers["parts"][i + 1:] == [True] * 3
    assert f.numbers["passes"] == 4 + ok and f.verdict == ("reproduced" if ok else "partly reproduced")


def test_c16_symmetry_pattern_and_too_few_algorithms(monkeypatch):
    rows = [dict(r) for r in PAPER_ROWS]
    rows[2]["symmetric"] = False
    monkeypatch.setattr(appendices, "algorithm_table", lambda c15, x: rows)
    f = appendices.measure_c16(SimpleNamespace(scale="s"), np.zeros(3))
    assert outcomes(f) == [False, True, True, True, True]
    monkeypatch.setattr(appendices, "algorithm_table", lambda c15, x: PAPER_ROWS[:3] + PAPER_ROWS[:3])
    assert outcomes(appendices.measure_c16(SimpleNamespace(scale="s"), np.zeros(3)))[0] is False
    monkeypatch.setattr(appendices, "algorithm_table", lambda c15, x: PAPER_ROWS[:3])
    f = appendices.measure_c16(SimpleNamespace(scale="s"), np.zeros(3))
    assert outcomes(f) == [False, True, True, True, False] and f.numbers["passes"] == 3


# ---- C17: pairs, useless pairs, independent tickets, error minima ------------------------------------

def _c17(monkeypatch, good=1.0, useless=0.5, rank=None, minima=(-1.6, 0.0, 1.6), widths=(10, 30, 50, 1000)):
    rank = {10: 1.0, 30: 2.0, 50: 3.0, 500: 5.0, 1000: 5.0} if rank is None else rank
    monkeypatch.setattr(disentangle, "disentangle", lambda w, b, v, c, x, y, act, slope: SimpleNamespace(
        good_fraction=np.full(3, good if w.shape[1] < 1000 else 0.5), useless_fraction=np.full(3, useless),
        effective_rank=np.full(3, rank[w.shape[1]])))
    x = np.round(np.arange(-2, 2.0005, 0.001), 6)
    prof = np.min(np.abs(x[:, None] - np.asarray(minima)[None, :]), axis=1)  # minima exactly at ``minima``
    monkeypatch.setattr(appendices, "error_profile", lambda res: (x, prof))
    return appendices.measure_c17({n: planted(n, np.full(3, 1e-6)) for n in widths})


@pytest.mark.parametrize("good, ok", [(0.9 + EPS, True), (0.9, True), (0.9 - EPS, False)])
def test_c17_good(monkeypatch, good, ok):
    assert appendices.C17_GOOD == 0.9
    assert outcomes(_c17(monkeypatch, good=good))[0] is ok


@pytest.mark.parametrize("useless, ok", [(0.3 + EPS, True), (0.3 - EPS, False), (0.7 - EPS, True), (0.7 + EPS, False)])
def test_c17_half(monkeypatch, useless, ok):
    assert appendices.C17_HALF == (0.3, 0.7)
    f = _c17(monkeypatch, useless=useless)
    assert outcomes(f)[1] is ok and f.numbers["useless"][1000] == useless


def test_c17_half_needs_width_1000(monkeypatch):
    f = _c17(monkeypatch, widths=(10, 30, 50, 500))
    assert outcomes(f)[1] is False and f.criteria[1].decides == ""


def test_c17_useless_fractions_given_replace_the_measured_ones(monkeypatch):
    rank = {10: 1.0, 30: 2.0, 50: 3.0, 1000: 5.0}
    _c17(monkeypatch)
    f = appendices.measure_c17({n: planted(n, np.full(3, 1e-6)) for n in (10, 30, 50, 1000)},
                               useless_fractions={1000: np.array([0.1, 0.1, 0.2])})
    assert f.numbers["useless"][1000] == 0.1 and outcomes(f)[1] is False
    assert f.numbers["rank"] == rank


@pytest.mark.parametrize("n, value, ok", [(10, 1.5 - EPS, True), (10, 1.5 + EPS, False), (30, 1.5 + EPS, True),
                                          (30, 1.5 - EPS, False), (50, 3.5 - EPS, True), (50, 3.5 + EPS, False),
                                          (50, 2.5 + EPS, True)])
def test_c17_rank(monkeypatch, n, value, ok):
    assert appendices.C17_RANK == {10: 1, 30: 2, 50: 3}
    rank = {10: 1.0, 30: 2.0, 50: 3.0, 1000: 5.0}
    rank[n] = value
    assert outcomes(_c17(monkeypatch, rank=rank))[2] is ok


@pytest.mark.parametrize("shift, ok", [(0.25 - 0.002, True), (0.25 + 0.002, False), (-0.25 + 0.002, True),
                                       (-0.25 - 0.002, False)])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_c17_minima(monkeypatch, shift, ok, which):
    assert appendices.C17_MINIMA == (-1.6, 0.0, 1.6) and appendices.C17_MINIMA_TOL == 0.25
    minima = [-1.6, 0.0, 1.6]
    minima[which] += shift
    if abs(minima[which]) > 1.99:
        return
    f = _c17(monkeypatch, minima=minima)
    assert f.numbers["minima"] == pytest.approx(minima, abs=1e-9)
    assert outcomes(f)[3] is ok


# ---- C18: distillation -------------------------------------------------------------------------------

def _c18(monkeypatch, ratio=1.0, best=1e-19, cond=1e15, after_factor=1.0):
    trained = planted(2, np.full(5, 1e-4))
    distilled = np.r_[np.full(40, ratio * 1e-4), [best]]  # median (and its interval) ratio·1e-4, best its minimum
    monkeypatch.setattr(disentangle, "distil", lambda *a: SimpleNamespace(train_mse=distilled,
                                                                          params7=np.tile(SYM, (41, 1))))
    monkeypatch.setattr(disentangle, "hessian_condition", lambda *a: np.array([cond]))
    monkeypatch.setattr(disentangle, "finetune", lambda *a: SimpleNamespace(before=distilled,
                                                                            after=distilled * after_factor))
    return appendices.measure_c18(planted(50, np.full(41, 1e-6)), trained)


@pytest.mark.parametrize("kw, expect", [
    ({"ratio": 0.5 + EPS}, [True, True, True, True]), ({"ratio": 0.5 - EPS}, [False, True, True, True]),
    ({"best": 1e-16 * (1 - EPS)}, [True, True, True, True]), ({"best": 1e-16}, [True, False, True, True]),
    ({"cond": 1e12}, [True, True, True, True]), ({"cond": 1e12 * (1 - EPS)}, [True, True, False, True]),
    ({"after_factor": 1 - EPS}, [True, True, True, False])])
def test_c18_thresholds(monkeypatch, kw, expect):
    assert (appendices.C18_RATIO, appendices.C18_BEST, appendices.C18_COND) == (0.5, 1e-16, 1e12)
    f = _c18(monkeypatch, **kw)
    assert outcomes(f) == expect
    assert f.numbers["ratio"] == pytest.approx(kw.get("ratio", 1.0), rel=1e-12)
    assert f.numbers["ratio_ci"] == pytest.approx((kw.get("ratio", 1.0),) * 2, rel=1e-12)


def test_c18_fine_tunes_at_the_schedules_last_rate(monkeypatch):
    assert appendices.C18_FINETUNE_LR == pytest.approx(1e-2 * 0.2**4, rel=1e-15)
    assert appendices.C18_FINETUNE_STEPS == 1000
    seen = []
    _c18(monkeypatch)
    monkeypatch.setattr(disentangle, "finetune", lambda p7, x, y, steps, lr, act, slope: seen.append((steps, lr)) or
                        SimpleNamespace(before=np.ones(2), after=np.ones(2)))
    appendices.measure_c18(planted(50, np.full(41, 1e-6)), planted(2, np.full(5, 1e-4)))
    assert seen == [(1000, 1e-2 * 0.2**4)]
