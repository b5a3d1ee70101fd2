#!/usr/bin/env bash
# The decode-attention table of the small configurations (batch 1 / 4k and 32k, batch 8 / 4k, every
# shape: the ones whose caches fit bench/attention_bench.cpp's graph rows), in one short device
# call: builds the kernel tests, the attention bench and its SDPA peer, runs the kernel tests
# (GPU_TEST_FILTER, default DecodeAttention*:DecodeSplit*), each configuration's bench alone
# (--only), the SDPA peer on the GQA ones, and bench/decode_table.py (launches timed alone, and
# in a CUDA graph of a launch per layer). RUNTIME_TESTS=1 also builds and runs the runtime's CUDA
# tests (RUNTIME_TEST_FILTER, default ModelCuda*:Generat*; the LibTorch build adds ~3 minutes).
# For calls short of device time; the whole table is scripts/gpu/run-decode-bench.sh's. Usage
# (device tool, carrying .deps):
#   bash scripts/gpu/run-small-kernel-table.sh        Results under $OUT (table.md, *.jsonl).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
t0=$(date +%s)
export SKIP_KERNEL_BENCH=1 SKIP_GEMV_BENCH=1 SKIP_LAYER=1 SKIP_E2E=1
export GPU_TEST_FILTER=${GPU_TEST_FILTER:-'DecodeAttention*:DecodeSplit*'}
RUNTIME_TARGET=""
if [ -n "${RUNTIME_TESTS:-}" ]; then RUNTIME_TARGET=aimicius_runtime_tests; else export SKIP_RUNTIME_TESTS=1; fi
# The SDPA peer needs LibTorch with CUDA; without it the kernels' rows still come.
if ! BUILD_TARGETS="aimicius_gpu_tests $RUNTIME_TARGET aimicius-bench-attention aimicius_sdpa_decode_bench" OUT=$OUT/tests \
    bash scripts/gpu/run-decode-bench.sh; then
  echo "the build with the SDPA peer failed; again without it"
  BUILD_TARGETS="aimicius_gpu_tests $RUNTIME_TARGET aimicius-bench-attention" OUT=$OUT/tests bash scripts/gpu/run-decode-bench.sh
fi
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
B=build-gpu
CONFIGS="diffqkv_sigma:1:4096 diffqkv_sigma:1:32768 diffqkv_sigma:8:4096 gqa_std:1:4096 gqa_std:1:32768
gqa_std:8:4096 gqa_d128:1:4096 gqa_d128:1:32768 gqa_d128:8:4096"
for c in $CONFIGS; do
  timeout 60 $B/bench/aimicius-bench-attention --only "$c" >> "$OUT/kernels.jsonl" 2>> "$OUT/kernels.err" || echo "$c: rc=$?"
done
echo "kernel bench done at $(( $(date +%s) - t0 )) s"
if [ -x $B/bench/aimicius_sdpa_decode_bench ]; then
  # shellcheck disable=SC2046  # one argument per configuration
  timeout 100 $B/bench/aimicius_sdpa_decode_bench $(printf '%s\n' $CONFIGS | grep gqa) > "$OUT/sdpa.jsonl" 2> "$OUT/sdpa.err"
  echo "sdpa peer rc=$? at $(( $(date +%s) - t0 )) s"
fi
python3 bench/decode_table.py "$OUT/kernels.jsonl" "$OUT/sdpa.jsonl" > "$OUT/table.md" 2>&1
cat "$OUT/table.md"
echo "total $(( $(date +%s) - t0 )) s"
