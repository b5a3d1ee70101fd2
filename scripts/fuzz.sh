#!/usr/bin/env bash
# fuzz.sh [SECONDS_PER_TARGET] [TARGET...]: builds the libFuzzer targets (CMakePresets.json's `fuzz`
# preset: clang, -fsanitize=fuzzer,address,undefined, no LibTorch, into build-fuzz/) and runs each
# for SECONDS_PER_TARGET (default 60), one after another, every target by default.
#
# Each target starts from its seed corpus fuzz/corpus/<target>/ (read, never written) and a
# working corpus build-fuzz/corpus/<target>/ that keeps growing between invocations. A crash,
# sanitizer report, uncaught exception, hang (-timeout, 10 s) or memory blow-up (-rss_limit_mb,
# 2 GB) stops that target and leaves its input in build-fuzz/findings/<target>/; the other
# targets still run. At the end one line per target (executions, execs/s, coverage, corpus,
# result) goes to stdout and to build-fuzz/fuzz-summary.txt; exit 1 when any target found
# something. docs/RELIABILITY.md records the results. Off CI: the goal there is >= 10M executions
# per target (e.g. `scripts/fuzz.sh 3600` on an idle machine), far more than CI's time allows.
#
# To free the cores for a while, stop a target with SIGINT (libFuzzer prints its final stats and
# exits 72, which the summary shows as a FINDING though none was saved) and start it again: the
# working corpus carries over. Not SIGSTOP: the unit it was running keeps its -timeout clock, and
# after SIGCONT it is saved as a timeout or slow unit that runs in milliseconds alone.
#
# Environment: JOBS (build parallelism, default 2), FUZZ_FLAGS (more libFuzzer flags, e.g.
# "-jobs=4 -workers=4" or "-dict=..."), CCACHE_DIR etc. as for the normal build.
set -euo pipefail

seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
cd "$root"

all_targets=$(sed -n 's/^  \([a-z_]*\) *#.*/\1/p' fuzz/CMakeLists.txt)
targets=${*:-$all_targets}

launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
[[ -f $build/build.ninja ]] || cmake --preset fuzz "${launcher[@]}" > /dev/null
# shellcheck disable=SC2086
ninja -C "$build" -j "${JOBS:-2}" $(printf 'fuzz_%s ' $targets) > "$build/fuzz-build.log" ||
  { tail -30 "$build/fuzz-build.log"; exit 2; }

summary=$build/fuzz-summary.txt
echo "# scripts/fuzz.sh $seconds, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" > "$summary"
printf '%-16s %12s %9s %6s %7s  %s\n' target executions execs/s cov corpus result | tee -a "$summary"
found=0
for t in $targets; do
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  log=$build/findings/$t/last-run.log
  status=0
  # shellcheck disable=SC2086
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$t/" ${FUZZ_FLAGS:-} "$build/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1 ||
    status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  corpus=$(find "$build/corpus/$t" -type f | wc -l)
  result=ok
  if (( status != 0 )); then
    found=1
    result="FINDING (exit $status): $(grep -m1 -E 'ERROR: |runtime error|terminate called|what\(\)' "$log" || echo see the log) -> $log"
  fi
  printf '%-16s %12s %9s %6s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" "$result" | tee -a "$summary"
done
exit $found
