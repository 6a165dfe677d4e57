"""Train (or load) every run the book reads, at one scale, stage by stage, with wall times.

    python scripts/paper_runs.py --scale paper --stages main wide disentangle unary products \
        --summary runs.json

Each stage goes through nslkit.study, so the files land where the notebooks look for them
(the default results store, $NSLKIT_RESULTS, or --store). Stored runs are loaded, not
retrained: to time a stage from scratch, give it an empty --store. On a
GPU every width of a stage trains side by side in one launch sequence (the triton backend).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from nslkit import study
from nslkit.paper.scales import SCALES
from nslkit.provenance import device_name
from nslkit.train import resolve_device


def _stages(scale: str, device: str, store) -> dict:
    common = {"store": store, "train": True, "device": device, "progress": True}
    return {
        "main": lambda: [study.main_sweep(scale, act, **common) for act in ("silu", "leaky_relu")],
        "wide": lambda: study.wide_network(scale, **common),
        "disentangle": lambda: study.disentangle_networks(scale, **common),
        "unary": lambda: [study.target_sweep(scale, t, **common) for t in study.UNARY_TARGETS],
        # the products train on 1000 points; on a CPU the book uses 20 seeds ("cpu-small")
        "products": lambda: [study.target_sweep(scale, t, **common) for t in study.PRODUCT_TARGETS],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="paper", choices=list(SCALES))
    p.add_argument("--stages", nargs="+", default=["main", "wide", "disentangle", "unary", "products"],
                   choices=["main", "wide", "disentangle", "unary", "products"])
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--store", default=None, help="results folder (default: $NSLKIT_RESULTS or results/)")
    p.add_argument("--summary", type=Path, default=None, help="write the wall times here as JSON")
    a = p.parse_args(argv)
    dev = resolve_device(a.device)
    stages = _stages(a.scale, str(dev), a.store)
    out = {"scale": a.scale, "device": device_name(dev), "torch": torch.__version__, "wall_s": {}}
    for name in a.stages:
        t0 = time.perf_counter()
        stages[name]()
        out["wall_s"][name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: {out['wall_s'][name]} s", file=sys.stderr, flush=True)
        if a.summary:
            a.summary.write_text(json.dumps(out, indent=1))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
