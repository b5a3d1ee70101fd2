#!/usr/bin/env bash
# Builds the kernels, their GPU tests and aimicius-bench-attention on a CUDA machine and runs them,
# writing results under $OUT (default ./gpu-out). Run from the repository root. GoogleTest and the
# other libraries come from Debian packages in .deps/ (see /work/shared/device/README.md):
#   echo /.deps/ >> .git/info/exclude; mkdir -p .deps && (cd .deps && apt-get download ...)
# LibTorch is not needed (-DAIMICIUS_WITH_TORCH=OFF).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT" /opt/deps
for f in .deps/*.deb; do dpkg -x "$f" /opt/deps; done
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-} PATH=/opt/deps/usr/bin:$PATH
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > "$OUT/gpu.csv" 2>&1
start=$(date +%s)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIMICIUS_WITH_TORCH=OFF -DAIMICIUS_CUDA_ARCHS=90 \
  -DCMAKE_PREFIX_PATH=/opt/deps/usr -DCMAKE_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu > "$OUT/configure.log" 2>&1 \
  && cmake --build build-gpu -j16 --target aimicius_gpu_tests aimicius-bench-attention > "$OUT/build.log" 2>&1
rc=$?
echo "build rc=$rc in $(( $(date +%s) - start )) s" | tee "$OUT/summary.txt"
if [ $rc -ne 0 ]; then tail -60 "$OUT/configure.log" "$OUT/build.log"; exit $rc; fi
start=$(date +%s)
timeout ${TEST_TIMEOUT:-240} ./build-gpu/tests/aimicius_gpu_tests ${GTEST_ARGS:-} --gtest_output=json:"$OUT/gpu_tests.json" \
  > "$OUT/gpu_tests.txt" 2>&1
echo "tests rc=$? in $(( $(date +%s) - start )) s" | tee -a "$OUT/summary.txt"
grep -E "^\[  (FAILED|PASSED|SKIPPED) |Failure|error" "$OUT/gpu_tests.txt" | head -40
start=$(date +%s)
timeout ${BENCH_TIMEOUT:-240} ./build-gpu/bench/aimicius-bench-attention ${BENCH_ARGS:-} > "$OUT/bench.jsonl" 2> "$OUT/bench.err"
echo "bench rc=$? in $(( $(date +%s) - start )) s" | tee -a "$OUT/summary.txt"
cat "$OUT/bench.jsonl" "$OUT/bench.err"
# Out-of-bounds and race checks on a few small tests, when the sanitizer is there.
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ -n "$CS" ] && [ -z "${SKIP_SANITIZER:-}" ]; then
  start=$(date +%s)
  timeout ${SANITIZER_TIMEOUT:-90} "$CS" --tool memcheck --error-exitcode 9 ./build-gpu/tests/aimicius_gpu_tests \
    --gtest_filter='DecodeAttention.CacheSlotsAndEmptyContext:DecodeAttention.ContextLongerThanPlanGivesNaN:SelectiveV.KAtLeastContextEqualsFullAttention' \
    > "$OUT/memcheck.txt" 2>&1
  echo "memcheck rc=$? in $(( $(date +%s) - start )) s" | tee -a "$OUT/summary.txt"
  tail -5 "$OUT/memcheck.txt"
fi
