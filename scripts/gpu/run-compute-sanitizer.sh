#!/usr/bin/env bash
# Issue 19 on the CUDA machine: the project's CUDA code under NVIDIA's compute-sanitizer (the GPU's
# counterpart of ASan: out-of-bounds and misaligned accesses, shared-memory races, reads of
# uninitialised device memory, invalid barrier use), in one device call after the build and the
# GPU runtime tests. Each tool runs the kernel tests (tests/kernels: every kernel against its float
# reference, edge shapes, bad parameters), then memcheck also runs the runtime's CUDA tests
# (LibTorch around the kernels: the fused decode step, graphs, the packed prefill).
# Usage (device tool, carrying .deps): bash scripts/gpu/run-compute-sanitizer.sh    Results under $OUT.
# KERNEL_FILTER and RUNTIME_FILTER (gtest filters), TOOLS (default "memcheck racecheck synccheck
# initcheck"), FILTER_<tool> (that tool's own kernel-test filter), SUITES ("DecodeAttention Gemv ...": one
# run per suite and tool instead), SAN_TIMEOUT (seconds per run, default
# 150; the runs go side by side), SKIP_RUNTIME_SAN=1, SKIP_RUNTIME_TESTS=1 (the plain run before).
# Only this machine kind's Firecracker runtime lets compute-sanitizer attach (KINDS.md).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
if [ -z "${SKIP_RUNTIME_TESTS:-}" ]; then
  timeout 200 $B/tests/aimicius_runtime_tests --gtest_filter="${RUNTIME_TEST_FILTER:-ModelCuda*:Generat*:GemmaCuda*:Gemma2Cuda*}" \
    > "$OUT/runtime_tests.txt" 2>&1
  echo "runtime tests rc=$?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/runtime_tests.txt" | head
fi
CS=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
"$CS" --version | tail -1
# One tool over one test binary: the sanitizer's summary line, its exit status (9: it reported an
# error; 124: the time ran out, the summary then covers the tests that ran) and the tests' verdict.
sanitize() {
  local tool=$1 name=$2 binary=$3 filter=$4
  timeout "${SAN_TIMEOUT:-150}" "$CS" --tool "$tool" --error-exitcode 9 --print-limit 20 \
    "$binary" --gtest_filter="$filter" > "$OUT/san-$tool-$name.txt" 2>&1
  local rc=$?
  echo "$tool $name rc=$rc at $(( $(date +%s) - t0 )) s: $(grep -E '^========= (ERROR SUMMARY|RACECHECK SUMMARY)' "$OUT/san-$tool-$name.txt" | tail -1)" \
    "| $(grep -cE '^\[       OK \]' "$OUT/san-$tool-$name.txt") tests ok, $(grep -cE '^\[  FAILED  \] .* \([0-9]+ ms\)$' "$OUT/san-$tool-$name.txt") failed"
}
# The runs share the GPU side by side (the sanitizers' cost is on the host's 16 cores; no test here
# times anything), so the call lasts as long as the slowest one.
# With SUITES, each tool runs once per test suite: a finding stops the CUDA context of its process
# (every later test of that process then fails), so separate processes keep one kernel's finding
# from hiding another's.
KF=${KERNEL_FILTER:-*}
for tool in ${TOOLS:-memcheck racecheck synccheck initcheck}; do
  per_tool="FILTER_$tool"  # FILTER_racecheck=...: this tool's own filter (racecheck is the slowest)
  if [ -n "${SUITES:-}" ]; then
    for suite in $SUITES; do
      sanitize "$tool" "kernels-$suite" $B/tests/aimicius_gpu_tests "$suite.*" > "$OUT/san-$tool-kernels-$suite.line" &
    done
  else
    sanitize "$tool" kernels $B/tests/aimicius_gpu_tests "${!per_tool:-$KF}" > "$OUT/san-$tool-kernels.line" &
  fi
done
[ -z "${SKIP_RUNTIME_SAN:-}" ] &&
  sanitize memcheck runtime $B/tests/aimicius_runtime_tests "${RUNTIME_FILTER:-ModelCuda*}" > "$OUT/san-memcheck-runtime.line" &
wait
cat "$OUT"/san-*.line
echo "total: $(( $(date +%s) - t0 )) s"
