"""The in-kernel Triton loop (nslkit.backends.triton_loop) on a GPU: correct, how fast, same statistics.

    python scripts/gpu_loop_check.py OUT.json                       # paper scale, CUDA
    TRITON_INTERPRET=1 python scripts/gpu_loop_check.py OUT.json --seeds 4 --steps 20 --device cpu \\
        --widths 1 3 10                                              # a dry run on a CPU

1. A small run on the device against the eager trainer on the CPU (max relative difference of
   parameters, curve and losses; float64 should give about 1e-12).
2. The main sweep (x², every width of ``SWEEP_WIDTHS``, SiLU and LeakyReLU as the book's main
   sweep trains them), ``--seeds`` × ``--steps`` (default the paper's 1000 × 50,000, float64),
   in memory: nothing is stored. Every width of an activation is one ``train_many`` call; the
   kernels are compiled first by a 2-step run of the same shapes, so the wall time printed per
   activation is training alone (the compile time is recorded too).
3. Each width's median final test MSE (and train MSE) against the committed paper-scale runs
   (the default results store): inside their 95% bootstrap interval (1000 resamples; to within
   1e-6 relative, for the degenerate intervals of LeakyReLU's narrow widths)? A run at
   another scale is still compared, to exercise the code, but says so; the answer means
   something only at 1000 seeds × 50,000 steps.

The JSON (rewritten after every stage, so a run cut short keeps what finished): device, torch and
triton versions, git commit, date, the run's sizes and kernel knobs, the check, wall and compile
times per activation, and the comparison per width.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from nslkit import train
from nslkit.analysis.intervals import median_ci
from nslkit.backends import triton_loop
from nslkit.paper import study
from nslkit.paper.scales import SCALES, SWEEP_WIDTHS, scale_config
from nslkit.provenance import device_name, git_commit

ACTIVATIONS = ("silu", "leaky_relu")  # the main sweep's (study.main_sweep in the book's stages)
FIELDS = ("w", "b", "v", "c", "curve_loss", "train_mse", "test_mse")
#: A median within this relative distance of the interval counts as inside: LeakyReLU's N = 2-4
#: intervals are a single value (most seeds reach one minimum), which rounding alone may miss.
RTOL = 1e-6


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _versions() -> dict:
    try:
        import triton

        tv = triton.__version__
    except ImportError:
        tv = None
    return {"torch": torch.__version__, "cuda": torch.version.cuda, "triton": tv, "python": sys.version.split()[0]}


def check_against_eager(dev: torch.device, dtype: str, steps: int) -> dict:
    """A small run with the kernel on ``dev`` against the eager trainer on the CPU."""
    out = {}
    for act in ACTIVATIONS:
        cfg = scale_config("smoke", seeds=8, steps=steps, target="x2", activation=act, width=10, dtype=dtype,
                           test_points=500)
        [got] = triton_loop.train_many([cfg], dev, progress=False, segment=max(1, steps // 3))
        ref = train(cfg, "cpu", progress=False, backend="eager")
        out[act] = {name: _rel(getattr(got, name), getattr(ref, name)) for name in FIELDS}
        print(f"check {act} {dtype} ({steps} steps, 8 networks, N = 10): max relative difference "
              f"{max(out[act].values()):.2e}", flush=True)
    return out


def compare(results: dict, act: str, widths, n_boot: int) -> dict:
    """Each width's medians against the committed paper-scale runs' 95% bootstrap intervals."""
    try:
        committed = study.main_sweep("paper", act, widths, train=False)
    except FileNotFoundError as e:
        print(f"{act}: no committed paper-scale runs to compare with ({e})", flush=True)
        return {"missing": str(e)}
    rows = {}
    for w in widths:
        row = {}
        for field in ("test_mse", "train_mse"):
            ref = getattr(committed[w], field)
            med = float(np.median(getattr(results[w], field)))
            ref_med, (lo, hi) = median_ci(ref, n_boot=n_boot)
            inside = lo - RTOL * abs(lo) <= med <= hi + RTOL * abs(hi)
            row[field] = {"median": med, "committed_median": ref_med, "ci95": [lo, hi], "inside": inside}
        rows[w] = row
        t = row["test_mse"]
        print(f"{act} N={w}: median test MSE {t['median']:.3e}, committed {t['committed_median']:.3e} "
              f"[{t['ci95'][0]:.3e}, {t['ci95'][1]:.3e}]: {'inside' if t['inside'] else 'OUTSIDE'}"
              f" (train MSE: {'inside' if row['train_mse']['inside'] else 'OUTSIDE'})", flush=True)
    inside = sum(r["test_mse"]["inside"] for r in rows.values())
    print(f"{act}: {inside}/{len(rows)} test medians inside the committed 95% intervals", flush=True)
    return {"committed_device": committed[widths[0]].provenance.get("device"), "widths": rows}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="the JSON to write")
    p.add_argument("--device", default="cuda")
    p.add_argument("--seeds", type=int, default=SCALES["paper"]["seeds"])
    p.add_argument("--steps", type=int, default=SCALES["paper"]["steps"],
                   help="steps (the learning rate decays every steps/5, as at every scale)")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--widths", type=int, nargs="+", default=list(SWEEP_WIDTHS))
    p.add_argument("--activations", nargs="+", default=list(ACTIVATIONS), choices=list(triton_loop.ACT_CODES))
    p.add_argument("--segment", type=int, default=1000, help="steps per launch")
    p.add_argument("--max-tile", type=int, default=triton_loop.MAX_TILE, help="kernel knob: largest N×P tile")
    p.add_argument("--elems-per-thread", type=int, default=triton_loop.ELEMS_PER_THREAD, help="kernel knob")
    p.add_argument("--check-steps", type=int, default=300, help="steps of the check against eager (0: skip)")
    p.add_argument("--no-compare", action="store_true", help="skip the comparison with the committed runs")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--progress", action="store_true", help="show a progress bar per activation")
    args = p.parse_args(argv)

    dev = torch.device(args.device)
    triton_loop.MAX_TILE, triton_loop.ELEMS_PER_THREAD = args.max_tile, args.elems_per_thread
    record = {"device": device_name(dev), **_versions(), "git_commit": git_commit(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "seeds": args.seeds, "steps": args.steps, "dtype": args.dtype, "widths": args.widths,
              "segment": args.segment, "max_tile": args.max_tile, "elems_per_thread": args.elems_per_thread,
              "paper_scale": args.seeds == SCALES["paper"]["seeds"] and args.steps == SCALES["paper"]["steps"],
              "check": {}, "compile_s": {}, "wall_s": {}, "networks_per_s": {}, "compare": {}}

    def save() -> None:
        args.out.write_text(json.dumps(record, indent=1))

    print(f"{record['device']}, {_versions()}, commit {record['git_commit']}", flush=True)
    save()
    if args.check_steps:
        record["check"] = check_against_eager(dev, args.dtype, args.check_steps)
        save()
    fields = {} if args.steps == SCALES["paper"]["steps"] else {"steps": args.steps}
    for act in args.activations:
        base = scale_config("paper", seeds=args.seeds, target="x2", activation=act, dtype=args.dtype, **fields)
        cfgs = [base.replace(width=w) for w in args.widths]
        t0 = time.perf_counter()  # compile every group's kernel: the same shapes, 2 steps, one seed
        triton_loop.train_many([c.replace(seeds=[0], steps=2) for c in cfgs], dev, progress=False)
        record["compile_s"][act] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        results = triton_loop.train_many(cfgs, dev, progress=args.progress, segment=args.segment)
        wall = time.perf_counter() - t0
        record["wall_s"][act] = round(wall, 2)
        record["networks_per_s"][act] = round(len(cfgs) * args.seeds / wall, 1)
        print(f"{act}: {len(cfgs)} widths × {args.seeds} seeds × {args.steps} steps in {wall:.1f} s "
              f"(compile {record['compile_s'][act]:.1f} s)", flush=True)
        save()
        if not args.no_compare:
            if not record["paper_scale"]:
                print(f"{act}: this run is not at paper scale; the comparison below only exercises the code",
                      flush=True)
            record["compare"][act] = compare({r.config.width: r for r in results}, act, args.widths, args.n_boot)
            save()
    print(f"wall times {record['wall_s']}; written to {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
