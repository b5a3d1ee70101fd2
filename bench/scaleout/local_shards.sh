#!/bin/bash
# Examples/s of a sharded evaluation on one machine: for each N, N processes of
# scripts/scaleout/run-shard.sh at once, then the merge, timed from the first start to the merged
# run (docs/SCALING.md). Each N is repeated and the median wall time printed; N = 1 is the
# reference, measured in the same call.
#
#   bench/scaleout/local_shards.sh AIMICIUS_BIN MODEL "RUN OPTIONS" "N..." [REPEATS]
#   e.g. bench/scaleout/local_shards.sh build/harness/aimicius oracle "--limit 20" "1 2 4" 3
#
# Prints one line per N: shards, examples, median wall seconds (every repeat's in brackets),
# examples/s at the median. AIMICIUS_GLOBAL passes global options (e.g. "--data-dir DIR").
set -euo pipefail

bin=$1
model=$2
args=$3
counts=$4
repeats=${5:-3}
here=$(cd "$(dirname "$0")" && pwd)
scripts=$here/../../scripts/scaleout
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export AIMICIUS_BIN=$bin AIMICIUS_MODEL=$model AIMICIUS_ARGS=$args

echo "shards examples median_wall_s [walls] examples_per_s"
for n in $counts; do
  walls=()
  examples=0
  for ((r = 0; r < repeats; r++)); do
    export AIMICIUS_OUT=$tmp/n$n-r$r
    start=$(date +%s.%N)
    pids=()
    for ((k = 0; k < n; k++)); do
      "$scripts/run-shard.sh" "$k" "$n" >"$tmp/log-$n-$r-$k" 2>&1 &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || { cat "$tmp"/log-"$n"-"$r"-*; exit 1; }; done
    "$scripts/merge-and-report.sh" "$n" merge >/dev/null 2>"$tmp/merge.err" || { cat "$tmp/merge.err"; exit 1; }
    end=$(date +%s.%N)
    walls+=("$(echo "$end - $start" | bc)")
    examples=$(sed -n 's/.*: \([0-9]*\) example(s) added.*/\1/p' "$tmp/merge.err")
  done
  median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((repeats + 1) / 2))p")
  printf '%s %s %.1f [%s] %.2f\n' "$n" "$examples" "$median" "${walls[*]}" "$(echo "$examples / $median" | bc -l)"
done
