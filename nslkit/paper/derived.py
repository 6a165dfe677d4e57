"""Results derived from stored runs by slow analyses (polishing networks to a minimum, a plain
training loop), kept beside the runs so that a chapter reads them instead of recomputing.

A derived file is ``<store>/derived/<name>.json``: the data, its provenance, and a key. The key
hashes the inputs (each run's experiment key and seeds) and the source of the modules that
compute it, so a change to either recomputes it: a stale result is never returned.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from ..provenance import provenance
from ..results import Results
from ..store import Store

__all__ = ["derived", "derived_key", "claims_code"]


def derived_key(name: str, inputs: Iterable[Results | str], code: Iterable[str]) -> str:
    """SHA-256 of the name, the inputs (a run's experiment key and seeds, or a string) and the
    source files ``code`` (paths relative to the nslkit package)."""
    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(name.encode())
    for x in inputs:
        h.update((f"{x.config.experiment_key()}:{x.config.width}:{list(x.seeds)}" if isinstance(x, Results)
                  else str(x)).encode())
    for rel in sorted(code):
        h.update(rel.encode() + (pkg / rel).read_bytes())
    return h.hexdigest()


def claims_code() -> list[str]:
    """The source files a claim's measurement may run (every module of ``nslkit/analysis`` and
    ``nslkit/paper``), as ``code`` for :func:`derived_key`: a derived result that reads claims is
    recomputed when any of them changes."""
    pkg = Path(__file__).resolve().parent.parent
    return [str(p.relative_to(pkg)) for sub in ("analysis", "paper") for p in sorted((pkg / sub).glob("*.py"))]


def derived(name: str, key: str, compute: Callable[[], Any] | None, store: Store | str | os.PathLike | None = None,
            recompute: bool = False) -> Any:
    """The stored result ``name`` if its key is ``key``; else ``compute()`` (JSON-able), saved
    with its provenance (when the store's folder is writable) and returned. ``compute=None``
    only reads: None when the result is not stored under ``key``."""
    st = store if isinstance(store, Store) else Store(store)
    path = st.root / "derived" / f"{name}.json"
    if not recompute and path.exists():
        stored = json.loads(path.read_text())
        if stored.get("key") == key:
            return stored["data"]
    if compute is None:
        return None
    t0 = time.perf_counter()
    data = compute()
    record = {"key": key, "provenance": provenance(torch.device("cpu"), time.perf_counter() - t0), "data": data}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only store: the result is returned, not kept
    return data
