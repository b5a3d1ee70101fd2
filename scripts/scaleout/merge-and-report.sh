#!/bin/bash
# The end of a sharded evaluation: merges the N shard databases of $AIMICIUS_OUT into
# $AIMICIUS_OUT/merged.db (`aimicius merge`: refuses shards of different runs, and missing ones),
# then writes the report of merged.db ($AIMICIUS_OUT/report.md, report.html). What the Slurm merge
# and report jobs and the Kubernetes merge Job run. (To gate against a baseline, merge into the
# baseline's database instead: `aimicius merge BASELINE.db shard-*.db`, then `aimicius gate`.)
#
#   merge-and-report.sh N merge|report
#
# Environment: AIMICIUS_OUT, AIMICIUS_BIN, AIMICIUS_GLOBAL as for run-shard.sh.
# Invariants: reads the shard databases only; merging again (a rerun job) changes nothing.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 N merge|report" >&2
  exit 2
fi
n=$1
step=$2
: "${AIMICIUS_OUT:?set AIMICIUS_OUT to the folder the shards share}"
bin=${AIMICIUS_BIN:-aimicius}
read -r -a global <<<"${AIMICIUS_GLOBAL:-}"
merged="$AIMICIUS_OUT/merged.db"

case $step in
  merge)
    shards=()
    for ((k = 0; k < n; k++)); do shards+=("$AIMICIUS_OUT/shard-$k.db"); done
    # A missing file is named by merge itself (exit 2), as a missing shard run is.
    "$bin" "${global[@]}" merge "$merged" "${shards[@]}" --format markdown
    ;;
  report)
    "$bin" "${global[@]}" --db "$merged" report --all-metrics --format md --out "$AIMICIUS_OUT/report.md"
    "$bin" "${global[@]}" --db "$merged" report --format html --out "$AIMICIUS_OUT/report.html"
    ;;
  *)
    echo "$0: unknown step \"$step\" (merge, report)" >&2
    exit 2
    ;;
esac
