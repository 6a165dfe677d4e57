"""How a run was made: device, versions, git commit, date and wall time.

Stored beside every result (:mod:`nslkit.store`) and every benchmark; never part of a results key.
"""
from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import torch

__all__ = ["VERSION", "git_commit", "device_name", "provenance", "WallTimes"]

#: nslkit's version (``nslkit.__version__``), recorded with every run. The one place it is written:
#: pyproject.toml reads it from here, CHANGELOG.md and CITATION.cff must agree (tests/test_release.py).
VERSION = "1.0.0"


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """HEAD (and +dirty) when this process first asked, i.e. when it started its first training.

    Cached, so that a commit made while a long run trains is not recorded as the run's. Where the
    package is a copy without git (a GPU machine sent the working tree), ``$NSLKIT_GIT_COMMIT``
    names the commit it was copied from.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return os.environ.get("NSLKIT_GIT_COMMIT")
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "nslkit"], cwd=root, capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("NSLKIT_GIT_COMMIT")


def device_name(device: torch.device) -> str:
    """A readable name of a device: the GPU's, or the CPU model and thread count.

    Args:
        device: the torch device.
    """
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    n = torch.get_num_threads()
    return f"cpu: {model}, {n} thread{'' if n == 1 else 's'}"


def provenance(device: torch.device, wall_s: float, **extra: Any) -> dict[str, Any]:
    """The provenance record of a run: device, versions, git commit, date and wall time.

    Args:
        device: where it ran.
        wall_s: how long it took, in seconds.
        **extra: more fields to record.
    """
    return {
        "device": device_name(device),
        "torch": torch.__version__,
        "nslkit": VERSION,
        "python": platform.python_version(),
        "git_commit": git_commit(),  # cached: the commit when this process first trained
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(wall_s, 3),
        **extra,
    }


class WallTimes:
    """The wall times of named blocks: ``with times("main"): ...`` times a block and, when
    ``summary`` is a path, rewrites it as JSON after every block, so a killed command leaves the
    times of what finished. ``record`` holds them under "wall_s" beside any ``extra`` fields.
    A block that raises is not recorded."""

    def __init__(self, summary: str | os.PathLike | None = None, **extra: Any):
        self.summary = None if summary is None else Path(summary)
        self.record: dict[str, Any] = {**extra, "wall_s": {}}

    @contextlib.contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        yield
        self.record["wall_s"][name] = round(time.perf_counter() - t0, 1)
        if self.summary is not None:
            self.summary.write_text(json.dumps(self.record, indent=1))
