"""Full-batch L-BFGS, one network at a time: SciPy's L-BFGS-B on the training MSE, in float64 NumPy.

Adam and SGD act on each parameter alone, so one optimiser over the stacked networks equals
one per network (:mod:`nslkit.train`). L-BFGS does not: its line search and its curvature
pairs couple every parameter of what it optimises, so stacking S networks would make one
problem of them. Here each network is its own ``scipy.optimize.minimize(method="L-BFGS-B")``
problem without bounds, on the MSE of Eq. 1 over the training points and its analytic gradient
(the formulas of :func:`nslkit.population.loss_and_grads`). The run stops only at the
iteration cap ``cfg.steps`` (``maxiter``) or when the line search can make no progress:
``ftol = gtol = 0`` (so an iteration that does not lower the loss at all ends it), and
``maxfun`` = :func:`max_evaluations` (2·steps + 20) is only a backstop: runs take about 1.2
evaluations an iteration, and none of 288 runs (x², sin and ReLU targets, widths 1-40, the
three activations, 1,500 iterations) reached it. ``lr``, ``lr_decay`` and ``lr_step`` are
unused (L-BFGS has no learning rate; they stay in the key all the same). One input dimension
(D = 1) and float64 only.

Speed, N = 50, P = 100 on x² (20 networks × 2,000 iterations, one core of a 2-core AMD EPYC
that another job kept busy): 1.1e-4 s per iteration for SiLU, 8e-5 s for ReLU and LeakyReLU.
An iteration is about 1.2 loss-and-gradient evaluations of ~60 µs (SiLU; half of it
``scipy.special.expit``) and ~35 µs of SciPy's own bookkeeping. BLAS is held to one thread
while training: L-BFGS-B's tiny BLAS calls on two threads that must wait for a busy core took
7 ms an iteration.
"""
from __future__ import annotations

import collections
import time

import numpy as np
import scipy
import scipy.optimize
from scipy.special import expit
import torch
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..activations import check_activation
from ..config import TrainConfig
from ..data import training_data
from ..population import init_population
from ..progress import progress_bar
from ..provenance import git_commit, provenance
from ..results import Results, collect, curve_steps

__all__ = ["train_lbfgs", "lbfgs_network", "mse_and_grad", "max_evaluations"]


def max_evaluations(steps: int) -> int:
    """``maxfun``, the cap on loss evaluations of a run: 2·steps + 20.

    Args:
        steps: the run's iterations.
    """
    return 2 * steps + 20


def mse_and_grad(theta: np.ndarray, x: np.ndarray, y: np.ndarray, activation: str,
                 negative_slope: float = 0.01) -> tuple[float, np.ndarray]:
    """The training MSE L = mean_p (f(x_p) − y_p)² of one network (Eq. 1, D = 1) and its gradient.

    Args:
        theta: (3N + 1,) float64, the parameters packed as (w (N,), b (N,), v (N,), c).
        x, y: (P,) inputs and targets.
        activation, negative_slope: σ and LeakyReLU's slope.

    Returns:
        L and ∂L/∂theta (3N + 1,), packed like theta. With r_p = 2 (f(x_p) − y_p) / P,
        ∂L/∂w_i = v_i Σ_p r_p σ'(z_ip) x_p, ∂L/∂b_i = v_i Σ_p r_p σ'(z_ip),
        ∂L/∂v_i = Σ_p r_p σ(z_ip), ∂L/∂c = Σ_p r_p.
    """
    N = (theta.shape[0] - 1) // 3
    w, b, v, c = theta[:N], theta[N:2 * N], theta[2 * N:3 * N], theta[3 * N]
    z = np.multiply.outer(w, x)  # (N,) x (P,) -> (N, P)
    z += b[:, None]
    h, a = _sigma_and_prime(z, activation, negative_slope)  # (N, P) each
    err = v @ h + (c - y)  # (N,) @ (N, P) -> (P,)
    r = err * (2.0 / x.shape[0])  # (P,)
    a *= r  # a_ip r_p, (N, P)
    grad = np.empty_like(theta)
    grad[:N] = v * (a @ x)
    grad[N:2 * N] = v * a.sum(1)
    grad[2 * N:3 * N] = h @ r
    grad[3 * N] = r.sum()
    return float(err @ err) / x.shape[0], grad


def _sigma_and_prime(z: np.ndarray, activation: str, negative_slope: float) -> tuple[np.ndarray, np.ndarray]:
    """σ(z) and σ'(z) in float64, as :func:`nslkit.activations.activate` has them (σ' at 0 as autograd)."""
    if activation == "silu":
        s = expit(z)
        h = z * s
        return h, s + h * (1.0 - s)  # σ' = s (1 + z (1 - s))
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    if activation == "leaky_relu":
        pos = z > 0
        return np.where(pos, z, negative_slope * z), np.where(pos, 1.0, negative_slope)
    check_activation(activation)
    raise AssertionError("unreachable")


def lbfgs_network(theta: np.ndarray, x: np.ndarray, y: np.ndarray, activation: str, negative_slope: float,
                  steps: int, record: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Train one network with L-BFGS-B.

    Args:
        theta, x, y, activation, negative_slope: as for :func:`mse_and_grad`.
        steps: at most this many iterations.
        record: (K,) iteration counts after which to keep the MSE.

    Returns:
        The final theta, the MSE after ``record[k]`` iterations for each k (K,) (held at the
        final value past an early stop), the number of iterations done and SciPy's stop message.
    """
    losses = [mse_and_grad(theta, x, y, activation, negative_slope)[0]]  # after 0 iterations

    def after_iteration(intermediate_result):  # SciPy passes the new iterate and its loss
        losses.append(float(intermediate_result.fun))

    res = scipy.optimize.minimize(
        mse_and_grad, np.array(theta, dtype=np.float64), args=(x, y, activation, negative_slope), jac=True,
        method="L-BFGS-B", callback=after_iteration,
        options={"maxiter": steps, "maxfun": max_evaluations(steps), "ftol": 0.0, "gtol": 0.0},
    )
    # res.fun is not used: after a failed line search SciPy 1.17 can report a rejected trial's
    # loss there, below the loss at res.x; the callback's is the loss at the iterate returned
    assert res.nit == len(losses) - 1, "one callback per iteration"
    curve = np.asarray(losses)[np.minimum(record, res.nit)]
    return res.x, curve, int(res.nit), str(res.message)


def train_lbfgs(cfg: TrainConfig, progress: bool | tqdm = True) -> Results:
    """Train the S networks of ``cfg`` (``optimizer="lbfgs"``) one after another with
    :func:`lbfgs_network`, from the initialisation every trainer uses; their :class:`Results`.

    The loss curve is sampled after ``curve_steps`` iterations (the grid the other optimisers
    sample steps on), the final loss held past an early stop. ``provenance["iterations"]`` lists
    the iterations each network ran, in seed order, ``provenance["lbfgs_stops"]`` counts SciPy's
    stop messages, and ``provenance["maxfun"]`` is :func:`max_evaluations`. Runs on the CPU.

    Args:
        cfg: the experiment, ``optimizer="lbfgs"``.
        progress: a tqdm bar on stderr counting networks, or a bar counting steps to update
            (each network advances it by its share of ``cfg.steps``, as :func:`nslkit.train.train` does).
    """
    if cfg.optimizer != "lbfgs" or cfg.dtype != "float64" or cfg.dim != 1:
        raise ValueError(f"train_lbfgs trains optimizer 'lbfgs' in float64 on one input; got optimizer "
                         f"{cfg.optimizer!r}, dtype {cfg.dtype!r}, D = {cfg.dim}")
    t0 = time.perf_counter()
    git_commit()  # pin the commit before training, as train() does
    x, y = training_data(cfg)  # (P, 1), (P,) float64
    xs, ys = x[:, 0].numpy(), y.numpy()
    pop = init_population(cfg.seeds, cfg.width, 1, torch.float64)
    theta0 = torch.cat([pop.w[..., 0], pop.b, pop.v, pop.c[:, None]], dim=1).numpy()  # (S, 3N + 1)
    record = curve_steps(cfg.steps, cfg.curve_points, cfg.curve_grid)
    S, N = theta0.shape[0], cfg.width
    thetas, curve = np.empty_like(theta0), np.empty((S, len(record)))
    iterations, stops = [], collections.Counter()
    own = not isinstance(progress, tqdm)
    bar = progress_bar(progress, S, f"{cfg.target} {cfg.activation} N={cfg.width} (lbfgs)", unit="network")
    try:
        # one BLAS thread: L-BFGS-B's tiny BLAS calls spread over busy cores took 7 ms an iteration, not 0.1 ms
        with threadpool_limits(1, "blas"):
            for s in range(S):
                thetas[s], curve[s], nit, message = lbfgs_network(theta0[s], xs, ys, cfg.activation,
                                                                  cfg.negative_slope, cfg.steps, record)
                iterations.append(nit)
                stops[message] += 1
                bar.update(1 if own else cfg.steps * (s + 1) // S - cfg.steps * s // S)
    finally:
        if own:
            bar.close()
    t = torch.from_numpy(thetas)
    params = [t[:, :N, None], t[:, N:2 * N], t[:, 2 * N:3 * N], t[:, 3 * N]]  # w (S, N, 1), b, v (S, N), c (S,)
    prov = provenance(torch.device("cpu"), time.perf_counter() - t0, backend="scipy-lbfgsb", scipy=scipy.__version__,
                      maxfun=max_evaluations(cfg.steps), iterations=iterations, lbfgs_stops=dict(stops))
    return collect(cfg, [p.contiguous() for p in params], x, y, record, torch.from_numpy(curve), prov)
