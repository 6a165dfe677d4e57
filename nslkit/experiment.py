"""Run experiments through the results store: load what is stored, train what is missing."""
from __future__ import annotations

import os
import warnings
from typing import Iterable

import torch

from .config import TrainConfig
from .results import Results
from .store import Store, StoreError
from .train import train_widths

__all__ = ["run", "sweep"]


def _as_store(store: Store | str | os.PathLike | bool | None) -> Store | None:
    if store is False:
        return None
    if store is None or store is True:
        return Store()
    return store if isinstance(store, Store) else Store(store)


def _load(st: Store, cfg: TrainConfig, on_corrupt: str) -> Results | None:
    try:
        return st.load(cfg)
    except FileNotFoundError:
        return None
    except StoreError as e:
        if on_corrupt == "raise":
            raise
        warnings.warn(f"{e}; training again and overwriting it", stacklevel=3)
        return None


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
) -> dict[int, Results]:
    """Results for ``cfg`` at each width: loaded from ``store`` if there, else trained and saved.

    Args:
        cfg: the experiment; its ``width`` is replaced by each of ``widths``.
        store: a :class:`Store` or folder; None for the default store, False for none.
        device, max_elements, progress, backend: as for :func:`nslkit.train.train`.
        on_corrupt: "recompute" (warn, train again, overwrite) or "raise" for a stored file
            that fails its checks.
        train: False to only load: a width missing from the store raises FileNotFoundError
            instead of being trained (the claims ledger reads results, it never trains).
        keep: what newly trained results store, "all" or "losses" (:meth:`Store.save`); the
            returned results are complete either way.
    """
    if on_corrupt not in ("recompute", "raise"):
        raise ValueError(f"on_corrupt must be 'recompute' or 'raise', got {on_corrupt!r}")
    widths = list(widths)
    st = _as_store(store)
    on_corrupt = on_corrupt if train else "raise"  # never retrain behind a load-only caller
    out = {w: _load(st, cfg.replace(width=w), on_corrupt) if st else None for w in widths}
    missing = [w for w, r in out.items() if r is None]
    if missing and not train:
        raise FileNotFoundError(
            f"no stored results for {cfg.target}/{cfg.activation} widths {missing} at "
            f"{len(cfg.seeds)} seeds × {cfg.steps} steps in {st}; run with train=True to make them")
    if missing:
        for w, res in train_widths(cfg, missing, device, max_elements, progress, backend).items():
            if st:
                st.save(res, keep)
            out[w] = res
    return out


def run(cfg: TrainConfig, store: Store | str | os.PathLike | bool | None = None, **kwargs) -> Results:
    """:func:`sweep` for the config's own width alone."""
    return sweep(cfg, [cfg.width], store, **kwargs)[cfg.width]
