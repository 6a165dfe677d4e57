"""The claims ledger: every claim C1-C18 measured on the stored results, never trained.

The ledger page of the book and the README's headline numbers are generated from
:func:`ledger`, so no verdict is ever typed by hand.
"""
from __future__ import annotations

import os
from typing import Any

from ..results import Results
from .appendices import c14_power, measure_c13, measure_c14, measure_c15, measure_c16, measure_c17, measure_c18
from .derived import derived_result
from .findings import CLAIMS, Finding, pending
from .scales import PAPER_WIDTHS, PRODUCT_TARGETS, SWEEP_WIDTHS, UNARY_TARGETS
from .sections import (measure_c1, measure_c2, measure_c3, measure_c4, measure_c5, measure_c6, measure_c7,
                       measure_c8, measure_c9, measure_c10, measure_c11, measure_c12)
from .study import disentangle_networks, first_stored, main_sweep, target_sweep, wide_network
from .tickets import training_xy

__all__ = ["ledger", "ledger_table", "stored_inputs", "stored_power"]


def stored_inputs(scales=("paper", "cpu", "cpu-small"), store: str | os.PathLike | None = None) -> dict[str, Any]:
    """What the ledger measures, loaded (never trained) at the largest scale that holds it.

    Args:
        scales: the scales to try, largest first.
        store: the results store (default :func:`nslkit.default_results_dir`).

    Returns:
        {"silu", "leaky", "wide", "unary", "products", "nets"}, None where nothing is stored.
    """
    def sweep_at(activation: str, scale: str) -> dict[int, Results]:
        try:  # with the extra widths we add, when they are stored
            return main_sweep(scale, activation, SWEEP_WIDTHS, store=store, train=False)
        except FileNotFoundError:
            return main_sweep(scale, activation, PAPER_WIDTHS, store=store, train=False)

    return {
        "silu": first_stored(lambda s: sweep_at("silu", s), scales)[1],
        "leaky": first_stored(lambda s: sweep_at("leaky_relu", s), scales)[1],
        "wide": first_stored(lambda s: wide_network(s, store=store, train=False), scales)[1],
        "unary": first_stored(lambda s: {t: target_sweep(s, t, store=store, train=False) for t in UNARY_TARGETS},
                              scales)[1],
        "products": first_stored(lambda s: {t: target_sweep(s, t, store=store, train=False) for t in PRODUCT_TARGETS},
                                 scales)[1],
        "nets": first_stored(lambda s: disentangle_networks(s, store=store, train=False), scales)[1],
    }


def ledger(scales=("paper", "cpu", "cpu-small"), store: str | os.PathLike | None = None,
           inputs: dict[str, Any] | None = None) -> list[Finding]:
    """Every claim C1-C18 measured on the stored results of the largest scale that has them.

    Never trains. A claim whose results are stored at none of ``scales`` is "pending".

    Args:
        scales: the scales to try, largest first (default "paper", "cpu", "cpu-small").
        store: the results store (default :func:`nslkit.default_results_dir`).
        inputs: :func:`stored_inputs`, when already loaded.

    Returns:
        One :class:`~nslkit.paper.findings.Finding` per claim, in order.
    """
    d = inputs or stored_inputs(scales, store)
    silu, leaky, wide, unary, products, nets = (d[k] for k in ("silu", "leaky", "wide", "unary", "products", "nets"))
    findings: dict[str, Finding] = {}
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
    findings["C13"] = measure_c13(unary) if unary else pending("C13", missing)
    findings["C14"] = (measure_c14(products, power={t: stored_power(sw, store) for t, sw in products.items()})
                       if products else pending("C14", missing))
    if silu:
        findings["C15"] = measure_c15(silu[2])
        findings["C16"] = measure_c16(findings["C15"], training_xy(silu[2])[0])
    else:
        findings["C15"], findings["C16"] = pending("C15", missing), pending("C16", missing)
    findings["C17"] = measure_c17(nets) if nets else pending("C17", missing)
    findings["C18"] = measure_c18(silu[50], silu[2]) if silu else pending("C18", missing)
    return [findings[c] for c in CLAIMS]




def _flat(inputs: dict[str, Any]) -> list[Results]:
    out = []
    for v in inputs.values():
        if isinstance(v, Results):
            out.append(v)
        elif isinstance(v, dict):
            out += _flat(v)
    return out


def ledger_table(scales=("paper", "cpu", "cpu-small"), store: str | os.PathLike | None = None,
                 recompute: bool = False):
    """The ledger as a pandas DataFrame, one row per claim (:meth:`Finding.row`).

    Kept as the derived result "ledger" beside the runs: it is recomputed only when a stored run
    it reads or the code of ``nslkit/analysis`` and ``nslkit/paper`` changes
    (:func:`.derived.derived`).

    Args:
        scales, store: as for :func:`ledger`.
        recompute: compute it again even when it is kept.
    """
    import pandas as pd

    inputs = stored_inputs(scales, store)
    rows = derived_result("ledger", [*_flat(inputs), *scales], lambda: [f.row() for f in ledger(scales, store, inputs)],
                          store=store, recompute=recompute)
    return pd.DataFrame(rows).set_index("claim")


def stored_power(sweep: dict[int, Results], store: str | os.PathLike | None = None, recompute: bool = False,
                 **kwargs) -> dict[int, dict]:
    """:func:`~nslkit.paper.appendices.c14_power` of a sweep (minutes of mixture sampling), kept as
    a derived result beside the runs and recomputed only when the runs or the code of the peak
    finder change.

    Args:
        sweep: {width: Results} of one product target.
        store: the results store.
        recompute: compute it again even when it is kept.
        **kwargs: passed to ``c14_power``.
    """
    first = next(iter(sweep.values())).config
    name = f"c14_power_{first.target}_{first.activation}_{len(first.seeds)}"
    code = ["paper/appendices.py", "analysis/peaks.py"]


    def compute():
        return {str(w): {"modes": int(p["modes"]), "needed": None if p["needed"] is None else int(p["needed"]),
                         "rates": {str(n): float(r) for n, r in p["rates"].items()}}
                for w, p in c14_power(sweep, **kwargs).items()}

    raw = derived_result(name, [*sweep.values(), repr(sorted(kwargs.items()))], compute, code, store, recompute)
    return {int(w): {**p, "rates": {int(n): r for n, r in p["rates"].items()}} for w, p in raw.items()}
