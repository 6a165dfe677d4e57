"""Run experiments through the results store: load what is stored, train only what is missing.

The unit of work is one chunk of seeds of one width (:mod:`nslkit.store`). In process (the
default) the chunks train one after another and each is saved as soon as it is done, so a run
killed at any moment loses at most the chunk in flight and a rerun resumes. On the triton
backend (a GPU) every missing seed of every width trains in one launch sequence instead, since a
GPU spends a 100-seed chunk waiting on kernel launches; the results are still saved chunk by
chunk, and a kill loses that one sequence. With a Dask
``client`` (:mod:`nslkit.cluster`) the chunks train on its workers, in parallel; a worker that
dies mid-chunk has its chunk retried by Dask, and a chunk written twice is written once.
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Iterable

import torch
from tqdm import tqdm

from .config import TrainConfig
from .progress import progress_bar
from .results import LEARNT_NOTHING_RTOL, Results, diverged
from .store import Store, StoreError
from .train import SWEEP_BACKENDS, resolve_backend, resolve_device, train, train_widths

__all__ = ["run", "sweep", "Sweep", "DivergenceWarning", "StoreWarning"]


class StoreWarning(UserWarning):
    """A stored file failed its checks and its seeds are trained again."""


class DivergenceWarning(UserWarning):
    """Some newly trained networks learnt nothing or diverged: they ended at the MSE of predicting
    the mean (Var(y)) or above it, or not finite (:func:`nslkit.results.diverged`)."""


class Sweep(dict):
    """What :func:`sweep` returns: {width: Results}, and what the call trained to make it.

    Attributes:
        chunks_trained: chunks of seeds trained (and saved) by this call, a stored chunk that
            failed its checks and was trained again among them; None without a store.
        networks_trained: {width: networks trained by this call} (widths that trained none left out).
    """

    def __init__(self, results: dict, chunks_trained: int | None, networks_trained: dict[int, int]):
        super().__init__(results)
        self.chunks_trained = chunks_trained
        self.networks_trained = networks_trained


def _as_store(store: Store | str | os.PathLike | bool | None, chunk_size: int | None) -> Store | None:
    if store is False:
        return None
    if isinstance(store, Store):
        return store if chunk_size is None else Store(store.root, chunk_size)
    root = None if store is None or store is True else store
    return Store(root) if chunk_size is None else Store(root, chunk_size)


def _user_stacklevel() -> int:
    """The stacklevel of the first caller outside nslkit, so a warning shows the user's line, not ours."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(pkg):
        frame, level = frame.f_back, level + 1
    return level


def _stored(st: Store, cfg: TrainConfig, on_corrupt: str) -> tuple[Results | None, tuple[int, ...]]:
    """(the stored results of cfg, ()) when all are stored and sound; else (None, the seeds to train).

    A file that fails its checks raises (on_corrupt "raise"), or is reported and left out: its
    seeds are trained again and the file replaced when they are saved.
    """
    bad: set = set()
    while True:
        try:
            missing = st.missing(cfg, bad)
            present = cfg.replace(seeds=tuple(s for s in cfg.seeds if s not in set(missing))) if len(missing) < len(
                cfg.seeds) else None
            loaded = st.load(present, bad) if present is not None else None  # reads, and so checks, every array
            return (loaded if not missing else None), missing
        except StoreError as e:
            if on_corrupt == "raise" or e.path is None or e.path in bad:
                raise
            bad.add(e.path)
            lo, hi = e.chunk or (0, max(cfg.seeds))
            redo = sum(lo <= s <= hi for s in cfg.seeds)
            warnings.warn(f"{e}; training its {redo} seeds of N={cfg.width} again and replacing the file",
                          StoreWarning, stacklevel=_user_stacklevel())


def _warn_diverged(counts: dict[int, tuple[int, int]], cfg: TrainConfig) -> None:
    bad = {w: n for w, (n, _) in counts.items() if n}
    if bad:
        total = sum(t for _, t in counts.values())
        how = {"adam": f"lr {cfg.lr:g}", "sgd": f"sgd, lr {cfg.lr:g}", "lbfgs": "lbfgs"}[cfg.optimizer]
        per = ", ".join(f"N={w}: {n}" for w, n in sorted(bad.items()))
        warnings.warn(f"{sum(bad.values())} of {total} newly trained {cfg.target}/{cfg.activation} networks ended "
                      f"at Var(y) (within {LEARNT_NOTHING_RTOL:.1%}) or above, or not finite ({per}): they learnt "
                      f"nothing or diverged ({how})",
                      DivergenceWarning, stacklevel=_user_stacklevel())


def sweep(
    cfg: TrainConfig,
    widths: Iterable[int],
    store: Store | str | os.PathLike | bool | None = None,
    device: str | torch.device | None = "auto",
    max_elements: int | None = None,
    progress: bool = True,
    on_corrupt: str = "recompute",
    backend: str = "auto",
    train: bool = True,
    keep: str = "all",
    client: Any = None,
    chunk_size: int | None = None,
) -> Sweep:
    """Results for ``cfg`` at each width (a :class:`Sweep`, which also says what this call
    trained): assembled from the store's chunks, the missing chunks trained and saved first.

    Args:
        cfg: the experiment; its ``width`` is replaced by each of ``widths``.
        widths: the widths N.
        store: a :class:`Store` or folder; None for the default store, False for none (then
            everything trains in process and nothing is saved).
        device, max_elements, progress, backend: as for :func:`nslkit.train.train`.
        on_corrupt: "recompute" (warn, train its seeds again, replace it) or "raise" for a
            stored file that fails its checks.
        train: False to only load: a missing seed raises FileNotFoundError instead of being
            trained (the claims ledger reads results, it never trains).
        keep: what newly trained chunks store, "all" or "losses" (:meth:`Store.save`). What
            comes back is what the store holds, whether trained now or loaded: results kept
            as "losses" have no parameters or curves.
        client: a ``dask.distributed.Client``: the missing chunks train on its workers, which
            must see the store's folder (:func:`nslkit.cluster.client_for`).
        chunk_size: seeds per chunk for newly written files (default the store's, 100).

    Returns:
        A :class:`Sweep`, ``{width: Results}`` in the order of ``widths``, which also counts the
        chunks and networks this call trained.

    Raises:
        ValueError: for a ``backend`` named that cannot train ``cfg`` at one of the widths,
            before anything is read, written or trained.

    Warns:
        DivergenceWarning: (one line) when newly trained networks diverged.

    Example:
        >>> import nslkit as nk
        >>> cfg = nk.TrainConfig(seeds=4, steps=300, test_points=100)
        >>> results = nk.sweep(cfg, widths=[2, 8], store=False, progress=False)  # store=False: nothing saved
        >>> {w: (r.config.width, r.train_mse.shape) for w, r in results.items()}
        {2: (2, (4,)), 8: (8, (4,))}
        >>> results.networks_trained
        {2: 4, 8: 4}
    """
    if on_corrupt not in ("recompute", "raise"):
        raise ValueError(f"on_corrupt must be 'recompute' or 'raise', got {on_corrupt!r}")
    widths = list(widths)
    if train and backend != "auto":  # a backend named that cannot train this: refused before anything is done
        dev = resolve_device(device)
        for w in widths:
            resolve_backend(backend, cfg.replace(width=w), dev, cfg.points)
    st = _as_store(store, chunk_size)
    if st is None:
        if client is not None:
            raise ValueError("training on a Dask cluster needs a store that its workers share; got store=False")
        out = train_widths(cfg, widths, device, max_elements, progress, backend)
        _warn_diverged({w: (diverged(r), len(r.seeds)) for w, r in out.items()}, cfg)
        return Sweep(out, None, {w: len(r.seeds) for w, r in out.items()})
    on_corrupt = on_corrupt if train else "raise"  # never retrain behind a load-only caller
    out: dict[int, Results] = {}
    todo = []
    for w in widths:
        res, missing = _stored(st, cfg.replace(width=w), on_corrupt)
        if res is not None:
            out[w] = res
        todo += [(w, seeds) for seeds in st.chunks(missing).values()]
    if todo and not train:
        n = sum(len(s) for _, s in todo)
        raise FileNotFoundError(
            f"{n} networks of {cfg.target}/{cfg.activation} widths {sorted({w for w, _ in todo})} at "
            f"{len(cfg.seeds)} seeds × {cfg.steps} steps are not in {st}; run with train=True to make them")
    if todo:
        bar = progress_bar(progress, len(todo) * cfg.steps, f"{cfg.target} {cfg.activation}", unit="chunk",
                           unit_scale=1 / cfg.steps,  # counts chunks, advances by steps
                           bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.2f}/{total:.0f} chunks "
                                      "[{elapsed}<{remaining}]")
        try:
            if client is None:
                counts = _train_here(st, cfg, todo, device, max_elements, bar, backend, keep)
            else:
                from .cluster import train_chunks

                counts = train_chunks(client, st, cfg, todo, device, backend, keep, bar)
        finally:
            bar.close()
        _warn_diverged(counts, cfg)
    trained: dict[int, int] = {}
    for w, seeds in todo:
        trained[w] = trained.get(w, 0) + len(seeds)
    return Sweep({w: out[w] if w in out else st.load(cfg.replace(width=w)) for w in widths}, len(todo), trained)


def _train_here(st: Store, cfg: TrainConfig, todo, device, max_elements, bar, backend, keep) -> dict[int, tuple]:
    """Train the chunks in this process, saving each as it finishes; {width: (diverged, trained)}.
    On the triton backend the widths whose missing seeds agree train in one launch sequence."""
    counts: dict[int, list[int]] = {}
    dev = resolve_device(device)

    def saved(res: Results) -> None:
        st.save(res, keep)  # split into its chunk files
        c = counts.setdefault(res.config.width, [0, 0])
        c[0] += diverged(res)
        c[1] += len(res.seeds)

    if resolve_backend(backend, cfg, dev, cfg.points) in SWEEP_BACKENDS:
        missing: dict[int, list[int]] = {}
        for w, seeds in todo:
            missing.setdefault(w, []).extend(seeds)
        groups: dict[tuple[int, ...], list[int]] = {}
        for w, seeds in missing.items():
            groups.setdefault(tuple(sorted(seeds)), []).append(w)
        for seeds, ws in groups.items():
            k = len(st.chunks(seeds))  # the bar counts chunks: each run-step here is k of them
            for res in train_widths(cfg.replace(seeds=seeds), ws, dev, max_elements, _Scaled(bar, k), backend).values():
                saved(res)
    else:  # seed block by seed block: every width gets its first chunk before any gets its second
        for w, seeds in sorted(todo, key=lambda t: (t[1], t[0])):
            saved(train(cfg.replace(width=w, seeds=seeds), dev, max_elements, bar, backend))
    return {w: tuple(c) for w, c in counts.items()}


class _Scaled(tqdm):
    """A view of ``bar`` whose every unit advances ``bar`` by ``k``."""

    def __init__(self, bar: tqdm, k: int):
        super().__init__(disable=True)
        self._bar, self._k = bar, k

    def update(self, n=1):
        return self._bar.update(n * self._k)


def run(cfg: TrainConfig, store: Store | str | os.PathLike | bool | None = None, **kwargs) -> Results:
    """:func:`sweep` for the config's own width alone.

    Args:
        cfg: the experiment.
        store: as for :func:`sweep`.
        **kwargs: the other keyword arguments of :func:`sweep`.

    Example:
        >>> import numpy as np
        >>> import nslkit as nk
        >>> r = nk.run(nk.TrainConfig(width=10, seeds=4, steps=500, test_points=100), store=False, progress=False)
        >>> r.seeds, bool(np.median(r.train_mse) < 0.1)  # 500 Adam steps already fit x² roughly
        ((0, 1, 2, 3), True)
    """
    return sweep(cfg, [cfg.width], store, **kwargs)[cfg.width]
