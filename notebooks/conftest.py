"""nbval over the notebooks at their default scale, shared with the book build.

``make test`` runs ``pytest -n auto --dist load tests notebooks --nb-cache DIR`` (nbval's
``--nbval-lax`` is in pyproject.toml's addopts): each notebook's cells run in order in one
kernel, and every cell must run without error (the notebooks assert their own claims).

* All the cells of a notebook go to one pytest-xdist worker, while the other tests spread one
  by one (:func:`pytest_xdist_make_scheduler`).
* A notebook whose every cell passed is written, with the outputs nbval collected, into the
  jupyter-cache at ``--nb-cache`` (the book's, ``book/_build/.jupyter_cache``). The book build
  (``execute_notebooks: cache`` in _config.yml) then takes each notebook's outputs from there
  instead of executing it a second time. The cache keys on the code cells' source alone, so
  ``make test`` and ``make book`` empty it first: what the book shows was executed by this run,
  against this nslkit and these results.
"""
from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest

try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval not installed: nothing here applies
    IPyNbCell = None


def pytest_addoption(parser):
    parser.addoption("--nb-cache", default=None, metavar="DIR",
                     help="write each notebook whose every cell passed under nbval, executed, into the "
                          "jupyter-cache at DIR (make test: the book build's)")


def pytest_configure(config):
    if config.getoption("--nb-cache", None) is not None:
        try:
            import jupyter_cache  # noqa: F401
        except ImportError:
            raise pytest.UsageError("--nb-cache needs jupyter-cache (pip install -e '.[book]')") from None


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """For ``--dist load`` (or worksteal): the cells of one notebook are one unit of work, given to
    one worker (they share a kernel), every other test its own unit; the largest units go first.

    xdist's own ``loadgroup`` would do this with an ``xdist_group`` mark, but with pytest 9.2 it
    no longer groups anything (pytest-dev/pytest-xdist#1386: it renames node IDs, which pytest now
    builds itself), so the grouping is done here from the node IDs, which are left alone.
    """
    if config.getvalue("dist") not in ("load", "worksteal"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".ipynb") else nodeid

    return NotebookScheduling(config, log)


#: {notebook path: [code cells, cells passed, start time]} of the notebooks being run here
_PROGRESS: dict[Path, list] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (IPyNbCell is None or not isinstance(item, IPyNbCell) or report.when != "call"
            or item.config.getoption("--nb-cache", None) is None):
        return
    nb = item.parent.nb  # the notebook nbval read; item.cell is one of its cells
    path = Path(item.parent.path)
    cells = sum(c.cell_type == "code" for c in nb.cells)
    progress = _PROGRESS.setdefault(path, [cells, 0, time.time() - report.duration])
    if not report.passed or item.test_outputs is None:
        progress[1] = -len(nb.cells)  # a failed or skipped cell: this notebook is not cached
        return
    count = item.cell_num + 1
    for out in item.test_outputs:
        if out.output_type == "execute_result":
            out.execution_count = count
    item.cell.outputs = item.test_outputs
    item.cell.execution_count = count
    progress[1] += 1
    if progress[1] == cells:
        _cache(Path(item.config.getoption("--nb-cache")), path, nb, time.time() - progress[2])


def _cache(folder: Path, path: Path, nb, seconds: float) -> None:
    """Put the executed notebook into the jupyter-cache at ``folder``, under a lock: xdist's
    workers write side by side, and jupyter-cache's SQLite index is not made for that."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        get_cache(str(folder)).cache_notebook_bundle(
            CacheBundleIn(nb, str(path), data={"execution_seconds": seconds, "executed_by": "nbval"}),
            check_validity=True, overwrite=True)
