"""Helpers the test modules import (``from _support import ...``): a module of its own, because
``from conftest import ...`` finds whichever conftest.py was imported last when pytest collects
tests/ and notebooks/ in one run (both are top-level modules named "conftest")."""
import pytest
import torch


def rel_err(a, b) -> float:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

try:
    import triton  # noqa: F401

    HAS_TRITON = True
except ImportError:
    HAS_TRITON = False
needs_triton = pytest.mark.skipif(not HAS_TRITON, reason="needs the triton package (make test installs it)")
