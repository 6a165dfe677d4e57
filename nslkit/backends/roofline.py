"""The arithmetic roofline of training: the fastest any trainer could go on a device.

The unit of work is one **neuron-point-step**: one hidden unit of one network at one training
point, for one Adam step. Its floating-point operations, forward and backward (Eq. 1 and the
gradient of :func:`nslkit.population.loss_and_grads`):

========================================  ==============================
z = Σ_d w_d x_d + b                        2D
σ(z) and σ'(z)                             see :data:`ACTIVATION_FLOPS`
f += v σ(z)                                2
r σ'(z), Σ_p r σ'(z), Σ_p r σ(z)           1 + 1 + 2
Σ_p r σ'(z) x_d                            2D
========================================  ==============================

so 4D + 6 flops plus the activation's. SiLU needs one exponential and one division
(σ = 1 / (1 + e^{-z}) and one addition, then h = z σ and σ' = σ + h (1 − σ): 5 flops
besides). Neither has a hardware instruction in float64: we charge an exponential
:data:`EXP_FLOPS` = 20 flops (a
Cody–Waite range reduction and a degree-11 polynomial by Horner's rule, about ten fused
multiply-adds) and a division :data:`DIV_FLOPS` = 8 (a reciprocal estimate refined by Newton
steps). These are conventions for a yardstick, not measurements; float32 exponentials are
cheaper on GPUs (a special-function unit), so float32 fractions of this roofline can look
better than they are. Everything else is O(S·N) per step (the Adam update, 12 values a
parameter) and O(S·P) (the residual), negligible beside S·N·P. Nothing forces the hidden
activations to memory, so the floor is arithmetic: the roofline is

    neuron-point-steps/s = peak flop/s / flops per neuron-point-step.

Peak flop/s: for known GPUs the datasheet's vector (non-tensor-core) rate, since the work is
elementwise and cannot use matrix units; elsewhere a measured dense matrix product
(:func:`measured_peak`), which on a CPU runs on the same vector FMA units at 80-95% of their
theoretical rate.
"""
from __future__ import annotations

import time

import torch

__all__ = ["EXP_FLOPS", "DIV_FLOPS", "ACTIVATION_FLOPS", "GPU_PEAKS", "flops_per_neuron_point_step",
           "measured_peak", "peak_flops", "synchronize"]

EXP_FLOPS = 20
DIV_FLOPS = 8
#: flops of σ(z) and σ'(z) together.
ACTIVATION_FLOPS = {
    "silu": EXP_FLOPS + 1 + DIV_FLOPS + 1 + 3,  # e^{-z}; 1 + e^{-z}; 1 / (…); h = z σ; σ + h (1 − σ)
    "relu": 2,  # max(z, 0); σ' = [z > 0]
    "leaky_relu": 3,  # z > 0 ? z : α z; σ' a select
}
#: Datasheet vector (non-tensor-core) peaks in flop/s, (float64, float32), by a name fragment of
#: torch.cuda.get_device_name, most specific first. NVIDIA H100/H200/A100 product briefs.
GPU_PEAKS = (
    ("H100 PCIe", (25.6e12, 51.2e12)),
    ("H100 NVL", (30.0e12, 60.0e12)),
    ("H100", (33.5e12, 66.9e12)),  # SXM5
    ("H200", (33.5e12, 66.9e12)),
    ("A100", (9.7e12, 19.5e12)),
)


def flops_per_neuron_point_step(activation: str, dim: int = 1) -> int:
    """Flops of one neuron-point-step.

    Args:
        activation: σ.
        dim: the input dimension D.
    """
    if activation not in ACTIVATION_FLOPS:
        raise ValueError(f"unknown activation {activation!r}; valid activations: {', '.join(ACTIVATION_FLOPS)}")
    return 4 * dim + 6 + ACTIVATION_FLOPS[activation]


def synchronize(device: torch.device) -> None:
    """Wait for a device to finish its queued work (a no-op on the CPU), so a timer measures it.

    Args:
        device: the torch device.
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measured_peak(device: torch.device, dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    """flop/s of an n×n×n matrix product (2n³ flops), the best of some repeats after a warm-up.

    Args:
        device: the torch device.
        dtype: the torch dtype.
        n: the matrices' size.
        repeats: how many products to time.
    """
    g = torch.Generator(device="cpu").manual_seed(0)
    a, b = (torch.rand(n, n, generator=g, dtype=dtype).to(device) for _ in range(2))
    best = float("inf")
    for i in range(repeats + 1):
        synchronize(device)
        t0 = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        if i:  # the first is the warm-up
            best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def peak_flops(device: torch.device, dtype: torch.dtype) -> tuple[float, str]:
    """(peak flop/s, where the number comes from) for a device and dtype.

    Args:
        device: the torch device.
        dtype: the torch dtype.
    """
    col = 0 if dtype == torch.float64 else 1
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for fragment, peaks in GPU_PEAKS:
            if fragment in name:
                return peaks[col], f"datasheet vector peak of {fragment}"
        # matrix units would overstate the vector rate; keep TF32 out of float32 products
        with _no_tf32():
            return measured_peak(device, dtype), "measured matrix product (may include tensor cores)"
    return measured_peak(device, dtype), f"measured {torch.get_num_threads()}-thread matrix product"


class _no_tf32:
    """Float32 matrix products without TF32 (a lower precision) for the duration."""

    def __enter__(self):
        self.old = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc):
        torch.backends.cuda.matmul.allow_tf32 = self.old
