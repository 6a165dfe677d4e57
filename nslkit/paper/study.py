"""The experiments the book runs, by name and scale: which configs each chapter needs.

The widths and targets are :mod:`.scales`' (named here too, for the notebooks). Every notebook
and the claims ledger go through these functions, so a chapter and the ledger
read the very same stored results. ``train=False`` only loads (and raises FileNotFoundError
for anything missing); ``train=True`` trains what the store lacks.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from ..experiment import sweep
from ..results import Results
from ..store import Store
from .scales import (C11_SEEDS, C11_WIDTHS, DISENTANGLE_WIDE_SEEDS, DISENTANGLE_WIDTHS, EXTRA_WIDTHS, PAPER_WIDTHS, PRODUCT_TARGETS,
                     SCALING_WIDTHS, SWEEP_WIDTHS, UNARY_TARGETS, WIDE_WIDTH, scale_config)

__all__ = ["PAPER_WIDTHS", "SCALING_WIDTHS", "EXTRA_WIDTHS", "SWEEP_WIDTHS", "WIDE_WIDTH", "C11_SEEDS", "C11_WIDTHS",
           "UNARY_TARGETS", "PRODUCT_TARGETS", "DISENTANGLE_WIDTHS", "DISENTANGLE_WIDE_SEEDS",
           "main_sweep", "wide_network", "target_sweep", "disentangle_networks", "c11_networks", "first_stored"]

Where = Store | str | os.PathLike | bool | None


def main_sweep(
    scale: str,
    activation: str = "silu",
    widths: Iterable[int] = SWEEP_WIDTHS,
    store: Where = None,
    train: bool = True,
    seeds: int | None = None,
    steps: int | None = None,
    device: str = "auto",
    progress: bool = False,
    client: Any = None,
    **fields,
) -> dict[int, Results]:
    """y = x² at each width (Secs. 2-4): ``{width: Results}`` at a named scale.

    Args:
        scale: a name from :data:`nslkit.SCALES`.
        activation: σ (default "silu").
        widths: the widths (default the main sweep's).
        store, train, device, progress: as for :func:`nslkit.sweep`.
        seeds, steps: override the scale's.
        client: a Dask client that trains the missing chunks on its workers (:func:`nslkit.sweep`).
        **fields: override the protocol, e.g. ``domain=(-1, 1)``.
    """
    cfg = scale_config(scale, seeds=seeds, steps=steps, target="x2", activation=activation, **fields)
    return sweep(cfg, widths, store=store, device=device, progress=progress, train=train, client=client)


def wide_network(scale: str, store: Where = None, train: bool = True, steps: int | None = None,
                 device: str = "auto", progress: bool = False, width: int = WIDE_WIDTH, seeds: int = 1,
                 client: Any = None) -> Results:
    """Wide SiLU networks for y = x² (Fig. 2a, C5: one of width 10000), at the scale's steps.

    Args:
        scale: a name from :data:`nslkit.SCALES`; it sets only the steps.
        store, train, device, progress, client: as for :func:`main_sweep`.
        steps: override the scale's.
        width: N (default 10000).
        seeds: how many networks, seeds 0..seeds-1 (default 1).
    """
    cfg = scale_config(scale, seeds=seeds, steps=steps, target="x2", activation="silu")
    return sweep(cfg, [width], store=store, device=device, progress=progress, train=train, client=client)[width]


def target_sweep(
    scale: str,
    target: str,
    widths: Iterable[int] = PAPER_WIDTHS,
    store: Where = None,
    train: bool = True,
    seeds: int | None = None,
    steps: int | None = None,
    device: str = "auto",
    progress: bool = False,
    activation: str = "silu",
    keep: str | None = None,
    client: Any = None,
    **fields,
) -> dict[int, Results]:
    """Any target of Appendix A at each width (Figs. 5-8): ``{width: Results}`` at a named scale.

    For ``target="x2"`` this is the main sweep itself (the same configs, so the same files).

    Args:
        scale: a name from :data:`nslkit.SCALES`.
        target: a name from :data:`nslkit.TARGETS`.
        widths: the widths (default the paper's).
        store, train, seeds, steps, device, progress, client: as for :func:`main_sweep`.
        **fields: as for :func:`main_sweep`.
        activation: σ (default "silu").
        keep: what newly trained runs store; default "losses" for targets other than x², whose
            parameters and curves the book never reads (at paper scale they would pass 100 MB),
            "all" for x².
    """
    cfg = scale_config(scale, seeds=seeds, steps=steps, target=target, activation=activation, **fields)
    keep = keep or ("all" if target == "x2" else "losses")
    return sweep(cfg, widths, store=store, device=device, progress=progress, train=train, keep=keep, client=client)


def disentangle_networks(scale: str, widths: Iterable[int] = DISENTANGLE_WIDTHS, store: Where = None,
                         train: bool = True, seeds: int | None = None, steps: int | None = None,
                         device: str = "auto", progress: bool = False, client: Any = None) -> dict[int, Results]:
    """The networks of Fig. 12 (C17): ``{width: Results}``.

    Widths up to the main sweep's widest (50) come from the main sweep at ``scale``; wider ones
    are :data:`DISENTANGLE_WIDE_SEEDS` networks at the scale's steps (the paper shows one).

    Args:
        scale: a name from :data:`nslkit.SCALES`.
        widths: the widths (default 10, 30, 50, 1000).
        store, train, seeds, steps, device, progress, client: as for :func:`main_sweep`.
    """
    widths = list(widths)
    narrow = [w for w in widths if w <= max(SWEEP_WIDTHS)]
    out = main_sweep(scale, "silu", narrow, store=store, train=train, seeds=seeds, steps=steps, device=device,
                     progress=progress, client=client) if narrow else {}
    for w in widths:
        if w not in out:
            out[w] = wide_network(scale, store=store, train=train, steps=steps, device=device, progress=progress,
                                  width=w, seeds=DISENTANGLE_WIDE_SEEDS, client=client)
    return {w: out[w] for w in widths}


def c11_networks(scale: str, sweep: dict[int, Results], store: Where = None, train: bool = False,
                 device: str = "auto", progress: bool = False, client: Any = None) -> dict[int, Results]:
    """The networks C11 (Fig. 4) compares: ``sweep`` (the main sweep at ``scale``) with its widths
    :data:`C11_WIDTHS` replaced, at paper scale, by their :data:`C11_SEEDS`-seed runs (the same
    config, more seeds) where those are stored (or ``train``); at other scales ``sweep`` itself.

    Args:
        scale: a scale name (:data:`~.scales.SCALES`).
        sweep: the main sweep at ``scale``.
        store: the results store.
        train: train the C11 seeds that are not stored.
        device, progress, client: as for :func:`nslkit.sweep`.
    """
    if scale != "paper":
        return dict(sweep)
    try:
        more = main_sweep(scale, "silu", C11_WIDTHS, store=store, train=train, seeds=C11_SEEDS, device=device,
                          progress=progress, client=client)
    except FileNotFoundError:
        return dict(sweep)
    return {**sweep, **more}


def first_stored(load: Callable[[str], Any], scales: Iterable[str] = ("paper", "cpu", "cpu-small")) -> tuple[str | None, Any]:
    """``(scale, load(scale))`` for the first scale whose results are all stored.

    Args:
        load: called with a scale's name; it must only load (``train=False``).
        scales: the scales to try, in order.

    Returns:
        ``(scale, load(scale))``, or ``(None, None)`` when no scale has them.
    """
    for scale in scales:
        try:
            return scale, load(scale)
        except FileNotFoundError:
            continue
    return None, None
