#!/bin/bash
# Submits a sharded evaluation to Slurm: the shard array (one task and one GPU per shard), the
# merge after every shard succeeded (afterok on the array), the report after the merge.
#
#   scripts/slurm/submit.sh --model SPEC --shards N --out DIR [-- more `aimicius run` options]
#
# e.g. scripts/slurm/submit.sh --model 'local:/ckpt/step-1000?device=cuda&dtype=bf16' --shards 8 \
#        --out /shared/evals/step-1000 -- --suite cmdgen,infrawise
# AIMICIUS_BIN (default: aimicius on PATH) and AIMICIUS_GLOBAL (e.g. "--data-dir /shared/datasets")
# reach the jobs through the environment (sbatch exports it). Extra sbatch options for every job
# (partition, account) go in SBATCH_EXTRA. Prints the three job ids.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
model="" shards="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "$0: unknown option $1 (--model SPEC --shards N --out DIR [-- run options])" >&2; exit 2 ;;
  esac
done
if [ -z "$model" ] || [ -z "$out" ] || ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 --model SPEC --shards N --out DIR [-- run options]" >&2
  exit 2
fi
mkdir -p "$out"
export AIMICIUS_MODEL=$model AIMICIUS_SHARDS=$shards AIMICIUS_OUT=$out AIMICIUS_ARGS="$*"
export AIMICIUS_SCRIPTS="$here/../scaleout"  # a batch script runs from a spool copy: not beside its source
read -r -a extra <<<"${SBATCH_EXTRA:-}"

job_id() { cut -d';' -f1; }  # --parsable prints "id" or "id;cluster"
array=$(sbatch --parsable "${extra[@]}" --array="0-$((shards - 1))" --chdir="$out" "$here/shard.sbatch" | job_id)
merge=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array" --chdir="$out" "$here/merge.sbatch" | job_id)
report=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$merge" --chdir="$out" "$here/report.sbatch" | job_id)
echo "shards: job $array (array 0-$((shards - 1))), merge: job $merge, report: job $report; results in $out"
