#!/usr/bin/env bash
# On the device: the attention bench's rows (alone, in a graph, and the step rows) at the planner's
# chunk and at multiples of it (`--chunk-scale F`: only the chunk changes), alternated by
# scripts/gpu/ab-options.sh over every cell of SHAPES x BATCHES x CONTEXTS that has step rows
# (batch <= 8, four copies of the cell's K + V within the bench's 1 GiB). The data for fitting the
# planner's chunk to the step's schedule (docs/PERFORMANCE.md, session 54: the step rows, unlike
# single launches, agree with the decode step on plans of more blocks); check a fit in the step
# with scripts/gpu/ab-e2e.sh and E2E_FLAG_SIDES="--decode-chunk-scale F".
# Settings: SCALES (default "0.5 2"), SHAPES (default "diffqkv_sigma gqa_std gqa_d128"), BATCHES
# (default "1 2 4 8"), CONTEXTS (default "2176 4224 8320 16512 32896": the capacities of decode steps
# of 2k-32k prompts and 128 new tokens), BENCH (default: run-prebuilt.sh's bench in /tmp/prebuilt,
# else build-gpu's), AB_ROUNDS / AB_ITERS (ab-options.sh's; here 2 and 30).
# Usage (device tool, after scripts/gpu/run-prebuilt.sh in the same call, carrying build/carry and
# .deps): bash scripts/gpu/sweep-chunk-scale.sh. Results under $OUT: chunk-scale.txt (raw rows) and
# the summary on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit
OUT=${OUT:-/tmp/aimicius-out}
BENCH=${BENCH:-/tmp/prebuilt/aimicius-bench-attention-new}
[ -x "$BENCH" ] || BENCH=$PWD/build-gpu/bench/aimicius-bench-attention
[ -x "$BENCH" ] || { echo "no attention bench: run scripts/gpu/run-prebuilt.sh or build build-gpu first"; exit 1; }
# K + V bytes a token of one sequence (kShapes of bench/attention_bench.cpp).
declare -A TOKEN_BYTES=([diffqkv_sigma]=$(( (4 + 16) * 64 * 2 )) [gqa_std]=$(( (16 + 16) * 64 * 2 ))
                        [gqa_d128]=$(( (8 + 8) * 128 * 2 )))
configs=()
for shape in ${SHAPES:-diffqkv_sigma gqa_std gqa_d128}; do
  bytes=${TOKEN_BYTES[$shape]:-}
  [ -n "$bytes" ] || { echo "unknown shape $shape (known: ${!TOKEN_BYTES[*]})"; exit 1; }
  for batch in ${BATCHES:-1 2 4 8}; do
    for ctx in ${CONTEXTS:-2176 4224 8320 16512 32896}; do
      (( batch <= 8 && 4 * batch * ctx * bytes <= 1 << 30 )) && configs+=("$shape:$batch:$ctx")
    done
  done
done
sides="$BENCH --planned-only"
for f in ${SCALES:-0.5 2}; do sides="$sides|$BENCH --planned-only --chunk-scale $f"; done
echo "sweep-chunk-scale: ${#configs[@]} cells, sides: $sides"
AB_ROUNDS=${AB_ROUNDS:-2} AB_ITERS=${AB_ITERS:-30} AB_SIDES="$sides" AB_NAME=chunk-scale \
  AB_CONFIGS="${configs[*]}" OUT=$OUT bash scripts/gpu/ab-options.sh | sed -n '/^median us per side/,$p'
