"""A population of S independent two-layer networks, stored as stacked tensors (Eq. 1).

    f_s(x) = Σ_i v_si σ(w_si · x + b_si) + c_s,    s = 1..S, i = 1..N

Shapes, used throughout nslkit: S seeds (networks), N hidden units, P points, D input
dimension. ``w`` (S, N, D), ``b`` (S, N), ``v`` (S, N), ``c`` (S,).

Network s is initialised from its own ``torch.Generator`` seeded with s, drawing exactly what
``torch.manual_seed(s); nn.Linear(D, N); nn.Linear(N, 1)`` draws (float32, then cast), so it is
bit-identical alone, in a batch of 1000, or in any order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import torch

from .activations import activate
from .checks import integer

__all__ = [
    "Population",
    "init_population",
    "forward",
    "neuron_outputs",
    "loss_and_grads",
    "seed_chunks",
    "evaluate_mse",
]

@dataclass
class Population:
    """Parameters of S networks of width N (Eq. 1).

    Attributes:
        w: (S, N, D) first-layer weights.
        b: (S, N) first-layer biases.
        v: (S, N) second-layer weights.
        c: (S,) output biases.
    """

    w: torch.Tensor
    b: torch.Tensor
    v: torch.Tensor
    c: torch.Tensor

    def __post_init__(self) -> None:
        S, N, _ = self.w.shape
        assert self.b.shape == (S, N) and self.v.shape == (S, N) and self.c.shape == (S,)

    def __len__(self) -> int:
        return self.w.shape[0]

    @property
    def width(self) -> int:
        return self.w.shape[1]

    def tensors(self) -> list[torch.Tensor]:
        return [self.w, self.b, self.v, self.c]

    def select(self, idx: slice | torch.Tensor) -> "Population":
        """Some of the networks (views for a slice).

        Args:
            idx: a slice, index tensor or boolean mask over the S networks.
        """
        return Population(self.w[idx], self.b[idx], self.v[idx], self.c[idx])

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "Population":
        """The same networks on another device or in another dtype.

        Args:
            device: the target device; None keeps it.
            dtype: the target dtype; None keeps it.
        """
        return Population(*(t.to(device=device, dtype=dtype) for t in self.tensors()))

    @classmethod
    def cat(cls, pops: Iterable["Population"]) -> "Population":
        """The networks of several populations of one width, in order.

        Args:
            pops: populations with the same N and D.
        """
        pops = list(pops)
        return cls(*(torch.cat(ts) for ts in zip(*(p.tensors() for p in pops))))


def init_population(
    seeds: Iterable[int],
    width: int,
    dim: int = 1,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> Population:
    """torch.nn.Linear's default initialisation, one generator per seed.

    Per seed s, in nn.Linear's order: first-layer weight (N, D) by
    ``kaiming_uniform_(a=√5)`` and bias U(±1/√D); second-layer weight (1, N) likewise and
    bias U(±1/√N). Drawn in float32 on the CPU (nn.Linear's default dtype), then cast, so
    float32 and float64 runs start from the same point and no device changes the draw.

    Args:
        seeds: one network per seed, S in all.
        width: N, hidden units.
        dim: D, the input dimension (default 1).
        dtype: of the returned tensors (default float64).
        device: of the returned tensors (default "cpu").

    Returns:
        The :class:`Population` of S networks.

    Example:
        >>> pop = init_population([0, 1, 2], width=4)
        >>> len(pop), pop.width, tuple(pop.w.shape)
        (3, 4, (3, 4, 1))
        >>> bool((init_population([1], 4).w == pop.w[1:2]).all())  # seed 1 alone or among others
        True
    """
    integer(width, "width")
    ws, bs, vs, cs = [], [], [], []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s))
        w1 = torch.empty(width, dim)
        torch.nn.init.kaiming_uniform_(w1, a=math.sqrt(5), generator=g)
        b1 = torch.empty(width)
        torch.nn.init.uniform_(b1, -1 / math.sqrt(dim), 1 / math.sqrt(dim), generator=g)
        w2 = torch.empty(1, width)
        torch.nn.init.kaiming_uniform_(w2, a=math.sqrt(5), generator=g)
        b2 = torch.empty(1)
        torch.nn.init.uniform_(b2, -1 / math.sqrt(width), 1 / math.sqrt(width), generator=g)
        ws.append(w1), bs.append(b1), vs.append(w2[0]), cs.append(b2[0])
    if not ws:
        raise ValueError("no seeds given")
    return Population(torch.stack(ws), torch.stack(bs), torch.stack(vs), torch.stack(cs)).to(device, dtype)


def _preactivation(pop: Population, x: torch.Tensor) -> torch.Tensor:
    # z_snp = Σ_d w_snd x_pd + b_sn: (S, N, D) @ (D, P) -> (S, N, P)
    return torch.baddbmm(pop.b.unsqueeze(-1), pop.w, x.T.expand(len(pop), -1, -1))


def forward(pop: Population, x: torch.Tensor, activation: str, negative_slope: float = 0.01) -> torch.Tensor:
    """Eq. 1 for every network, f_s(x) = Σ_i v_si σ(w_si · x + b_si) + c_s.

    Args:
        pop: S networks.
        x: (P, D) inputs.
        activation: σ, a name from :data:`nslkit.ACTIVATIONS`.
        negative_slope: LeakyReLU's slope for negative inputs (default 0.01).

    Returns:
        f (S, P).
    """
    h = activate(_preactivation(pop, x), activation, negative_slope)  # (S, N, P)
    return torch.baddbmm(pop.c[:, None, None], pop.v.unsqueeze(1), h).squeeze(1)  # (S, 1, N) @ (S, N, P)


def neuron_outputs(pop: Population, x: torch.Tensor, activation: str, negative_slope: float = 0.01) -> torch.Tensor:
    """Each neuron's contribution v_i σ(w_i·x + b_i) to Eq. 1.

    Args:
        pop, x, activation, negative_slope: as for :func:`forward`.

    Returns:
        (S, N, P).
    """
    return pop.v.unsqueeze(-1) * activate(_preactivation(pop, x), activation, negative_slope)  # (S, N, 1) * (S, N, P)


def loss_and_grads(
    pop: Population,
    x: torch.Tensor,
    y: torch.Tensor,
    activation: str,
    negative_slope: float = 0.01,
) -> tuple[torch.Tensor, Population]:
    """Per-network MSE L_s = mean_p (f_s(x_p) - y_p)² and its exact gradient.

    The gradient of L_s with respect to network s's own parameters, derived by hand so that
    no autograd graph is kept (one forward and one backward pass through the S×N×P
    pre-activations):

        r_sp = 2 (f_sp - y_p) / P
        ∂L/∂c_s = Σ_p r_sp                 ∂L/∂v_si = Σ_p r_sp σ(z_sip)
        ∂L/∂b_si = v_si Σ_p r_sp σ'(z_sip)  ∂L/∂w_sid = v_si Σ_p r_sp σ'(z_sip) x_pd

    This is the gradient of Σ_s L_s, the loss under which one Adam over the stacked tensors
    equals S independent Adams.

    Args:
        pop: S networks.
        x: (P, D) inputs.
        y: (P,) targets.
        activation, negative_slope: as for :func:`forward`.

    Returns:
        loss (S,) and the gradients as a Population of the same shapes.
    """
    P = x.shape[0]
    h, a = activate(_preactivation(pop, x), activation, negative_slope, grad=True)  # (S, N, P) each
    f = torch.baddbmm(pop.c[:, None, None], pop.v.unsqueeze(1), h).squeeze(1)  # (S, P)
    err = f - y  # (S, P)
    loss = err.square().mean(dim=1)  # (S,)
    r = err * (2.0 / P)  # (S, P)
    dc = r.sum(dim=1)  # (S,)
    rx = torch.cat([r.unsqueeze(-1), r.unsqueeze(-1) * x], dim=-1)  # (S, P, 1 + D)
    # a matrix, not a vector, on the right: BLAS's batched matrix-vector product rounds
    # differently for different batch sizes, and network s must not depend on its batch
    dv = torch.bmm(h, rx)[..., 0]  # (S, N, P) @ (S, P, 1 + D) -> (S, N)
    t = torch.bmm(a, rx) * pop.v.unsqueeze(-1)  # (S, N, P) @ (S, P, 1 + D) -> (S, N, 1 + D)
    return loss, Population(t[..., 1:], t[..., 0], dv, dc)


def seed_chunks(S: int, per_seed: int, max_elements: int) -> list[slice]:
    """Slices of the S seeds that bound the elements of each: how batched work is cut to bound
    memory without changing a bit.

    Args:
        S: the number of seeds.
        per_seed: elements per seed.
        max_elements: at most this many elements a slice (but at least one seed).
    """
    size = max(1, max_elements // max(1, per_seed))
    return [slice(i, min(S, i + size)) for i in range(0, S, size)]


def evaluate_mse(
    pop: Population,
    x: torch.Tensor,
    y: torch.Tensor,
    activation: str,
    negative_slope: float = 0.01,
    max_elements: int = 1 << 22,
) -> torch.Tensor:
    """MSE of every network, computed in chunks of seeds.

    Args:
        pop: S networks.
        x: (P, D) inputs.
        y: (P,) targets.
        activation, negative_slope: as for :func:`forward`.
        max_elements: bound on the S×N×P elements evaluated at once.

    Returns:
        (S,) mean squared errors.
    """
    out = []
    for sl in seed_chunks(len(pop), pop.width * x.shape[0], max_elements):
        f = forward(pop.select(sl), x, activation, negative_slope)  # (S_chunk, P)
        out.append((f - y).square().mean(dim=1))
    return torch.cat(out)
