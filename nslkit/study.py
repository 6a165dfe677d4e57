"""The experiments the book runs, by name and scale: which configs each chapter needs.

Every notebook and the claims ledger go through these functions, so a chapter and the ledger
read the very same stored results. ``train=False`` only loads (and raises FileNotFoundError
for anything missing); ``train=True`` trains what the store lacks.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from .experiment import sweep
from .scales import scale_config
from .store import Store
from .train import Results

__all__ = ["PAPER_WIDTHS", "SCALING_WIDTHS", "EXTRA_WIDTHS", "SWEEP_WIDTHS", "WIDE_WIDTH",
           "main_sweep", "wide_network", "first_stored"]

#: Widths of the loss histograms (Fig. 3, Sec. 4).
PAPER_WIDTHS = (1, 2, 3, 4, 10, 20, 30, 40, 50)
#: Widths of the scaling law (Fig. 1c, Sec. 2.2).
SCALING_WIDTHS = (10, 20, 30, 40, 50)
#: Widths we add to locate LeakyReLU's change of regime (C2); not in the paper.
EXTRA_WIDTHS = (6, 8, 15, 25)
#: Everything the main sweep trains, sorted.
SWEEP_WIDTHS = tuple(sorted(PAPER_WIDTHS + EXTRA_WIDTHS))
#: The extremely wide network of Fig. 2a (C5), trained from one seed.
WIDE_WIDTH = 10_000

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
    **fields,
) -> dict[int, Results]:
    """y = x² at each width (Secs. 2-4): ``{width: Results}`` at a named scale.

    ``fields`` override the protocol (e.g. ``domain=(-1, 1)``); ``seeds``/``steps`` the scale.
    """
    cfg = scale_config(scale, seeds=seeds, steps=steps, target="x2", activation=activation, **fields)
    return sweep(cfg, widths, store=store, device=device, progress=progress, train=train)


def wide_network(scale: str, store: Where = None, train: bool = True, steps: int | None = None,
                 device: str = "auto", progress: bool = False, width: int = WIDE_WIDTH) -> Results:
    """One width-10000 SiLU network (Fig. 2a, C5), seed 0, at the scale's number of steps."""
    cfg = scale_config(scale, seeds=1, steps=steps, target="x2", activation="silu")
    return sweep(cfg, [width], store=store, device=device, progress=progress, train=train)[width]


def first_stored(load: Callable[[str], Any], scales: Iterable[str] = ("paper", "cpu")) -> tuple[str | None, Any]:
    """``(scale, load(scale))`` for the first of ``scales`` whose results are all stored.

    ``load`` must only load (``train=False``); ``(None, None)`` when no scale has them.
    """
    for scale in scales:
        try:
            return scale, load(scale)
        except FileNotFoundError:
            continue
    return None, None
