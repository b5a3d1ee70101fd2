#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install packages, build, and evaluate the bundled
# default model on every suite into aimicius.db, ending with the leaderboard.
# Until a trained checkpoint is bundled the default model is the oracle (the references
# themselves), and every table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-models.sh   # all-MiniLM-L6-v2: cmdgen's CMD and Output Scores
scripts/build.sh
build/harness/aimicius --db aimicius.db run --model oracle --jobs 2 "$@"
build/harness/aimicius --db aimicius.db report
