"""The experiment config: one frozen dataclass that is both the recipe and the results key.

Every field changes the numbers a run produces, so every field but the seed list is part of
the results-store key (:meth:`TrainConfig.experiment_key`; the store keeps the seeds in chunks
under it, :mod:`nslkit.store`). How the numbers are computed (device, backend, chunk size,
progress bars) is an argument of :func:`nslkit.train.train` and is recorded in the results'
provenance, not in the key. Chunking changes no bit. Device and backend change rounding only,
but rounding differences grow over 50,000 steps: for x², SiLU, width 2, 100 seeds, the eager
and compiled CPU backends give final losses whose per-seed relative difference has median
0.17% and maximum 2.5% (medians over seeds 4.542e-4 against 4.530e-4). Statistics over seeds
are what the book reports; individual seeds are reproducible bit for bit only on the same
device and backend. The compiled and Triton steps give a network the same numbers in any
batch; the eager step may not (torch's elementwise kernels round a tensor's last partial
vector with scalar code), so the store trains its chunks the same way in every mode.

Protocol defaults (the paper leaves them open; the book's claims page, book/claims.md, "What the
paper leaves open"):

* ``domain = (-2, 2)``, ``points = 100``, ``placement = "grid"`` for one-dimensional targets.
  Evidence: the published lottery ticket (Eq. 2) is a stationary point of the training MSE on
  exactly ``torch.linspace(-2, 2, 100)``. Its gradient norm there is 3.8e-6, against
  1.2e-3 on 1000 grid points of [-2, 2], 3.0e-3 on any grid of [-1, 1], and 4e-4 to 3e-3 on
  100 random points of [-2, 2]; grids of 99 or 101 points give 1.4e-5. See
  :func:`nslkit.protocol.ticket_gradient_norm`, which the tests check.
* For the products (D > 1) the paper gives nothing to test against. A 100-point grid does not
  exist in 3 or 5 dimensions, so the default is 1000 points drawn uniformly from the domain
  cube with ``data_seed``: more points than the widest network (N = 50, D = 5) has
  parameters, so the training MSE measures approximation rather than memorisation.
* ``negative_slope = 0.01`` for LeakyReLU (torch's default; the paper does not say).
* The reported loss is the final MSE on the training points (the paper's networks are
  trained and evaluated on the same full batch); ``test_points`` sets an independent dense
  grid on which the test MSE is measured as well.
* ``dtype = "float64"``: the paper does not say. (Fig. 13's losses below 1e-16 come from a
  least-squares refit, not from training, so they do not decide it; the robustness chapter
  measures float32 beside float64.)

Beyond the paper, ``optimizer`` trains with SGD (with momentum) or full-batch L-BFGS instead of
Adam, and ``curve_grid`` samples the loss curve on a logarithmic grid. A new field is left out
of :meth:`TrainConfig.to_dict`, and so of every key, while it has its default (``momentum``
whenever the optimiser is not SGD), so that the results stored before these fields existed
keep their keys.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Iterable

import torch

from .activations import check_activation
from .checks import choice, integer, number
from .targets import get_target

__all__ = ["TrainConfig", "FORMAT_VERSION", "DTYPES", "PLACEMENTS", "OPTIMIZERS", "CURVE_GRIDS", "seed_list",
           "learning_rate", "make_optimizer"]

#: Bumped whenever the numbers a config produces, or the stored layout, change. 2: the store
#: keeps chunks of seeds under the experiment key (every field but the seeds); 1 kept one file
#: per seed list (``python -m nslkit migrate`` converts).
FORMAT_VERSION = 2
DTYPES = ("float64", "float32")
PLACEMENTS = ("grid", "uniform")
#: Adam (the paper's), SGD with momentum, and full-batch L-BFGS (:mod:`nslkit.backends.lbfgs`).
OPTIMIZERS = ("adam", "sgd", "lbfgs")
#: Where the loss curve's samples lie: evenly spaced steps, or logarithmically spaced.
CURVE_GRIDS = ("linear", "log")
#: The fields added after results were stored, with the default at which to_dict leaves each out.
_NEW_DEFAULTS = {"optimizer": "adam", "curve_grid": "linear"}
_MOMENTUM = 0.9  # the default momentum


def seed_list(seeds: int | Iterable[int]) -> tuple[int, ...]:
    """Seeds as a tuple.

    Args:
        seeds: a count n (seeds 0..n-1) or an iterable of distinct non-negative ints, taken as
            given.

    Raises:
        ValueError: for a count below 1, an empty list, duplicates or a negative seed.

    Example:
        >>> seed_list(3), seed_list([7, 2])
        ((0, 1, 2), (7, 2))
    """
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a positive count or a list of seeds, got {seeds!r}")
    if isinstance(seeds, int):
        return tuple(range(integer(seeds, "seed count")))
    out = tuple(integer(s, "each seed", minimum=0) for s in seeds)
    if not out:
        raise ValueError("seed list is empty")
    if len(set(out)) != len(out):
        raise ValueError("seed list has duplicates")
    return out


@dataclass(frozen=True, repr=False)
class TrainConfig:
    """One width of one experiment: S networks of width N trained on one target.

    Defaults are the paper's (Sec. 2.2) where it states them, and the protocol decisions of
    :mod:`nslkit.config` where it does not. The config is frozen and validated: a bad value
    raises ValueError. Every field but ``seeds`` is part of the results-store key
    (:meth:`experiment_key`). Each field is documented in the book's API reference
    (book/api.md) and beside its definition.

    Example:
        >>> import nslkit as nk
        >>> cfg = nk.TrainConfig(target="x2", activation="silu", width=2, seeds=4, steps=200)
        >>> cfg.seeds, cfg.points, cfg.placement  # a count n is seeds 0..n-1; P and placement resolved for D = 1
        ((0, 1, 2, 3), 100, 'grid')
        >>> cfg.replace(width=10).width
        10
        >>> nk.TrainConfig()  # doctest: +ELLIPSIS
        TrainConfig(target='x2', activation='silu', width=10, seeds=range(0, 1000), steps=50000, lr=0.01, ...)
    """

    target: str = "x2"  #: The function to fit, a name from :data:`nslkit.targets.TARGETS`.
    activation: str = "silu"  #: σ of Eq. 1, "silu", "relu" or "leaky_relu".
    width: int = 10  #: N, the hidden units of each network.
    #: One network per seed, stored as a tuple. A count n means seeds 0..n-1, an iterable is
    #: taken as given. The paper trains 1000 seeds.
    seeds: tuple[int, ...] = range(1000)
    steps: int = 50_000  #: Full-batch optimiser steps (L-BFGS iterations); the paper takes 50,000 Adam steps.
    lr: float = 1e-2  #: Initial learning rate of Adam and SGD (L-BFGS has none); the paper's is 1e-2.
    lr_decay: float = 0.2  #: Multiply the learning rate by this every ``lr_step`` steps; the paper's is 0.2.
    lr_step: int = 10_000  #: Steps between learning-rate decays; the paper's are 10,000.
    domain: tuple[float, float] = (-2.0, 2.0)  #: (lo, hi), the interval in which each input coordinate lies.
    #: Training points P; None means 100 for D = 1 and 1000 for D > 1 (the protocol defaults).
    points: int | None = None
    placement: str | None = None  #: "grid" or "uniform"; None means grid for D = 1 and uniform for D > 1.
    data_seed: int = 0  #: Draws the training points when ``placement`` is "uniform".
    negative_slope: float = 0.01  #: LeakyReLU's slope for x < 0 (ignored by other activations).
    dtype: str = "float64"  #: "float64" or "float32".
    test_points: int = 10_000  #: Points of the dense independent test grid.
    curve_points: int = 100  #: Loss-curve samples kept per network.
    optimizer: str = "adam"  #: "adam" (the paper's), "sgd" or "lbfgs" (float64 and D = 1 only).
    momentum: float = _MOMENTUM  #: SGD's momentum, in [0, 1); the other optimisers keep 0.9.
    curve_grid: str = "linear"  #: "linear" or "log", the spacing in steps of the loss-curve samples.

    def __post_init__(self) -> None:
        t = get_target(self.target)  # raises on an unknown target
        check_activation(self.activation)
        object.__setattr__(self, "seeds", seed_list(self.seeds))
        object.__setattr__(self, "domain", tuple(float(d) for d in self.domain))
        if self.points is None:
            object.__setattr__(self, "points", 100 if t.dim == 1 else 1000)
        if self.placement is None:
            object.__setattr__(self, "placement", "grid" if t.dim == 1 else "uniform")
        for name in ("width", "steps", "lr_step", "points", "test_points", "curve_points"):
            integer(getattr(self, name), name)
        integer(self.data_seed, "data_seed", minimum=0)
        for name in ("lr", "lr_decay", "negative_slope"):
            # float(): 1 and 1.0 must give one key
            object.__setattr__(self, name, number(getattr(self, name), name, positive=name != "negative_slope"))
        lo, hi = self.domain if len(self.domain) == 2 else (math.nan, math.nan)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"domain must be two finite numbers LO < HI, got {self.domain!r}")
        choice(self.dtype, "dtype", DTYPES)
        choice(self.placement, "placement", PLACEMENTS)
        choice(self.curve_grid, "curve_grid", CURVE_GRIDS)
        self._check_optimizer(t.dim)
        if self.placement == "grid" and round(self.points ** (1 / t.dim)) ** t.dim != self.points:
            n = round(self.points ** (1 / t.dim))
            raise ValueError(
                f"a grid of {self.points} points does not exist in {t.dim} dimensions; "
                f"use a perfect power such as {n ** t.dim} or placement 'uniform'"
            )

    def _check_optimizer(self, dim: int) -> None:
        choice(self.optimizer, "optimizer", OPTIMIZERS)
        m = number(self.momentum, "momentum") + 0.0  # + 0.0: -0.0 and 0.0 give one key
        object.__setattr__(self, "momentum", m)
        if not 0 <= m < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {m!r}")
        if self.optimizer != "sgd" and m != _MOMENTUM:
            # to_dict leaves momentum out unless the optimiser is SGD: a value nothing reads would
            # be lost on the way through the store
            raise ValueError(f"momentum {m!r} is for optimizer 'sgd' only; optimizer {self.optimizer!r} takes the "
                             f"default {_MOMENTUM}")
        if self.optimizer == "lbfgs" and self.dtype != "float64":
            raise ValueError(f"optimizer 'lbfgs' trains in float64 only, got dtype {self.dtype!r}")
        if self.optimizer == "lbfgs" and dim != 1:
            raise ValueError(f"optimizer 'lbfgs' trains one-input targets only, got {self.target!r} with D = {dim}")

    def __repr__(self) -> str:
        """Every field, the seeds shortened: ``range(a, b)`` for consecutive seeds, else a few."""
        def short(name: str, value: Any) -> str:
            if name != "seeds":
                return repr(value)
            s = value
            if s == tuple(range(s[0], s[0] + len(s))):
                return repr(range(s[0], s[0] + len(s)))
            return repr(s) if len(s) <= 6 else f"({s[0]}, {s[1]}, {s[2]}, ..., {s[-1]}: {len(s)} seeds)"

        fields = ", ".join(f"{f.name}={short(f.name, getattr(self, f.name))}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({fields})"

    @property
    def dim(self) -> int:
        """Input dimension D of the target."""
        return get_target(self.target).dim

    @property
    def torch_dtype(self) -> torch.dtype:
        """The dtype as a ``torch.dtype``."""
        return getattr(torch, self.dtype)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again).

        Args:
            **changes: new values of fields, by name.
        """
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields, the format version included; ``optimizer`` and ``curve_grid``
        only when not at their defaults, ``momentum`` only for SGD."""
        d = dataclasses.asdict(self)
        d["seeds"] = list(self.seeds)
        d["domain"] = list(self.domain)
        d["format_version"] = FORMAT_VERSION
        for name, default in _NEW_DEFAULTS.items():  # the keys of results stored before the field existed
            if d[name] == default:
                del d[name]
        if self.optimizer != "sgd":
            del d["momentum"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        """Inverse of :meth:`to_dict`; an absent new field takes its default.

        Args:
            d: a dict made by :meth:`to_dict` (as the store keeps it).

        Raises:
            ValueError: when ``d`` has another format version than :data:`FORMAT_VERSION`.
        """
        d = dict(d)
        version = d.pop("format_version", None)
        if version != FORMAT_VERSION:
            raise ValueError(f"results format version {version!r} is not the current {FORMAT_VERSION}")
        d["seeds"] = tuple(d["seeds"])
        d["domain"] = tuple(d["domain"])
        return cls(**d)

    def key(self) -> str:
        """SHA-256 of the canonical JSON of every field, the seeds included."""
        return _sha256(self.to_dict())

    def experiment_key(self) -> str:
        """SHA-256 of the canonical JSON of every field but the seeds: the results-store key of
        the experiment, whose seeds the store keeps in chunks (a seed trains the same in any batch)."""
        d = self.to_dict()
        del d["seeds"]
        return _sha256(d)


def _sha256(d: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """The learning rate used by an update: lr · lr_decay^⌊step / lr_step⌋ (Adam and SGD;
    L-BFGS has none).

    Computed as ``StepLR`` does, lr multiplied by lr_decay at each decay, so it is the very float
    the torch trainers use (the loop kernels start a segment from it).

    Args:
        cfg: the experiment (its ``lr``, ``lr_decay`` and ``lr_step``).
        step: the update, 0-based.

    Example:
        >>> cfg = TrainConfig()
        >>> learning_rate(cfg, 0), learning_rate(cfg, 10_000), round(learning_rate(cfg, 49_999), 8)
        (0.01, 0.002, 1.6e-05)
    """
    lr = cfg.lr
    for _ in range(step // cfg.lr_step):
        lr *= cfg.lr_decay
    return lr


def make_optimizer(params, cfg: TrainConfig):
    """The torch optimiser of a config and its StepLR schedule (× ``lr_decay`` every
    ``lr_step`` steps).

    The paper's Adam (torch defaults: betas (0.9, 0.999), eps 1e-8) at ``cfg.lr``, or SGD at
    ``cfg.lr`` with ``cfg.momentum`` (torch's heavy ball: no dampening, no Nesterov). Both are
    elementwise, so one optimiser over stacked networks equals one per network.

    Args:
        params: the tensors to optimise.
        cfg: the experiment; its ``optimizer`` must be "adam" or "sgd".

    Returns:
        (optimizer, scheduler).

    Raises:
        ValueError: for L-BFGS, which is no torch optimiser here (:mod:`nslkit.backends.lbfgs`).
    """
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr)
    elif cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    else:
        raise ValueError(f"optimizer {cfg.optimizer!r} has no torch optimiser here; nslkit.train.train runs it "
                         "(nslkit.backends.lbfgs); make_optimizer serves adam and sgd")
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_decay)
    return opt, sched
