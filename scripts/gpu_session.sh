#!/usr/bin/env bash
# Everything issue 16 needs a GPU for, as one device call of at most $BUDGET seconds (default 560;
# the performance chapter says why each step is there):
#   1. the CUDA tests of the fast path (kernel against eager, CUDA graph against plain launches,
#      CUDA against CPU for every backend);
#   2. the paper-scale main sweep, both activations, from scratch into a scratch store: its wall
#      time is the issue's 2-minute target; its medians are compared with the committed CPU runs
#      (inside their 95% bootstrap intervals?);
#   3. the bench at the issue's size (S = 1000, N = 10, P = 1000): every backend, both dtypes;
#   4. the runs still missing from results/, one after another with the time left ($RUNS: SCALE:STAGE
#      of scripts/paper_runs.py, or robust:STAGE of scripts/robustness_runs.py; both resume, so a
#      run cut short keeps its finished chunks).
# Each step gets a timeout no longer than the time left less a reserve for packing, and what it
# wrote is packed into $OUT after every step, so a step that overruns loses only itself.
# Usage on the device machine, from the repository root:  bash scripts/gpu_session.sh
# A dry run on a CPU:  SCALE=smoke DEVICE=cpu BENCH="--seeds 8 --steps 5" RUNS=smoke:unary bash scripts/gpu_session.sh
# What comes back under $OUT (at most 8 files of 16 MB): logs.tgz (versions, pytest log, bench
# JSON and table, main-sweep comparison, stage wall times) and results.tar (the new result files).
set -uo pipefail
OUT=${OUT:-/tmp/nslkit_out}
SCALE=${SCALE:-paper}
DEVICE=${DEVICE:-cuda}
BUDGET=${BUDGET:-560}
RESERVE=${RESERVE:-20}
RUNS=${RUNS:-cpu:products robust:long robust:leaky robust:wide paper:products}
BENCH=${BENCH:---seeds 1000 --width 10 --points 1000 --steps 200 --naive-networks 3 --naive-steps 200}
PY=${PY:-python3}
START=$(date +%s)
W=$(mktemp -d)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
touch "$W/.start"

left() { echo $(( BUDGET - RESERVE - ($(date +%s) - START) )); }
# within SECONDS CMD...: run CMD for at most SECONDS, or the time left if that is less
within() {
    local t=$1 l; shift; l=$(left)
    (( l < t )) && t=$l
    if (( t < 5 )); then echo "skipped (no time left): $*" >> "$W/steps.log"; return 124; fi
    local t0=$(date +%s); timeout "$t" "$@"; local rc=$?
    echo "rc=$rc after $(( $(date +%s) - t0 )) s (limit $t s): $*" >> "$W/steps.log"
    return $rc
}
# pack: the logs, and the result files newer than the start, into $OUT (overwritten each time)
pack() {
    tar -czf "$OUT/logs.tgz" --exclude=./scratch -C "$W" . 2>/dev/null
    find results -name '*.npz' -newer "$W/.start" | sort > "$W/new_results.txt"
    if [ -s "$W/new_results.txt" ]; then tar -cf "$OUT/results.tar" -T "$W/new_results.txt"; fi
}

{ $PY -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda)
try:
    import triton; print('triton', triton.__version__)
except ImportError: print('no triton')
print('device', torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')"
  nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw --format=csv 2>/dev/null
  echo "commit ${NSLKIT_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null)}"; date -u; } > "$W/versions.txt" 2>&1
cat "$W/versions.txt"; pack

# 1. the CUDA tests
within 150 $PY -m pytest -q -p no:cacheprovider -o addopts="" tests/test_fast.py tests/test_train.py -k cuda \
    > "$W/pytest.log" 2>&1
tail -3 "$W/pytest.log"; pack

# 2. the main sweep from scratch, and its medians against the committed CPU runs
within 200 $PY scripts/paper_runs.py --scale "$SCALE" --device "$DEVICE" --stages main --store "$W/scratch" \
    --summary "$W/main_sweep.json" > /dev/null 2> "$W/main_sweep.err"
cat "$W/main_sweep.json" 2>/dev/null; echo
within 60 $PY - "$W/scratch" "$SCALE" > "$W/main_vs_committed.txt" 2>&1 <<'PYEOF'
import sys, numpy as np
from nslkit import study
rng = np.random.default_rng(0)
for act in ("silu", "leaky_relu"):
    try:
        gpu = study.main_sweep(sys.argv[2], act, store=sys.argv[1], train=False)
        cpu = study.main_sweep(sys.argv[2], act, train=False)
    except FileNotFoundError as e:
        print(act, "missing:", e); continue
    for w in gpu:
        g, c = np.median(gpu[w].train_mse), cpu[w].train_mse
        boot = np.median(rng.choice(c, (2000, len(c))), axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        print(f"{act} N={w}: median train MSE GPU {g:.3e}, committed {np.median(c):.3e} "
              f"[{lo:.3e}, {hi:.3e}] ({cpu[w].provenance['device']}): {'inside' if lo <= g <= hi else 'OUTSIDE'}")
PYEOF
cat "$W/main_vs_committed.txt"; pack

# 3. the bench
within 150 $PY -m nslkit bench $BENCH --device "$DEVICE" --json > "$W/bench.json" 2> "$W/bench.err"
$PY -c "import json, sys, nslkit.backends.bench as b; print(b.format_table(json.load(open(sys.argv[1]))))" \
    "$W/bench.json" > "$W/bench.md" 2>&1
cat "$W/bench.md"; pack

# 4. the runs still missing from results/, one at a time
for run in $RUNS; do
    scale=${run%%:*}; stage=${run#*:}; name=${run/:/_}
    if [ "$scale" = robust ]; then
        within 600 $PY scripts/robustness_runs.py --stages "$stage" --summary "$W/runs_$name.json" \
            > /dev/null 2> "$W/runs_$name.err"
    else
        within 600 $PY scripts/paper_runs.py --scale "$scale" --device "$DEVICE" --stages "$stage" \
            --summary "$W/runs_$name.json" > /dev/null 2> "$W/runs_$name.err"
    fi
    cat "$W/runs_$name.json" 2>/dev/null; echo; pack
done
cat "$W/steps.log"; wc -l < "$W/new_results.txt"
ls -la "$OUT"
