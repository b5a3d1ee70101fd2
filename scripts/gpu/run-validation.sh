#!/usr/bin/env bash
# One device call: build, run every test (the GPU ones included), validate against Hugging Face.
# Usage on the CUDA machine (device tool, carrying .deps): bash scripts/gpu/run-validation.sh
# Results go to $OUT (build log, ctest log, validation.json).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
( time bash scripts/gpu/build.sh ) > "$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/opt/deps/usr/bin:$PATH  # bwrap from the carried Debian package
(cd build-gpu && ctest -j8 --output-on-failure) > "$OUT/ctest.log" 2>&1; echo "ctest rc=$?" >> "$OUT/ctest.log"
tail -15 "$OUT/ctest.log"
[ "${SKIP_HF:-0}" = 1 ] && exit 0
PYTHONUNBUFFERED=1 python3 scripts/gpu/validate_hf.py "$OUT/validation.json" > "$OUT/validation.log" 2>&1
echo "validation rc=$?"; tail -40 "$OUT/validation.log"
