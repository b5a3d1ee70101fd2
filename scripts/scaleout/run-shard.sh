#!/bin/bash
# One shard of an evaluation split across machines: what each Slurm array task
# (scripts/slurm/shard.sbatch) and each Kubernetes Indexed Job pod (scripts/k8s/shards-job.yaml)
# runs, and what tests/scaleout/shard_flow_test.sh runs locally.
#
#   run-shard.sh K N     (K = the task's index, 0 <= K < N)
#
# Environment:
#   AIMICIUS_OUT    folder shared by every shard and the merge (one database per shard in it)
#   AIMICIUS_MODEL  the model spec, e.g. 'local:/ckpt/step-1000?device=cuda' (the same in every shard)
#   AIMICIUS_ARGS   more `run` options, split on spaces (e.g. "--suite cmdgen,infrawise --limit 100")
#   AIMICIUS_BIN    the aimicius binary (default: aimicius on PATH)
#   AIMICIUS_GLOBAL global options before the command, split on spaces (e.g. "--data-dir /data")
#
# Invariants: shard K writes only $AIMICIUS_OUT/shard-K.db, whose one run (run 1: the database is
# this script's alone) is shard K/N; a task run again (requeued, preempted, resubmitted) resumes
# that run where it stopped, and once it completed ($AIMICIUS_OUT/shard-K.done) does nothing.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 K N" >&2
  exit 2
fi
k=$1
n=$2
: "${AIMICIUS_OUT:?set AIMICIUS_OUT to the folder the shards share}"
: "${AIMICIUS_MODEL:?set AIMICIUS_MODEL to the model spec}"
bin=${AIMICIUS_BIN:-aimicius}
read -r -a global <<<"${AIMICIUS_GLOBAL:-}"
read -r -a extra <<<"${AIMICIUS_ARGS:-}"

mkdir -p "$AIMICIUS_OUT"
db="$AIMICIUS_OUT/shard-$k.db"
done_marker="$AIMICIUS_OUT/shard-$k.done"
if [ -e "$done_marker" ]; then
  echo "shard $k/$n: already complete ($db)" >&2
  exit 0
fi
if [ -e "$db" ]; then
  "$bin" "${global[@]}" --db "$db" run --resume 1 --format markdown
else
  "$bin" "${global[@]}" --db "$db" run --model "$AIMICIUS_MODEL" --shard "$k/$n" --format markdown "${extra[@]}"
fi
touch "$done_marker"
