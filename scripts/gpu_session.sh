#!/usr/bin/env bash
# Everything issue 5 needs a GPU for, as one device call (the performance chapter says why):
#   1. the CUDA tests of the fast path (kernel against eager, CUDA graph against plain launches);
#   2. the bench at the issue's size (S = 1000, N = 10, P = 1000): every backend, both dtypes;
#   3. the paper-scale main sweep, both activations, from scratch into a scratch store: its wall
#      time is the issue's 2-minute target; its medians are compared with the committed CPU runs;
#   4. the remaining paper-scale runs into results/, stage by stage (STAGES).
# Usage on the device machine, from the repository root:  bash scripts/gpu_session.sh
# What comes back under $OUT (at most 8 files of 16 MB): logs.tgz (versions, pytest log, bench
# JSON and table, stage wall times) and results_N.tar (the new result files, at most 15 MB each).
set -uo pipefail
OUT=${OUT:-/tmp/nslkit_out}
W=$(mktemp -d)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}
touch "$W/.start"
{ $PY -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())"
  nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw --format=csv
  git rev-parse HEAD; date -u; } > "$W/versions.txt" 2>&1
cat "$W/versions.txt"
timeout 300 $PY -m pytest -q -p no:cacheprovider -o addopts="" tests/test_fast.py tests/test_train.py -k cuda \
    > "$W/pytest.log" 2>&1
tail -3 "$W/pytest.log"
timeout 300 $PY -m nslkit bench --seeds 1000 --width 10 --points 1000 --steps 200 --naive-networks 3 \
    --naive-steps 200 --json > "$W/bench.json" 2> "$W/bench.err"
$PY -c "import json, sys, nslkit.backends.bench as b; print(b.format_table(json.load(open(sys.argv[1]))))" "$W/bench.json" \
    > "$W/bench.md" 2>&1
cat "$W/bench.md"
timeout 600 $PY scripts/paper_runs.py --scale paper --device cuda --stages main --store "$W/scratch" \
    --summary "$W/main_sweep.json" > /dev/null 2> "$W/main_sweep.err"
cat "$W/main_sweep.json"
$PY - "$W/scratch" > "$W/main_vs_committed.txt" 2>&1 <<'PYEOF'
import sys, numpy as np
from nslkit import study
for act in ("silu", "leaky_relu"):
    gpu = study.main_sweep("paper", act, store=sys.argv[1], train=False)
    try:
        cpu = study.main_sweep("paper", act, train=False)
    except FileNotFoundError:
        print(act, "no committed paper-scale runs to compare with"); continue
    for w in gpu:
        print(f"{act} N={w}: median train MSE GPU {np.median(gpu[w].train_mse):.3e} "
              f"committed {np.median(cpu[w].train_mse):.3e} ({cpu[w].provenance['device']})")
PYEOF
cat "$W/main_vs_committed.txt"
timeout "${STAGE_TIMEOUT:-900}" $PY scripts/paper_runs.py --scale paper --device cuda \
    --stages ${STAGES:-main wide disentangle unary products} --summary "$W/runs.json" > /dev/null 2> "$W/runs.err"
cat "$W/runs.json"
tar -czf "$OUT/logs.tgz" --exclude=./scratch -C "$W" .
# the new result files, in tarballs of at most 15 MB (npz files are compressed already)
find results -name '*.npz' -newer "$W/.start" | sort | $PY -c '
import os, sys, tarfile
files, out, part, size = [l.strip() for l in sys.stdin], sys.argv[1], 0, 0
tar = None
for f in files:
    n = os.path.getsize(f)
    if tar is None or size + n > 15e6:
        if tar: tar.close()
        tar, size, part = tarfile.open(f"{out}/results_{part + 1}.tar", "w"), 0, part + 1
    tar.add(f); size += n
if tar: tar.close()
print(len(files), "result files in", part, "tarballs")' "$OUT"
ls -la "$OUT"
