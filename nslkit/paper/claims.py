"""The claims ledger's public face (``nslkit.claims``): each paper claim (C1-C18 of the book's
claims page, book/claims.md), our measurement and a verdict.

Each ``measure_cN`` takes results (or nothing, for the mathematical claims), runs the analysis
and returns a :class:`Finding`: our value with its uncertainty, the scale it was measured at,
the criterion and the verdict. The chapters and :func:`ledger` call them through
:func:`measured`, which makes each measurement once and keeps it beside the runs: every page
shows the one stored finding, and the ledger is generated from results, never typed by hand.

Where the pieces live: the records and the grading rule in :mod:`.findings`, the main text's
claims (C1-C12) in :mod:`.sections`, the appendices' (C13-C18) in :mod:`.appendices`, the
objects they share in :mod:`.tickets`, and the store reading in :mod:`.ledger`.

Example:
    A claim, and a measurement that needs no stored results (C4 is exact mathematics, a check):

    >>> import nslkit as nk
    >>> nk.claims.CLAIMS["C1"].where, nk.claims.CLAIMS["C1"].chapter
    ('Fig. 1c', '01_scaling_law')
    >>> finding = nk.claims.measure_c4()
    >>> finding.verdict, finding.kind, finding.numbers["x_star"] < 0  # the footnote's x* lost its sign
    ('reproduced', 'check', True)

    ``nk.claims.ledger_table()`` measures every claim on the committed results (it never trains).
"""
from __future__ import annotations

from .appendices import (ALGORITHM_MAX_LOSS, C13_EXPECTED, C13_READINGS, C14_MULTI, C15_ALGORITHMS, C15_CLUSTERS,
                         C15_COSINE, C16_EXPECTED, C17_GOOD, C17_HALF, C17_MINIMA, C17_MINIMA_TOL, C17_RANK, C18_BEST,
                         C18_COND, C18_FINETUNE_LR, C18_FINETUNE_STEPS, C18_RATIO, LEARNT_NOTHING, NARROW_WIDTHS,
                         algorithm_table, c13_matches, c14_power, c15_alternatives, error_profile, measure_c13,
                         measure_c14, measure_c15, measure_c16, measure_c17, measure_c18)
from .findings import (CLAIMS, KINDS, VERDICTS, Claim, Criterion, Finding, fmt_spread, grade, pending, sensitivity,
                       table, verdict_of, within)
from .ledger import MEASURES, inputs_digest, ledger, ledger_table, measured, stored_inputs, stored_power
from .sections import (C1_TOLERANCE, C2_EARLY_MIN, C2_LATE_TOLERANCE, C3_PIECES, C3_TOLERANCE, C4_TOLERANCE,
                       C5_P_CONTROL, C5_P_SYMMETRIC, C5_RATIO, C7_ASYMMETRY, C7_MATCH, C7_PEAK_DECADES, C8_CONSTANT,
                       C8_QUADRATIC, C7_RULES, C11_EXPECTED, CHINCHILLA_ALPHA, PEAKS_AFTER, measure_c1, measure_c2, measure_c3, measure_c4,
                       measure_c5, measure_c6, measure_c7, measure_c8, measure_c9, measure_c10, measure_c11,
                       measure_c12)
from .tickets import lottery_tickets, lowest_peak, ticket_errors, training_xy

__all__ = [
    "CLAIMS", "VERDICTS", "KINDS", "Claim", "Criterion", "Finding", "grade", "pending", "table", "verdict_of",
    "within", "sensitivity", "fmt_spread", "ledger", "ledger_table", "stored_inputs", "stored_power", "MEASURES",
    "measured", "inputs_digest", "PEAKS_AFTER", "C7_RULES", "C13_READINGS", "LEARNT_NOTHING", "C15_CLUSTERS",
    "C15_ALGORITHMS", "c13_matches", "c14_power", "c15_alternatives",
    "lottery_tickets", "lowest_peak", "ticket_errors", "training_xy", "algorithm_table", "error_profile",
    "CHINCHILLA_ALPHA", "C1_TOLERANCE", "C2_EARLY_MIN", "C2_LATE_TOLERANCE", "C3_PIECES", "C3_TOLERANCE",
    "C4_TOLERANCE", "C5_P_SYMMETRIC", "C5_P_CONTROL", "C5_RATIO", "C7_ASYMMETRY", "C7_MATCH", "C7_PEAK_DECADES",
    "C8_CONSTANT", "C8_QUADRATIC", "C11_EXPECTED", "C13_EXPECTED", "NARROW_WIDTHS", "C14_MULTI",
    "ALGORITHM_MAX_LOSS", "C15_COSINE", "C16_EXPECTED", "C17_GOOD", "C17_HALF", "C17_RANK", "C17_MINIMA",
    "C17_MINIMA_TOL", "C18_RATIO", "C18_BEST", "C18_COND", "C18_FINETUNE_LR", "C18_FINETUNE_STEPS",
    "measure_c1", "measure_c2", "measure_c3", "measure_c4", "measure_c5", "measure_c6", "measure_c7",
    "measure_c8", "measure_c9", "measure_c10", "measure_c11", "measure_c12", "measure_c13", "measure_c14",
    "measure_c15", "measure_c16", "measure_c17", "measure_c18",
]
