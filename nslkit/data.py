"""Training and test points for a config (the open protocol questions, decided in config.py)."""
from __future__ import annotations

import torch

from .config import TrainConfig
from .targets import get_target

__all__ = ["grid", "training_data", "test_data"]



def grid(lo: float, hi: float, per_dim: int, dim: int, midpoints: bool = False) -> torch.Tensor:
    """The product grid of ``per_dim`` points per coordinate on [lo, hi]^dim.

    Args:
        lo, hi: the bounds of each coordinate.
        per_dim: points per coordinate.
        dim: the input dimension D.
        midpoints: the centres of per_dim equal cells instead of ``linspace(lo, hi, per_dim)``
            (no endpoints), so that the grid shares no point with an endpoint grid and its mean
            approximates the integral over the domain (the function norm of Sec. 4, footnote 2).

    Returns:
        float64 tensor (per_dim**dim, dim).
    """
    if midpoints:
        h = (hi - lo) / per_dim
        axis = lo + h * (torch.arange(per_dim, dtype=torch.float64) + 0.5)
    else:
        axis = torch.linspace(lo, hi, per_dim, dtype=torch.float64)
    mesh = torch.meshgrid(*([axis] * dim), indexing="ij")
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


def training_data(cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Training inputs and targets of a config, float64 on the CPU.

    Placement "grid": ``torch.linspace(lo, hi, P)`` (endpoints included) along each coordinate;
    "uniform": P points uniform on the domain cube from a generator seeded ``data_seed``.

    Args:
        cfg: the experiment (its target, domain, points, placement and data_seed).

    Returns:
        x (P, D) and y (P,).

    Example:
        >>> x, y = training_data(TrainConfig())
        >>> tuple(x.shape), x[0, 0].item(), x[-1, 0].item(), y[0].item()
        ((100, 1), -2.0, 2.0, 4.0)
    """
    t = get_target(cfg.target)
    lo, hi = cfg.domain
    if cfg.placement == "grid":
        x = grid(lo, hi, round(cfg.points ** (1 / t.dim)), t.dim)
    else:
        g = torch.Generator().manual_seed(cfg.data_seed)
        x = lo + (hi - lo) * torch.rand(cfg.points, t.dim, generator=g, dtype=torch.float64)
    return x, t(x)


def test_data(cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The dense independent test set: a midpoint grid of about ``test_points`` points, float64.

    m = round(test_points^(1/D)) cell centres per coordinate (at least 2), so m^D points:
    10,000 for D = 1, 2 and 4; 10,648 for D = 3; 7,776 for D = 5.

    Args:
        cfg: the experiment (its target, domain and test_points).

    Returns:
        x (m^D, D) and y (m^D,).
    """
    t = get_target(cfg.target)
    m = max(2, round(cfg.test_points ** (1 / t.dim)))
    x = grid(*cfg.domain, m, t.dim, midpoints=True)
    return x, t(x)
