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
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

__all__ = ["VERSION", "git_commit", "device_name", "provenance", "WallTimes"]

#: nslkit's version (``nslkit.__version__``), recorded with every run.
VERSION = "0.1.0"


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
    """A readable name of ``device``: the GPU's, or the CPU model and thread count."""
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
    return f"cpu: {model}, {torch.get_num_threads()} threads"


def provenance(device: torch.device, wall_s: float, **extra: Any) -> dict[str, Any]:
    """The provenance record of a run on ``device`` that took ``wall_s`` seconds, plus ``extra``."""
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
    """The wall times of a script's runs by name: ``with times("main"): ...`` times a block,
    prints "main: 12.3 s" to stderr and, when ``summary`` is a path, rewrites it as JSON after
    every block (so a killed script leaves the times of what finished). ``record`` holds them
    under "wall_s" beside any ``extra`` fields. :meth:`run_all` times named jobs one after
    another or all at once."""

    def __init__(self, summary: str | os.PathLike | None = None, **extra: Any):
        self.summary = None if summary is None else Path(summary)
        self.record: dict[str, Any] = {**extra, "wall_s": {}}
        self._lock = threading.Lock()  # blocks timed in threads (run_all) finish one at a time

    @contextlib.contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        yield
        with self._lock:
            self.record["wall_s"][name] = round(time.perf_counter() - t0, 1)
            print(f"{name}: {self.record['wall_s'][name]} s", file=sys.stderr, flush=True)
            if self.summary is not None:
                self.summary.write_text(json.dumps(self.record, indent=1))

    def run_all(self, jobs: Mapping[str, Callable[[], Any]], together: bool = False) -> None:
        """Run and time every job of ``jobs`` ({name: callable}): one after another, or with
        ``together`` each in its own thread, all at once. Jobs that submit their chunks to one
        Dask cluster then queue them side by side, so no worker idles at one sweep's tail while
        the next sweep waits to start. Together, a job that fails does not stop the others; the
        first failure is raised once all have ended (the times of those that finished are kept)."""
        def timed(name: str, job: Callable[[], Any]) -> None:
            with self(name):
                job()

        if not together:
            for name, job in jobs.items():
                timed(name, job)
            return
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = [pool.submit(timed, name, job) for name, job in jobs.items()]
        for fut in futures:
            fut.result()
