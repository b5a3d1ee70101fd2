#!/usr/bin/env bash
# pack-kernel-binaries.sh: here (not on the device), builds the kernel tests and the attention bench
# in build/ (the README's build: nvcc 13.0, sm_90, linked to libcudart.so.13 alone, no LibTorch), and
# the bench once more for each A/B variant of AB_VARIANTS ("NAME=DIR ...", folders of files laid
# over the tree, as scripts/gpu/ab-kernels.sh's header shows; none by default). Stripped,
# xz-compressed copies go to build/carry/ (aimicius_gpu_tests, aimicius-bench-attention-new and
# -NAME per variant), small enough to carry to the device with .deps (64 MiB in all), where
# scripts/gpu/run-prebuilt.sh runs them with no build of its own: a fresh device machine spends
# ~2-3 minutes of a short lease building these otherwise, and device time is the scarce thing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[[ -f build/build.ninja ]] || { echo "no build/: run scripts/build.sh first" >&2; exit 2; }
export PATH=/usr/local/cuda/bin:$PATH
export B=build  # build_variants builds there
OUT=build/carry-log t0=$(date +%s)
mkdir -p "$OUT"
cmake --build build --target aimicius_gpu_tests aimicius-bench-attention > "$OUT/build.log" 2>&1 ||
  { tail -30 "$OUT/build.log"; exit 2; }
BUILT=()
if [[ -n ${AB_VARIANTS:-} ]]; then
  # shellcheck source=scripts/gpu/build-variants.sh
  source scripts/gpu/build-variants.sh
  build_variants bench/aimicius-bench-attention  # also rebuilds the tree's own: /tmp/aimicius-bench-attention-new
else
  cp build/bench/aimicius-bench-attention /tmp/aimicius-bench-attention-new
fi
rm -rf build/carry && mkdir -p build/carry
pack() { strip -o "build/carry/$2" "$1" && xz -T2 -6 "build/carry/$2"; }
pack build/tests/aimicius_gpu_tests aimicius_gpu_tests
for side in new "${BUILT[@]}"; do pack "/tmp/aimicius-bench-attention-$side" "aimicius-bench-attention-$side"; done
total=$(du -cm build/carry .deps | tail -1 | cut -f1)
echo "build/carry: $(find build/carry -type f -printf '%f ' | sort) (${total} MiB with .deps, $(( $(date +%s) - t0 )) s)"
if (( total > 45 )); then
  echo "more than 45 MiB with .deps (the tree needs ~18 of the device tool's 64): fewer variants" >&2
  exit 2
fi
