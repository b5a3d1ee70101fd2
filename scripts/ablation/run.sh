#!/usr/bin/env bash
# The ablation of issue 9, CPU half: evaluates trained variants (folders written by
# scripts/gpu/run-train.sh, one per training/configs/*.json) with `aimicius run`, measures their
# decode speed with `aimicius bench generate`, and writes docs/ABLATION.md (scripts/ablation/table.py).
# Usage: scripts/ablation/run.sh TRAINED_DIR [LIMIT]     e.g. scripts/ablation/run.sh /work/.device/12 100
# LIMIT examples per suite (default 100; suites: cmdgen, whose prompts fit the tiny models' context).
set -euo pipefail
cd "$(dirname "$0")/../.."
TRAINED=${1:?usage: scripts/ablation/run.sh TRAINED_DIR [LIMIT]}
LIMIT=${2:-100}
A=build/harness/aimicius
DB=$(mktemp -d)/ablation.db
RESULTS=$(mktemp -d)
for dir in "$TRAINED"/*/; do
  v=$(basename "$dir")
  [ -f "$dir/train_log.json" ] || continue
  echo "== $v"
  $A --db "$DB" run --model "local:$dir" --suite cmdgen --limit "$LIMIT" --jobs 2 --max-new-tokens 96 > "$RESULTS/$v.run.txt"
  run_id=$(sed -n 's/^run \([0-9][0-9]*\) .*/\1/p' "$RESULTS/$v.run.txt" | tail -1)
  $A --db "$DB" report "$run_id" --format json --all-metrics > "$RESULTS/$v.report.json"
  $A bench generate --checkpoint "$dir" --batch 1 --prompt-len 512 --new-tokens 64 --repeats 3 | tail -1 > "$RESULTS/$v.bench.txt"
  cp "$dir/train_log.json" "$RESULTS/$v.train_log.json"
done
python3 scripts/ablation/table.py "$RESULTS" "$LIMIT" > docs/ABLATION.md
echo "wrote docs/ABLATION.md"
