"""Time the main sweep (y = x², SiLU, the 13 widths) trained from scratch on 1 and on K Dask workers.

    python scripts/bench_workers.py --seeds 100 --workers 1 2 --out results/bench/workers.json

Each run trains into its own empty temporary store, so nothing is loaded; the losses of every
run are checked to be identical bit for bit. Timings want an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import nslkit as nk
from nslkit.cluster import cluster
from nslkit.provenance import device_name, provenance


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100, help="networks per width (default 100, the cpu scale)")
    p.add_argument("--steps", type=int, default=50_000, help="Adam steps (default 50,000)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to time (default 1 2)")
    p.add_argument("--activation", default="silu")
    p.add_argument("--out", type=Path, default=None, help="write the record here as JSON")
    a = p.parse_args(argv)
    cfg = nk.scale_config("cpu", seeds=a.seeds, steps=a.steps, target="x2", activation=a.activation)
    widths = list(nk.study.SWEEP_WIDTHS)
    t_all = time.perf_counter()
    rows, losses = [], {}
    for k in a.workers:
        with tempfile.TemporaryDirectory() as tmp, cluster(workers=k) as client:
            t0 = time.perf_counter()
            res = nk.sweep(cfg, widths, store=tmp, client=client, progress=True)
            wall = time.perf_counter() - t0
        losses[k] = np.concatenate([res[w].train_mse for w in widths])
        rows.append({"workers": k, "wall_s": round(wall, 1)})
        print(f"{k} worker(s): {wall:.1f} s", file=sys.stderr, flush=True)
    base = rows[0]["wall_s"]
    for r in rows:
        r["speedup"] = round(base / r["wall_s"], 2)
    identical = all(np.array_equal(losses[a.workers[0]], v) for v in losses.values())
    out = {"what": f"main sweep, x², {a.activation}, widths {widths}, {nk.scale_label(cfg)}, trained from scratch",
           "rows": rows, "identical_losses": identical,
           "provenance": provenance(torch.device("cpu"), time.perf_counter() - t_all,
                                    device_note=device_name(torch.device("cpu")) + " (the client's; workers use 1 thread)")}
    text = json.dumps(out, indent=1)
    if a.out:
        a.out.write_text(text + "\n")
    print(text)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
