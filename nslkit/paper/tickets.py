"""The paper's objects read off stored results: the training points of a result, the lottery
tickets (the networks of the width-2 histogram's lowest peak, Sec. 3) and their error functions."""
from __future__ import annotations

import numpy as np
import torch

from ..analysis import peaks, symmetry, width2
from ..data import training_data
from ..results import Results
from ..targets import get_target

__all__ = ["training_xy", "lowest_peak", "lottery_tickets", "ticket_errors"]


def training_xy(res: Results) -> tuple[np.ndarray, np.ndarray]:
    """The training points x (P,) and targets y (P,) of a one-input result, as float64 arrays.

    Args:
        res: results of a target with D = 1.
    """
    x, y = training_data(res.config)
    if x.shape[1] != 1:
        raise ValueError(f"need a one-input target, got {res.config.target!r}")
    return x[:, 0].numpy(), y.numpy()


def lowest_peak(res: Results, **peaks_kw) -> tuple[np.ndarray, peaks.Peaks]:
    """(S,) mask of the networks in the lowest loss peak (the lottery tickets), and the peaks.

    Args:
        res: the results of one width.
        **peaks_kw: passed to :func:`~nslkit.analysis.peaks.find_peaks`.
    """
    p = peaks.find_peaks(res.train_mse, **peaks_kw)
    return peaks.peak_members(res.train_mse, p, 0), p


def lottery_tickets(res: Results, **peaks_kw) -> tuple[np.ndarray, peaks.Peaks]:
    """Canonical (S_tickets, 7) parameters of the width-2 networks in the lowest peak, and the peaks.

    Args:
        res: the width-2 results.
        **peaks_kw: as for :func:`lowest_peak`.
    """
    members, p = lowest_peak(res, **peaks_kw)
    params = symmetry.canonical_pairs(res.w, res.b, res.v, res.c)
    return params[members], p


def ticket_errors(res: Results, points: int = 2001, max_tickets: int = 50, **peaks_kw) -> np.ndarray:
    """(n, points) error functions e_i(x) = f_i(x) − y(x) of lowest-peak width-2 networks, on an
    even grid of the training domain, in float64.

    Args:
        res: the width-2 results.
        points: grid points (default 2001).
        max_tickets: at most this many networks, the first ones (default 50).
        **peaks_kw: as for :func:`lowest_peak`.
    """
    idx = np.flatnonzero(lowest_peak(res, **peaks_kw)[0])[:max_tickets]
    cfg = res.config
    x = np.linspace(*cfg.domain, points)  # (P,)
    p7 = width2.stack7(res.w[idx], res.b[idx], res.v[idx], res.c[idx], "ticket_errors")  # (n, 7)
    y = get_target(cfg.target)(torch.from_numpy(x)[:, None]).numpy()  # (P, 1) -> (P,)
    return width2.forward(p7, x, cfg.activation, cfg.negative_slope) - y[None, :]
