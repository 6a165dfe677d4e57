"""The training step as one fused computation, compiled with ``torch.compile``.

:func:`nslkit.population.loss_and_grads` (the eager backend) runs as a handful of separate torch operations,
each writing an S×N×P tensor to memory. Here the same gradient is written with broadcasts and
sums only, so that TorchInductor can fuse the pass into a few loops that keep the hidden
activations in registers. The numbers agree with the eager path to rounding (the tests check
both against a plain ``torch.nn`` loop); each network's result does not depend on its batch.
"""
from __future__ import annotations

import functools
import warnings

import torch

from ..activations import activate
from ..population import Population

__all__ = ["fused_loss_and_grads", "compiled_loss_and_grads", "compile_works"]


def fused_loss_and_grads(
    pop: Population, x: torch.Tensor, y: torch.Tensor, activation: str, negative_slope: float = 0.01
) -> tuple[torch.Tensor, Population]:
    """Same contract as :func:`nslkit.population.loss_and_grads`, as broadcasts and sums.

    Args:
        pop, x, y, activation, negative_slope: as for :func:`nslkit.population.loss_and_grads`.
    """
    loss, *grads = _fused(*pop.tensors(), x, y, activation, negative_slope)
    return loss, Population(*grads)


def _fused(w, b, v, c, x, y, activation: str, negative_slope: float):
    # tensors in and out, so that torch.compile sees no Python objects
    P, D = x.shape
    # One input: a broadcast over (S, N, P, 1). Several inputs: one (S, N, P) term per input
    # coordinate, because the (S, N, P, D) broadcast compiles to loops 10x slower on the CPU
    # (3e7 against 3e8 network·neuron·point-steps/s for x1·…·x5, 2 threads). Matrix products
    # would be as fast but change their rounding with the batch size.
    if D == 1:
        z = (w.unsqueeze(2) * x).sum(-1) + b.unsqueeze(-1)  # (S, N, 1, D) * (P, D) -> (S, N, P)
    else:
        z = b.unsqueeze(-1) + sum(w[..., d:d + 1] * x[:, d] for d in range(D))
    h, a = activate(z, activation, negative_slope, grad=True)  # (S, N, P) each
    err = (v.unsqueeze(-1) * h).sum(1) + c.unsqueeze(-1) - y  # (S, P)
    loss = err.square().mean(1)  # (S,)
    r = (err * (2.0 / P)).unsqueeze(1)  # (S, 1, P)
    ar = a * r  # (S, N, P)
    if D == 1:
        dw = v.unsqueeze(-1) * (ar.unsqueeze(-1) * x).sum(-2)  # (S, N, P, 1) * (P, D) -> (S, N, D)
    else:
        dw = v.unsqueeze(-1) * torch.stack([(ar * x[:, d]).sum(-1) for d in range(D)], -1)
    return loss, dw, v * ar.sum(-1), (h * r).sum(-1), r.sum((1, 2))


@functools.cache
def _import_inductor() -> None:
    """Import TorchInductor once, without the DeprecationWarning of ``torch.jit.script_method``
    that torch's own ``torch/utils/mkldnn.py`` raises when Inductor's pre-grad passes import it
    (torch 2.13: ``torch._inductor.compile_fx`` → ``fx_passes.pre_grad`` →
    ``fx.experimental.optimization`` → ``utils.mkldnn``): nothing of nslkit calls script_method,
    and the warning, shown once per process, told a user of ``train`` nothing they could act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.script_method` is deprecated",
                                category=DeprecationWarning)
        import torch._inductor.compile_fx  # noqa: F401


@functools.cache
def _compiled():
    # One code object serves every input dimension, width and seed count of a process. Dynamo
    # recompiles for each new input dimension, and after its default limit of 8 recompilations
    # it runs the function uncompiled with only a log warning (a process that trained width
    # 1000 and then the products of 2-5 inputs hit it at the fifth product); raise the limit.
    _import_inductor()
    dynamo = torch._dynamo.config
    dynamo.recompile_limit = max(dynamo.recompile_limit, 64)
    return torch.compile(_fused, dynamic=None)


def compiled_loss_and_grads(
    pop: Population, x: torch.Tensor, y: torch.Tensor, activation: str, negative_slope: float = 0.01
) -> tuple[torch.Tensor, Population]:
    """:func:`fused_loss_and_grads` compiled by TorchInductor (compiled once per shape family).

    Args:
        pop, x, y, activation, negative_slope: as for :func:`nslkit.population.loss_and_grads`.
    """
    loss, *grads = _compiled()(*pop.tensors(), x, y, activation, negative_slope)
    return loss, Population(*grads)


@functools.cache
def compile_works(device_type: str = "cpu") -> bool:
    """Whether ``torch.compile`` can build kernels here (it needs a C++ compiler on the CPU).

    Args:
        device_type: "cpu" or "cuda".
    """
    try:
        _import_inductor()
        f = torch.compile(lambda t: torch.sigmoid(t) * t + 1)
        t = torch.linspace(-1, 1, 8, dtype=torch.float64, device=device_type)
        return bool(torch.allclose(f(t), torch.sigmoid(t) * t + 1))
    except Exception as e:  # noqa: BLE001 - any failure to build means: use the eager path
        warnings.warn(f"torch.compile is unavailable ({type(e).__name__}: {e}); using the eager trainer")
        return False
