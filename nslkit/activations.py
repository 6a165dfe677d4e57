"""σ of Eq. 1, written once: in torch for training (with σ' for the hand-derived gradient) and
in NumPy float64 for analysis (with SiLU's higher derivatives for the Taylor conditions, Eq. 4).

Every other module takes σ from here, so the activations a config accepts, the trainer
computes and the analysis evaluates are the same three.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.special import expit

__all__ = ["ACTIVATIONS", "SMOOTH_ACTIVATIONS", "check_activation", "activate", "sigma", "silu_derivatives"]

#: The activations of Fig. 1c (the paper's "ReLU" there is LeakyReLU; plain ReLU is a variant).
ACTIVATIONS = ("silu", "relu", "leaky_relu")
#: Activations with a non-zero σ'' away from a kink, for which Eq. 4's Taylor expansion means something.
SMOOTH_ACTIVATIONS = ("silu",)


def check_activation(activation: str) -> str:
    """An activation's name, checked.

    Args:
        activation: a name of :data:`ACTIVATIONS`.

    Returns:
        ``activation``, unchanged.

    Raises:
        ValueError: naming the valid ones, for another name.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid activations: {', '.join(ACTIVATIONS)}")
    return activation


def activate(z: torch.Tensor, activation: str, negative_slope: float = 0.01, grad: bool = False):
    """σ(z), and σ'(z) when asked for: torch, elementwise, any shape.

    σ' at z = 0 follows torch's autograd (ReLU: 0, LeakyReLU: negative_slope).

    Args:
        z: the pre-activations.
        activation: a name of :data:`ACTIVATIONS`.
        negative_slope: LeakyReLU's slope for z < 0 (ignored by the others).
        grad: also return σ'(z).

    Returns:
        σ(z), or the pair (σ(z), σ'(z)) when ``grad``, of z's shape, dtype and device.
    """
    if activation == "silu":
        s = torch.sigmoid(z)
        h = z * s
        # σ'(z) = s (1 + z (1 - s)) = s + h (1 - s)
        return (h, torch.addcmul(s, h, 1 - s)) if grad else h
    if activation == "relu":
        h = torch.relu(z)
        return (h, (z > 0).to(z.dtype)) if grad else h
    if activation == "leaky_relu":
        pos = z > 0
        h = torch.where(pos, z, z * negative_slope)
        if not grad:
            return h
        one = torch.ones((), dtype=z.dtype, device=z.device)
        return h, torch.where(pos, one, one * negative_slope)
    check_activation(activation)
    raise AssertionError("unreachable")


def sigma(z, activation: str, negative_slope: float = 0.01) -> np.ndarray:
    """σ(z) in NumPy float64, elementwise; the same function as :func:`activate`.

    Args:
        z: the pre-activations, array-like.
        activation: a name of :data:`ACTIVATIONS`.
        negative_slope: LeakyReLU's slope for z < 0 (ignored by the others).

    Example:
        >>> sigma([-1.0, 0.0, 2.0], "leaky_relu").tolist()
        [-0.01, 0.0, 2.0]
    """
    z = np.asarray(z, dtype=np.float64)
    if activation == "silu":
        return z * expit(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "leaky_relu":
        return np.where(z > 0, z, negative_slope * z)
    check_activation(activation)
    raise AssertionError("unreachable")


def silu_derivatives(z) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SiLU σ(z) = z s(z), s the logistic sigmoid, with σ'(z), σ''(z) and σ''''(z), elementwise.

    With p = s(1 − s) = s': p' = p(1 − 2s), p'' = p(1 − 6s + 6s²),
    p''' = p(1 − 2s)(1 − 12s + 12s²), and σ^(k) = k p^(k−2) + z p^(k−1) for k ≥ 2, so
        σ'(z)    = s (1 + z(1 − s)),
        σ''(z)   = p (2 + z(1 − 2s)),
        σ''''(z) = p (4(1 − 6s + 6s²) + z(1 − 2s)(1 − 12s + 12s²)).
    Serves the Taylor conditions (Eq. 4) and SiLU's minimum (C4).

    Args:
        z: the pre-activations, array-like.

    Returns:
        (σ, σ', σ'', σ''''), float64 arrays of z's shape.
    """
    z = np.asarray(z, dtype=np.float64)
    s = 0.5 * (1.0 + np.tanh(0.5 * z))  # logistic sigmoid without overflow
    p = s * (1.0 - s)
    q = 1.0 - 2.0 * s
    d1 = s * (1.0 + z * (1.0 - s))
    d2 = p * (2.0 + z * q)
    d4 = p * (4.0 * (1.0 - 6.0 * s + 6.0 * s**2) + z * q * (1.0 - 12.0 * s + 12.0 * s**2))
    return z * s, d1, d2, d4
