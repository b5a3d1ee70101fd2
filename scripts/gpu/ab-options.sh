#!/usr/bin/env bash
# A/B of decode-attention plans on one GPU, in one device call: one build of the attention bench,
# run with each set of bench flags in AB_SIDES ("|" between sides, e.g. "--warp-units 0|--warp-units 1";
# a side may begin with the path of another build of the bench, as ab-kernels.sh's do),
# the sides alternated AB_ROUNDS times (default 2) over AB_CONFIGS (SHAPE:BATCH:CONTEXT), so every
# side sees the same card, clocks and neighbours. ab-kernels.sh compares two builds of the sources;
# this compares plans of one build. Run it after a driver script built build-gpu (e.g.
# scripts/gpu/run-decode-bench.sh with SKIP_KERNEL_BENCH=1).
# Output (scripts/gpu/ab_summary.py): one line per run, then each side's median per configuration;
# the raw rows in $OUT/$AB_NAME.txt (AB_NAME, default ab-options: name each run of a call
# differently to keep its rows).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
BENCH=build-gpu/bench/aimicius-bench-attention
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
t0=$(date +%s)
IFS='|' read -r -a SIDES <<< "${AB_SIDES:?AB_SIDES: flag sets separated by |}"
# Every side's binary must exist: its own (a side that begins with a path) or build-gpu's.
for side in "${SIDES[@]}"; do
  bin=$BENCH; [[ $side == /* ]] && bin=${side%% *}
  [ -x "$bin" ] || { echo "no $bin: build first"; exit 1; }
done
RAW="$OUT/${AB_NAME:-ab-options}.txt"
CONFIGS=${AB_CONFIGS:-"diffqkv_sigma:1:4096 diffqkv_sigma:1:32768 diffqkv_sigma:8:4096 gqa_std:1:4096 gqa_std:64:4096"}
for round in $(seq 1 "${AB_ROUNDS:-2}"); do
  for i in "${!SIDES[@]}"; do
    for c in $CONFIGS; do
      # A side that begins with a path (/...) runs that build of the bench (ab-kernels.sh's).
      # shellcheck disable=SC2086  # a side is several flags
      set -- ${SIDES[$i]}
      bench=$BENCH
      if [[ ${1:-} == /* ]]; then bench=$1; shift; fi
      timeout 90 "$bench" --only "$c" --no-sweep --iters "${AB_ITERS:-50}" "$@" 2>/dev/null |
        grep '"kind":"decode"' | sed "s/^/$i $round /"
    done
  done
done > "$RAW"
LABELS=()
for i in "${!SIDES[@]}"; do LABELS+=("$i=${SIDES[$i]}"); done
python3 scripts/gpu/ab_summary.py "$RAW" "${LABELS[@]}"
echo "ab-options: $(( $(date +%s) - t0 )) s"
