"""Ensembles of lottery tickets: the paper's bound (Eqs. 5-9) and ensembling vs synergy (Fig. 4).

Section 4 of the paper writes the i-th lottery ticket as f_i = f + e_i, e_i its error function,
and ensembles n tickets as f_E = Σ a_i f_i with Σ a_i = 1. If the e_i are mutually orthogonal,
‖e_E‖² ≥ (Σ 1/‖e_i‖²)^-1 (Eq. 9; claim C10), which for n equal tickets is ‖e‖²/n: the N^-1 law.
:func:`optimal_ensemble` computes the best such ensemble of given error functions, and shows
where the orthogonality assumption matters. For Fig. 4 (claim C11), :func:`harmonic_ensemble`
turns the losses of width-N/2 networks into those of the ensemble of two of them, which
:func:`compare_distributions` sets against the losses of width-N networks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats

from .peaks import check_losses

__all__ = [
    "Comparison",
    "OptimalEnsemble",
    "compare_distributions",
    "ensemble_bound",
    "harmonic_ensemble",
    "optimal_ensemble",
]


def harmonic_ensemble(losses, other=None) -> np.ndarray:
    """Losses of the ensemble of two independent width-N/2 networks (Fig. 4; claim C11).

    The paper's ensemble of networks with losses L_i and L_j has loss (1/L_i + 1/L_j)^-1
    (Eq. 9 with n = 2). This returns it for every unordered pair i < j of the S given
    width-N/2 losses, in ``np.triu_indices`` order. The paper draws random pairs instead; all
    pairs give the same distribution without sampling noise, but the values are not
    independent (each loss enters S - 1 pairs). Memory grows as S²: S = 1000 gives 499,500.

    Args:
        losses: (S,) array-like of finite positive losses, S >= 2.
        other: optional (S2,) losses of networks of another width (an odd N splits into
            ⌊N/2⌋ + ⌈N/2⌉); then every pair (i, j) of the S × S2 pairs is ensembled.

    Returns:
        (S (S - 1) / 2,) float array, or (S · S2,) with ``other``.

    Example:
        >>> harmonic_ensemble([1.0, 2.0, 4.0]).round(3).tolist()  # pairs (0, 1), (0, 2), (1, 2)
        [0.667, 0.8, 1.333]
    """
    if other is not None:
        L, M = check_losses(losses, "losses", 1), check_losses(other, "other", 1)  # (S,), (S2,)
        i, j = (g.ravel() for g in np.meshgrid(np.arange(L.size), np.arange(M.size), indexing="ij"))
        return L[i] / (1.0 + L[i] / M[j])
    L = check_losses(losses, "losses", 2)  # (S,)
    i, j = np.triu_indices(L.size, k=1)  # (S(S-1)/2,) each
    # L_i / (1 + L_i/L_j) == (1/L_i + 1/L_j)^-1, and neither overflows nor underflows for tiny L
    return L[i] / (1.0 + L[i] / L[j])


@dataclass(frozen=True)
class Comparison:
    """Two loss distributions side by side (see :func:`compare_distributions`).

    Attributes:
        median_ratio: median(a) / median(b).
        log10_median_ratio: log10 of ``median_ratio``, in decades.
        ks_statistic: two-sample Kolmogorov-Smirnov statistic of log10(a) vs log10(b).
        ks_pvalue: its p-value (indicative only for pair-derived samples, see the function).
        wasserstein_log10: 1-Wasserstein distance between log10(a) and log10(b), in decades.
    """

    median_ratio: float
    log10_median_ratio: float
    ks_statistic: float
    ks_pvalue: float
    wasserstein_log10: float


def compare_distributions(a, b) -> Comparison:
    """Compare two samples of losses, e.g. width N against the harmonic ensemble of N/2 (Fig. 4; C11).

    The paper reads synergy off the gap between p_N and the ensemble distribution p̃_N: a
    width-N network better than two width-N/2 ones gives ``median_ratio`` < 1 for
    a = width-N losses and b = :func:`harmonic_ensemble` of the width-N/2 losses.
    Distances are on log10(loss), the axis of the paper's histograms.

    The KS p-value (``scipy.stats.ks_2samp``) assumes two samples of independent values. The
    pairs from :func:`harmonic_ensemble` share their members, so their effective sample size
    is near S, not S (S - 1) / 2, and the p-value is then only indicative (too small).

    Args:
        a, b: (Sa,) and (Sb,) array-like of finite positive losses, at least 2 each.

    Returns:
        :class:`Comparison`.
    """
    a, b = check_losses(a, "a", 2), check_losses(b, "b", 2)  # (Sa,), (Sb,)
    la, lb = np.log10(a), np.log10(b)
    ratio = float(np.median(a) / np.median(b))
    ks = scipy.stats.ks_2samp(la, lb)
    return Comparison(
        median_ratio=ratio,
        log10_median_ratio=float(np.log10(ratio)),
        ks_statistic=float(ks.statistic),
        ks_pvalue=float(ks.pvalue),
        wasserstein_log10=float(scipy.stats.wasserstein_distance(la, lb)),
    )


def ensemble_bound(sq_norms) -> float:
    """Eq. 9's lower bound (Σ_i 1/‖e_i‖²)^-1 on an ensemble's squared error (claim C10).

    Args:
        sq_norms: (n,) array-like of the squared norms ‖e_i‖² of the tickets' error functions,
            all finite and positive, n >= 1.

    Returns:
        The bound; ‖e‖²/n for n equal tickets. It is a bound only for mutually orthogonal
        errors, see :func:`optimal_ensemble`.

    Example:
        >>> round(ensemble_bound([0.4, 0.4, 0.4, 0.4]), 12)  # ‖e‖²/n for n = 4 equal tickets
        0.1
    """
    s = check_losses(sq_norms, "sq_norms", 1)
    return float(1.0 / np.sum(1.0 / s))


@dataclass(frozen=True, eq=False)
class OptimalEnsemble:
    """The best affine ensemble of n error functions (see :func:`optimal_ensemble`).

    Attributes:
        optimum: min over Σ a_i = 1 of ‖Σ a_i e_i‖², evaluated at ``optimal_weights``.
        optimal_weights: (n,) the minimising a, summing to 1.
        bound: Eq. 9's (Σ 1/‖e_i‖²)^-1 from the diagonal of ``gram``.
        inverse_norm_value: ‖Σ a_i e_i‖² at the paper's weights a_i ∝ 1/‖e_i‖².
        mean_value: ‖Σ a_i e_i‖² at the plain average a_i = 1/n.
        gram: (n, n) Gram matrix G_ij = <e_i, e_j>.
        effective_rank: participation ratio (Σλ)²/Σλ² of G's eigenvalues λ, in [1, n]: the
            number of independent error directions (the paper's independent tickets, C17).
    """

    optimum: float
    optimal_weights: np.ndarray
    bound: float
    inverse_norm_value: float
    mean_value: float
    gram: np.ndarray
    effective_rank: float


def _check_errors(errors, weights) -> tuple[np.ndarray, np.ndarray]:
    """errors as an (n, P) float array and weights as (P,), both validated."""
    E = np.asarray(errors, dtype=float)
    if E.ndim != 2 or E.shape[0] < 1 or E.shape[1] < 1:
        raise ValueError(f"errors must be an (n, P) array with n, P >= 1, got shape {E.shape}")
    if not np.isfinite(E).all():
        raise ValueError(f"errors must be finite; {int((~np.isfinite(E)).sum())} entries are not")
    P = E.shape[1]
    if weights is None:
        return E, np.full(P, 1.0 / P)
    w = np.asarray(weights, dtype=float)
    if w.shape != (P,):
        raise ValueError(f"weights must have shape (P,) = ({P},) to match errors, got {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    if abs(w.sum() - 1.0) > 1e-8:
        raise ValueError(f"weights must sum to 1 (quadrature weights of a mean), got sum {w.sum()!r}")
    return E, w


def _sq_norm(E: np.ndarray, w: np.ndarray, a: np.ndarray) -> float:
    """‖Σ a_i e_i‖² = Σ_x w_x (Σ_i a_i e_i(x))², evaluated directly."""
    return float(np.dot(w, (a @ E) ** 2))  # (n,) @ (n, P) -> (P,)


def optimal_ensemble(errors, weights=None, rcond: float | None = None) -> OptimalEnsemble:
    """The best ensemble f_E = Σ a_i f_i, Σ a_i = 1, of n tickets with errors e_i (Eqs. 5-9; C10).

    With Σ a_i = 1 the target term of Eq. 6 vanishes and the ensemble's squared error is
    ‖Σ a_i e_i‖², ‖e‖² = Σ_x w_x e(x)² (the mean over the P points by default). Its minimum
    is, in closed form, a = G⁻¹1 / (1ᵀG⁻¹1) with value 1/(1ᵀG⁻¹1), G the Gram matrix. Tickets
    can be nearly collinear, so G is not inverted: the constraint is eliminated
    (a = 1/n + Z c, Z an orthonormal basis of the vectors summing to 0) and c is found by
    ``np.linalg.lstsq`` on the error functions themselves, with ``rcond``; unlike G⁺1 this also
    finds a zero optimum when G is singular. The optimum is re-evaluated as ‖Σ a_i e_i‖².

    Orthogonality: Eq. 9's inequality ‖e_E‖² ≥ (Σ 1/‖e_i‖²)^-1 assumes, as the paper does, that
    the e_i are mutually orthogonal. Then G is diagonal and optimum == bound, attained at the
    paper's weights a_i ∝ 1/‖e_i‖² (``inverse_norm_value`` == ``bound``). For correlated errors
    the bound does not hold: the constrained optimum can go *below* it. Two nearly parallel
    errors of different size, e_2 ≈ 1.5 e_1, are combined with weights of opposite sign
    (a ≈ (3, -2)) to nearly cancel, leaving only the part of e_2 not along e_1. In every case
    optimum ≤ inverse_norm_value and optimum ≤ mean_value (to rounding): both are feasible.

    Args:
        errors: (n, P) array-like, row i the error function e_i(x) = f_i(x) - f(x) at P
            points, n >= 1; finite, and no row all zero (Eq. 9 divides by ‖e_i‖²).
        weights: (P,) quadrature weights, non-negative, summing to 1; default None: 1/P each.
        rcond: relative cutoff for small singular values, passed to ``np.linalg.lstsq``;
            default None: machine precision times max(P, n - 1).

    Returns:
        :class:`OptimalEnsemble`.
    """
    E, w = _check_errors(errors, weights)  # (n, P), (P,)
    n = E.shape[0]
    gram = (E * w) @ E.T  # (n, P) * (P,) @ (P, n) -> (n, n)
    sq = np.diag(gram).copy()  # (n,) ‖e_i‖²
    zero = ~(sq > 0)
    if zero.any():
        rows = np.flatnonzero(zero).tolist()
        raise ValueError(f"every error function needs a positive norm; rows {rows} have |e_i|² = 0")
    a_mean = np.full(n, 1.0 / n)  # (n,)
    if n == 1:
        a_opt = a_mean
    else:
        # orthonormal basis Z (n, n-1) of {c : Σ c_i = 0}: the last n-1 columns of a complete QR of 1
        Z = np.linalg.qr(np.ones((n, 1)), mode="complete")[0][:, 1:]  # (n, n-1)
        Ew = E * np.sqrt(w)  # (n, P), so that ‖e‖² is a plain sum of squares
        c = np.linalg.lstsq((Z.T @ Ew).T, -(a_mean @ Ew), rcond=rcond)[0]  # (P, n-1) c = (P,) -> (n-1,)
        a_opt = a_mean + Z @ c  # (n,)
        a_opt = a_opt / a_opt.sum()  # exact to rounding already; removes the drift
    a_inv = (1.0 / sq) / np.sum(1.0 / sq)  # (n,)
    lam = np.clip(np.linalg.eigvalsh(gram), 0.0, None)  # (n,) G is PSD; clip rounding negatives
    return OptimalEnsemble(
        optimum=_sq_norm(E, w, a_opt),
        optimal_weights=a_opt,
        bound=ensemble_bound(sq),
        inverse_norm_value=_sq_norm(E, w, a_inv),
        mean_value=_sq_norm(E, w, a_mean),
        gram=gram,
        effective_rank=float(lam.sum() ** 2 / np.sum(lam**2)),
    )
