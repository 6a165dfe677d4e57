"""Peaks of a loss histogram: the local minima that networks of one width fall into.

The paper histograms log10 of the final MSE of many networks of one width (Fig. 2b, Fig. 3).
At narrow widths the histogram has several peaks, one per local minimum; the lowest-loss peak
holds the "lottery tickets" (claims C6, C7); from width 10 on it has one peak (C9).
:func:`find_peaks` smooths the histogram with a Gaussian KDE in log10(loss) and reports its
prominent maxima; :func:`assign_peaks` and :func:`peak_members` split the networks by peak.
:func:`fit_mixture`, :func:`recovery_rate` and :func:`seeds_needed` measure the finder's power:
how many networks it needs to see the modes of a planted distribution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal
import scipy.stats

from ..checks import integer

__all__ = ["MIN_BANDWIDTH", "BANDWIDTH_RULES", "Peaks", "Mixture", "assign_peaks", "check_losses", "count_modes",
           "find_peaks", "fit_mixture", "peak_members", "recovery_rate", "seeds_needed"]


@dataclass(frozen=True, eq=False)
class Peaks:
    """The prominent maxima of the KDE of log10(loss) of S networks (see :func:`find_peaks`).

    Attributes:
        locations: (K,) peak positions as loss values (10**x), ascending.
        heights: (K,) KDE density at each peak, divided by the density's maximum (max 1).
        prominences: (K,) scipy prominence of each peak, in the same normalised units.
        boundaries: (K - 1,) loss values of the density minimum between consecutive peaks.
        bandwidth: KDE kernel standard deviation, in decades (log10 units).
        grid: (G,) evaluation grid, in log10(loss) units.
        density: (G,) normalised KDE on ``grid`` (for plotting).
    """

    locations: np.ndarray
    heights: np.ndarray
    prominences: np.ndarray
    boundaries: np.ndarray
    bandwidth: float
    grid: np.ndarray
    density: np.ndarray

    @property
    def n_modes(self) -> int:
        """K, the number of peaks."""
        return int(self.locations.size)


def check_losses(losses, name: str = "losses", min_count: int = 1) -> np.ndarray:
    """Losses as a 1-D float array, checked.

    Args:
        losses: the values.
        name: what they are, for the error message (default "losses").
        min_count: the fewest values (default 1).

    Raises:
        ValueError: unless there are ``min_count`` values, all finite and > 0.
    """
    x = np.asarray(losses, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {x.shape}")
    if x.size < min_count:
        raise ValueError(f"need at least {min_count} {name}, got {x.size}")
    bad = ~(np.isfinite(x) & (x > 0))
    if bad.any():
        raise ValueError(f"{name} must be finite and positive; {int(bad.sum())} of {x.size} are not (e.g. {x[bad][0]!r})")
    return x


def _robust_factor(x: np.ndarray) -> float:
    """gaussian_kde's bandwidth factor for Silverman's robust rule (h / std of x)."""
    sd = float(np.std(x, ddof=1))
    iqr = float(np.subtract(*np.percentile(x, [75, 25]))) / 1.34
    spread = min(sd, iqr) if iqr > 0 else sd  # more than half the losses equal: IQR is 0
    return 0.9 * spread * x.size ** -0.2 / sd


#: Narrowest kernel, in decades of loss: losses within about 2% of each other are one peak.
MIN_BANDWIDTH = 0.01
#: The kernel bandwidths the book's sensitivity tables try: name -> keyword arguments of
#: :func:`find_peaks`. "robust" is the default (rule and floor chosen after data was seen).
BANDWIDTH_RULES = {
    "robust (default)": {},
    "robust, no floor": {"min_bandwidth": 0.0},
    "Scott": {"bw_method": "scott"},
    "0.05 decade": {"bandwidth": 0.05},
    "0.1 decade": {"bandwidth": 0.1},
    "0.2 decade": {"bandwidth": 0.2},
}


def find_peaks(losses, bw_method="robust", grid_points: int = 512, min_prominence: float = 0.05,
               min_bandwidth: float = MIN_BANDWIDTH, bandwidth: float | None = None) -> Peaks:
    """Find the peaks of the histogram of log10(losses) (Figs. 2b and 3; claims C6, C9).

    The density of x = log10(loss) is a Gaussian KDE (``scipy.stats.gaussian_kde``), evaluated
    on ``grid_points`` equally spaced points from min(x) - 3 h to max(x) + 3 h, h the kernel
    bandwidth, and divided by its maximum. Its maxima of prominence at least
    ``min_prominence`` (``scipy.signal.find_peaks``) are the peaks.

    Args:
        losses: (S,) array-like of final losses, S >= 3, all finite and positive.
        bw_method: "robust" (default): Silverman's rule of thumb with the robust spread,
            h = 0.9 min(σ, IQR/1.34) S^(-1/5) (Silverman 1986, Eq. 3.31); or anything
            ``gaussian_kde`` takes: "scott", "silverman", a scalar factor or a callable.
            Scott's rule assumes one Gaussian: width-2 losses form tight clusters decades
            apart, their standard deviation is dominated by the gaps, and Scott's bandwidth
            (about 0.65 decade at 100 seeds) merges the lottery-ticket peak into its
            neighbour; the robust spread follows the clusters instead.
        grid_points: number of grid points G, at least 3 (default 512).
        min_prominence: smallest prominence that counts as a peak, as a fraction of the
            maximum density, in [0, 1] (default 0.05). Raise it to merge small bumps.
        min_bandwidth: the kernel bandwidth h is at least this many decades (default 0.01).
            When more than half the networks reach the same loss to many digits (width-1
            networks do), the robust spread is ~1e-15 and so is h; the grid, spread over the
            whole range of losses, would then step over the peak and find none.
        bandwidth: a fixed kernel bandwidth h in decades, > 0, in place of ``bw_method`` and
            ``min_bandwidth`` (the book's sensitivity tables try 0.05, 0.1 and 0.2).

    The rule and the floor were chosen after data had been seen: Scott's rule first, then the
    robust rule once 100-seed width-2 losses showed Scott merging the ticket peak; the floor
    once width-1 losses collapsed to one value. :data:`BANDWIDTH_RULES` lists the
    alternatives the book reports its mode counts under.

    Returns:
        :class:`Peaks`, peaks ordered by loss (index 0 = lowest-loss peak).

    Raises:
        ValueError: non-finite or non-positive losses (says how many), fewer than 3 losses,
            all losses identical (the KDE is singular), or a bad ``grid_points`` or
            ``min_prominence``.

    Example:
        Two planted clusters of losses, 3 decades apart:

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> losses = np.concatenate([10 ** rng.normal(-5, 0.1, 300), 10 ** rng.normal(-2, 0.1, 700)])
        >>> peaks = find_peaks(losses)
        >>> peaks.n_modes, np.round(np.log10(peaks.locations), 1).tolist()
        (2, [-5.0, -2.0])
        >>> int(peak_members(losses, peaks).sum())  # the networks of the lowest peak
        300
    """
    x = np.log10(check_losses(losses, min_count=3))  # (S,)
    grid_points = integer(grid_points, "grid_points", minimum=3)
    if not 0.0 <= min_prominence <= 1.0:
        raise ValueError(f"min_prominence must lie in [0, 1] (a fraction of the max density), got {min_prominence!r}")
    if np.ptp(x) == 0.0:
        raise ValueError(
            f"all {x.size} losses are identical ({10 ** x[0]!r}); the KDE of a single value is singular"
        )
    if bandwidth is not None:
        if not (np.isfinite(bandwidth) and bandwidth > 0):
            raise ValueError(f"bandwidth must be a positive number of decades, got {bandwidth!r}")
        bw_method, min_bandwidth = bandwidth / float(np.std(x, ddof=1)), 0.0
    elif isinstance(bw_method, str) and bw_method == "robust":
        bw_method = _robust_factor(x)
    try:
        kde = scipy.stats.gaussian_kde(x, bw_method=bw_method)
    except np.linalg.LinAlgError as err:  # values distinct but too close for a covariance
        raise ValueError(f"the KDE of log10(losses) is singular (spread {np.ptp(x):.3g} decades): {err}") from err
    h = float(np.sqrt(kde.covariance[0, 0]))
    if h < min_bandwidth:
        kde.set_bandwidth(kde.factor * min_bandwidth / h)
        h = float(np.sqrt(kde.covariance[0, 0]))
    grid = np.linspace(x.min() - 3 * h, x.max() + 3 * h, grid_points)  # (G,)
    density = kde(grid)
    density = density / density.max()
    # the grid ends 3 h beyond the data, where the density falls, so no peak sits at an end
    idx, props = scipy.signal.find_peaks(density, prominence=min_prominence)
    between = [i + int(np.argmin(density[i:j + 1])) for i, j in zip(idx[:-1], idx[1:])]
    return Peaks(
        locations=10.0 ** grid[idx],
        heights=density[idx],
        prominences=np.asarray(props["prominences"], dtype=float),
        boundaries=10.0 ** grid[np.asarray(between, dtype=int)],
        bandwidth=h,
        grid=grid,
        density=density,
    )


def count_modes(losses, **kw) -> int:
    """Number of peaks of the histogram of log10(losses) (claim C9).

    Args:
        losses: (S,) final losses, as for :func:`find_peaks`.
        **kw: keyword arguments of :func:`find_peaks`.

    Returns:
        ``find_peaks(losses, **kw).n_modes``.
    """
    return find_peaks(losses, **kw).n_modes


def assign_peaks(losses, peaks: Peaks) -> np.ndarray:
    """Index of the peak each loss belongs to, splitting at ``peaks.boundaries`` (Fig. 2b).

    Args:
        losses: (S,) array-like of finite positive losses (need not be those ``peaks`` came
            from).
        peaks: the result of :func:`find_peaks`.

    Returns:
        (S,) int array in [0, K), 0 the lowest-loss peak. A loss exactly on a boundary goes to
        the higher peak.
    """
    x = check_losses(losses)
    return np.searchsorted(peaks.boundaries, x, side="right").astype(int)


def peak_members(losses, peaks: Peaks, k: int = 0) -> np.ndarray:
    """Mask of the losses in peak ``k`` (default 0: the lowest peak, the lottery tickets; C6, C7).

    Args:
        losses: (S,) array-like of finite positive losses.
        peaks: the result of :func:`find_peaks`.
        k: peak index, 0 <= k < ``peaks.n_modes`` (default 0).

    Returns:
        (S,) bool array.
    """
    k = integer(k, "k (a peak's index)", 0, peaks.n_modes - 1)
    return assign_peaks(losses, peaks) == k


# --------------------------------------------------------------------------- power of the peak finder


@dataclass(frozen=True, eq=False)
class Mixture:
    """A planted loss distribution: log10(loss) ~ Σ_k weights_k N(means_k, sds_k²)."""

    weights: np.ndarray  #: (K,) the components' weights, summing to 1
    means: np.ndarray  #: (K,) their means, in decades
    sds: np.ndarray  #: (K,) their standard deviations, in decades

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Losses (10**x) drawn from the mixture.

        Args:
            n: how many.
            rng: the generator to draw with.
        """
        k = rng.choice(self.weights.size, size=n, p=self.weights)
        return 10.0 ** rng.normal(self.means[k], self.sds[k])

    def n_modes(self, grid_points: int = 8192) -> int:
        """The number of modes of the mixture's own density (the truth a sample should show).

        Args:
            grid_points: the density's evaluation grid (default 8192).
        """
        lo, hi = (self.means - 5 * self.sds).min(), (self.means + 5 * self.sds).max()
        x = np.linspace(lo, hi, grid_points)
        f = (self.weights * scipy.stats.norm.pdf(x[:, None], self.means, self.sds)).sum(1)  # (G, K) -> (G,)
        return int(scipy.signal.find_peaks(f / f.max(), prominence=1e-6)[0].size)


def fit_mixture(losses, max_components: int = 3, rng: int = 0) -> Mixture:
    """The Gaussian mixture of log10(losses) that BIC picks (``sklearn.mixture.GaussianMixture``):
    a planted truth with the separations the data shows.

    Args:
        losses: (S,) final losses, S ≥ 3.
        max_components: try 1..max_components components (default 3).
        rng: the mixture fit's random state (default 0).
    """
    from sklearn.mixture import GaussianMixture

    x = np.log10(check_losses(losses, min_count=3))[:, None]  # (S, 1)
    # reg_covar 1e-3: no component narrower than 0.03 decade, so few seeds do not plant spikes on single losses
    best = min((GaussianMixture(k, random_state=rng, n_init=3, reg_covar=1e-3).fit(x) for k in range(1, max_components + 1)),
               key=lambda m: m.bic(x))
    return Mixture(best.weights_.copy(), best.means_[:, 0].copy(), np.sqrt(best.covariances_.reshape(-1)))


def recovery_rate(mixture: Mixture, seeds: int, trials: int = 200, rng: int = 0, **peaks_kw) -> float:
    """The peak finder's power: how often it finds exactly the mixture's own number of modes.

    Args:
        mixture: the planted distribution.
        seeds: losses per sample.
        trials: samples drawn (default 200).
        rng: seed of the draws (default 0).
        **peaks_kw: keyword arguments of :func:`find_peaks`.

    Returns:
        The fraction of the samples in which :func:`count_modes` is right.
    """
    gen = np.random.default_rng(rng)
    truth = mixture.n_modes()
    return float(np.mean([count_modes(mixture.sample(seeds, gen), **peaks_kw) == truth for _ in range(trials)]))


def seeds_needed(mixture: Mixture, grid=(20, 50, 100, 200, 500, 1000, 2000, 5000), power: float = 0.8,
                 trials: int = 200, rng: int = 0, **peaks_kw) -> tuple[int | None, dict[int, float]]:
    """The fewest seeds at which the peak finder sees a mixture's modes.

    Args:
        mixture: the planted distribution.
        grid: the seed counts to try, ascending.
        power: the recovery rate to reach (default 0.8).
        trials, rng: as for :func:`recovery_rate`.
        **peaks_kw: keyword arguments of :func:`find_peaks`.

    Returns:
        (the smallest count of ``grid`` whose recovery rate reaches ``power``, or None; the rate
        at every count tried).
    """
    rates = {}
    for s in grid:
        rates[s] = recovery_rate(mixture, s, trials, rng, **peaks_kw)
        if rates[s] >= power:
            return s, rates
    return None, rates
