"""The results store: one ``.npz`` file per (experiment, width, chunk of seeds).

A request for any seed list is assembled from the chunks that hold its seeds, so a stored
1000-seed run answers a 100-seed request, growing 1000 seeds to 2000 trains only the new ones,
and a killed run loses at most the chunks it was training. A chunk is the seeds
[k·C, (k+1)·C) of one experiment and width (C = ``chunk_size``, 100 by default); its file may
hold all of them or some.

File name: ``<target>_<activation>_N<width>_<experiment key, 16 hex>_s<lo>-<hi>.npz``, where the
experiment key (:meth:`nslkit.config.TrainConfig.experiment_key`) is the SHA-256 of every field
but the seed list, and lo-hi the chunk's seed range. Layout (NumPy alone reads it,
``np.load(path)``; no pickles):

=================  =============  ==============================================
array              shape          meaning
=================  =============  ==============================================
``config_json``    ()             the full :class:`~nslkit.config.TrainConfig` of
                                  this file's seeds, JSON, ``format_version``
                                  included
``provenance_json`` ()            JSON list, one record per run that made some
                                  of the seeds: its ``seeds``, device, torch
                                  version, git commit, date, wall time
``kept``           ()             "all", or "losses" for the losses alone
``seeds``          (S,)           seed of each network, ascending
``train_mse``      (S,)           final MSE on the training points
``test_mse``       (S,)           MSE on the dense independent test grid
``w b v c``        (S,N,D) (S,N)  final parameters of Eq. 1
                   (S,N) (S,)
``curve_steps``    (K,)           sampled steps of the loss curve
``curve_loss``     (S, K)         training MSE at those steps
=================  =============  ==============================================

``keep="losses"`` writes only ``seeds``, ``train_mse`` and ``test_mse`` (and ``kept`` says so):
the book reads nothing else of the Appendix A targets.

Writes go to a temporary file that is renamed into place, under a lock on the store, so a
reader never sees half a file and two writers of one chunk leave one file with both their
seeds. A file that is truncated, fails its zip CRC, has the wrong shapes, or holds another
config than its name promises raises :class:`StoreError` and is never returned.
:func:`migrate` converts folders of format version 1 (one file per seed list).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .checks import integer
from .config import FORMAT_VERSION, TrainConfig
from .results import Results

__all__ = ["Store", "StoreError", "default_results_dir", "migrate", "RESULTS_ENV", "KEEP", "CHUNK_SIZE"]

#: Environment variable that points the default store elsewhere.
RESULTS_ENV = "NSLKIT_RESULTS"
#: Seeds per chunk unless a Store is told otherwise.
CHUNK_SIZE = 100
_ARRAYS = ("seeds", "train_mse", "test_mse", "w", "b", "v", "c", "curve_steps", "curve_loss")
_PER_SEED = ("train_mse", "test_mse", "w", "b", "v", "c", "curve_loss")
#: What ``keep`` keeps: everything, or the losses alone.
KEEP = {"all": _ARRAYS, "losses": ("seeds", "train_mse", "test_mse")}
_CHUNK_NAME = re.compile(r"_s(\d+)-(\d+)\.npz$")
_LOCK = ".nslkit.lock"


class StoreError(RuntimeError):
    """A results file exists but cannot be trusted (truncated, corrupted, stale or mismatched).

    Attributes:
        path: the file, or None.
        chunk: its seed range (lo, hi) when its name gives one, else None.
    """

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path
        m = _CHUNK_NAME.search(path.name) if path is not None else None
        self.chunk = (int(m.group(1)), int(m.group(2))) if m else None


def default_results_dir() -> Path:
    """``$NSLKIT_RESULTS`` if set, else ``results/`` in the repository (the committed runs)."""
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists():
        return repo / "results"
    return Path.home() / ".cache" / "nslkit" / "results"


class Store:
    """A folder of chunk files, one per experiment, width and chunk of seeds.

    Args:
        root: the folder; None for the default (:func:`default_results_dir`).
        chunk_size: seeds per chunk of newly written files (default 100).

    Raises:
        ValueError: when ``root`` exists and is not a folder.

    Example:
        >>> import tempfile
        >>> import nslkit as nk
        >>> cfg = nk.TrainConfig(width=2, seeds=3, steps=200, test_points=100)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     store = nk.Store(folder)
        ...     trained = nk.run(cfg, store=store, progress=False)  # trains the 3 seeds, saves them
        ...     print([p.name.split("_")[-1] for p in store.files(cfg)], store.missing(cfg.replace(seeds=5)))
        ...     loaded = store.load(cfg)
        ['s0-99.npz'] (3, 4)
        >>> bool((loaded.train_mse == trained.train_mse).all())
        True
    """

    def __init__(self, root: str | os.PathLike | None = None, chunk_size: int = CHUNK_SIZE):
        self.root = Path(root) if root is not None else default_results_dir()
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"the results store {str(self.root)!r} is a file, not a folder")
        self.chunk_size = integer(chunk_size, "chunk_size")

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # ---- names -------------------------------------------------------------------------------

    def prefix(self, cfg: TrainConfig) -> str:
        """The start of every chunk file name of an experiment and width:
        ``<target>_<activation>_N<width>_<experiment key, 16 hex>``.

        Args:
            cfg: the experiment and width.
        """
        return f"{cfg.target}_{cfg.activation}_N{cfg.width}_{cfg.experiment_key()[:16]}"

    def chunk_of(self, seed: int) -> tuple[int, int]:
        """(lo, hi), the first and last seed of the chunk that holds a seed.

        Args:
            seed: the seed.
        """
        lo = seed // self.chunk_size * self.chunk_size
        return lo, lo + self.chunk_size - 1

    def chunk_path(self, cfg: TrainConfig, chunk: tuple[int, int]) -> Path:
        """The file of one chunk.

        Args:
            cfg: the experiment and width.
            chunk: (lo, hi), the chunk's first and last seed.
        """
        return self.root / f"{self.prefix(cfg)}_s{chunk[0]}-{chunk[1]}.npz"

    def chunks(self, seeds: Iterable[int]) -> dict[tuple[int, int], tuple[int, ...]]:
        """Seeds grouped by chunk: {(lo, hi): seeds in it, ascending}, chunks ascending.

        Args:
            seeds: any seeds.
        """
        out: dict[tuple[int, int], list[int]] = {}
        for s in sorted(seeds):
            out.setdefault(self.chunk_of(s), []).append(s)
        return {k: tuple(v) for k, v in sorted(out.items())}

    def files(self, cfg: TrainConfig) -> list[Path]:
        """Every chunk file of an experiment and width, whatever chunk size wrote it.

        Args:
            cfg: the experiment and width (its seeds do not matter).
        """
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob(f"{self.prefix(cfg)}_s*.npz") if _CHUNK_NAME.search(p.name))

    # ---- what is stored -----------------------------------------------------------------------

    def index(self, cfg: TrainConfig, skip: Iterable[Path] = ()) -> dict[int, Path]:
        """{seed: the file that holds it} over every stored seed of an experiment and width.

        Args:
            cfg: the experiment and width (its seeds do not matter).
            skip: files to leave out.

        Raises:
            StoreError: for a file whose seeds cannot be read.
        """
        out: dict[int, Path] = {}
        skip = set(skip)
        for path in self.files(cfg):
            if path in skip:
                continue
            for s in _read(path, ("seeds",))["seeds"].tolist():
                out.setdefault(int(s), path)
        return out

    def missing(self, cfg: TrainConfig, skip: Iterable[Path] = ()) -> tuple[int, ...]:
        """The seeds of a config that no chunk file holds, in ``cfg.seeds`` order.

        Args:
            cfg: the experiment, width and seeds.
            skip: files to leave out.
        """
        stored = self.index(cfg, skip)
        return tuple(s for s in cfg.seeds if s not in stored)

    def runs(self, cfg: TrainConfig) -> list[dict]:
        """The provenance records of the runs that made an experiment's stored chunks (device,
        torch, git commit, date, wall time, backend, the seeds each made), read without the arrays.

        Args:
            cfg: the experiment and width (its seeds do not matter).

        Raises:
            StoreError: for a file whose provenance cannot be read.
        """
        out = []
        for path in self.files(cfg):
            try:
                out += json.loads(str(_read(path, ("provenance_json",))["provenance_json"]))
            except json.JSONDecodeError as e:
                raise StoreError(f"{path} has no readable provenance ({e!r})", path) from e
        return out

    def records(self) -> Iterator[tuple[dict, list[dict]]]:
        """(config as :meth:`TrainConfig.to_dict` wrote it, provenance records) of every chunk file
        of every experiment in the store, read without the arrays, in file-name order; a file
        whose config or provenance cannot be read is passed over (the cost model of
        :mod:`nslkit.paper.costs` reads the wall times this way)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.npz")):
            if not _CHUNK_NAME.search(path.name):
                continue
            try:
                a = _read(path, ("config_json", "provenance_json"))
                yield json.loads(str(a["config_json"])), json.loads(str(a["provenance_json"]))
            except (StoreError, json.JSONDecodeError):
                continue

    def __contains__(self, cfg: TrainConfig) -> bool:
        return not self.missing(cfg)

    # ---- reading -------------------------------------------------------------------------------

    def load(self, cfg: TrainConfig, skip: Iterable[Path] = ()) -> Results:
        """The results of a config, assembled from the chunks that hold its seeds, in its seed order.

        Args:
            cfg: the experiment, width and seeds.
            skip: files to leave out.

        Raises:
            FileNotFoundError: some seeds are stored nowhere (the message counts them).
            StoreError: a file is truncated, corrupted, of another format version, or holds
                another config.
        """
        index = self.index(cfg, skip)
        absent = [s for s in cfg.seeds if s not in index]
        if absent:
            raise FileNotFoundError(f"{len(absent)} of the {len(cfg.seeds)} seeds of {cfg.target}/{cfg.activation} "
                                    f"N={cfg.width} are not in {self.root}{self._older_files_hint()}")
        parts = {path: self._load_file(path, cfg) for path in dict.fromkeys(index[s] for s in cfg.seeds)}
        return _assemble(cfg, parts, index)

    def _load_file(self, path: Path, cfg: TrainConfig) -> tuple[dict[str, np.ndarray], list[dict]]:
        data = _read(path)
        try:
            stored = json.loads(str(data["config_json"]))
            runs = json.loads(str(data["provenance_json"]))
        except (KeyError, json.JSONDecodeError) as e:
            raise StoreError(f"{path} has no readable config or provenance ({e!r})", path) from e
        kept = KEEP.get(str(data.get("kept", "")))
        if kept is None or not isinstance(runs, list):
            raise StoreError(f"{path} says neither what it kept (all, losses) nor which runs made it", path)
        missing = [k for k in kept if k not in data]
        if missing:
            raise StoreError(f"{path} lacks {', '.join(missing)}", path)
        seeds = tuple(int(s) for s in data["seeds"])
        expect = json.loads(json.dumps(cfg.replace(seeds=seeds).to_dict()))
        if stored != expect or not _CHUNK_NAME.search(path.name) or not path.name.startswith(self.prefix(cfg) + "_s"):
            raise StoreError(f"{path} holds another config or format version than asked for (stale or a key collision)", path)
        S, N, D = len(seeds), cfg.width, cfg.dim
        K = len(data["curve_steps"]) if "curve_steps" in kept else 0
        shapes = {"seeds": (S,), "train_mse": (S,), "test_mse": (S,), "w": (S, N, D), "b": (S, N), "v": (S, N),
                  "c": (S,), "curve_loss": (S, K)}
        bad = [k for k, s in shapes.items() if k in kept and data[k].shape != s]
        if bad or list(seeds) != sorted(set(seeds)):
            raise StoreError(f"{path} has arrays of the wrong shape or unsorted seeds: {bad or 'seeds'}", path)
        return {k: data[k] for k in kept}, runs

    def _older_files_hint(self) -> str:
        old = [p for p in self.root.glob("*.npz") if not _CHUNK_NAME.search(p.name)] if self.root.is_dir() else []
        return (f" ({len(old)} files of format version 1 lie there: `python -m nslkit migrate --store {self.root}` "
                "converts them)") if old else ""

    # ---- writing -------------------------------------------------------------------------------

    def save(self, res: Results, keep: str = "all") -> list[Path]:
        """Write results into their chunk files, merged with the seeds they already hold.

        A seed a chunk already holds is kept as it is (a seed trains the same in any batch, so
        only rounding could tell them apart). Each file is replaced atomically, under a lock.

        Args:
            res: the results to keep.
            keep: "all", or "losses" for the seeds and the train and test MSE alone.

        Returns:
            The paths of the chunk files written.

        Raises:
            ValueError: for an unknown ``keep``, or "all" of results that lack the parameters.
        """
        if keep not in KEEP:
            raise ValueError(f"unknown keep {keep!r}; valid values: {', '.join(KEEP)}")
        missing = [k for k in KEEP[keep] if k != "seeds" and getattr(res, k) is None]
        if missing:
            raise ValueError(f"these results lack {', '.join(missing)}; save them with keep='losses'")
        cfg = res.config
        seeds = np.asarray(cfg.seeds)
        record = {k: v for k, v in res.provenance.items() if k not in ("runs", "kept")}
        paths = []
        for chunk, members in self.chunks(cfg.seeds).items():
            rows = np.array([int(np.flatnonzero(seeds == s)[0]) for s in members])
            arrays = {k: getattr(res, k)[rows] for k in KEEP[keep] if k in _PER_SEED}
            if "curve_steps" in KEEP[keep]:
                arrays["curve_steps"] = res.curve_steps
            arrays["seeds"] = np.asarray(members, dtype=np.int64)
            runs = [{"seeds": _span(members), **record}]
            paths.append(self._merge(cfg, chunk, arrays, runs, keep))
        return paths

    def _merge(self, cfg: TrainConfig, chunk: tuple[int, int], arrays: dict, runs: list[dict], keep: str) -> Path:
        path = self.chunk_path(cfg, chunk)
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            if path.exists():
                try:
                    old, old_runs = self._load_file(path, cfg)
                except StoreError:
                    old = None  # a corrupt file is replaced by what was just trained
                if old is not None:
                    arrays, runs, keep = _union(old, old_runs, arrays, runs, keep)
            config = cfg.replace(seeds=tuple(int(s) for s in arrays["seeds"])).to_dict()
            _write(path, {"config_json": np.array(json.dumps(config, sort_keys=True)),
                          "provenance_json": np.array(json.dumps(runs, sort_keys=True)), "kept": np.array(keep),
                          **arrays})
        return path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / _LOCK, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def _span(seeds) -> list[int] | str:
    """A run's seeds as [first, last] when contiguous, else the full list as text."""
    s = list(seeds)
    return [s[0], s[-1]] if s == list(range(s[0], s[-1] + 1)) else " ".join(map(str, s))


def _union(old: dict, old_runs: list, new: dict, new_runs: list, keep: str):
    """Merge a chunk file's arrays with newly trained ones; seeds it already has are kept as they were."""
    kept = "all" if keep == "all" and "w" in old else "losses"
    fresh = ~np.isin(new["seeds"], old["seeds"])
    seeds = np.concatenate([old["seeds"], new["seeds"][fresh]])
    order = np.argsort(seeds, kind="stable")
    out = {"seeds": seeds[order]}
    for k in KEEP[kept]:
        if k in _PER_SEED:
            out[k] = np.concatenate([old[k], new[k][fresh]])[order]
    if "curve_steps" in KEEP[kept]:
        out["curve_steps"] = old["curve_steps"]
    return out, old_runs + (new_runs if fresh.any() else []), kept


def _read(path: Path, members: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an npz file (all, or ``members``); reading a member checks its CRC."""
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            return {k: z[k] for k in (z.files if members is None else members)}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as e:
        raise StoreError(f"{path} is truncated or corrupted ({e})", path) from e


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an npz atomically: a temporary file in the same folder, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are for everyone to read
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _assemble(cfg: TrainConfig, parts: dict[Path, tuple[dict, list]], index: dict[int, Path]) -> Results:
    """The Results of cfg's seeds, each row taken from the file the index names."""
    kept = "all" if all("w" in a for a, _ in parts.values()) else "losses"
    rows = {path: {int(s): i for i, s in enumerate(a["seeds"])} for path, (a, _) in parts.items()}
    arrays = {}
    for k in KEEP[kept]:
        if k in _PER_SEED:
            arrays[k] = np.stack([parts[index[s]][0][k][rows[index[s]][s]] for s in cfg.seeds])
    if kept == "all":
        steps = [a["curve_steps"] for a, _ in parts.values()]
        if any(not np.array_equal(steps[0], s) for s in steps):
            raise StoreError(f"the chunks of {cfg.target}/{cfg.activation} N={cfg.width} sample different loss curves")
        arrays["curve_steps"] = steps[0]
    runs = [r for _, rs in parts.values() for r in rs]
    return Results(config=cfg, provenance=_provenance(runs, kept),
                   **{k: arrays.get(k) for k in _ARRAYS if k != "seeds"})


def _provenance(runs: list[dict], kept: str) -> dict:
    """One provenance for assembled chunks: what every run agrees on, the wall time of the distinct
    runs summed (the chunks of one run share its record), and the records themselves."""
    distinct = {json.dumps({k: v for k, v in r.items() if k != "seeds"}, sort_keys=True): r for r in runs}.values()
    common = {k: v for k, v in runs[0].items() if k not in ("seeds", "wall_s") and all(r.get(k) == v for r in runs)}
    wall = [r["wall_s"] for r in distinct if isinstance(r.get("wall_s"), (int, float))]
    return {**common, **({"wall_s": round(sum(wall), 3)} if wall else {}), "kept": kept, "runs": runs}


def migrate(source: str | os.PathLike, store: Store, remove: bool = False) -> dict:
    """Convert the format-version-1 files of a folder (one file per seed list) into a store's chunks.

    Files are taken largest first, so that where two files hold the same seed (a 100-seed run
    and the first 100 seeds of a 1000-seed run) the larger run's numbers are kept; the report
    says how far the dropped copies differed (rounding, when backends differed). Each chunk's
    provenance keeps the original record, with ``migrated_from`` (the file) and ``run_seeds``.

    Args:
        source: the folder of version-1 files.
        store: the store to write the chunks into.
        remove: delete each converted file.

    Returns:
        A dict of "files" (converted), "chunks" (written) and "duplicates", which maps each file
        to (seeds already stored, largest relative difference of their train MSE).
    """
    source = Path(source)
    old = [p for p in sorted(source.glob("*.npz")) if not _CHUNK_NAME.search(p.name)]
    loaded = []
    for path in old:
        data = _read(path)
        try:
            d = json.loads(str(data["config_json"]))
            prov = json.loads(str(data["provenance_json"]))
        except (KeyError, json.JSONDecodeError) as e:
            raise StoreError(f"{path} has no readable config or provenance ({e!r})", path) from e
        if d.get("format_version") != 1:
            raise StoreError(f"{path} is not of format version 1 (it says {d.get('format_version')!r})", path)
        cfg = TrainConfig.from_dict({**d, "format_version": FORMAT_VERSION})
        loaded.append((path, cfg, prov, data))
    report = {"files": len(loaded), "chunks": 0, "duplicates": {}}
    for path, cfg, prov, data in sorted(loaded, key=lambda t: -len(t[1].seeds)):
        keep = prov.get("kept", "all")
        stored = store.index(cfg)
        dup = [i for i, s in enumerate(cfg.seeds) if s in stored]
        if dup:
            before = store.load(cfg.replace(seeds=tuple(cfg.seeds[i] for i in dup))).train_mse
            rel = np.abs(data["train_mse"][dup] - before) / np.abs(before)
            report["duplicates"][path.name] = (len(dup), float(rel.max()))
        record = {**{k: v for k, v in prov.items() if k != "kept"}, "migrated_from": path.name,
                  "run_seeds": _span(cfg.seeds)}
        res = Results(config=cfg, provenance=record, **{k: data.get(k) for k in _ARRAYS if k != "seeds"})
        report["chunks"] += len(store.save(res, keep=keep))
        if remove:
            path.unlink()
    return report
