#!/usr/bin/env bash
# The ablation of issue 9, CPU half. The GPU half trains the variants and measures them there
# (their checkpoints, 25-32 MB each, stay on the GPU machine):
#   device tool, carrying .deps:  CORPUS_ARGS="--optiflow-train 10000 --diagnostics-per-template 1500" \
#     VOCAB=4096 SEQ=4096 BATCH=8 LR=2e-3 WARMUP=40 STEPS=400 EVAL_EVERY=100 PARALLEL=6 KEEP= \
#     ANSWER_SUITES=cmdgen,infrawise,optiflow,diagnostics RUN_SUITES=infrawise,optiflow,diagnostics \
#     RUN_LIMIT=60 SEEDS="0 1 2 3 4" VARIANTS="gqa-small kcomp-small vcomp-small augq-small sigma-small" \
#     bash scripts/gpu/run-train.sh          (then unpack $OUT/results.tgz: RESULTS=results/)
#   and, for K and V halved, the same with VARIANTS="khalf-small vhalf-small" and no RUN_SUITES (into
#   the same RESULTS); the longer runs: STEPS=1000 EVAL_EVERY=250 SEEDS="0 1 2" VARIANTS="kcomp-small
#   vcomp-small", no RUN_SUITES (into LONG_RESULTS).
# This script measures each shape's CPU decode speed on a random-weight checkpoint (the weights'
# values do not change it) into RESULTS/cpu_decode.txt and writes docs/ABLATION.md with table.py.
# Usage: training/ablation/run.sh RESULTS [LONG_RESULTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RESULTS=${1:?usage: training/ablation/run.sh RESULTS [LONG_RESULTS]}
A=build/harness/aimicius
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > "$RESULTS/cpu_decode.txt"
for v in gqa-small kcomp-small vcomp-small khalf-small vhalf-small augq-small sigma-small; do
  $A make-checkpoint --config training/configs/$v.json --dtype bf16 --out "$WORK/$v" > /dev/null
  tps=$($A bench generate --checkpoint "$WORK/$v" --batch 1 --prompt-len 512 --new-tokens 64 --repeats 5 | tail -1 |
        sed -n 's/.*decode \([0-9.]*\) tokens\/s.*/\1/p')
  echo "$v $tps" | tee -a "$RESULTS/cpu_decode.txt"
done
python3 training/ablation/table.py "$RESULTS" ${2:-} > docs/ABLATION.md
echo "wrote docs/ABLATION.md"
