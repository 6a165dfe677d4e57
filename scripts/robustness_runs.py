"""The runs behind the robustness chapter (notebooks/10_robustness.ipynb), stage by stage.

    python scripts/robustness_runs.py --stages long float32 leaky wide --workers 2 --together

Every run goes through the chunked store (default: results/), so a killed run resumes where it
stopped and a finished one is loaded, not retrained. ``--together`` queues every run's chunks
on the cluster at once, longest first, instead of one run after another. The configs are those of
``nslkit.paper.robustness`` (the chapter reads the same ones).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

import nslkit as nk
from nslkit.cluster import cluster
from nslkit.paper import robustness
from nslkit.provenance import WallTimes


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stages", nargs="+", default=list(robustness.RUNS), choices=list(robustness.RUNS))
    p.add_argument("--store", default=None, help="results folder (default: $NSLKIT_RESULTS or results/)")
    p.add_argument("--workers", type=int, default=None, help="train on a Dask LocalCluster of this many processes")
    p.add_argument("--summary", type=Path, default=None, help="write the wall times here as JSON")
    p.add_argument("--only", nargs="+", default=None, metavar="TEXT",
                   help="train only the runs whose name contains one of these (e.g. '200,000 steps')")
    p.add_argument("--together", action="store_true",
                   help="queue every run's chunks at once (longest first), so that no worker idles at a run's tail; "
                        "needs --workers")
    a = p.parse_args(argv)
    if a.together and a.workers is None:
        p.error("--together needs --workers: in one process the runs would only compete for its threads")
    times = WallTimes(a.summary)
    with cluster(workers=a.workers) as client:
        times.run_all({f"{stage}: {name}": functools.partial(nk.sweep, cfg, widths, store=a.store, client=client,
                                                              progress=True)
                       for stage in a.stages for name, (cfg, widths) in robustness.RUNS[stage].items()
                       if not a.only or any(text in name for text in a.only)}, together=a.together)
    print(json.dumps(times.record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
