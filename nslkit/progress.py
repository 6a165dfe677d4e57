"""The progress bar every long run shows (on stderr, so ``--json`` output stays clean)."""
from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(progress: bool | tqdm, total: int, desc: str, unit: str = "step", **kwargs) -> tqdm:
    """``progress`` itself when it is a bar to update; else a new tqdm bar (``kwargs`` go to tqdm),
    hidden when False.

    The caller closes the bar it got only when it differs from ``progress``.
    """
    if isinstance(progress, tqdm):
        return progress
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not progress, mininterval=1.0, **kwargs)
