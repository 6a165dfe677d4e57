"""One full-batch Adam step of S networks as a single Triton kernel (the fast path on a GPU).

:func:`nslkit.population.loss_and_grads` writes S×N×P tensors to memory several times a
step; :mod:`nslkit.backends.compiled` lets TorchInductor fuse them, but Inductor still materialises the
hidden activations between the forward reduction (over neurons) and the backward ones (over
points). Here one program owns one network s and does, in registers:

    z_ip = Σ_d w_id x_pd + b_i,  h, σ' = σ(z), σ'(z)                     (N, P) tile
    e_p = Σ_i v_i h_ip + c - y_p,  L = mean_p e_p²,  r_p = 2 e_p / P
    ∂L/∂v_i = Σ_p r_p h_ip,  ∂L/∂b_i = v_i Σ_p r_p σ'_ip,  ∂L/∂w_id = v_i Σ_p r_p σ'_ip x_pd,
    ∂L/∂c = Σ_p r_p

and then torch's Adam update of that network's parameters, moments in place. When the
(N, P) tile fits one block (``ONE_TILE``: N ≤ 64 and P ≤ 128, every width of the paper's main
sweep) σ is evaluated once per neuron-point; otherwise the kernel makes two passes over blocks
of neurons and points (the residual r goes through a small (S, P) scratch buffer) and
evaluates σ twice. Nothing of size S×N×P ever reaches memory.

The step number is read from a device counter and the learning rate and bias corrections
from a precomputed table, so a sequence of launches can be captured once in a CUDA graph and
replayed (:mod:`nslkit.backends.triton_sweep`).

Triton is needed to run this (it ships with CUDA builds of torch). On a machine without a GPU
the kernel runs in Triton's interpreter when ``TRITON_INTERPRET=1`` is set before import:
far too slow to train, but the tests use it to check the kernel against the eager trainer.
"""
from __future__ import annotations

import os

import torch

try:
    import triton
    import triton.language as tl
except ImportError:  # CPU builds of torch come without it; the other backends need none
    triton = None

__all__ = ["ACT_CODES", "available", "interpreting", "block_shape", "adam_schedule", "adam_constants",
           "launch_step"]

#: The activation as the kernel's compile-time constant.
ACT_CODES = {"silu": 0, "relu": 1, "leaky_relu": 2}
#: Largest tile of hidden units × points one program holds (doubles: 8192 × 8 B × 3 arrays).
MAX_TILE = 8192
#: Adam's defaults in torch.optim.Adam, which the eager trainer uses.
BETAS, EPS = (0.9, 0.999), 1e-8


def interpreting() -> bool:
    """Whether Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def available(device_type: str) -> bool:
    """Whether the kernel can run on a device type: Triton on CUDA, or the interpreter on the CPU.

    Args:
        device_type: "cpu" or "cuda".
    """
    if triton is None:
        return False
    return device_type == "cuda" or (device_type == "cpu" and interpreting())


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def block_shape(width: int, points: int, dim: int) -> tuple[int, int, int]:
    """(BLOCK_N, BLOCK_P, DP): the tile of hidden units × points, and D padded to a power of 2.

    Args:
        width: N.
        points: P.
        dim: D.
    """
    dp = _next_pow2(dim)
    block_p = min(_next_pow2(points), 128)
    block_n = min(_next_pow2(width), max(1, MAX_TILE // (block_p * dp)), 64)
    return block_n, block_p, dp


def adam_schedule(steps: int, lr: float, lr_decay: float, lr_step: int, dtype: torch.dtype,
                  device: torch.device) -> torch.Tensor:
    """(steps, 2): Adam's step size lr_t / (1 - β1^t) and √(1 - β2^t) for updates t = 1..steps.

    Computed in Python floats exactly as ``torch.optim.Adam`` (single-tensor path) and
    ``StepLR`` do: the learning rate is multiplied by ``lr_decay`` every ``lr_step`` updates.

    Args:
        steps, lr, lr_decay, lr_step: as the fields of :class:`~nslkit.TrainConfig`.
        dtype, device: of the returned tensor.
    """
    b1, b2 = BETAS
    rows, rate = [], lr
    for k in range(steps):
        if k > 0 and k % lr_step == 0:
            rate *= lr_decay
        t = k + 1
        rows.append((rate / (1 - b1 ** t), (1 - b2 ** t) ** 0.5))
    return torch.tensor(rows, dtype=torch.float64).to(device, dtype)


def adam_constants(points: int, negative_slope: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The kernel's scalars, in the parameters' dtype (Triton would pass Python floats as float32).

    Args:
        points: P.
        negative_slope: LeakyReLU's slope.
        dtype, device: of the returned tensor.
    """
    b1, b2 = BETAS
    return torch.tensor([1 - b1, b2, 1 - b2, EPS, negative_slope, 2.0 / points], dtype=torch.float64).to(device, dtype)


def launch_step(params, moments1, moments2, x, y, scratch, loss, consts, schedule, t, activation: str) -> None:
    """One Adam step of every network, in place: params, moments (w, b, v, c each), loss (S,).

    Args:
        params: w (S, N, D), b and v (S, N), c (S,).
        moments1, moments2: Adam's moments, shaped as ``params``.
        x, y: (P, D) and (P,).
        scratch: (S, P).
        loss: (S,), written.
        consts: from :func:`adam_constants`.
        schedule: from :func:`adam_schedule`.
        t: a 0-d int64 step counter (the update about to be made, 0-based) that the caller advances.
        activation: σ.
    """
    if triton is None:
        raise RuntimeError("the triton backend needs the triton package (it comes with CUDA builds of torch)")
    w = params[0]
    S, N, D = w.shape
    P = x.shape[0]
    block_n, block_p, dp = block_shape(N, P, D)
    one_tile = N <= block_n and P <= block_p
    step_kernel[(S,)](*params, *moments1, *moments2, x, y, scratch, loss, consts, schedule, t, N, P,
                      D=D, DP=dp, ACT=ACT_CODES[activation], BLOCK_N=block_n, BLOCK_P=block_p,
                      ONE_TILE=one_tile, num_warps=8 if block_n * block_p * dp >= 4096 else 4)


if triton is not None:  # the kernels, defined at module level where Triton resolves their names
    @triton.jit
    def sigma_and_prime(z, slope, ACT: tl.constexpr):
        # σ and σ' as population.activate computes them (σ' at 0: ReLU 0, LeakyReLU the slope);
        # triton_loop's kernel calls it too
        if ACT == 0:
            s = 1.0 / (1.0 + tl.exp(-z))
            h = z * s
            a = s + h * (1.0 - s)
        elif ACT == 1:
            h = tl.maximum(z, 0.0)
            a = tl.where(z > 0, 1.0, 0.0).to(z.dtype)
        else:
            h = tl.where(z > 0, z, z * slope)
            a = tl.where(z > 0, 1.0, slope).to(z.dtype)
        return h, a

    @triton.jit
    def _neurons(s, n0, N, w_ptr, b_ptr, v_ptr, D: tl.constexpr, DP: tl.constexpr, BLOCK_N: tl.constexpr):
        # hidden units n0 .. n0 + BLOCK_N of network s; w is (BLOCK_N,) for D = 1, else (BLOCK_N, DP)
        n = n0 + tl.arange(0, BLOCK_N)
        nm = n < N
        b = tl.load(b_ptr + s * N + n, mask=nm, other=0.0)
        v = tl.load(v_ptr + s * N + n, mask=nm, other=0.0)
        if D == 1:
            w = tl.load(w_ptr + s * N + n, mask=nm, other=0.0)
        else:
            d = tl.arange(0, DP)
            w = tl.load(w_ptr + (s * N + n[:, None]) * D + d[None, :], mask=nm[:, None] & (d[None, :] < D), other=0.0)
        return n, nm, w, b, v

    @triton.jit
    def _points(p0, P, x_ptr, y_ptr, D: tl.constexpr, DP: tl.constexpr, BLOCK_P: tl.constexpr):
        # points p0 .. p0 + BLOCK_P; x is (BLOCK_P,) for D = 1, else (DP, BLOCK_P)
        p = p0 + tl.arange(0, BLOCK_P)
        pm = p < P
        y = tl.load(y_ptr + p, mask=pm, other=0.0)
        if D == 1:
            x = tl.load(x_ptr + p, mask=pm, other=0.0)
        else:
            d = tl.arange(0, DP)
            x = tl.load(x_ptr + p[None, :] * D + d[:, None], mask=(d[:, None] < D) & pm[None, :], other=0.0)
        return p, pm, x, y

    @triton.jit
    def _preact(w, b, x, D: tl.constexpr):
        # z (BLOCK_N, BLOCK_P) = Σ_d w_nd x_dp + b_n
        if D == 1:
            z = w[:, None] * x[None, :] + b[:, None]
        else:
            z = tl.sum(w[:, :, None] * x[None, :, :], axis=1) + b[:, None]  # (BN, DP, 1) * (1, DP, BP)
        return z

    @triton.jit
    def _xsum(ar, x, D: tl.constexpr):
        # Σ_p ar_np x_dp: (BLOCK_N,) for D = 1, else (BLOCK_N, DP)
        if D == 1:
            g = tl.sum(ar * x[None, :], axis=1)
        else:
            g = tl.sum(ar[:, None, :] * x[None, :, :], axis=2)  # (BN, 1, BP) * (1, DP, BP)
        return g

    @triton.jit
    def _adam(p_ptr, m_ptr, q_ptr, offs, mask, g, c1, b2, c2, eps, step_size, bc2):
        # torch.optim.Adam: m.lerp_(g, 1 - β1); q.mul_(β2).addcmul_(g, g, value=1 - β2);
        # p.addcdiv_(m, q.sqrt() / bc2 + eps, value=-step_size)
        p = tl.load(p_ptr + offs, mask=mask)
        m = tl.load(m_ptr + offs, mask=mask)
        q = tl.load(q_ptr + offs, mask=mask)
        m = m + c1 * (g - m)
        q = q * b2 + c2 * g * g
        if q.dtype == tl.float32:
            root = tl.sqrt_rn(q)  # tl.sqrt is an approximation in float32, IEEE in float64
        else:
            root = tl.sqrt(q)
        p = p - step_size * (m / (root / bc2 + eps))
        tl.store(p_ptr + offs, p, mask=mask)
        tl.store(m_ptr + offs, m, mask=mask)
        tl.store(q_ptr + offs, q, mask=mask)

    @triton.jit
    def _update(s, n, nm, N, v, gw, gz, gv, w_ptr, b_ptr, v_ptr, mw_ptr, mb_ptr, mv_ptr, qw_ptr, qb_ptr, qv_ptr,
                c1, b2, c2, eps, step_size, bc2, D: tl.constexpr, DP: tl.constexpr):
        # gradients from the sums, with the pre-update v, then Adam on this block of neurons
        _adam(v_ptr, mv_ptr, qv_ptr, s * N + n, nm, gv, c1, b2, c2, eps, step_size, bc2)
        _adam(b_ptr, mb_ptr, qb_ptr, s * N + n, nm, v * gz, c1, b2, c2, eps, step_size, bc2)
        if D == 1:
            _adam(w_ptr, mw_ptr, qw_ptr, s * N + n, nm, v * gw, c1, b2, c2, eps, step_size, bc2)
        else:
            d = tl.arange(0, DP)
            offs = (s * N + n[:, None]) * D + d[None, :]
            _adam(w_ptr, mw_ptr, qw_ptr, offs, nm[:, None] & (d[None, :] < D), v[:, None] * gw,
                  c1, b2, c2, eps, step_size, bc2)

    @triton.jit
    def load_constants(const_ptr):
        # the scalars adam_constants writes: 1 - β1, β2, 1 - β2, eps, the slope, 2 / P
        return (tl.load(const_ptr), tl.load(const_ptr + 1), tl.load(const_ptr + 2), tl.load(const_ptr + 3),
                tl.load(const_ptr + 4), tl.load(const_ptr + 5))

    @triton.jit
    def step_kernel(w_ptr, b_ptr, v_ptr, c_ptr, mw_ptr, mb_ptr, mv_ptr, mc_ptr, qw_ptr, qb_ptr, qv_ptr, qc_ptr,
                    x_ptr, y_ptr, r_ptr, loss_ptr, const_ptr, sched_ptr, t_ptr, N, P,
                    D: tl.constexpr, DP: tl.constexpr, ACT: tl.constexpr, BLOCK_N: tl.constexpr,
                    BLOCK_P: tl.constexpr, ONE_TILE: tl.constexpr):
        s = tl.program_id(0).to(tl.int64)
        c1, b2, c2, eps, slope, two_over_p = load_constants(const_ptr)
        t = tl.load(t_ptr)
        step_size = tl.load(sched_ptr + 2 * t)
        bc2 = tl.load(sched_ptr + 2 * t + 1)
        c = tl.load(c_ptr + s)
        if ONE_TILE:
            n, nm, w, b, v = _neurons(s, 0, N, w_ptr, b_ptr, v_ptr, D, DP, BLOCK_N)
            p, pm, x, y = _points(0, P, x_ptr, y_ptr, D, DP, BLOCK_P)
            h, a = sigma_and_prime(_preact(w, b, x, D), slope, ACT)  # (BN, BP) each
            err = tl.where(pm, tl.sum(v[:, None] * h, axis=0) + c - y, 0.0)  # (BP,)
            loss = tl.sum(err * err, axis=0) / P
            r = err * two_over_p
            gc = tl.sum(r, axis=0)
            ar = a * r[None, :]
            _update(s, n, nm, N, v, _xsum(ar, x, D), tl.sum(ar, axis=1), tl.sum(h * r[None, :], axis=1),
                    w_ptr, b_ptr, v_ptr, mw_ptr, mb_ptr, mv_ptr, qw_ptr, qb_ptr, qv_ptr,
                    c1, b2, c2, eps, step_size, bc2, D, DP)
        else:
            # pass 1: the residual r, point block by point block, summed over neuron blocks
            sq = tl.zeros([BLOCK_P], dtype=c.dtype)
            rs = tl.zeros([BLOCK_P], dtype=c.dtype)
            for p0 in range(0, P, BLOCK_P):
                p, pm, x, y = _points(p0, P, x_ptr, y_ptr, D, DP, BLOCK_P)
                f = tl.zeros([BLOCK_P], dtype=c.dtype)
                for n0 in range(0, N, BLOCK_N):
                    n, nm, w, b, v = _neurons(s, n0, N, w_ptr, b_ptr, v_ptr, D, DP, BLOCK_N)
                    h, a = sigma_and_prime(_preact(w, b, x, D), slope, ACT)
                    f += tl.sum(v[:, None] * h, axis=0)
                err = tl.where(pm, f + c - y, 0.0)
                sq += err * err
                r = err * two_over_p
                rs += r
                tl.store(r_ptr + s * P + p, r, mask=pm)
            loss = tl.sum(sq, axis=0) / P
            gc = tl.sum(rs, axis=0)
            tl.debug_barrier()  # r, written by some threads of this program, is read by others
            # pass 2: each neuron block's sums over all point blocks, then its Adam update
            for n0 in range(0, N, BLOCK_N):
                n, nm, w, b, v = _neurons(s, n0, N, w_ptr, b_ptr, v_ptr, D, DP, BLOCK_N)
                gv = tl.zeros([BLOCK_N], dtype=c.dtype)
                gz = tl.zeros([BLOCK_N], dtype=c.dtype)
                if D == 1:
                    gw = tl.zeros([BLOCK_N], dtype=c.dtype)
                else:
                    gw = tl.zeros([BLOCK_N, DP], dtype=c.dtype)
                for p0 in range(0, P, BLOCK_P):
                    p, pm, x, y = _points(p0, P, x_ptr, y_ptr, D, DP, BLOCK_P)
                    r = tl.load(r_ptr + s * P + p, mask=pm, other=0.0)
                    h, a = sigma_and_prime(_preact(w, b, x, D), slope, ACT)
                    ar = a * r[None, :]
                    gv += tl.sum(h * r[None, :], axis=1)
                    gz += tl.sum(ar, axis=1)
                    gw += _xsum(ar, x, D)
                _update(s, n, nm, N, v, gw, gz, gv, w_ptr, b_ptr, v_ptr, mw_ptr, mb_ptr, mv_ptr, qw_ptr, qb_ptr, qv_ptr,
                        c1, b2, c2, eps, step_size, bc2, D, DP)
        tl.store(loss_ptr + s, loss)
        _adam(c_ptr, mc_ptr, qc_ptr, s, s >= 0, gc, c1, b2, c2, eps, step_size, bc2)
