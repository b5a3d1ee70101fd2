#!/usr/bin/env bash
# The test job on a fresh Debian 12 machine: install packages, build, run the GoogleTest suite
# through ctest. GPU tests skip (and say so) on machines without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)"
