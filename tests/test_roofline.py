"""The roofline's arithmetic."""
import pytest
import torch

from nslkit.backends.roofline import (ACTIVATION_FLOPS, DIV_FLOPS, EXP_FLOPS, GPU_PEAKS, flops_per_neuron_point_step,
                             measured_peak, peak_flops)


def test_flop_counts():
    # z: 2D; f += v σ: 2; backward: 1 + 1 + 2 + 2D; SiLU: exp, 1 +, division, z σ, σ + h (1 - σ)
    assert flops_per_neuron_point_step("silu") == 2 + 2 + 4 + 2 + (EXP_FLOPS + 1 + DIV_FLOPS + 1 + 3)
    assert flops_per_neuron_point_step("relu", dim=5) == 4 * 5 + 6 + 2
    assert flops_per_neuron_point_step("leaky_relu") - flops_per_neuron_point_step("relu") == 1
    assert set(ACTIVATION_FLOPS) == {"silu", "relu", "leaky_relu"}
    with pytest.raises(ValueError, match="valid activations"):
        flops_per_neuron_point_step("tanh")


def test_measured_peak_is_a_matrix_product_rate():
    rate = measured_peak(torch.device("cpu"), torch.float64, n=256, repeats=2)
    assert 1e8 < rate < 1e13  # any CPU of the last two decades, and no faster than exists
    peak, source = peak_flops(torch.device("cpu"), torch.float32)
    assert peak > 0 and "matrix product" in source


def test_gpu_table_most_specific_first():
    names = [name for name, _ in GPU_PEAKS]
    assert names.index("H100 PCIe") < names.index("H100")
    for _, (f64, f32) in GPU_PEAKS:
        assert f32 == pytest.approx(2 * f64, rel=0.01)
