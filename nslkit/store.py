"""The results store: one ``.npz`` file per config, keyed by the config's SHA-256.

File layout (readable with NumPy alone: ``np.load(path)``; no pickles):

=================  =============  ==============================================
array              shape          meaning
=================  =============  ==============================================
``config_json``    ()             the full :class:`~nslkit.config.TrainConfig`,
                                  JSON, ``format_version`` included
``provenance_json`` ()            device, torch version, git commit, date, wall
                                  time (JSON; not part of the key)
``seeds``          (S,)           seed of each network, in order
``train_mse``      (S,)           final MSE on the training points
``test_mse``       (S,)           MSE on the dense independent test grid
``w b v c``        (S,N,D) (S,N)  final parameters of Eq. 1
                   (S,N) (S,)
``curve_steps``    (K,)           sampled steps of the loss curve
``curve_loss``     (S, K)         training MSE at those steps
=================  =============  ==============================================

``Store.save(res, keep="losses")`` writes only ``seeds``, ``train_mse`` and ``test_mse`` (and
says so in the provenance, ``"kept": "losses"``): the book reads nothing else of the Appendix A
targets, whose parameters and curves at paper scale would take most of the repository.

Writes go to a temporary file that is renamed into place, so a reader never sees half a
file. A file that is truncated, fails its zip CRC, has the wrong shapes, or holds another
config than its name promises raises :class:`StoreError` and is never returned.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .results import Results

__all__ = ["Store", "StoreError", "default_results_dir", "RESULTS_ENV", "KEEP"]

#: Environment variable that points the default store elsewhere.
RESULTS_ENV = "NSLKIT_RESULTS"
_ARRAYS = ("seeds", "train_mse", "test_mse", "w", "b", "v", "c", "curve_steps", "curve_loss")
#: What ``keep`` keeps: everything, or the losses alone.
KEEP = {"all": _ARRAYS, "losses": ("seeds", "train_mse", "test_mse")}


class StoreError(RuntimeError):
    """A results file exists but cannot be trusted (truncated, corrupted, stale or mismatched)."""


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
    """A folder of results files. ``Store()`` is the default folder (:func:`default_results_dir`)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_results_dir()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def path(self, cfg: TrainConfig) -> Path:
        """Where the results of ``cfg`` live: ``<target>_<activation>_N<width>_<key16>.npz``."""
        return self.root / f"{cfg.target}_{cfg.activation}_N{cfg.width}_{cfg.key()[:16]}.npz"

    def __contains__(self, cfg: TrainConfig) -> bool:
        return self.path(cfg).exists()

    def save(self, res: Results, keep: str = "all") -> Path:
        """Write ``res`` atomically; returns the path.

        ``keep``: "all", or "losses" for the seeds and the train and test MSE alone.
        """
        if keep not in KEEP:
            raise ValueError(f"unknown keep {keep!r}; valid values: {', '.join(KEEP)}")
        missing = [k for k in KEEP[keep] if k != "seeds" and getattr(res, k) is None]
        if missing:
            raise ValueError(f"these results lack {', '.join(missing)}; save them with keep='losses'")
        path = self.path(res.config)
        path.parent.mkdir(parents=True, exist_ok=True)
        provenance = {**res.provenance, "kept": keep}
        arrays = {
            "config_json": np.array(json.dumps(res.config.to_dict(), sort_keys=True)),
            "provenance_json": np.array(json.dumps(provenance, sort_keys=True)),
            "seeds": np.asarray(res.config.seeds, dtype=np.int64),
            **{k: np.asarray(getattr(res, k)) for k in KEEP[keep] if k != "seeds"},
        }
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
        return path

    def load(self, cfg: TrainConfig) -> Results:
        """The stored results of ``cfg``.

        Raises:
            FileNotFoundError: nothing stored for ``cfg``.
            StoreError: the file is truncated, corrupted, of another format version, or
                holds another config.
        """
        path = self.path(cfg)
        if not path.exists():
            raise FileNotFoundError(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}  # reading every member checks its CRC
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise StoreError(f"{path} is truncated or corrupted ({e})") from e
        try:
            stored = json.loads(str(data["config_json"]))
            provenance = json.loads(str(data["provenance_json"]))
        except (KeyError, json.JSONDecodeError) as e:
            raise StoreError(f"{path} has no readable config or provenance ({e!r})") from e
        kept = KEEP.get(provenance.get("kept", "all"))
        if kept is None:
            raise StoreError(f"{path} says it kept {provenance.get('kept')!r}, not one of {', '.join(KEEP)}")
        missing = [k for k in kept if k not in data]
        if missing:
            raise StoreError(f"{path} lacks {', '.join(missing)}")
        if stored != json.loads(json.dumps(cfg.to_dict())):
            raise StoreError(f"{path} holds another config or format version than asked for (stale or a key collision)")
        S, N, D = len(cfg.seeds), cfg.width, cfg.dim
        K = len(data["curve_steps"]) if "curve_steps" in kept else 0
        shapes = {"seeds": (S,), "train_mse": (S,), "test_mse": (S,), "w": (S, N, D), "b": (S, N),
                  "v": (S, N), "c": (S,), "curve_loss": (S, K)}
        bad = [k for k, s in shapes.items() if k in kept and data[k].shape != s]
        if bad or tuple(data["seeds"].tolist()) != cfg.seeds:
            raise StoreError(f"{path} has arrays of the wrong shape or seeds: {bad or 'seeds'}")
        return Results(config=cfg, provenance=provenance, **{k: data.get(k) for k in _ARRAYS if k != "seeds"})
