"""The claims ledger's records (nslkit.paper.findings) as a reader sees them: the sentence, the
notebook table, the ledger row and table, the sensitivity table, and the small formatters; each
compared whole, so that a changed word shows (issue 35, mutation testing)."""
import numpy as np
import pytest

import nslkit as nk
from nslkit.paper import findings as F

CRIT = [F.Criterion("a ≥ 1", True), F.Criterion("b <2>", None, "after", "why & b", "more seeds")]


def test_the_sentence_the_html_and_the_row():
    f = F.Finding("C2", "v & w", CRIT, "100 seeds", numbers={"x": 1.0}, note="n <1>", headline="h")
    assert f.sentence() == ("C2 (Fig. 1c) is inconclusive at 100 seeds: v & w. Note: partly reproduced or reproduced; "
                            "more seeds would decide; n <1>.")
    td = '<td style="text-align:left">'
    th = '<th style="text-align:left">'
    assert f._repr_html_() == (
        f'<table style="font-size:0.9em"><tr>{th}claim</th>{td}C2 (Fig. 1c): LeakyReLU: the loss first falls like '
        f'N^-4, then slows to about N^-1.</td></tr><tr>{th}ours</th>{td}v &amp; w</td></tr><tr>{th}scale</th>{td}'
        f'100 seeds</td></tr><tr>{th}criteria</th>{td}<ul><li>a ≥ 1: <b>met</b></li><li>b &lt;2&gt;: <b>undecided</b> '
        f'<i>(fixed after the data: why &amp; b)</i></li></ul></td></tr><tr>{th}verdict</th>{td}<b>inconclusive</b>'
        f'</td></tr><tr>{th}note</th>{td}partly reproduced or reproduced; more seeds would decide; n &lt;1&gt;</td>'
        '</tr></table>')
    assert f.row() == {"claim": "C2", "where": "Fig. 1c",
                       "paper": "LeakyReLU: the loss first falls like N^-4, then slows to about N^-1.",
                       "headline": "h", "ours": "v & w", "scale": "100 seeds", "kind": "evidence",
                       "criterion": "a ≥ 1 [met]; b <2> [undecided]", "fixed": "after: b <2> (why & b)",
                       "verdict": "inconclusive",
                       "note": "partly reproduced or reproduced; more seeds would decide; n <1>"}


def test_a_check_without_a_note():
    f = F.Finding("C3", "α = 4", [F.Criterion("|α − 4| ≤ 0.1", False)], "exact", kind="check")
    assert f.sentence() == "C3 (Fig. 1a) is not reproduced (a check, not evidence) at exact: α = 4."
    html = f._repr_html_()
    assert "<b>not reproduced</b> (a check)</td></tr></table>" in html and ">note<" not in html
    assert "|α − 4| ≤ 0.1: <b>missed</b></li>" in html and "<i>" not in html
    assert f.row()["note"] == "" and f.row()["headline"] == "α = 4" and f.row()["kind"] == "check"


def test_pending_and_the_table():
    p = F.pending("C5", "why")
    assert (p.value, p.scale, p.verdict, p.criteria, p.between) == ("pending: why", "", "pending", (), ("", ""))
    f = F.Finding("C2", "v", CRIT, "s")
    t = F.table([f, p])
    assert list(t.index) == ["C2", "C5"] and t.index.name == "claim"
    assert list(t.columns) == ["where", "paper", "headline", "ours", "scale", "kind", "criterion", "fixed", "verdict",
                               "note"]
    assert list(t["verdict"]) == ["inconclusive", "pending"]


def test_criterion_outcomes_are_plain():
    assert F.Criterion("x", np.True_).outcome is True and F.Criterion("x", np.False_).outcome is False
    assert F.Criterion("x", None).outcome is None
    with pytest.raises(AssertionError):
        F.Criterion("x", True, fixed="during")
    with pytest.raises(AssertionError):
        F.Criterion("x", 2)
    f = F.Finding("C1", "v", [F.Criterion("a", True)], "s")
    assert f.criteria == (F.Criterion("a", True),) and isinstance(f.criteria, tuple)
    assert f.kind == "evidence" and f.partly_at is None and f.numbers == {} and f.detail is None


def test_the_claims_list():
    assert list(F.CLAIMS) == [f"C{i}" for i in range(1, 19)]
    assert F.VERDICTS == ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "pending")
    assert F.KINDS == ("evidence", "check")
    c = F.CLAIMS["C7"]
    assert (c.id, c.where, c.chapter) == ("C7", "Fig. 2c, Eq. 2", "02_lottery_tickets")


def test_fmt_ci():
    assert F.fmt_ci(1.23456, (1.1, 1.3)) == "1.23 [1.10, 1.30]"
    assert F.fmt_ci(1.23456, (1.1, 1.3), 3) == "1.235 [1.100, 1.300]"


def _results(width, losses):
    cfg = nk.scale_config("cpu", seeds=len(losses), width=width)
    S = len(losses)
    return nk.Results(cfg, np.asarray(losses), np.asarray(losses), np.zeros((S, width, 1)), np.zeros((S, width)),
                      np.zeros((S, width)), np.zeros(S), np.array([0]), np.zeros((S, 1)))


def test_scale_of_and_losses_at():
    sweep = {2: _results(2, [1.0, 2.0]), 4: _results(4, [3.0, 4.0])}
    assert F.scale_of(sweep) == F.scale_of(sweep[2]) == "2 seeds × 50,000 steps, float64"
    got = F.losses_at(sweep, [4, 2])
    assert [a.tolist() for a in got] == [[3.0, 4.0], [1.0, 2.0]] and all(isinstance(a, np.ndarray) for a in got)


def test_sensitivity_table():
    def measure(x, bound=1.0, extra="e"):
        return F.Finding("C1", f"{x} vs {bound} {extra}", [F.Criterion("a", x <= bound), F.Criterion("b", True)], "s")

    t = F.sensitivity(measure, {"loose": {"bound": 5.0}, "tight": {"bound": 0.5}}, 1.0, extra="z")
    assert list(t.index) == ["loose", "tight"] and t.index.name == "alternative"
    assert t.to_dict("list") == {"verdict": ["reproduced", "partly reproduced"], "criteria met": ["2/2", "1/2"],
                                 "ours": ["1.0 vs 5.0 z", "1.0 vs 0.5 z"]}
