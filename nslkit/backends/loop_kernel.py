"""The numba kernels behind :mod:`nslkit.backends.loop` (this module imports numba; ``loop``
imports it only when the backend runs).

Everything here is generic in the floating type: the kernel is compiled once for float64 and
once for float32 arrays, and every constant is converted to the arrays' type (``T = w.dtype.type``)
so that a float32 run stays in float32 and its exponentials use 8-wide vectors instead of 4.
``cache=True`` keeps the machine code in ``__pycache__`` (or numba's user cache when that is
read-only), so only the first process on a machine pays the few seconds of compilation.

**Threads.** The kernel runs on numba's "workqueue" threading layer unless
``NUMBA_THREADING_LAYER`` says otherwise. numba's default, OpenMP, leaves its idle threads
spinning after each launch; with two processes on two cores (``pytest -n 2``, two Dask workers,
a notebook beside a training) the spinning took the cores the other process needed, and a
smoke-scale sweep of three targets ran 4.8x slower (23.5 s against 4.9 s alone, one torch
thread each). On "workqueue" the two ran in 4.9 s each, and alone it is as fast as OpenMP.
Its one limit: a process must not launch the kernel from two Python threads at once.
"""
from __future__ import annotations

import math
import os

import numpy as np
from numba import config, njit, prange, types
from numba.extending import overload

if "NUMBA_THREADING_LAYER" not in os.environ:
    config.THREADING_LAYER = "workqueue"  # idle threads that sleep, not spin (above)

__all__ = ["exp_into", "exp_run", "kernel"]

_INV_LN2 = 1.4426950408889634
# fdlibm's split of ln 2: k · hi is exact for every k that occurs
_LN2_HI64, _LN2_LO64 = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LN2_HI32, _LN2_LO32 = np.float32(0.693145751953125), np.float32(1.428606765330187045e-06)
# 1.5 · 2^52 (1.5 · 2^23): t + magic rounds t to an integer held in the low bits of the sum
_MAGIC64, _MAGIC_BITS64 = 6755399441055744.0, 0x4338000000000000
_MAGIC32, _MAGIC_BITS32 = np.float32(12582912.0), 0x4B400000
# 1/k! for k = 13 … 2 (float64: degree 13) and 7 … 2 (float32: degree 7), Horner's order
_TAYLOR64 = tuple(1.0 / math.factorial(k) for k in range(13, 1, -1))
_TAYLOR32 = tuple(np.float32(1.0 / math.factorial(k)) for k in range(7, 1, -1))
_INV_LN2_32 = np.float32(_INV_LN2)
_LO32, _HI32 = np.float32(-87.0), np.float32(88.0)  # 2^k stays a normal float32


def exp_into(t, out, scratch):
    """out[p] = exp(t[p]) for (P,) arrays; ``scratch`` is a (P,) array of the same type.

    In Python this is ``np.exp``; inside a kernel it is the vectorised version: exp(t) = 2^k · p(r)
    with r = t − k ln 2 and p a Taylor polynomial (degree 13 in float64, 7 in float32), 2^k built
    from the bits of k by integer adds and a shift. Within 1 ulp of ``np.exp`` (the tests check it),
    t clipped to [−708, 709] in float64 and [−87, 88] in float32.
    """
    np.exp(t, out=out)


def _exp64(t, out, scratch):
    P = t.shape[0]
    for p in range(P):
        tp = min(max(t[p], -708.0), 709.0)
        kf = (tp * _INV_LN2 + _MAGIC64) - _MAGIC64  # k = round(t / ln 2)
        r = (tp - kf * _LN2_HI64) - kf * _LN2_LO64
        q = _TAYLOR64[0]
        for j in range(1, len(_TAYLOR64)):
            q = q * r + _TAYLOR64[j]
        q = q * r + 1.0
        out[p] = q * r + 1.0
        scratch[p] = kf + _MAGIC64
    bits = scratch.view(np.int64)
    for p in range(P):
        bits[p] = (bits[p] - _MAGIC_BITS64 + 1023) << 52  # now the float64 2^k
    for p in range(P):
        out[p] *= scratch[p]


def _exp32(t, out, scratch):
    P = t.shape[0]
    one = np.float32(1.0)
    for p in range(P):
        tp = min(max(t[p], _LO32), _HI32)
        kf = (tp * _INV_LN2_32 + _MAGIC32) - _MAGIC32
        r = (tp - kf * _LN2_HI32) - kf * _LN2_LO32
        q = _TAYLOR32[0]
        for j in range(1, len(_TAYLOR32)):
            q = q * r + _TAYLOR32[j]
        q = q * r + one
        out[p] = q * r + one
        scratch[p] = kf + _MAGIC32
    bits = scratch.view(np.int32)
    for p in range(P):
        bits[p] = (bits[p] - _MAGIC_BITS32 + 127) << 23  # now the float32 2^k
    for p in range(P):
        out[p] *= scratch[p]


@overload(exp_into, inline="always", jit_options={"fastmath": {"contract"}})
def _exp_into_typed(t, out, scratch):
    return _exp32 if t.dtype == types.float32 else _exp64


@njit(cache=True)
def exp_run(t, out, scratch):
    """:func:`exp_into` compiled, callable from Python (for the tests); inlined in the kernel."""
    exp_into(t, out, scratch)


@njit(parallel=True, fastmath={"reassoc", "contract"}, cache=True)
def kernel(w, b, v, c, m, q, mc, qc, x, y, t0, t1, lr, decay, lr_step, record, k0, curve, act, slope):
    """Steps t0 … t1−1 of every network. w, b, v (S, N), c (S,), the Adam moments m, q (S, 3, N)
    and mc, qc (S,) are updated in place; x, y (P,); ``lr`` is the learning rate at step t0 and
    is multiplied by ``decay`` every ``lr_step`` steps (StepLR); ``curve[s, k]`` receives the loss
    at step ``record[k]``, from k = k0. ``act``: 0 SiLU, 1 ReLU, 2 LeakyReLU of slope ``slope``.
    All float arrays share one type T; the learning rate and the bias corrections are computed
    in float64 and converted, as torch converts its Python scalars."""
    S, N = w.shape
    P = x.shape[0]
    T = w.dtype.type
    zero, one, two = T(0.0), T(1.0), T(2.0)
    beta1, beta2 = 0.9, 0.999
    omb1, b2, omb2, eps = T(1.0 - beta1), T(beta2), T(1.0 - beta2), T(1e-8)
    low = T(0.0) if act == 1 else T(slope)
    scale = two / T(P)
    for s in prange(S):
        h = np.empty((N, P), dtype=w.dtype)
        a = np.empty((N, P), dtype=w.dtype)
        r = np.empty(P, dtype=w.dtype)
        tz = np.empty(P, dtype=w.dtype)
        ez = np.empty(P, dtype=w.dtype)
        scratch = np.empty(P, dtype=w.dtype)
        g = np.empty((3, N), dtype=w.dtype)
        k = k0
        lr_s = lr
        for t in range(t0, t1):
            for p in range(P):
                r[p] = c[s] - y[p]
            for i in range(N):
                wi, bi, vi = w[s, i], b[s, i], v[s, i]
                if act == 0:
                    for p in range(P):
                        tz[p] = -(wi * x[p] + bi)
                    exp_into(tz, ez, scratch)
                    for p in range(P):
                        z = wi * x[p] + bi
                        sg = one / (one + ez[p])
                        hh = z * sg
                        h[i, p] = hh
                        a[i, p] = sg + hh * (one - sg)  # σ' = s (1 + z (1 − s))
                        r[p] += vi * hh
                else:
                    for p in range(P):
                        z = wi * x[p] + bi
                        pos = z > zero
                        hh = z if pos else low * z
                        h[i, p] = hh
                        a[i, p] = one if pos else low  # σ' at 0 as torch's autograd has it
                        r[p] += vi * hh
            loss = zero
            for p in range(P):
                loss += r[p] * r[p]
            if k < record.shape[0] and record[k] == t:
                curve[s, k] = loss / T(P)
                k += 1
            gc = zero
            for p in range(P):
                r[p] *= scale
                gc += r[p]
            for i in range(N):
                sw = zero
                sb = zero
                sv = zero
                for p in range(P):
                    ar = a[i, p] * r[p]
                    sw += ar * x[p]
                    sb += ar
                    sv += h[i, p] * r[p]
                g[0, i] = v[s, i] * sw
                g[1, i] = v[s, i] * sb
                g[2, i] = sv
            if t > t0 and t % lr_step == 0:
                lr_s *= decay  # StepLR multiplies, as torch does
            step = T(lr_s / (1.0 - beta1 ** (t + 1)))
            bc2s = T(math.sqrt(1.0 - beta2 ** (t + 1)))
            for j in range(3):
                for i in range(N):
                    gi = g[j, i]
                    m[s, j, i] = m[s, j, i] + omb1 * (gi - m[s, j, i])  # torch's lerp
                    q[s, j, i] = q[s, j, i] * b2 + omb2 * (gi * gi)
                    upd = (-step * m[s, j, i]) / (math.sqrt(q[s, j, i]) / bc2s + eps)  # addcdiv
                    if j == 0:
                        w[s, i] += upd
                    elif j == 1:
                        b[s, i] += upd
                    else:
                        v[s, i] += upd
            mc[s] = mc[s] + omb1 * (gc - mc[s])
            qc[s] = qc[s] * b2 + omb2 * (gc * gc)
            c[s] += (-step * mc[s]) / (math.sqrt(qc[s]) / bc2s + eps)
