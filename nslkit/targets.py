"""Target functions: the paper's y = x² (Sec. 2.2) and every target of Appendix A.

A target maps inputs ``x`` of shape (P, D) to outputs of shape (P,). Unary targets have
D = 1; the products x1·…·xd of Appendix A have D = d. Names are short enough to type on a
command line (``x2``, ``sin``, ``prod3``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

__all__ = ["Target", "TARGETS", "get_target", "target_names"]


@dataclass(frozen=True)
class Target:
    """A regression target y = fn(x).

    Attributes:
        name: short name used in configs, file names and on the command line.
        dim: input dimension D.
        label: the formula, for plots and tables.
        fn: maps x of shape (P, D) to y of shape (P,).
    """

    name: str
    dim: int
    label: str
    fn: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"target {self.name!r} takes x of shape (P, {self.dim}), got {tuple(x.shape)}")
        return self.fn(x)


def _unary(name: str, label: str, fn: Callable[[torch.Tensor], torch.Tensor]) -> Target:
    return Target(name, 1, label, lambda x: fn(x[:, 0]))


def _product(d: int) -> Target:
    label = "·".join(f"x{i}" for i in range(1, d + 1))
    return Target(f"prod{d}", d, label, lambda x: x.prod(dim=1))


TARGETS: dict[str, Target] = {
    t.name: t
    for t in [
        _unary("x2", "x²", lambda x: x**2),
        _unary("x3", "x³", lambda x: x**3),
        _unary("x4", "x⁴", lambda x: x**4),
        _unary("sin", "sin x", torch.sin),
        _unary("cos", "cos x", torch.cos),
        _unary("exp", "exp x", torch.exp),
        _unary("sin2", "sin² x", lambda x: torch.sin(x) ** 2),
        _unary("expx2", "exp(x²)", lambda x: torch.exp(x**2)),
        _unary("relu", "relu x", torch.relu),
        _unary("tanh", "tanh x", torch.tanh),
        *(_product(d) for d in range(2, 6)),
    ]
}


def target_names() -> list[str]:
    """The valid target names, in the paper's order."""
    return list(TARGETS)


def get_target(name: str) -> Target:
    """Look a target up by name.

    Args:
        name: one of :func:`target_names`, e.g. "x2", "sin" or "prod3".

    Raises:
        ValueError: naming the valid targets, for an unknown name.

    Example:
        >>> t = get_target("prod3")
        >>> t.dim, t.label
        (3, 'x1·x2·x3')
    """
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"unknown target {name!r}; valid targets: {', '.join(TARGETS)}") from None
