#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install packages, build, evaluate the bundled default
# model (checkpoints/sigma-mini, a trained 1.6M-parameter Sigma) on the first 50 test examples of
# each of the four suites (LIMIT=all takes every test example: ~18 minutes on 2 cores),
# check every suite's scorers with the oracle (the references themselves, labelled as such), and
# print the leaderboard with the paper's published figures beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-models.sh   # all-MiniLM-L6-v2: cmdgen's CMD and Output Scores
scripts/build.sh
LIMIT_ARGS=(--limit "${LIMIT:-50}")
if [ "${LIMIT:-50}" = all ]; then LIMIT_ARGS=(); fi
build/harness/aimicius --db aimicius.db run "${LIMIT_ARGS[@]}" --jobs 2 --max-new-tokens 256 "$@"
build/harness/aimicius --db aimicius.db run --model oracle --jobs 2
build/harness/aimicius --db aimicius.db report --published
