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
import time
from pathlib import Path

import nslkit as nk
from nslkit.paper import robustness


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stages", nargs="+", default=list(robustness.RUNS), choices=list(robustness.RUNS))
    p.add_argument("--store", default=None, help="results folder (default: $NSLKIT_RESULTS or results/)")
    p.add_argument("--workers", type=int, default=None, help="train on a Dask LocalCluster of this many processes")
    p.add_argument("--summary", type=Path, default=None, help="write the wall times here as JSON")
    p.add_argument("--only", nargs="+", default=None, metavar="TEXT",
                   help="train only the runs whose name contains one of these (e.g. '200,000 steps')")
    a = p.parse_args(argv)
    client = None
    if a.workers:
        from nslkit.cluster import client_for

        client = client_for(workers=a.workers)
    out = {"wall_s": {}}
    try:
        for stage in a.stages:
            for name, (cfg, widths) in robustness.RUNS[stage].items():
                if a.only and not any(text in name for text in a.only):
                    continue
                t0 = time.perf_counter()
                nk.sweep(cfg, widths, store=a.store, client=client, progress=True)
                out["wall_s"][f"{stage}: {name}"] = round(time.perf_counter() - t0, 1)
                print(f"{stage}: {name}: {out['wall_s'][f'{stage}: {name}']} s", file=sys.stderr, flush=True)
                if a.summary:
                    a.summary.write_text(json.dumps(out, indent=1))
    finally:
        if client is not None:
            client.close()
            client.cluster.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
