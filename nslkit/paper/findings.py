"""The claims ledger's records: each paper claim (C1-C18 of CLAIMS.md), our finding, and the one
rule by which criteria become a verdict.

A :class:`Finding` is our measurement of one claim: its value with its uncertainty, the scale it
was measured at, the criterion and the verdict. :func:`grade` turns the criteria a finding met
into its verdict, the same way for every claim.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..results import Results
from .scales import scale_label

__all__ = ["VERDICTS", "Claim", "CLAIMS", "Finding", "pending", "grade", "table", "scale_of", "losses_at", "fmt_ci"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "pending")

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


def grade(passes: int, total: int, partly_at: float | None = None) -> str:
    """The verdict of a finding that met ``passes`` of its ``total`` criteria: all of them,
    "reproduced"; at least the fraction ``partly_at`` of them (default: any), "partly
    reproduced"; fewer, "not reproduced"."""
    if not 0 <= passes <= total or total < 1:
        raise ValueError(f"passes must lie in [0, total] with total ≥ 1, got {passes} of {total}")
    if passes == total:
        return "reproduced"
    if passes > 0 and (partly_at is None or passes >= partly_at * total):
        return "partly reproduced"
    return "not reproduced"


def scale_of(results: Mapping[int, Results] | Results) -> str:
    """The scale label (seeds × steps, dtype) of a result, or of the first of a sweep."""
    r = results if isinstance(results, Results) else next(iter(results.values()))
    return scale_label(r.config)


def losses_at(results: Mapping[int, Results], widths) -> list[np.ndarray]:
    """The final training losses (S,) at each of ``widths``."""
    return [np.asarray(results[w].train_mse) for w in widths]


def fmt_ci(x: float, ci: tuple[float, float], digits: int = 2) -> str:
    """``x [lo, hi]`` with ``digits`` decimals."""
    return f"{x:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def table(findings: list[Finding]):
    """The ledger as a pandas DataFrame, one row per claim."""
    import pandas as pd

    return pd.DataFrame([f.row() for f in findings]).set_index("claim")
