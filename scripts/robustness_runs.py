"""The runs behind the robustness chapter (notebooks/10_robustness.ipynb), stage by stage.

    python scripts/robustness_runs.py --stages long float32 leaky wide --workers 2

Every run goes through the chunked store (default: results/), so a killed run resumes where it
stopped and a finished one is loaded, not retrained. The configs are those of
``nslkit.paper.robustness`` (the chapter reads the same ones).
"""
from __future__ import annotations

import argparse
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
    a = p.parse_args(argv)
    times = WallTimes(a.summary)
    with cluster(workers=a.workers) as client:
        for stage in a.stages:
            for name, (cfg, widths) in robustness.RUNS[stage].items():
                if not a.only or any(text in name for text in a.only):
                    with times(f"{stage}: {name}"):
                        nk.sweep(cfg, widths, store=a.store, client=client, progress=True)
    print(json.dumps(times.record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
