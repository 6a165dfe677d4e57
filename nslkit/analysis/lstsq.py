"""Least squares whose rank decision does not depend on the BLAS, and that keeps tiny features.

Appendix C scores a neuron pair by the fit of y on (1, h_i, h_j), and Appendix D distils a
network with the same fit. Two near-identical neurons make two near-identical columns, and the
paper's best distilled networks weight features of size 1e-5 to 1e-36 by v ~ 1e12 and more, so
the solver must tell a tiny but independent column (keep it) from a dependent one (drop it),
and do so the same way on every machine.

Shapes: K systems, P points, M columns.
"""
from __future__ import annotations

import numpy as np

__all__ = ["lstsq", "lstsq_many"]


def lstsq(A, y) -> np.ndarray:
    """Least-squares solution of A c ≈ y: :func:`lstsq_many` for one system.

    Unlike ``np.linalg.lstsq`` it decides rank on A with its columns scaled to unit norm, so a
    column that is tiny but independent (a feature the paper's distilled networks weight by
    v ~ 5e12) is kept where numpy's cutoff, relative to the largest singular value of A itself,
    drops it.

    Args:
        A: (P, M) with P ≥ M ≥ 1.
        y: (P,).

    Returns:
        c, float64 (M,).
    """
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] < A.shape[1] or A.shape[1] == 0 or np.shape(y) != (A.shape[0],):
        raise ValueError(f"need A of shape (P, M) with P ≥ M ≥ 1 and y of shape (P,); got {A.shape} and {np.shape(y)}")
    return lstsq_many(A[None], y)[0]


def lstsq_many(A, y) -> np.ndarray:
    """Least squares for K systems with one right-hand side.

    Each system is solved by the SVD of A D⁻¹, where D holds A's column norms (a scaling that
    leaves the least-squares problem unchanged but not the singular values). Singular values of
    A D⁻¹ below eps·max(P, M) times its largest count as zero: LAPACK's default cutoff (that of
    ``np.linalg.lstsq(rcond=None)``), applied after the scaling. Where all are kept, the result is
    the least-squares solution, as numpy's; where some are dropped (dependent columns, or columns
    equal to float64 precision), it is the minimum-norm ‖c‖ solution in the original coordinates,
    as numpy's. The rank is decided on the singular values, never on a computed residual or an
    exact zero, so it does not depend on the BLAS kernels. One batched ``np.linalg.svd`` call;
    only the rank-deficient systems take a small extra solve.

    Where A D⁻¹ has a condition number near 1/eps, the solution itself is determined by float64
    rounding (it changes with the BLAS, as any solver's does): Appendix D's best distilled networks
    live there, and notebooks/09_distillation shows how much their losses move between kernels.

    Args:
        A: (K, P, M) with P ≥ M ≥ 1.
        y: (P,), shared by every system.

    Returns:
        c, float64 (K, M).
    """
    A, y = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if A.ndim != 3 or A.shape[1] < A.shape[2] or A.shape[2] == 0 or y.shape != (A.shape[1],):
        raise ValueError(f"need A of shape (K, P, M) with P ≥ M ≥ 1 and y of shape (P,); got {A.shape} and {y.shape}")
    K, P, M = A.shape
    norm = np.linalg.norm(A, axis=1)  # (K, M) column norms
    d = np.where(norm > np.finfo(np.float64).tiny, norm, 1.0)  # a zero column stays zero, and is dropped below
    U, s, Vt = np.linalg.svd(A / d[:, None, :], full_matrices=False)  # (K, P, M), (K, M) descending, (K, M, M)
    keep = s > np.finfo(np.float64).eps * max(P, M) * s[:, :1]  # (K, M)
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=keep)  # (K, M)
    coef = np.einsum("kjm,kj,kpj,p->km", Vt, inv, U, y) / d  # V diag(1/s) Uᵀ y, unscaled: (K, M)
    for k in np.flatnonzero(~keep.all(axis=1)):
        # Every least-squares solution is coef[k] + B t; the minimum-norm one removes coef's part in B's span.
        B = Vt[k, ~keep[k]].T / d[k, :, None]  # (M, M - rank): the null space in original coordinates
        coef[k] -= B @ np.linalg.lstsq(B, coef[k], rcond=None)[0]
    return coef
