"""Train (or load) every run the book reads, at one scale, stage by stage, with wall times.

    python scripts/paper_runs.py --scale paper --stages main wide disentangle unary products \
        --summary runs.json
    python scripts/paper_runs.py --scale paper --stages unary --seeds 200 300 400 --workers 2

``--seeds`` grows a stage step by step (every target reaches 200 seeds before any reaches 300);
``--workers K`` trains the chunks on a Dask LocalCluster of K processes, and ``--together`` queues
the chunks of all the stages at once (longest first) rather than stage after stage.

Each stage goes through nslkit.study, so the files land where the notebooks look for them
(the default results store, $NSLKIT_RESULTS, or --store). Stored runs are loaded, not
retrained: to time a stage from scratch, give it an empty --store. On a
GPU every width of a stage trains side by side in one launch sequence (the triton backend).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from nslkit import study
from nslkit.cluster import cluster
from nslkit.paper.scales import SCALES
from nslkit.provenance import WallTimes, device_name
from nslkit.train import resolve_device


def _stages(scale: str, device: str, store, seeds: int | None = None, client=None) -> dict:
    common = {"store": store, "train": True, "device": device, "progress": True, "client": client}
    sized = {**common, "seeds": seeds}
    return {
        "main": lambda: [study.main_sweep(scale, act, **sized) for act in ("silu", "leaky_relu")],
        "wide": lambda: study.wide_network(scale, **common),
        "disentangle": lambda: study.disentangle_networks(scale, **sized),
        "unary": lambda: [study.target_sweep(scale, t, **sized) for t in study.UNARY_TARGETS],
        # the products train on 1000 points; on a CPU the book uses 100 seeds ("cpu")
        "products": lambda: [study.target_sweep(scale, t, **sized) for t in study.PRODUCT_TARGETS],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="paper", choices=list(SCALES))
    p.add_argument("--stages", nargs="+", default=["main", "wide", "disentangle", "unary", "products"],
                   choices=["main", "wide", "disentangle", "unary", "products"])
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--store", default=None, help="results folder (default: $NSLKIT_RESULTS or results/)")
    p.add_argument("--summary", type=Path, default=None, help="write the wall times here as JSON")
    p.add_argument("--seeds", type=int, nargs="+", default=[None],
                   help="seed counts, one after another (default: the scale's); 'wide' keeps its own")
    p.add_argument("--workers", type=int, default=None, help="train on a Dask LocalCluster of this many processes")
    p.add_argument("--together", action="store_true",
                   help="queue the chunks of every stage at once (of one seed count; longest first), so that no worker "
                        "idles at a stage's tail; needs --workers")
    a = p.parse_args(argv)
    if a.together and a.workers is None:
        p.error("--together needs --workers: in one process the stages would only compete for its threads")
    dev = resolve_device(a.device)
    times = WallTimes(a.summary, scale=a.scale, device=device_name(dev), torch=torch.__version__)
    with cluster(workers=a.workers) as client:
        for seeds in a.seeds:
            stages = _stages(a.scale, str(dev), a.store, seeds, client)
            times.run_all({name if seeds is None else f"{name} to {seeds} seeds": stages[name] for name in a.stages},
                          together=a.together)
    print(json.dumps(times.record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
