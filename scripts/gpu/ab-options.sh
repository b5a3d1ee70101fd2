#!/usr/bin/env bash
# A/B of decode-attention plans on one GPU, in one device call: one build of the attention bench,
# run with each set of bench flags in AB_SIDES ("|" between sides, e.g. "--warp-units 0|--warp-units 1";
# a side may begin with the path of another build of the bench, as ab-kernels.sh's do),
# the sides alternated AB_ROUNDS times (default 2) over AB_CONFIGS (SHAPE:BATCH:CONTEXT), so every
# side sees the same card, clocks and neighbours. ab-kernels.sh compares two builds of the sources;
# this compares plans of one build. Run it after a driver script built build-gpu (e.g.
# scripts/gpu/run-decode-bench.sh with SKIP_KERNEL_BENCH=1).
# AB_PEER=1 adds the SDPA peer (build-gpu/bench/aimicius_sdpa_decode_bench, which run-prebuilt.sh
# and run-decode-bench.sh build; AB_PEER=PATH names another build) as the last side, timed on the GQA
# configurations in every round, so that plans are judged against it under the same clocks.
# Output (scripts/gpu/ab_summary.py): one line per run, then each side's median per configuration;
# the raw rows in $OUT/$AB_NAME.txt (AB_NAME, default ab-options: name each run of a call
# differently to keep its rows).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit
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
PEER=""
if [[ -n ${AB_PEER:-} ]]; then
  PEER=$AB_PEER; [[ $PEER == 1 ]] && PEER=build-gpu/bench/aimicius_sdpa_decode_bench
  [ -x "$PEER" ] || { echo "no $PEER: build the SDPA peer first (scripts/gpu/run-prebuilt.sh builds it)"; exit 1; }
fi
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
  if [[ -n $PEER ]]; then
    # The peer times the GQA shapes only (its SHAPE:BATCH:CONTEXT arguments are the --only names).
    gqa=$(tr ' ' '\n' <<< "$CONFIGS" | grep '^gqa' | paste -sd' ')
    # shellcheck disable=SC2086  # one argument a configuration
    [[ -n $gqa ]] && timeout 150 "$PEER" $gqa 2>/dev/null | grep '"kind":"sdpa_decode"' | sed "s/^/${#SIDES[@]} $round /"
  fi
done > "$RAW"
LABELS=()
for i in "${!SIDES[@]}"; do LABELS+=("$i=${SIDES[$i]}"); done
[[ -n $PEER ]] && LABELS+=("${#SIDES[@]}=SDPA (the peer)")
python3 scripts/gpu/ab_summary.py "$RAW" "${LABELS[@]}"
echo "ab-options: $(( $(date +%s) - t0 )) s"
