#!/usr/bin/env bash
# The ablation of issue 9, CPU half: for trained variants (folders written by
# scripts/gpu/run-train.sh: VARIANT for seed 0, VARIANT-seedN for other seeds) it measures the
# held-out loss of every checkpoint on the same windows (`aimicius eval-loss`), evaluates the seed-0
# checkpoints with `aimicius run` on cmdgen (the suite whose prompts fit their context), measures
# their decode speed (`aimicius bench generate`), and writes docs/ABLATION.md (table.py).
# Usage: scripts/ablation/run.sh TRAINED_DIR [LIMIT]      LIMIT: cmdgen examples (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
TRAINED=${1:?usage: scripts/ablation/run.sh TRAINED_DIR [LIMIT]}
LIMIT=${2:-100}
A=build/harness/aimicius
WORK=$(mktemp -d)
RESULTS=$WORK/results
mkdir -p "$RESULTS"
$A corpus --out "$WORK/corpus" > /dev/null   # the corpus the variants were trained on (deterministic)
for dir in "$TRAINED"/*/; do
  v=$(basename "$dir")
  [ -f "$dir/train_log.json" ] || continue
  echo "== $v"
  cp "$dir/train_log.json" "$RESULTS/$v.train_log.json"
  $A eval-loss --checkpoint "$dir" --corpus "$WORK/corpus" --windows 32 --seq-len 1024 > "$RESULTS/$v.eval_loss.json"
  case "$v" in *-seed*) continue ;; esac
  $A --db "$WORK/ablation.db" run --model "local:$dir" --suite cmdgen --limit "$LIMIT" --jobs 2 --max-new-tokens 96 \
    > "$RESULTS/$v.run.txt"
  run_id=$(sed -n 's/^run \([0-9][0-9]*\) .*/\1/p' "$RESULTS/$v.run.txt" | tail -1)
  $A --db "$WORK/ablation.db" report "$run_id" --format json --all-metrics > "$RESULTS/$v.report.json"
  $A bench generate --checkpoint "$dir" --batch 1 --prompt-len 512 --new-tokens 64 --repeats 5 | tail -1 \
    > "$RESULTS/$v.bench.txt"
done
python3 scripts/ablation/table.py "$RESULTS" "$LIMIT" > docs/ABLATION.md
echo "wrote docs/ABLATION.md"
