#!/usr/bin/env bash
# The test job on a fresh Debian 12 machine: install packages, build, run the GoogleTest suite
# through ctest. GPU tests skip (and say so) on machines without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/fetch-models.sh
scripts/build.sh
cd build
# The encoder's tests against the real all-MiniLM-L6-v2 must run here, not skip.
AIMICIUS_REQUIRE_MODELS=1 ctest --output-on-failure -j"$(nproc)"
