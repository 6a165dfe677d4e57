"""The claims ledger: every claim C1-C18 measured on the stored results, never trained; and
:func:`measured`, through which the ledger and every chapter read one stored measurement.

A claim's measurement is made once per inputs and code and kept beside the runs as a derived
result (``derived/findings/<claim>-<inputs>.json``: the whole :class:`~.findings.Finding`, the
analysis objects behind its figures included, :mod:`.records`). The ledger page, the intro, the
README's findings and the claim's chapter all show that one record, so a number reads the same
on every page, on any machine. The rounding-sensitive claims (:data:`.rounding.SENSITIVE`)
are measured with their spread across BLAS kernels and thread counts, which their text shows.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
from typing import Any, Callable

from ..results import Results
from ..store import Store
from . import records, rounding
from .appendices import c14_power, measure_c13, measure_c14, measure_c15, measure_c16, measure_c17, measure_c18
from .derived import code_closure, code_digest, derived, derived_result
from .findings import CLAIMS, Finding, pending
from .scales import PAPER_WIDTHS, PRODUCT_TARGETS, SCALING_WIDTHS, SWEEP_WIDTHS, UNARY_TARGETS
from .sections import (C11_EXPECTED, measure_c1, measure_c2, measure_c3, measure_c4, measure_c5, measure_c6, measure_c7,
                       measure_c8, measure_c9, measure_c10, measure_c11, measure_c12)
from .study import c11_networks, disentangle_networks, first_stored, main_sweep, target_sweep, wide_network
from .tickets import training_xy

__all__ = ["MEASURES", "measured", "ledger", "ledger_table", "stored_inputs", "stored_power", "inputs_digest"]

#: The function that measures each claim (:mod:`.sections`, :mod:`.appendices`).
MEASURES: dict[str, Callable[..., Finding]] = {
    "C1": measure_c1, "C2": measure_c2, "C3": measure_c3, "C4": measure_c4, "C5": measure_c5, "C6": measure_c6,
    "C7": measure_c7, "C8": measure_c8, "C9": measure_c9, "C10": measure_c10, "C11": measure_c11,
    "C12": measure_c12, "C13": measure_c13, "C14": measure_c14, "C15": measure_c15, "C16": measure_c16,
    "C17": measure_c17, "C18": measure_c18}
_SCALES = ("paper", "cpu", "cpu-small")


def _digest_of(value: Any) -> str:
    """A stable digest of one argument: a run by its experiment key, width and seeds (not its
    arrays), a mapping item by item, anything else by its stored form (:mod:`.records`)."""
    if isinstance(value, Results):
        return f"run:{value.config.experiment_key()}:{value.config.width}:{list(value.seeds)}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_digest_of(v)}" for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))) + "}"
    return hashlib.sha256(json.dumps(records.encode(value), sort_keys=True).encode()).hexdigest()


def inputs_digest(measure: Callable[..., Finding], *args, **kwargs) -> str:
    """SHA-256 of a measurement's name and its arguments, bound to its signature with the defaults
    filled in (so that ``f(x)`` and ``f(x, n_boot=1000)`` name one measurement).

    Args:
        measure: one of :data:`MEASURES`.
        *args, **kwargs: its arguments; a stored run counts by its experiment key, width and
            seeds, not by its arrays.

    Returns:
        The hex digest.
    """
    bound = inspect.signature(measure).bind(*args, **kwargs)
    bound.apply_defaults()
    h = hashlib.sha256(measure.__name__.encode())
    for name, value in bound.arguments.items():
        h.update(f"|{name}={_digest_of(value)}".encode())
    return h.hexdigest()


def _narrowed(cid: str, measure: Callable[..., Finding], args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments with each sweep cut to the widths the claim's measurement reads (its own
    rule, restated), so that a chapter passing all its widths and the ledger passing its own
    name one measurement."""
    bound = inspect.signature(measure).bind(*args, **kwargs)
    bound.apply_defaults()
    a = bound.arguments
    keep = {"C1": lambda sw: set(a["widths"]), "C2": lambda sw: {w for w in sw if w >= min(SCALING_WIDTHS)},
            "C9": lambda sw: set(PAPER_WIDTHS),
            "C11": lambda sw: {m for n in C11_EXPECTED for m in (n, n // 2) if n in sw and n // 2 in sw}}.get(cid)
    if keep is not None:
        name = next(iter(a))  # the sweep is the first argument
        a[name] = {w: r for w, r in a[name].items() if w in keep(a[name])}
    return bound.args, bound.kwargs


def _claim(measure: Callable[..., Finding]) -> str:
    for cid, fn in MEASURES.items():
        if fn is measure:
            return cid
    raise ValueError(f"{getattr(measure, '__name__', measure)!r} is not a claim's measurement; valid: "
                     + ", ".join(f.__name__ for f in MEASURES.values()))


def measured(measure: Callable[..., Finding], *args, store: Store | str | os.PathLike | None = None,
             recompute: bool = False, rounding_spread: bool = True, **kwargs) -> Finding:
    """``measure(*args, **kwargs)`` (one of :data:`MEASURES`), made once and kept in the store.

    The record is keyed on the arguments (:func:`inputs_digest`) and on the code of
    the modules the measurement may run (:func:`.derived.code_closure`), so a change to either
    measures again; otherwise every
    caller (the ledger, a chapter) gets the stored finding, its ``detail`` included. For the claims
    of :data:`.rounding.SENSITIVE` the measurement is first repeated under every BLAS setting of
    :data:`.rounding.SETTINGS` (kept as the derived result ``rounding/<claim>-<inputs>``), and
    the finding is made with that ``spread``, so its text shows ranges where rounding decides
    the digits; ``rounding_spread=False`` skips that (a smoke run: eight more measurements
    would cost more than they tell). Where the store cannot be written the finding is returned,
    not kept. A construction (no stored runs among the arguments: C3, C4) is measured each time,
    never kept.

    Args:
        measure: one of :data:`MEASURES`.
        *args, **kwargs: its arguments.
        store: the results store (default :func:`nslkit.default_results_dir`).
        recompute: measure again even when the finding is kept.
        rounding_spread: False to measure a claim of :data:`.rounding.SENSITIVE` once, without
            its spread across BLAS settings.

    Returns:
        The :class:`~nslkit.paper.findings.Finding`, as kept.

    Raises:
        ValueError: when ``measure`` is not one of :data:`MEASURES`.
        RuntimeError: when a sensitive claim's verdict depends on the BLAS setting.
    """
    cid = _claim(measure)
    if not _reads_runs((args, kwargs)):  # a construction (C3, C4): nothing stored to key on, cheap
        return measure(*args, **kwargs)
    args, kwargs = _narrowed(cid, measure, args, kwargs)
    digest = inputs_digest(measure, *args, **kwargs)
    code = code_closure(measure.__module__.removeprefix("nslkit.").replace(".", "/") + ".py", "paper/records.py",
                        "paper/rounding.py")
    if rounding_spread and cid in rounding.SENSITIVE and inspect.signature(measure).bind(
            *args, **kwargs).arguments.get("spread") is None:
        runs = derived(f"rounding/{cid}-{digest[:16]}", _key("rounding", digest, code),
                       lambda: rounding.run_settings(measure, args, kwargs), store, recompute,
                       {"files": code, "digest": code_digest(code)})
        verdicts = {r["verdict"] for r in runs}
        if len(verdicts) != 1:
            raise RuntimeError(f"{cid}'s verdict depends on the BLAS setting: "
                               + "; ".join(f"{r['setting']}: {r['verdict']}" for r in runs))
        bound = inspect.signature(measure).bind(*args, **kwargs)
        bound.arguments["spread"] = rounding.spread_of(r["numbers"] for r in runs)
        args, kwargs = bound.args, bound.kwargs
    data = derived(f"findings/{cid}-{digest[:16]}", _key("finding", inputs_digest(measure, *args, **kwargs), code),
                   lambda: records.encode(measure(*args, **kwargs)), store, recompute,
                   {"files": code, "digest": code_digest(code)})
    return records.decode(data)


def _reads_runs(value) -> bool:
    """Whether ``value`` (arguments, nested in tuples, lists and dicts) holds stored runs."""
    if isinstance(value, Results):
        return True
    if isinstance(value, dict):
        return any(_reads_runs(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_reads_runs(v) for v in value)
    return False


def _key(kind: str, digest: str, code: list[str]) -> str:
    return hashlib.sha256(f"{kind}:{digest}:{code_digest(code)}".encode()).hexdigest()


def stored_inputs(scales=_SCALES, store: str | os.PathLike | None = None) -> dict[str, Any]:
    """What the ledger measures, loaded (never trained) at the largest scale that holds it.

    Args:
        scales: the scales to try, largest first.
        store: the results store (default :func:`nslkit.default_results_dir`).

    Returns:
        {"silu", "leaky", "wide", "unary", "products", "nets", "c11"}, None where nothing is stored.
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
        "c11": first_stored(lambda s: c11_networks(s, sweep_at("silu", s), store=store), scales)[1],
    }


def ledger(scales=_SCALES, store: str | os.PathLike | None = None, inputs: dict[str, Any] | None = None,
           recompute: bool = False, rounding_spread: bool = True) -> list[Finding]:
    """Every claim C1-C18 measured on the stored results of the largest scale that has them, each
    through :func:`measured` (so read from the store when it was measured before).

    Never trains. A claim whose results are stored at none of ``scales`` is "pending".

    Args:
        scales: the scales to try, largest first (default "paper", "cpu", "cpu-small").
        store: the results store (default :func:`nslkit.default_results_dir`).
        inputs: :func:`stored_inputs`, when already loaded.
        recompute: measure every claim again even when its finding is kept.
        rounding_spread: as for :func:`measured` (False: the sensitive claims measured once,
            without their spread).

    Returns:
        One :class:`~nslkit.paper.findings.Finding` per claim, in order.
    """
    d = inputs or stored_inputs(scales, store)
    silu, leaky, wide, unary, products, nets = (d[k] for k in ("silu", "leaky", "wide", "unary", "products", "nets"))
    missing = f"no stored results at scales {', '.join(scales)}"

    def m(cid, *args, **kwargs):
        return measured(MEASURES[cid], *args, store=store, recompute=recompute, rounding_spread=rounding_spread,
                        **kwargs)

    f: dict[str, Finding] = {}
    f["C1"] = m("C1", silu) if silu else pending("C1", missing)
    f["C2"] = m("C2", leaky) if leaky else pending("C2", missing)
    f["C3"], f["C4"] = m("C3"), m("C4")
    f["C5"] = m("C5", wide) if wide else pending("C5", missing)
    for cid in ("C6", "C7", "C8", "C10"):
        f[cid] = m(cid, silu[2]) if silu else pending(cid, missing)
    f["C9"] = m("C9", silu) if silu else pending("C9", missing)
    f["C11"] = m("C11", d.get("c11") or silu) if silu else pending("C11", missing)
    f["C12"] = m("C12", f["C1"])
    f["C13"] = m("C13", unary) if unary else pending("C13", missing)
    f["C14"] = (m("C14", products, power={t: stored_power(sw, store) for t, sw in products.items()})
                if products else pending("C14", missing))
    if silu:
        f["C15"] = m("C15", silu[2])
        f["C16"] = m("C16", f["C15"], training_xy(silu[2])[0])
    else:
        f["C15"], f["C16"] = pending("C15", missing), pending("C16", missing)
    f["C17"] = m("C17", nets) if nets else pending("C17", missing)
    f["C18"] = m("C18", silu[50], silu[2]) if silu else pending("C18", missing)
    return [f[c] for c in CLAIMS]


def ledger_table(scales=_SCALES, store: str | os.PathLike | None = None, recompute: bool = False):
    """The ledger as a pandas DataFrame, one row per claim (:meth:`Finding.row`), from the
    stored findings (:func:`ledger`).

    Args:
        scales, store: as for :func:`ledger`.
        recompute: measure every claim again even when its finding is kept.
    """
    import pandas as pd

    return pd.DataFrame([f.row() for f in ledger(scales, store, recompute=recompute)]).set_index("claim")


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
    code = ["paper/appendices.py:c14_power", "analysis/peaks.py"]

    def compute():
        return {str(w): {"modes": int(p["modes"]), "needed": None if p["needed"] is None else int(p["needed"]),
                         "rates": {str(n): float(r) for n, r in p["rates"].items()}}
                for w, p in c14_power(sweep, **kwargs).items()}

    raw = derived_result(name, [*sweep.values(), repr(sorted(kwargs.items()))], compute, code, store, recompute)
    return {int(w): {**p, "rates": {int(n): r for n, r in p["rates"].items()}} for w, p in raw.items()}
