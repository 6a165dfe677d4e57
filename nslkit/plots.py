"""Plots: take arrays or :class:`~nslkit.train.Results`, draw on an optional ``ax``, return the axes."""
from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np

from .scales import scale_label
from .train import Results

__all__ = ["loss_histograms"]


def loss_histograms(results: Mapping[int, Results], ax=None, bins: int = 40, which: str = "train_mse"):
    """Histograms of log10 final loss, one per width, on shared log-spaced bins (Figs. 2b, 3).

    The title states the scale (seeds × steps) of the results.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    losses = {w: np.asarray(getattr(r, which)) for w, r in results.items()}
    finite = np.concatenate([l[np.isfinite(l) & (l > 0)] for l in losses.values()])
    edges = np.logspace(np.log10(finite.min()), np.log10(finite.max()), bins + 1)
    for w, l in losses.items():
        ax.hist(l, bins=edges, histtype="step", lw=1.5, label=f"N = {w}")
    ax.set_xscale("log")
    ax.set_xlabel("train MSE" if which == "train_mse" else "test MSE")
    ax.set_ylabel("networks")
    ax.legend()
    cfg = next(iter(results.values())).config
    ax.set_title(f"{cfg.target}, {cfg.activation} ({scale_label(cfg)})", fontsize=9)
    return ax
