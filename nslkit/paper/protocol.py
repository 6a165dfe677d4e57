"""Evidence for the open protocol questions, from the paper's published lottery ticket (Eq. 2).

A trained network sits at a stationary point of its own training loss. The published ticket
is therefore a probe of how the paper trained: its gradient norm is smallest on the training
set it was trained on. :func:`ticket_gradient_norm` measures it for any candidate protocol.
"""
from __future__ import annotations

import numpy as np
import torch

from ..analysis.width2 import unstack7
from ..config import TrainConfig
from ..data import training_data
from ..population import Population, forward, loss_and_grads

__all__ = ["PUBLISHED_TICKET", "PUBLISHED_DIGITS", "published_ticket", "ticket_population", "ticket_gradient_norm",
           "ticket_mse", "printed_precision"]

#: (w1, w2, b1, b2, v1, v2, c) of the width-2 SiLU lottery ticket printed in Eq. 2.
PUBLISHED_TICKET = (-0.83010483, 0.83010304, -1.16842330, -1.16842365, 5.68583536, 5.68586636, 3.1539197)
#: The same seven numbers exactly as Eq. 2 prints them (their digits are evidence too).
PUBLISHED_DIGITS = ("-0.83010483", "0.83010304", "-1.16842330", "-1.16842365", "5.68583536", "5.68586636", "3.1539197")


def ticket_population(params7, dtype: torch.dtype = torch.float64) -> Population:
    """Width-2 networks as a Population.

    Args:
        params7: (S, 7) or (7,) vectors (w1, w2, b1, b2, v1, v2, c), Eq. 2's order.
        dtype: of the tensors (default float64).
    """
    w, b, v, c = (torch.as_tensor(a, dtype=dtype) for a in unstack7(params7))  # (S, 2) ×3, (S,)
    return Population(w[:, :, None], b, v, c)  # w (S, 2, 1): one input


def published_ticket(dtype: torch.dtype = torch.float64) -> Population:
    """The published ticket as a one-network Population (S = 1, N = 2, D = 1).

    Args:
        dtype: of the tensors (default float64).
    """
    return ticket_population(PUBLISHED_TICKET, dtype)


def _protocol(**kwargs) -> TrainConfig:
    return TrainConfig(target="x2", activation="silu", width=2, seeds=1, **kwargs)


def ticket_mse(domain=(-2.0, 2.0), points: int = 100, placement: str = "grid", data_seed: int = 0) -> float:
    """MSE of the published ticket on the training points of a candidate protocol.

    Args:
        domain, points, placement, data_seed: the candidate's training set, as the fields of
            :class:`~nslkit.TrainConfig` (defaults: the protocol's).

    Example:
        >>> f"{ticket_mse():.2e}"  # on 100 grid points of [-2, 2]
        '7.79e-06'
    """
    x, y = training_data(_protocol(domain=domain, points=points, placement=placement, data_seed=data_seed))
    return float((forward(published_ticket(), x, "silu")[0] - y).square().mean())


def ticket_gradient_norm(domain=(-2.0, 2.0), points: int = 100, placement: str = "grid", data_seed: int = 0) -> float:
    """Euclidean norm of ∇L at the published ticket, L the MSE on a candidate protocol's points.

    Args:
        domain, points, placement, data_seed: as for :func:`ticket_mse`.

    Example:
        The ticket is nearly stationary on 100 grid points of [-2, 2], not on [-1, 1]:

        >>> ticket_gradient_norm() < 1e-5 < 1e-3 < ticket_gradient_norm(domain=(-1.0, 1.0))
        True
    """
    x, y = training_data(_protocol(domain=domain, points=points, placement=placement, data_seed=data_seed))
    _, g = loss_and_grads(published_ticket(), x, y, "silu")
    return float(torch.cat([t.reshape(-1) for t in g.tensors()]).norm())


def printed_precision(printed=PUBLISHED_DIGITS) -> list[dict]:
    """Were these numbers printed from float32 or float64 parameters? One row per number.

    A number printed with d decimals from a float32 is the d-decimal rendering of a float32; from
    a float64 it is that only by chance, with probability about 10^-d / (float32 spacing there)
    (the float32 grid is that much coarser than the printed digits). Each row: the number, its
    decimals, whether some float32 prints so (``float32``), and that chance for a float64
    (``chance_float64``); the rows' chances multiply for all numbers at once.

    Args:
        printed: the numbers as printed (default Eq. 2's, :data:`PUBLISHED_DIGITS`).
    """
    rows = []
    for text in printed:
        d = len(text.split(".")[1])
        x = np.float32(text)
        near = (np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf)))
        rows.append({"printed": text, "decimals": d,
                     "float32": any(f"{float(c):.{d}f}" == text for c in near),
                     "float32 spacing": float(abs(np.spacing(x))),
                     "chance_float64": min(1.0, 10.0 ** -d / float(abs(np.spacing(x))))})
    return rows
