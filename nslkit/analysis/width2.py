"""Width-2 networks as the paper's seven-vector (w1, w2, b1, b2, v1, v2, c) of Eq. 2, in one place.

Width 2 is where the paper's lottery tickets (Sec. 3, Eq. 2), algorithms (Appendix B, Fig. 9)
and distilled networks (Appendix D, Eq. 11) live, and each is a row of an (S, 7) float64 array
in this column order. The neuron swap (w1, w2, b1, b2, v1, v2, c) → (w2, w1, b2, b1, v2, v1, c)
(:data:`SWAP`) leaves the function f(x) = v1 σ(w1 x + b1) + v2 σ(w2 x + b2) + c unchanged;
:func:`order` picks one of the two orders.
"""
from __future__ import annotations

import numpy as np

from ..activations import sigma

__all__ = ["PARAM_NAMES", "SWAP", "as_params7", "stack7", "unstack7", "swap_neurons", "order", "forward",
           "network_mse"]

#: The seven-vector's columns, in Eq. 2's order.
PARAM_NAMES = ("w1", "w2", "b1", "b2", "v1", "v2", "c")
#: Column permutation of the neuron swap; an involution.
SWAP = (1, 0, 3, 2, 5, 4, 6)


def as_params7(params7, name: str = "params7", single: bool = True, finite: bool = False) -> np.ndarray:
    """Seven-vectors as float64 (S, 7), S ≥ 1, checked.

    Args:
        params7: (S, 7), or (7,) when ``single``.
        name: what it is, for the error message.
        single: read a single (7,) vector as S = 1 (default True).
        finite: also refuse non-finite values.

    Raises:
        ValueError: naming ``name``, for another shape, or for non-finite values when ``finite``.
    """
    p = np.asarray(params7, dtype=np.float64)
    if single and p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != 7 or p.shape[0] == 0:
        shapes = "(S, 7) or (7,)" if single else "(S, 7), S ≥ 1,"
        raise ValueError(f"{name} must have shape {shapes} as (w1, w2, b1, b2, v1, v2, c); got {np.shape(params7)}")
    if finite and not np.all(np.isfinite(p)):
        raise ValueError(f"{name} contains non-finite values")
    return p


def stack7(w, b, v, c, who: str = "stack7") -> np.ndarray:
    """Width-2, 1-D-input networks as float64 (S, 7) rows, neurons in their stored order.

    Args:
        w, b, v, c: (S, 2, 1) or (S, 2), (S, 2), (S, 2) and (S,), the layout of ``Results``.
        who: the caller, named in the error message.

    Raises:
        ValueError: unless N = 2, D = 1 and all S agree.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 3:
        if w.shape[2] != 1:
            raise ValueError(f"{who} needs 1-D inputs (D = 1); got w of shape {w.shape} (D = {w.shape[2]})")
        w = w[:, :, 0]
    if w.ndim != 2 or w.shape[1] != 2:
        raise ValueError(f"{who} needs width N = 2: w of shape (S, 2, 1) or (S, 2); got {np.shape(w)}")
    S = w.shape[0]
    b, v, c = (np.asarray(x, dtype=np.float64) for x in (b, v, c))
    if b.shape != (S, 2) or v.shape != (S, 2) or c.shape != (S,):
        raise ValueError(f"need b (S, 2), v (S, 2), c (S,) with S = {S}; got {b.shape}, {v.shape}, {c.shape}")
    return np.concatenate([w, b, v, c[:, None]], axis=1)  # (S, 7) in Eq. 2 order


def unstack7(params7) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of :func:`stack7`.

    Args:
        params7: (S, 7) or (7,) seven-vectors.

    Returns:
        w, b, v (S, 2) and c (S,).
    """
    p = as_params7(params7)
    return p[:, 0:2], p[:, 2:4], p[:, 4:6], p[:, 6]


def swap_neurons(params7) -> np.ndarray:
    """The twin networks, neurons 1 and 2 exchanged, which compute the same function f.

    Args:
        params7: (S, 7) seven-vectors, finite.

    Returns:
        ``params7[:, SWAP]`` (S, 7).
    """
    return as_params7(params7, "params7", single=False, finite=True)[:, SWAP]


def order(params7, by: str = "w") -> np.ndarray:
    """Each row with its neurons in one order.

    Args:
        params7: (S, 7) or (7,) seven-vectors.
        by: "w", w1 ≤ w2 (the canonical pairs of C7, where a symmetric ticket has w1 < 0 < w2);
            or "b", b1 ≥ b2 (larger bias first, the order of the algorithm figures, Figs. 10-11).

    Returns:
        (S, 7) float64.

    Example:
        >>> order([[0.8, -0.8, -1.2, -1.1, 5.7, 5.6, 3.2]]).tolist()
        [[-0.8, 0.8, -1.1, -1.2, 5.6, 5.7, 3.2]]
    """
    p = as_params7(params7)
    if by == "w":
        swap = p[:, 0] > p[:, 1]
    elif by == "b":
        swap = p[:, 2] < p[:, 3]
    else:
        raise ValueError(f"unknown order {by!r}; valid orders: 'w', 'b'")
    return np.where(swap[:, None], p[:, SWAP], p)  # (S, 1) broadcast over the 7 columns


def forward(params7, x, activation: str = "silu", negative_slope: float = 0.01) -> np.ndarray:
    """f(x) of Eq. 1 for width-2 networks, in float64.

    Args:
        params7: (S, 7) or (7,) seven-vectors.
        x: (P,) inputs.
        activation: σ (default "silu").
        negative_slope: LeakyReLU's slope (default 0.01).

    Returns:
        (S, P).
    """
    p = as_params7(params7)
    x = np.asarray(x, dtype=np.float64)
    h = sigma(p[:, 0:2, None] * x + p[:, 2:4, None], activation, negative_slope)  # (S, 2, 1) * (P,) -> (S, 2, P)
    return np.einsum("sn,snp->sp", p[:, 4:6], h) + p[:, 6:7]  # (S, 2) · (S, 2, P) + (S, 1) -> (S, P)


def network_mse(params7, x, y, activation: str = "silu", negative_slope: float = 0.01) -> np.ndarray:
    """Training MSE of width-2 networks, in float64.

    Args:
        params7: (S, 7) or (7,) seven-vectors.
        x, y: (P,) points and targets, finite, P ≥ 1.
        activation, negative_slope: as for :func:`forward`.

    Returns:
        (S,).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape or x.size == 0:
        raise ValueError(f"need x and y of the same shape (P,) with P ≥ 1; got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    return np.mean((forward(params7, x, activation, negative_slope) - y) ** 2, axis=1)
