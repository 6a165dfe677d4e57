#!/usr/bin/env bash
# The GPU session: one device call of at most $BUDGET seconds (default 560), a thin wrapper around
# `python -m nslkit reproduce` and `python -m nslkit bench` (the performance chapter says why each
# step is there):
#   1. the CUDA tests of the Triton backends (per-step kernel, whole-schedule kernel, CUDA graph);
#   2. scripts/gpu_loop_check.py: the paper-scale main sweep (both activations, 13 widths, 1000
#      seeds x 50,000 steps) with the whole-schedule kernel, from scratch, timed (issue 25's 15 s
#      target), its medians against the committed runs' 95% bootstrap intervals;
#   3. the bench at S = 1000, N = 10, P = 1000: every backend, both dtypes;
#   4. `python -m nslkit reproduce --scale $SCALE --only $STAGES` with the time left: what the store
#      lacks (at paper scale, the GPU-only products at 1000 seeds). It resumes, so a run cut short
#      keeps its finished chunks.
# Each step gets a timeout no longer than the time left less a reserve for packing, and what it
# wrote is packed into $OUT after every step, so a step that overruns loses only itself.
# Usage on the device machine, from the repository root:  bash scripts/gpu_session.sh
# A dry run on a CPU:  SCALE=smoke DEVICE=cpu LOOP_CHECK="--seeds 4 --steps 20 --device cpu" \
#   BENCH="--seeds 8 --steps 5" STAGES=unary TRITON_INTERPRET=1 bash scripts/gpu_session.sh
# What comes back under $OUT (at most 8 files of 16 MB): logs.tgz (versions, pytest log, loop check
# JSON, bench JSON and table, reproduce log) and results.tar (the new result files).
set -uo pipefail
OUT=${OUT:-/tmp/nslkit_out}
SCALE=${SCALE:-paper}
DEVICE=${DEVICE:-cuda}
BUDGET=${BUDGET:-560}
RESERVE=${RESERVE:-20}
STAGES=${STAGES:-products}
LOOP_CHECK=${LOOP_CHECK:---device $DEVICE}
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
within 150 $PY -m pytest -q -p no:cacheprovider -o addopts="" tests/test_fast.py tests/test_train.py \
    tests/test_triton_loop.py -k "cuda or triton_loop" > "$W/pytest.log" 2>&1
tail -3 "$W/pytest.log"; pack

# 2. the main sweep with the whole-schedule kernel, from scratch, against the committed runs
within 240 $PY scripts/gpu_loop_check.py "$W/loop_check.json" $LOOP_CHECK > "$W/loop_check.log" 2>&1
tail -40 "$W/loop_check.log"; pack

# 3. the bench
within 150 $PY -m nslkit bench $BENCH --device "$DEVICE" --json > "$W/bench.json" 2> "$W/bench.err"
$PY -c "import json, sys, nslkit.backends.bench as b; print(b.format_table(json.load(open(sys.argv[1]))))" \
    "$W/bench.json" > "$W/bench.md" 2>&1
cat "$W/bench.md"; pack

# 4. what the store still lacks at $SCALE, with the time left
within 600 $PY -m nslkit reproduce --scale "$SCALE" --device "$DEVICE" --only $STAGES --quiet \
    --summary "$W/reproduce.json" > "$W/reproduce.log" 2>&1
cat "$W/reproduce.log"; pack
cat "$W/steps.log"; wc -l < "$W/new_results.txt"
ls -la "$OUT"
