"""How far training is from the optimum of its model: a plain ``torch.nn`` loop as the check of
our trainer, networks polished to the local minimum near them, the best piecewise-linear
function (LeakyReLU's floor) and a random-features control. Each is slow, so each is kept as a
derived result beside the runs (:mod:`.derived`), keyed by its inputs and by the code it runs
(its own function here, not the whole module: :data:`CODE`).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from ..analysis import limits
from ..backends.reference import naive_network, train_naive
from ..config import TrainConfig
from ..data import training_data
from ..population import init_population
from ..results import Results
from .derived import derived_result

__all__ = ["CODE", "plain_loop", "plain_loop_check", "polished", "random_features_losses", "pl_floors"]

#: The code each derived result of this module is keyed on (:func:`.derived.source`): its own
#: function here, and the modules it runs.
CODE = {
    "plain_loop": ("paper/optimum.py:plain_loop", "paper/optimum.py:_layers", "analysis/limits.py",
                   "backends/reference.py", "activations.py"),
    "polished": ("paper/optimum.py:polished", "analysis/limits.py", "activations.py"),
    "random_features": ("paper/optimum.py:random_features_losses", "analysis/limits.py", "activations.py"),
}


def _layers(net) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(w (N,), b (N,), v (N,), c) of a ``Sequential(Linear(1, N), σ, Linear(N, 1))`` as float64."""
    first, last = net[0], net[2]
    return (first.weight.detach().double().numpy()[:, 0].copy(), first.bias.detach().double().numpy().copy(),
            last.weight.detach().double().numpy()[0].copy(), float(last.bias.detach()[0]))


def plain_loop(cfg: TrainConfig, seed: int = 0, every: int = 1000) -> dict:
    """Train network ``seed`` of ``cfg`` (one input) with a plain ``torch.nn`` + ``torch.optim.Adam``
    loop (:mod:`nslkit.backends.reference`): the check that our trainer has no defect.

    Args:
        cfg: the experiment, of one input.
        seed: the network's seed.
        every: look at the parameters every this many steps.

    Returns:
        A JSON-able dict, the steps at which the parameters were looked at, the fraction of
        collapsed neurons at each, the final w, b, v, c and the final training MSE.
    """
    x, y = training_data(cfg)
    steps, frac = [0], []
    w, b, v, _ = _layers(naive_network(cfg, seed))
    frac.append(float(limits.collapsed(w[None], b[None], v[None]).mean()))

    def look(step: int, net) -> None:
        if step % every == 0:
            w, b, v, _ = _layers(net)
            steps.append(step)
            frac.append(float(limits.collapsed(w[None], b[None], v[None]).mean()))

    net, _ = train_naive(cfg, seed, x, y, callback=look)
    w, b, v, c = _layers(net)
    with torch.no_grad():
        mse = float((net(x.to(cfg.torch_dtype)).squeeze(-1) - y.to(cfg.torch_dtype)).square().mean())
    return {"steps": steps, "collapsed": frac, "w": w.tolist(), "b": b.tolist(), "v": v.tolist(), "c": c,
            "final_mse": mse}


def plain_loop_check(cfg: TrainConfig, seed: int = 0, store=None, recompute: bool = False,
                     name: str | None = None) -> dict:
    """:func:`plain_loop`, kept as a derived result.

    Args:
        cfg, seed: as for :func:`plain_loop`.
        store: the results store.
        recompute: compute it again even when it is kept.
        name: the derived result's name (default "plain_loop_N<width>"; a chapter at another
            scale than the committed one names its own, so as not to replace it).
    """
    return derived_result(name or f"plain_loop_N{cfg.width}", [f"{cfg.experiment_key()}:{seed}"], lambda: plain_loop(cfg, seed),
                          CODE["plain_loop"], store, recompute)


def polished(sweep: Mapping[int, Results], networks: int = 50, max_nfev: int = 1000, store=None,
             recompute: bool = False, name: str | None = None) -> dict[int, dict]:
    """The first ``networks`` SiLU networks of every width polished to their local minimum
    (:func:`nslkit.analysis.limits.polish`), kept as a derived result.

    Args:
        sweep: {width: Results} of SiLU networks.
        networks: how many networks of each width, the first ones.
        max_nfev: as for :func:`nslkit.analysis.limits.polish`.
        store: the results store (default :func:`nslkit.default_results_dir`).
        recompute: polish again even when the result is kept.
        name: the derived result's name (default "polished_<activation>").

    Returns:
        ``{width: {"before", "after" (MSE lists), "status"}}``.
    """
    first = next(iter(sweep.values())).config
    runs = [r for r in sweep.values()]

    def compute():
        x, y = (t.numpy() for t in training_data(first))
        out = {}
        for w, r in sweep.items():
            k = min(networks, len(r.seeds))
            p = limits.polish(r.w[:k], r.b[:k], r.v[:k], r.c[:k], x[:, 0], y, max_nfev=max_nfev)
            out[str(w)] = {"before": p.before.tolist(), "after": p.after.tolist(), "status": p.status.tolist()}
        return out

    got = derived_result(name or f"polished_{first.activation}", [*runs, f"{networks}:{max_nfev}"], compute,
                         CODE["polished"], store, recompute)
    return {int(w): v for w, v in got.items()}


def random_features_losses(cfg: TrainConfig, widths, ridges=(0.0, 1e-8, 1e-6), store=None,
                           recompute: bool = False, name: str = "random_features") -> dict[float, dict[int, list[float]]]:
    """Training MSE of the random-features control (the first layer frozen at its initialisation,
    the last fitted by least squares with each ridge) for the seeds of a config at every width,
    kept as a derived result.

    Args:
        cfg: the experiment whose seeds initialise the first layers.
        widths: the widths N.
        ridges: the ridge penalties (:func:`nslkit.analysis.limits.random_features`).
        store: the results store (default :func:`nslkit.default_results_dir`).
        recompute: fit again even when the result is kept.
        name: the derived result's name.

    Returns:
        ``{ridge: {width: losses}}``.
    """
    def compute():
        x, y = (t.numpy() for t in training_data(cfg))
        out = {}
        for ridge in ridges:
            out[repr(ridge)] = {}
            for w in widths:
                pop = init_population(cfg.seeds, w, 1)
                out[repr(ridge)][str(w)] = limits.random_features(pop.w.numpy(), pop.b.numpy(), x[:, 0], y,
                                                                  cfg.activation, cfg.negative_slope, ridge).tolist()
        return out

    raw = derived_result(name, [cfg.experiment_key(), str(list(cfg.seeds)), str(list(widths)),
                                             str(list(ridges))], compute, CODE["random_features"], store, recompute)
    return {float(r): {int(w): v for w, v in d.items()} for r, d in raw.items()}


def pl_floors(cfg: TrainConfig, widths) -> dict[int, float]:
    """{N: the training MSE of the best continuous piecewise-linear fit with N free knots} on the
    training points of a config: LeakyReLU's floor at width N (fast; not kept).

    Args:
        cfg: the experiment whose training points to fit.
        widths: the numbers of knots N.
    """
    x, y = (t.numpy() for t in training_data(cfg))
    return {w: limits.piecewise_linear_floor(x[:, 0], y, w)[0] for w in widths}
