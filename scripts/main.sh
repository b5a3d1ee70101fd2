#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install packages, build, evaluate the bundled default
# model (checkpoints/sigma-tiny, a trained tiny Sigma) on cmdgen, the suite whose prompts fit its
# 2,048-token context, check every suite's scorers with the oracle (the references themselves,
# labelled as such), and print the leaderboard with the paper's published figures beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-models.sh   # all-MiniLM-L6-v2: cmdgen's CMD and Output Scores
scripts/build.sh
build/harness/aimicius --db aimicius.db run --suite cmdgen --jobs 2 --max-new-tokens 96 "$@"
build/harness/aimicius --db aimicius.db run --model oracle --jobs 2
build/harness/aimicius --db aimicius.db report --published
