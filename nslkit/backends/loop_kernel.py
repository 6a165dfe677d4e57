"""The numba kernels behind :mod:`nslkit.backends.loop` (this module imports numba; ``loop``
imports it only when the backend runs).

Everything here is generic in the floating type: the kernel is compiled once for float64 and
once for float32 arrays, and every constant is converted to the arrays' type (``T = w.dtype.type``)
so that a float32 run stays in float32 and its exponentials use 8-wide vectors instead of 4.

**D inputs.** The points come as a tuple of D coordinate arrays, not a (P, D) matrix: a tuple's
length is part of its numba type, so the kernel is compiled once per D (and dtype), and in the
compiled code every loop over the inputs is a constant trip count that LLVM unrolls. A neuron's
weights are held in a D-tuple of registers (:func:`as_tuple`), the pre-activation
z = Σ_d w_d x_d + b is one fused multiply-add per input inside the vectorised loop over points,
and the gradient's D + 2 sums over the points (w_1 … w_D, b, v) are accumulated together in one
pass, in registers (``tuple_setitem`` on a tuple of sums). At D = 1 this is the one-input
kernel's loop, operation for operation.

**The compiled code is cached** in ``__pycache__`` beside this file, or where that is read-only
in numba's user cache (``~/.cache/numba``), or in ``NUMBA_CACHE_DIR`` when it is set: only the
first process on a machine pays the seconds of compilation. Where none of them is writable (a
read-only install and no writable home: shared HPC installs, non-root containers), the kernel
compiles in each process instead, with one warning; set ``NUMBA_CACHE_DIR`` to a writable folder
to keep it.

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
import warnings

import numpy as np
from numba import config, njit, prange, types
from numba.cpython.unsafe.tuple import tuple_setitem
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

if "NUMBA_THREADING_LAYER" not in os.environ:
    config.THREADING_LAYER = "workqueue"  # idle threads that sleep, not spin (above)

__all__ = ["exp_into", "exp_run", "as_tuple", "network", "kernel", "CACHED"]

#: Whether the compiled code is cached on disk (False: no writable cache location; module docstring).
CACHED = True


def _cached(dispatcher):
    """``dispatcher`` with numba's on-disk cache where a cache location is writable; else as it
    is (compiled in each process), warning once."""
    global CACHED
    if CACHED:
        try:
            dispatcher.enable_caching()  # what njit(cache=True) does; raises where no location is writable
        except RuntimeError:
            CACHED = False
            warnings.warn("numba finds no writable cache location for the loop kernel (its package folder, "
                          "~/.cache/numba, NUMBA_CACHE_DIR): it compiles in every process, a few seconds each; set "
                          "NUMBA_CACHE_DIR to a writable folder to keep it", RuntimeWarning, stacklevel=2)
    return dispatcher


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


@_cached
@njit
def exp_run(t, out, scratch):
    """:func:`exp_into` compiled, callable from Python (for the tests); inlined in the kernel."""
    exp_into(t, out, scratch)


def as_tuple(w, i, xs):
    """(w[i, 0], …, w[i, D − 1]) for D = len(xs): one neuron's first-layer weights as a tuple, which
    the compiled loops keep in registers (its length is part of the compiled type)."""
    return tuple(w[i, : len(xs)])


@overload(as_tuple, inline="always")
def _as_tuple_typed(w, i, xs):
    n = xs.count
    return lambda w, i, xs: to_fixed_tuple(w[i], n)


@njit(fastmath={"reassoc", "contract"}, error_model="numpy")  # numpy: x / 0 is inf, not a checked exception
def network(w, b, v, c, m, q, mc, qc, xs, y, t0, t1, lr, decay, lr_step, record, k0, curve, act, slope, opt,
            momentum):
    """Steps t0 … t1−1 of one network, updating its parameters and optimiser state in place.

    w (N, D), b, v (N,), c (1,); the optimiser's state m, q (D + 2, N) and mc, qc (1,), whose rows
    0 … D−1 belong to w's columns, D to b, D + 1 to v (Adam's two moments; SGD's momentum buffer
    in m). xs: the D coordinates of the points, a tuple of (P,) arrays; y (P,). ``lr`` is the
    learning rate at step t0 and is multiplied by ``decay`` every ``lr_step`` steps (StepLR);
    ``curve[k]`` receives the loss at step ``record[k]``, from k = k0. ``act``: 0 SiLU, 1 ReLU,
    2 LeakyReLU of slope ``slope``; ``opt``: 0 Adam, 1 SGD with ``momentum`` (heavy ball). All
    float arrays share one type T; the learning rate and Adam's bias corrections are computed in
    float64 and converted, as torch converts its Python scalars.
    """
    N, D, P = w.shape[0], len(xs), y.shape[0]  # D is a constant of the compiled code: loops over it unroll
    T = w.dtype.type
    zero, one, two = T(0.0), T(1.0), T(2.0)
    beta1, beta2 = 0.9, 0.999
    omb1, b2, omb2, eps = T(1.0 - beta1), T(beta2), T(1.0 - beta2), T(1e-8)
    mu = T(momentum)
    low = T(0.0) if act == 1 else T(slope)
    scale = two / T(P)
    h = np.empty((N, P), dtype=w.dtype)
    a = np.empty((N, P), dtype=w.dtype)
    r = np.empty(P, dtype=w.dtype)
    tz = np.empty(P, dtype=w.dtype)
    ez = np.empty(P, dtype=w.dtype)
    scratch = np.empty(P, dtype=w.dtype)
    g = np.empty((D + 2, N), dtype=w.dtype)
    zeros = as_tuple(np.zeros((1, D), dtype=w.dtype), 0, xs)
    k = k0
    lr_s = lr
    for t in range(t0, t1):
        for p in range(P):
            r[p] = c[0] - y[p]
        for i in range(N):
            wi, bi, vi = as_tuple(w, i, xs), b[i], v[i]
            if act == 0:
                for p in range(P):
                    z = bi
                    for d in range(D):
                        z += wi[d] * xs[d][p]
                    tz[p] = -z
                exp_into(tz, ez, scratch)
                for p in range(P):
                    z = -tz[p]
                    sg = one / (one + ez[p])
                    hh = z * sg
                    h[i, p] = hh
                    a[i, p] = sg + hh * (one - sg)  # σ' = s (1 + z (1 − s))
                    r[p] += vi * hh
            else:
                for p in range(P):
                    z = bi
                    for d in range(D):
                        z += wi[d] * xs[d][p]
                    pos = z > zero
                    hh = z if pos else low * z
                    h[i, p] = hh
                    a[i, p] = one if pos else low  # σ' at 0 as torch's autograd has it
                    r[p] += vi * hh
        loss = zero
        for p in range(P):
            loss += r[p] * r[p]
        if k < record.shape[0] and record[k] == t:
            curve[k] = loss / T(P)
            k += 1
        gc = zero
        for p in range(P):
            r[p] *= scale
            gc += r[p]
        for i in range(N):
            sw = zeros
            sb = zero
            sv = zero
            for p in range(P):
                ar = a[i, p] * r[p]
                for d in range(D):
                    sw = tuple_setitem(sw, d, sw[d] + ar * xs[d][p])
                sb += ar
                sv += h[i, p] * r[p]
            for d in range(D):
                g[d, i] = v[i] * sw[d]
            g[D, i] = v[i] * sb
            g[D + 1, i] = sv
        if t > t0 and t % lr_step == 0:
            lr_s *= decay  # StepLR multiplies, as torch does
        if opt == 0:
            step = T(lr_s / (1.0 - beta1 ** (t + 1)))
            bc2s = T(math.sqrt(1.0 - beta2 ** (t + 1)))
            for j in range(D + 2):
                for i in range(N):
                    gi = g[j, i]
                    m[j, i] = m[j, i] + omb1 * (gi - m[j, i])  # torch's lerp
                    q[j, i] = q[j, i] * b2 + omb2 * (gi * gi)
                    g[j, i] = (-step * m[j, i]) / (math.sqrt(q[j, i]) / bc2s + eps)  # addcdiv
            mc[0] = mc[0] + omb1 * (gc - mc[0])
            qc[0] = qc[0] * b2 + omb2 * (gc * gc)
            c[0] += (-step * mc[0]) / (math.sqrt(qc[0]) / bc2s + eps)
        else:
            # torch's SGD: buf ← μ buf + g (buf = g at the first step: the buffers start at zero),
            # p ← p − lr buf
            alpha = T(-lr_s)
            for j in range(D + 2):
                for i in range(N):
                    m[j, i] = m[j, i] * mu + g[j, i]
                    g[j, i] = alpha * m[j, i]
            mc[0] = mc[0] * mu + gc
            c[0] += alpha * mc[0]
        for i in range(N):  # the updates, now in g
            for d in range(D):
                w[i, d] += g[d, i]
            b[i] += g[D, i]
            v[i] += g[D + 1, i]


@_cached
@njit(parallel=True, fastmath={"reassoc", "contract"})
def kernel(w, b, v, c, m, q, mc, qc, xs, y, t0, t1, lr, decay, lr_step, record, k0, curve, act, slope, opt, momentum):
    """Steps t0 … t1−1 of every network, in parallel over the networks (:func:`network` for each);
    the arguments are :func:`network`'s with a leading axis of S networks: w (S, N, D), b, v (S, N),
    c (S,), m, q (S, D + 2, N), mc, qc (S,), curve (S, K)."""
    for s in prange(w.shape[0]):
        network(w[s], b[s], v[s], c[s:s + 1], m[s], q[s], mc[s:s + 1], qc[s:s + 1], xs, y, t0, t1, lr, decay,
                lr_step, record, k0, curve[s], act, slope, opt, momentum)
