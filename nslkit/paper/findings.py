"""The claims ledger's records: each paper claim (C1-C18 of the book's claims page,
book/claims.md), our finding, and the one rule by which criteria become a verdict.

A :class:`Finding` is our measurement of one claim: its value with its uncertainty, the scale it
was measured at, its criteria and the verdict they give. Each :class:`Criterion` says whether it
was fixed before or after the data was seen. The rule, the same for every claim:

* A criterion on a measured quantity with a 95% interval passes when the whole interval
  satisfies it, fails when none of it does, and is *undecided* when the interval straddles the
  threshold (:func:`within`). A criterion without an interval (an exact number, a count) passes
  or fails.
* The verdict follows the criteria met (:func:`grade`): all of them, "reproduced"; some (or at
  least the claim's ``partly_at`` fraction), "partly reproduced"; fewer, "not reproduced".
* Undecided criteria are resolved both ways. When both give the same verdict, that is the
  verdict; when they differ, the verdict is "inconclusive", and the finding says what scale
  would decide it.

A finding is "evidence" when it could have failed, and a "check" when it cannot (exact
mathematics or arithmetic, such as C3's interpolation exponent and C12's 1/3): checks are not
counted as evidence for the paper.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..results import Results
from .scales import scale_label

__all__ = ["VERDICTS", "KINDS", "Claim", "CLAIMS", "Criterion", "Finding", "pending", "grade", "within",
           "seeds_to_decide", "verdict_of", "all_of", "sensitivity", "table", "scale_of", "losses_at", "fmt_ci",
           "fmt_spread"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "pending")
#: "evidence" could have failed; a "check" cannot (exact mathematics or arithmetic).
KINDS = ("evidence", "check")

@dataclass(frozen=True)
class Claim:
    """One claim of the book's claims page (book/claims.md)."""

    id: str  #: "C1" to "C18"
    where: str  #: where the paper makes it, e.g. "Fig. 1c"
    statement: str  #: what it says, in one line
    chapter: str  #: the book's chapter that measures it, e.g. "01_scaling_law"


#: The paper's claims C1-C18 by ID, in order (the book's claims page restates them in full).
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
class Criterion:
    """One test a finding applies.

    Attributes:
        text: what is tested, threshold included, e.g. "α_early ≥ 3".
        outcome: True (met), False (missed) or None (undecided: the interval straddles the
            threshold).
        fixed: "before" or "after" the data was seen.
        why: for "after", what changed and why; the chapter shows the verdict under the
            alternatives.
        decides: for an undecided criterion, what scale would decide it.
    """

    text: str
    outcome: bool | None
    fixed: str = "before"
    why: str = ""
    decides: str = ""

    def __post_init__(self) -> None:
        assert self.fixed in ("before", "after"), self.fixed
        assert self.outcome in (True, False, None), self.outcome
        object.__setattr__(self, "outcome", None if self.outcome is None else bool(self.outcome))


@dataclass(frozen=True)
class Finding:
    """Our measurement of one claim.

    Attributes:
        claim: the claim ID, e.g. "C1".
        value: our measurement in words and numbers, with its uncertainty.
        criteria: the tests applied (:class:`Criterion`); their outcomes give the verdict.
        scale: the scale it was measured at (seeds × steps), or "exact" for mathematics.
        numbers: the measured numbers as plain floats, for checks and the closing notes.
        detail: the analysis objects behind it (fits, peaks, tests), for the chapter's figures.
        kind: "evidence" or "check" (:data:`KINDS`).
        partly_at: the fraction of criteria that makes "partly reproduced" (None: any).
        note: what a reader should know beside the verdict (e.g. a typo in the paper).
        headline: our headline number in a few words, for summary tables (default: the value).
        verdict: derived from the criteria by :func:`verdict_of` ("pending" without criteria).
        between: for an inconclusive verdict, the two verdicts the undecided criteria allow.
    """

    claim: str
    value: str
    criteria: tuple[Criterion, ...]
    scale: str
    numbers: dict[str, Any] = field(default_factory=dict)
    detail: Any = None
    kind: str = "evidence"
    partly_at: float | None = None
    note: str = ""
    headline: str = ""
    verdict: str = field(init=False)
    between: tuple[str, str] = field(init=False)

    def __post_init__(self) -> None:
        assert self.claim in CLAIMS, self.claim
        assert self.kind in KINDS, self.kind
        object.__setattr__(self, "criteria", tuple(self.criteria))
        verdict, between = verdict_of(self.criteria, self.partly_at) if self.criteria else ("pending", ("", ""))
        object.__setattr__(self, "verdict", verdict)
        object.__setattr__(self, "between", between)

    @property
    def criterion(self) -> str:
        """The criteria as one text, each with its outcome."""
        mark = {True: "met", False: "missed", None: "undecided"}
        return "; ".join(f"{c.text} [{mark[c.outcome]}]" for c in self.criteria)

    @property
    def fixed(self) -> str:
        """"before", or "after: ..." naming the criteria chosen after the data was seen and why."""
        after = [c for c in self.criteria if c.fixed == "after"]
        return "before" if not after else "after: " + "; ".join(f"{c.text} ({c.why})" for c in after)

    @property
    def decides(self) -> str:
        """For an inconclusive finding, what scale would decide it."""
        return "; ".join(c.decides for c in self.criteria if c.outcome is None and c.decides)

    def sentence(self) -> str:
        """The finding in one sentence, e.g. "C1 (Fig. 1c) is reproduced: α = 1.05 [1.02, 1.08] …"."""
        c = CLAIMS[self.claim]
        verdict = self.verdict if self.kind == "evidence" else f"{self.verdict} (a check, not evidence)"
        extra = f" Note: {self.row()['note']}." if self.row()["note"] else ""
        return f"{c.id} ({c.where}) is {verdict} at {self.scale}: {self.value}.{extra}"

    def _repr_html_(self) -> str:
        """A small table in a notebook: the claim, our value, each criterion with its outcome, the verdict."""
        esc = html.escape
        mark = {True: "met", False: "missed", None: "undecided"}
        crit = "".join(f"<li>{esc(c.text)}: <b>{mark[c.outcome]}</b>"
                       + (f" <i>(fixed after the data: {esc(c.why)})</i>" if c.fixed == "after" else "") + "</li>"
                       for c in self.criteria)
        rows = [("claim", f"{self.claim} ({esc(CLAIMS[self.claim].where)}): {esc(CLAIMS[self.claim].statement)}"),
                ("ours", esc(self.value)), ("scale", esc(self.scale)), ("criteria", f"<ul>{crit}</ul>"),
                ("verdict", f"<b>{esc(self.verdict)}</b>" + ("" if self.kind == "evidence" else " (a check)"))]
        if self.row()["note"]:
            rows.append(("note", esc(self.row()["note"])))
        body = "".join(f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>'
                       for k, v in rows)
        return f'<table style="font-size:0.9em">{body}</table>'

    def row(self) -> dict[str, str]:
        """The ledger row: ID, where, the paper's statement, our value, scale, kind, criteria,
        when they were fixed, verdict, and a note (for an inconclusive verdict: between what,
        and what would decide it)."""
        c = CLAIMS[self.claim]
        notes = []
        if self.verdict == "inconclusive":
            notes.append(f"{self.between[0]} or {self.between[1]}; {self.decides or 'more seeds'} would decide")
        if self.note:
            notes.append(self.note)
        return {"claim": c.id, "where": c.where, "paper": c.statement, "headline": self.headline or self.value,
                "ours": self.value, "scale": self.scale, "kind": self.kind, "criterion": self.criterion,
                "fixed": self.fixed, "verdict": self.verdict, "note": "; ".join(notes)}


def pending(claim: str, why: str) -> Finding:
    """A claim not measured yet, and why.

    Args:
        claim: the claim's ID, e.g. "C5".
        why: what is missing.
    """
    return Finding(claim, f"pending: {why}", (), "")


def within(x: float, ci: tuple[float, float] | None = None, lo: float = -math.inf, hi: float = math.inf) -> bool | None:
    """The one rule for a threshold: is x in [lo, hi]?

    Args:
        x: the measured value.
        ci: its 95% interval, or None for an exact number.
        lo, hi: the bounds (default unbounded).

    Returns:
        Without ``ci``, whether x lies in [lo, hi]. With it, True when all of the interval lies
        inside, False when none of it does, None (undecided) when it straddles a bound.

    Example:
        >>> within(1.05, (1.02, 1.08), lo=0.75, hi=1.25), within(0.9, (0.6, 1.2), lo=0.75)
        (True, None)
    """
    if ci is None:
        return bool(lo <= x <= hi)
    a, b = ci
    if lo <= a and b <= hi:
        return True
    if b < lo or a > hi:
        return False
    return None


def all_of(outcomes) -> bool | None:
    """Three-valued AND: False if any is False, else None if any is undecided, else True.

    Args:
        outcomes: True, False or None each.
    """
    outcomes = list(outcomes)
    return False if False in outcomes else None if None in outcomes else True


def seeds_to_decide(x: float, ci: tuple[float, float], bounds: Sequence[float], seeds: int) -> int:
    """About how many seeds would shrink an interval clear of the nearest bound, the interval
    narrowing as 1/√seeds; at least twice ``seeds``.

    Args:
        x: the measured value.
        ci: its interval now.
        bounds: the criterion's bounds.
        seeds: the seeds it was measured on.
    """
    half = (ci[1] - ci[0]) / 2
    gap = min(abs(x - b) for b in bounds)
    if gap == 0:
        return 10 * seeds
    return max(2 * seeds, int(math.ceil(seeds * (half / gap) ** 2 / 100.0)) * 100)


def verdict_of(criteria: Sequence[Criterion], partly_at: float | None = None) -> tuple[str, tuple[str, str]]:
    """The criteria's verdict by the rule of this module.

    Args:
        criteria: the criteria a finding applies.
        partly_at: as for :func:`grade`.

    Returns:
        (verdict, (worst, best)), undecided criteria resolved both ways; "inconclusive" when
        worst and best differ.

    Example:
        >>> verdict_of([Criterion("α ≥ 3", True), Criterion("α_late ≈ 1", None)])
        ('inconclusive', ('partly reproduced', 'reproduced'))
    """
    met = sum(c.outcome is True for c in criteria)
    open_ = sum(c.outcome is None for c in criteria)
    worst, best = grade(met, len(criteria), partly_at), grade(met + open_, len(criteria), partly_at)
    return (worst if worst == best else "inconclusive"), (worst, best)


def grade(passes: int, total: int, partly_at: float | None = None) -> str:
    """The verdict of a finding from how many of its criteria it met.

    Args:
        passes: criteria met.
        total: criteria applied, ≥ 1.
        partly_at: the fraction of criteria that makes "partly reproduced" (None: any).

    Returns:
        "reproduced" for all of them, "partly reproduced" for at least ``partly_at`` of them,
        "not reproduced" for fewer.

    Raises:
        ValueError: unless 0 ≤ passes ≤ total and total ≥ 1.

    Example:
        >>> grade(3, 3), grade(1, 3), grade(1, 3, partly_at=0.5), grade(0, 3)
        ('reproduced', 'partly reproduced', 'not reproduced', 'not reproduced')
    """
    if not 0 <= passes <= total or total < 1:
        raise ValueError(f"passes must lie in [0, total] with total ≥ 1, got {passes} of {total}")
    if passes == total:
        return "reproduced"
    if passes > 0 and (partly_at is None or passes >= partly_at * total):
        return "partly reproduced"
    return "not reproduced"


def scale_of(results: Mapping[int, Results] | Results) -> str:
    """The scale label (seeds × steps, dtype) of a result, or of the first of a sweep.

    Args:
        results: one Results, or a sweep {width: Results}.
    """
    r = results if isinstance(results, Results) else next(iter(results.values()))
    return scale_label(r.config)


def losses_at(results: Mapping[int, Results], widths) -> list[np.ndarray]:
    """The final training losses (S,) at each width.

    Args:
        results: a sweep {width: Results}.
        widths: the widths to take, in order.
    """
    return [np.asarray(results[w].train_mse) for w in widths]


def fmt_ci(x: float, ci: tuple[float, float], digits: int = 2) -> str:
    """A value and its interval as text, ``x [lo, hi]``.

    Args:
        x: the value.
        ci: (lo, hi).
        digits: decimals (default 2).
    """
    return f"{x:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def fmt_spread(x: float, fmt: str, spread: Sequence[float] | None = None) -> str:
    """``x`` formatted with ``fmt``, or, where ``spread`` = (lo, hi) holds the values the same
    computation gave under other BLAS kernels and thread counts (:mod:`.rounding`) and the two
    ends format differently, "lo to hi": a number never shows digits that rounding decides.

    Args:
        x: the number.
        fmt: a format spec, such as ".2f".
        spread: (lo, hi), the values under other BLAS kernels and thread counts, or None.
    """
    def f(v):
        return format(int(v) if fmt.endswith("d") else v, fmt)

    if spread is None:
        return f(x)
    lo, hi = (f(v) for v in spread)
    return lo if lo == hi else f"{lo} to {hi}"


def sensitivity(measure: Callable[..., Finding], alternatives: Mapping[str, Mapping[str, Any]], *args,
                **kwargs):
    """The verdict of a measurement under each named alternative (a choice made after the data
    was seen, and its rivals).

    Args:
        measure: a ``measure_cN`` function.
        alternatives: {name: keyword arguments of ``measure``}.
        *args: passed to every call, ``measure(*args, **kwargs, **alternative)``.
        **kwargs: likewise.

    Returns:
        A pandas DataFrame with one row per alternative, with the verdict, the criteria met and
        our value.
    """
    import pandas as pd

    rows = []
    for name, alt in alternatives.items():
        f = measure(*args, **{**kwargs, **alt})
        rows.append({"alternative": name, "verdict": f.verdict,
                     "criteria met": f"{sum(c.outcome is True for c in f.criteria)}/{len(f.criteria)}",
                     "ours": f.value})
    return pd.DataFrame(rows).set_index("alternative")


def table(findings: list[Finding]):
    """The ledger as a pandas DataFrame, one row per claim (:meth:`Finding.row`).

    Args:
        findings: one :class:`Finding` per claim.
    """
    import pandas as pd

    return pd.DataFrame([f.row() for f in findings]).set_index("claim")
