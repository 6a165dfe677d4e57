"""The simplest reference: one ``torch.nn`` network and one ``torch.optim.Adam`` at a time.

This is how a researcher would write the paper's experiment without nslkit. The tests check
the batched trainer against it, and ``python -m nslkit bench`` times it as the naive loop.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..config import TrainConfig, make_optimizer

__all__ = ["naive_network", "train_naive"]

_MODULES = {"silu": nn.SiLU, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU}


def naive_network(cfg: TrainConfig, seed: int) -> nn.Sequential:
    """``nn.Sequential(Linear(D, N), σ, Linear(N, 1))`` as built after ``torch.manual_seed(seed)``.

    The global RNG is forked, so the caller's random state is left as it was.

    Args:
        cfg: the experiment (its target's D, width, activation and dtype).
        seed: the network's seed.
    """
    act = _MODULES[cfg.activation](cfg.negative_slope) if cfg.activation == "leaky_relu" else _MODULES[cfg.activation]()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(cfg.dim, cfg.width), act, nn.Linear(cfg.width, 1))
    return net.to(cfg.torch_dtype)


def train_naive(
    cfg: TrainConfig, seed: int, x: torch.Tensor, y: torch.Tensor, steps: int | None = None,
    callback: Callable[[int, nn.Sequential], None] | None = None,
) -> tuple[nn.Sequential, torch.Tensor]:
    """Train network ``seed`` alone on (x (P, D), y (P,)) for ``steps`` (default cfg.steps).

    Args:
        cfg: the experiment.
        seed: the network's seed (:func:`naive_network`).
        x, y: (P, D) the training points and (P,) their targets.
        steps: updates to make (default ``cfg.steps``).
        callback: called as ``callback(step, net)`` after every update (step counts updates done).

    Returns:
        (network, losses), the trained network and its loss before each update, (steps,).
    """
    net = naive_network(cfg, seed)
    dtype = cfg.torch_dtype
    x, y = x.to(dtype), y.to(dtype)
    opt, sched = make_optimizer(list(net.parameters()), cfg)
    steps = cfg.steps if steps is None else steps
    losses = torch.empty(steps, dtype=dtype)
    for step in range(steps):
        opt.zero_grad()
        loss = (net(x).squeeze(-1) - y).square().mean()
        loss.backward()
        opt.step()
        sched.step()
        losses[step] = loss.detach()
        if callback is not None:
            callback(step + 1, net)
    return net, losses
