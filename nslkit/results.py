"""What a run produced: the :class:`Results` record that the trainers make, the store keeps,
and the analysis and plots read, so none of them imports another just to name it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from .checks import choice
from .config import CURVE_GRIDS, TrainConfig
from .data import test_data, training_data
from .population import Population, evaluate_mse

__all__ = ["Results", "curve_steps", "collect", "diverged", "LEARNT_NOTHING_RTOL"]


@dataclass
class Results:
    """What one width of one experiment produced, as NumPy arrays on the CPU.

    Attributes:
        config: the experiment.
        train_mse: (S,) final MSE on the training points, in seed order.
        test_mse: (S,) MSE on the dense independent test grid.
        w: (S, N, D) final first-layer weights.
        b: (S, N) final first-layer biases.
        v: (S, N) final second-layer weights.
        c: (S,) final output biases.
        curve_steps: (K,) steps at which the loss curve was sampled (about ``curve_points``, on
            the config's ``curve_grid``); L-BFGS: iterations done.
        curve_loss: (S, K) training MSE before the update of each sampled step (L-BFGS: after
            that many iterations).
        provenance: how the numbers were made (device, torch version, git commit, date,
            wall time); not part of the results key.

    Results loaded from a file stored with ``keep="losses"`` (:meth:`nslkit.store.Store.save`)
    have None for the parameters and the curve.

    Example:
        >>> import numpy as np
        >>> import nslkit as nk
        >>> r = nk.run(nk.TrainConfig(width=3, seeds=4, steps=300, test_points=100), store=False, progress=False)
        >>> r.seeds, r.train_mse.shape, r.w.shape, r.curve_loss.shape
        ((0, 1, 2, 3), (4,), (4, 3, 1), (4, 100))
        >>> bool(np.all(r.curve_loss[:, -1] < r.curve_loss[:, 0]))  # every network learnt
        True
    """

    config: TrainConfig
    train_mse: np.ndarray
    test_mse: np.ndarray
    w: np.ndarray | None
    b: np.ndarray | None
    v: np.ndarray | None
    c: np.ndarray | None
    curve_steps: np.ndarray | None
    curve_loss: np.ndarray | None
    provenance: dict[str, Any] = field(default_factory=dict)

    def population(self, dtype: torch.dtype | None = None) -> Population:
        """The trained networks as a :class:`~nslkit.Population`.

        Args:
            dtype: of the tensors (default float64).

        Raises:
            ValueError: when the parameters were not kept (stored with keep="losses").
        """
        if self.w is None:
            raise ValueError(f"the parameters of {self.config.target}/{self.config.activation} N={self.config.width} "
                             "were not kept (stored with keep='losses'); train again to get them")
        ts = (torch.from_numpy(a) for a in (self.w, self.b, self.v, self.c))
        return Population(*ts).to(dtype=dtype or torch.float64)

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds, in the order of every per-seed array."""
        return self.config.seeds

    def take(self, seeds) -> "Results":
        """The networks of ``seeds`` (each one of this run's), in that order, as a run of their
        own: how two runs are compared on the seeds they share. ValueError naming a seed this
        run does not hold.

        Args:
            seeds: seeds of this run, in the order wanted.
        """
        index = {s: i for i, s in enumerate(self.seeds)}
        seeds = tuple(int(s) for s in seeds)
        missing = [s for s in seeds if s not in index]
        if missing:
            raise ValueError(f"seeds {missing[:5]} are not among this run's {len(self.seeds)} seeds")
        i = np.array([index[s] for s in seeds], dtype=np.int64)
        pick = lambda a: None if a is None else a[i]  # noqa: E731
        return Results(self.config.replace(seeds=seeds), self.train_mse[i], self.test_mse[i], pick(self.w),
                       pick(self.b), pick(self.v), pick(self.c), self.curve_steps, pick(self.curve_loss),
                       dict(self.provenance))


def curve_steps(steps: int, n: int, grid: str = "linear") -> np.ndarray:
    """The steps in [0, steps - 1] at which the loss curve is sampled, ascending, both ends included.

    Args:
        steps: the steps of the run.
        n: about how many samples, n ≥ 2.
        grid: a name from :data:`nslkit.config.CURVE_GRIDS`: "linear", about ``n`` evenly
            spaced steps; "log", ``min(n, steps)`` steps: 0, 1, …, j − 1, then s with s + 1
            evenly spaced in log from j + 1 to ``steps``, j the fewest leading steps that leave
            the log-spaced ones at least one step apart (so no two round to one step).

    Example:
        >>> curve_steps(50_000, 5).tolist(), curve_steps(50_000, 5, "log").tolist()
        ([0, 12500, 25000, 37499, 49999], [0, 14, 223, 3343, 49999])
    """
    choice(grid, "curve grid", CURVE_GRIDS)
    n = min(n, steps)
    if grid == "linear":
        return np.unique(np.linspace(0, steps - 1, n).round().astype(np.int64))
    if n == steps:
        return np.arange(steps, dtype=np.int64)

    def first_gap(j: int) -> float:  # of geomspace(j + 1, steps, n - j)
        return math.inf if n - j < 2 else (j + 1) * ((steps / (j + 1)) ** (1 / (n - j - 1)) - 1)

    j = next(j for j in range(n) if first_gap(j) >= 1)
    tail = np.floor(np.geomspace(j + 1, steps, n - j) + 0.5).astype(np.int64) - 1  # floor(+0.5): no ties to even
    return np.unique(np.concatenate([np.arange(j, dtype=np.int64), tail]))


def collect(cfg: TrainConfig, params: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor,
            record: np.ndarray, curve: torch.Tensor, provenance: dict[str, Any]) -> Results:
    """The :class:`Results` of trained parameters: final train and test MSE, everything on the
    CPU. Every trainer ends here.

    Args:
        cfg: the experiment.
        params: the trained (w, b, v, c).
        x, y: the training points, (P, D) and (P,).
        record: (K,) the steps at which the loss curve was sampled.
        curve: (S, K) the training loss at those steps.
        provenance: how the run was made.
    """
    pop = Population(*params)
    dev, dtype = x.device, x.dtype
    with torch.no_grad():
        train_mse = evaluate_mse(pop, x, y, cfg.activation, cfg.negative_slope)
        xt, yt = (t.to(dev, dtype) for t in test_data(cfg))
        test_mse = evaluate_mse(pop, xt, yt, cfg.activation, cfg.negative_slope)
    np_ = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return Results(
        config=cfg,
        train_mse=np_(train_mse),
        test_mse=np_(test_mse),
        w=np_(pop.w), b=np_(pop.b), v=np_(pop.v), c=np_(pop.c),
        curve_steps=record,
        curve_loss=np_(curve),
        provenance=provenance,
    )


#: A network whose final training MSE is within this relative tolerance of Var(y), the MSE of the
#: constant network at the mean, or above it, learnt nothing (:func:`diverged`).
LEARNT_NOTHING_RTOL = 1e-3


def diverged(res: Results) -> int:
    """How many networks of ``res`` learnt nothing or diverged: their final training MSE is not
    finite, or at least (1 − :data:`LEARNT_NOTHING_RTOL`) times the target's variance on the
    training points (Var(y), what the constant network at the mean of y scores: one that ended
    there, or worse, learnt nothing).

    Args:
        res: the results of one width.
    """
    var = float(training_data(res.config)[1].var(unbiased=False))
    mse = np.asarray(res.train_mse, dtype=np.float64)
    return int(np.sum(~np.isfinite(mse) | (mse >= var * (1 - LEARNT_NOTHING_RTOL))))
