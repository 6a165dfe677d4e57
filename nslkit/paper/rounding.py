"""How much of a measurement is rounding: the same computation under other BLAS kernels and
thread counts.

Most claims give the same digits on any machine. Two do not: C17's participation ratios and
error minima, and C18's distilled losses, whose least squares and Hessians meet condition
numbers far beyond 1/ε. For those, :func:`spread` runs the measurement again in fresh
processes under each of :data:`SETTINGS` (OpenBLAS's kernels, which the test suite also
runs, crossed with one and two threads) and keeps, for every number, the smallest and the
largest value seen. The measurement then shows such a number as a range
(:func:`nslkit.paper.findings.fmt_spread`), never to digits it does not have, and every page
that shows it reads the same stored range.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
from typing import Any, Callable, Iterable, Mapping

from .findings import Finding

__all__ = ["SETTINGS", "SENSITIVE", "flatten", "spread_of", "run_settings"]

#: (OPENBLAS_CORETYPE or None for the machine's own kernel, threads): the settings each
#: rounding-sensitive measurement is repeated under.
SETTINGS = tuple((core, threads) for core in (None, "Haswell", "Sandybridge", "Prescott") for threads in (1, 2))
#: The claims whose numbers move with the BLAS (measured: C17's ranks and minima, C18's losses,
#: ratio and Hessian condition differ between kernels in their second or third digit).
SENSITIVE = ("C17", "C18")


def flatten(numbers: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A finding's ``numbers`` as {path: value}, nested dicts and sequences joined by dots
    (``{"rank": {30: 2.05}}`` → ``{"rank.30": 2.05}``); only numbers are kept, and a list
    named "minima" is kept whole.

    Args:
        numbers: a finding's ``numbers``.
        prefix: put before every path.
    """
    out: dict[str, Any] = {}
    for k, v in numbers.items():
        path = f"{prefix}{k}"
        if k == "minima":
            out[path] = [float(m) for m in v]
        elif isinstance(v, Mapping):
            out.update(flatten(v, f"{path}."))
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            out.update({f"{path}.{i}": float(x) for i, x in enumerate(v)})
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[path] = float(v)
    return out


def spread_of(runs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """{path: [lo, hi]} over the flattened numbers of several runs of one measurement, and for
    the error minima "minima.sometimes": the minima (to two decimals) that only some runs
    find. Paths that not every run has are left out.

    Args:
        runs: the flattened ``numbers`` of each run.
    """
    runs = list(runs)
    out: dict[str, Any] = {}
    for path in set.intersection(*(set(r) for r in runs)):
        values = [r[path] for r in runs]
        if path.endswith("minima"):
            sets = [{round(m, 2) for m in v} for v in values]
            out[f"{path}.sometimes"] = sorted(set.union(*sets) - set.intersection(*sets))
            continue
        finite = [v for v in values if not math.isnan(v)]
        out[path] = [min(finite), max(finite)] if finite else [math.nan, math.nan]
    return dict(sorted(out.items()))


def run_settings(measure: Callable[..., Finding], args: tuple, kwargs: Mapping[str, Any],
                 settings=SETTINGS) -> list[dict[str, Any]]:
    """``measure(*args, **kwargs)`` in a fresh Python process under each of ``settings``:
    [{"setting", "verdict", "numbers" (flattened)}]. The inputs travel by a temporary pickle
    (written and read here only).

    Args:
        measure: a claim's measurement.
        args, kwargs: its arguments.
        settings: the BLAS settings (default :data:`SETTINGS`).
    """
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "job.pkl")
        with open(job, "wb") as fh:
            pickle.dump((measure, args, dict(kwargs)), fh)
        for core, threads in settings:
            env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
            env.pop("OPENBLAS_CORETYPE", None)
            if core:
                env["OPENBLAS_CORETYPE"] = core
            done = subprocess.run([sys.executable, "-m", "nslkit.paper.rounding", job], env=env, capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise RuntimeError(f"the measurement failed under OPENBLAS_CORETYPE={core} and {threads} "
                                   f"thread{'s' if threads != 1 else ''}:\n{done.stderr[-2000:]}")
            out.append({"setting": f"{core or 'default'} kernel, {threads} thread{'s' if threads != 1 else ''}",
                        **json.loads(done.stdout.strip().splitlines()[-1])})
    return out


def _main(job: str) -> None:
    import warnings

    warnings.simplefilter("ignore")
    with open(job, "rb") as fh:
        measure, args, kwargs = pickle.load(fh)
    f = measure(*args, **kwargs)
    print(json.dumps({"verdict": f.verdict, "numbers": flatten(f.numbers)}))


if __name__ == "__main__":
    _main(sys.argv[1])
