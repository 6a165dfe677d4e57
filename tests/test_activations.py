"""σ written once (nslkit.activations): torch and NumPy agree, and SiLU's derivatives are exact."""
import numpy as np
import pytest
import torch

from nslkit.activations import ACTIVATIONS, activate, check_activation, sigma, silu_derivatives


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_torch_and_numpy_sigma_agree(activation):
    z = np.linspace(-5.0, 5.0, 101)
    np.testing.assert_allclose(sigma(z, activation, 0.1), activate(torch.from_numpy(z), activation, 0.1).numpy(),
                               rtol=1e-15, atol=1e-15)


def test_torch_sigma_prime_matches_autograd():
    for activation in ACTIVATIONS:
        z = torch.linspace(-4.0, 4.0, 81, dtype=torch.float64, requires_grad=True)
        h, d = activate(z, activation, 0.1, grad=True)
        (g,) = torch.autograd.grad(h.sum(), z)
        torch.testing.assert_close(d, g, rtol=1e-14, atol=1e-14)


def test_unknown_activation_is_refused_by_every_form():
    for f in (lambda: check_activation("tanh"), lambda: sigma(np.zeros(2), "tanh"),
              lambda: activate(torch.zeros(2), "tanh")):
        with pytest.raises(ValueError, match="unknown activation 'tanh'; valid activations: silu, relu, leaky_relu"):
            f()


def test_silu_derivatives_sympy_and_finite_differences():
    z = np.linspace(-6.0, 6.0, 25)
    sigma, d1, d2, d4 = silu_derivatives(z)
    np.testing.assert_allclose(sigma, z / (1 + np.exp(-z)), rtol=1e-13, atol=1e-15)
    # Central differences of σ with step h: truncation O(h²), so tolerance 1e-6 (d2), 1e-4 (d4).
    h = 1e-3
    f = lambda x: silu_derivatives(x)[0]  # noqa: E731
    np.testing.assert_allclose(d1, (f(z + h) - f(z - h)) / (2 * h), atol=1e-6)
    fd2 = (f(z + h) - 2 * f(z) + f(z - h)) / h**2
    np.testing.assert_allclose(d2, fd2, atol=1e-6)
    h = 1e-2
    fd4 = (f(z + 2 * h) - 4 * f(z + h) + 6 * f(z) - 4 * f(z - h) + f(z - 2 * h)) / h**4
    np.testing.assert_allclose(d4, fd4, atol=1e-4)
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    silu = x / (1 + sympy.exp(-x))
    for order, ours in ((1, d1), (2, d2), (4, d4)):
        exact = sympy.lambdify(x, sympy.diff(silu, x, order), "numpy")(z)
        np.testing.assert_allclose(ours, exact, rtol=1e-10, atol=1e-13)
