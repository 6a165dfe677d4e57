"""The progress bar every long run shows (on stderr, so ``--json`` output stays clean)."""
from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(progress: bool | tqdm, total: int, desc: str, unit: str = "step", **kwargs) -> tqdm:
    """A progress bar to update: ``progress`` itself when it is one, else a new tqdm bar.

    The caller closes the bar it got only when it differs from ``progress``.

    Args:
        progress: a tqdm bar to reuse, or whether to show a new one (False: hidden).
        total, desc, unit: of a new bar.
        **kwargs: passed on to tqdm for a new bar.
    """
    if isinstance(progress, tqdm):
        return progress
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not progress, mininterval=1.0, **kwargs)
