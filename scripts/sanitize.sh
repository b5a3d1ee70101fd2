#!/usr/bin/env bash
# sanitize.sh [LABEL...]: builds the tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (CMakePresets.json's `asan` preset: -fsanitize=address,undefined -fno-sanitize-recover=undefined,
# -O1 -g, into build-asan/) and runs ctest on the given labels (default: quick, then data).
#
# What runs: every test binary that does not link LibTorch. Debian's LibTorch is not built with
# ASan, so the sanitized build is configured without it (AIMICIUS_SANITIZE turns
# AIMICIUS_WITH_TORCH off): the runtime's model tests, the encoder, the trainer and the `local:`
# backend are not built, and the harness binaries are built without `local:`. The tests that need
# the encoder's weights skip as in any build without models/. The GPU tests are not built.
# Any sanitizer report fails its test (halt_on_error; UBSan does not recover). Leak detection is
# on. The result (tests passed and failed, time, each report) goes to stdout and to
# build-asan/sanitize-summary.txt; docs/RELIABILITY.md records it.
#
# SANITIZE_TORCH=1: the `asan-torch` preset instead (build-asan-torch/): LibTorch kept, so the
# runtime's model, scheduler and local: backend code runs sanitized too (LibTorch itself is not
# instrumented: ASan's container-overflow check is turned off there, since vectors that cross into
# uninstrumented code carry no annotations; every other check stays on). Give TARGETS and a label
# or test regex (CTEST_ARGS, e.g. "-R ^Model") to keep it to the runtime's tests.
# Environment: JOBS (build and ctest parallelism, default 2), TARGETS (test binaries to build,
# default all of the build), CTEST_ARGS (extra ctest arguments), CCACHE_DIR etc. as for the normal build.
set -euo pipefail

labels=${*:-quick data}
root=$(cd "$(dirname "$0")/.." && pwd)
preset=asan
[[ ${SANITIZE_TORCH:-} == 1 ]] && preset=asan-torch
build=$root/build-$preset
cd "$root"

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
[[ -f $build/build.ninja ]] || cmake --preset $preset "${launcher[@]}" > /dev/null
start=$(date +%s)
# shellcheck disable=SC2086
ninja -C "$build" -j "${JOBS:-2}" ${TARGETS:-} > "$build/sanitize-build.log" ||
  { tail -30 "$build/sanitize-build.log"; exit 2; }
built=$(date +%s)

asan_default=halt_on_error=1:detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
[[ $preset == asan-torch ]] && asan_default=$asan_default:detect_container_overflow=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_default}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
summary=$build/sanitize-summary.txt
echo "# scripts/sanitize.sh $labels, $(date -u +%Y-%m-%dT%H:%MZ), build $((built - start)) s, targets: ${TARGETS:-all}" > "$summary"
status=0
for label in $labels; do
  t0=$(date +%s)
  log=$build/sanitize-$label.log
  # With TARGETS, the binaries not built are left out (gtest_discover_tests names each such one
  # <binary>_NOT_BUILT), and the summary says which ran.
  exclude=()
  [[ -n ${TARGETS:-} ]] && exclude=(-E _NOT_BUILT)
  (cd "$build" && ctest -L "^$label\$" "${exclude[@]}" ${CTEST_ARGS:-} -j "${JOBS:-2}" --output-on-failure > "$log" 2>&1) || status=1
  {
    echo "label $label: $(grep -E 'tests passed|tests failed' "$log" | tail -1) in $(( $(date +%s) - t0 )) s"
    sed -n '/The following tests FAILED/,$p' "$log"
    grep -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$log" | sort | uniq -c || true
  } | tee -a "$summary"
done
exit $status
