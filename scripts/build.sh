#!/usr/bin/env bash
# Configures and builds aimicius into build/ (Release with debug info, Ninja). CUDA kernels are
# compiled when nvcc is found (/usr/local/cuda), skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j"$(nproc)"
