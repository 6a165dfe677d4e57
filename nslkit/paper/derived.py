"""Results derived from stored runs by slow analyses (polishing networks to a minimum, a plain
training loop), kept beside the runs so that a chapter reads them instead of recomputing.

A derived file is ``<store>/derived/<name>.json``: the data, its provenance, and a key. The key
hashes the inputs (each run's experiment key and seeds) and the source of the modules that
compute it, so a change to either recomputes it: a stale result is never returned. The file
also records which source files its key read and their digest (``code``), so that
:func:`code_status` (and ``python -m nslkit status``) can tell a result made by other code
without knowing its inputs.

Every caller goes through :func:`derived_result`, which builds the key: the claims' readings
(ledger, robustness summary, chapter 10's C17 table, chapter 11's summary) key on
:func:`claims_code`, every module that a claim's measurement may run; the slow numerical
results (polishing, plain loops) on the few modules they run.
"""
from __future__ import annotations

import ast
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

__all__ = ["derived", "derived_result", "derived_key", "claims_code", "code_closure", "code_digest", "code_status",
           "stored_derived", "source"]

_PKG = Path(__file__).resolve().parent.parent


def source(entry: str) -> bytes:
    """The code an entry of ``code`` names, as what runs.

    The code is read through :mod:`ast` with its docstrings left out and written back by
    :func:`ast.unparse`, so that documentation, comments and layout change no key.

    Args:
        entry: a source file (a path relative to the nslkit package, e.g.
            ``"analysis/limits.py"``), or one top-level function or class of it
            (``"paper/optimum.py:polished"``), so that editing the rest of that file changes no key.

    Raises:
        ValueError: when the file has no such function or class.
    """
    rel, _, name = entry.partition(":")
    tree = ast.parse((_PKG / rel).read_bytes())
    if name:
        found = [node for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name]
        if not found:
            raise ValueError(f"{rel} has no top-level function or class {name!r} (a derived result's code entry "
                             f"{entry!r})")
        tree = ast.Module(body=found, type_ignores=[])
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree).encode()


def code_digest(code: Iterable[str]) -> str:
    """SHA-256 of some code entries with their names.

    Args:
        code: entries as :func:`source` takes them.
    """
    h = hashlib.sha256()
    for entry in sorted(code):
        h.update(entry.encode() + source(entry))
    return h.hexdigest()


def legacy_source(entry: str) -> bytes:
    """The code an entry of ``code`` named before keys left out documentation (release 1.0.0 to
    issue 35): a file's bytes, or a function's source segment. Only :func:`derived_result` uses it,
    to recognise a record made then from code that has not changed since.

    Args:
        entry: a source file or one of its functions, as for :func:`source`.
    """
    rel, _, name = entry.partition(":")
    text = (_PKG / rel).read_bytes()
    if not name:
        return text
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(text.decode(), node).encode()
    raise ValueError(f"{rel} has no top-level function or class {name!r} (a derived result's code entry {entry!r})")


def derived_key(name: str, inputs: Iterable[Results | str], code: Iterable[str], read=None) -> str:
    """The key of a derived result: SHA-256 of its name, inputs and code.

    Args:
        name: the derived result's name.
        inputs: Results (each counts by its experiment key, width and seeds) or strings.
        code: source files or their functions (:func:`source`).
        read: how code is read (default :func:`source`; :func:`legacy_source` for old keys).
    """
    read = source if read is None else read
    h = hashlib.sha256(name.encode())
    for x in inputs:
        h.update((f"{x.config.experiment_key()}:{x.config.width}:{list(x.seeds)}" if isinstance(x, Results)
                  else str(x)).encode())
    for entry in sorted(code):
        h.update(entry.encode() + read(entry))
    return h.hexdigest()


def claims_code() -> list[str]:
    """The source files a claim's measurement may run (every module of ``nslkit/analysis`` and
    ``nslkit/paper``), as ``code`` for :func:`derived_key`: a derived result that reads claims is
    recomputed when any of them changes."""
    return [str(p.relative_to(_PKG)) for sub in ("analysis", "paper") for p in sorted((_PKG / sub).glob("*.py"))]


def code_closure(*entries: str) -> list[str]:
    """The nslkit source files that the modules ``entries`` (paths relative to the package, e.g.
    ``"paper/sections.py"``) import, directly or through each other, themselves included: the
    ``code`` of a result that runs their functions, so that it is recomputed when any code it may
    run changes and not when unrelated code does. Imports are read with :mod:`ast`; only
    nslkit's own modules are followed.

    Args:
        *entries: source files, paths relative to the package.
    """
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        here = (_PKG / rel).parent
        for node in ast.walk(ast.parse((_PKG / rel).read_bytes())):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            base = here
            for _ in range(node.level - 1):
                base = base.parent
            stem = base / node.module.replace(".", "/") if node.module else base
            for a in node.names:  # a submodule by name, else a name defined in the module itself
                found = _module_file(stem / a.name) or _module_file(stem)
                if found is not None:
                    todo.append(str(found.relative_to(_PKG)))
    return sorted(seen)


def _module_file(stem: Path) -> Path | None:
    for cand in (stem.with_suffix(".py"), stem / "__init__.py"):
        if cand.is_file() and _PKG in cand.parents:
            return cand
    return None


def derived_result(name: str, inputs: Iterable[Results | str], compute: Callable[[], Any] | None,
                   code: Iterable[str] | None = None, store: Store | str | os.PathLike | None = None,
                   recompute: bool = False) -> Any:
    """:func:`derived` under the key :func:`derived_key`; the file records the code and its digest.

    Args:
        name, inputs: as for :func:`derived_key`.
        compute: makes the result (JSON-able); None only reads.
        code: as for :func:`derived_key`; default :func:`claims_code`.
        store, recompute: as for :func:`derived`.
    """
    code = sorted(claims_code() if code is None else code)
    inputs = list(inputs)
    return derived(name, derived_key(name, inputs, code), compute, store, recompute,
                   {"files": code, "digest": code_digest(code)},
                   legacy=lambda: derived_key(name, inputs, code, legacy_source))


def derived(name: str, key: str, compute: Callable[[], Any] | None, store: Store | str | os.PathLike | None = None,
            recompute: bool = False, code: dict | None = None, legacy: Callable[[], str] | None = None) -> Any:
    """The stored result ``name`` if its key is ``key``; else ``compute()``, saved with its
    provenance (when the store's folder is writable) and returned.

    Args:
        name: the result's name; the file is ``<store>/derived/<name>.json``.
        key: the key it must be stored under.
        compute: makes the result (JSON-able); None only reads, and gives None when the result
            is not stored under ``key``.
        store: the results store (default :func:`nslkit.default_results_dir`).
        recompute: compute it again even when it is stored.
        code: the source files the key read and their digest, recorded in the file (added to a
            matching file made before it was).
        legacy: the key the same inputs and code had under the earlier way of reading code
            (:func:`legacy_source`); a record stored under it was made by the code that runs
            now, and is kept under ``key`` (its data untouched, ``"rekeyed"`` noting when).
    """
    st = store if isinstance(store, Store) else Store(store)
    path = st.root / "derived" / f"{name}.json"
    if not recompute and path.exists():
        stored = json.loads(path.read_text())
        if stored.get("key") != key and legacy is not None and stored.get("key") == legacy():
            stored = {**stored, "key": key, "rekeyed": {"from": stored["key"], "date": time.strftime("%Y-%m-%d")}}
            _write_json(path, {**stored, **({"code": code} if code is not None else {})})
        if stored.get("key") == key:
            if code is not None and stored.get("code") != code:
                _write_json(path, {**stored, "code": code})
            return stored["data"]
    if compute is None:
        return None
    t0 = time.perf_counter()
    data = compute()
    record = {"key": key, "provenance": provenance(torch.device("cpu"), time.perf_counter() - t0), "data": data}
    _write_json(path, {**record, **({"code": code} if code is not None else {})})
    return data


def _write_json(path: Path, record: dict) -> None:
    """Write ``record`` atomically; in a read-only store, nothing (the result is returned, not kept)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are for everyone to read
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def code_status(record: dict) -> str:
    """Whether a derived record was made by the present code.

    Args:
        record: a derived result's file, as read.

    Returns:
        "current" when the source files its key read are unchanged, "stale" when one changed
        (or is gone), "unknown" for a record made before files were recorded.
    """
    code = record.get("code")
    if not code:
        return "unknown"
    try:
        return "current" if code_digest(code["files"]) == code["digest"] else "stale"
    except (OSError, ValueError, SyntaxError):
        return "stale"


def stored_derived(store: Store | str | os.PathLike | None = None) -> dict[str, dict]:
    """{name: {"status": :func:`code_status`, "provenance": …}} of every derived result in a store.

    Args:
        store: the results store (default :func:`nslkit.default_results_dir`).
    """
    st = store if isinstance(store, Store) else Store(store)
    out = {}
    root = st.root / "derived"
    for path in sorted(root.rglob("*.json")):
        name = str(path.relative_to(root).with_suffix(""))
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            out[name] = {"status": "unreadable", "provenance": {}}
            continue
        out[name] = {"status": code_status(record), "provenance": record.get("provenance", {})}
    return out
