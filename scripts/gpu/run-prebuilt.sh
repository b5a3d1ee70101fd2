#!/usr/bin/env bash
# On the device, the kernels' work of a call with no kernel build: the binaries that
# scripts/gpu/pack-kernel-binaries.sh built here (carry build/carry and .deps). In order:
#  1. the SDPA peer (LibTorch 2.11 CUDA, which only the device has) is built in the background
#     (SKIP_SDPA=1: not built, the table without its column; for a call short of device time;
#     BACKGROUND_TARGETS adds targets to that build, e.g. "aimicius" so that a later call's
#     scripts/gpu/ab-e2e.sh on the same warm machine finds most of its build done);
#  2. meanwhile the kernel tests (GPU_TEST_FILTER, default every test of the binary, 37 s on an
#     H100 in session 57 with their host work threaded; GPU_TEST_TIMEOUT, default 420 s);
#  3. once the build is done (timings never share the CPUs with it), the kernel table:
#     the tree's bench (KERNEL_BENCH_ARGS, default --no-sweep), the SDPA peer, bench/decode_table.py;
#     TABLE_RUNS=N (default 1) runs bench and peer N times and tabulates each figure's median;
#     SKIP_TABLE=1 leaves this out;
#  4. with variants in build/carry, the A/B of their benches against the tree's, alternated over
#     AB_CONFIGS by scripts/gpu/ab-options.sh (AB_BENCH_FLAGS on every side, e.g. --planned-only);
#     AB_PLAN_SIDES ("flags|flags", the tree's bench with each set of flags) adds plan sides, and
#     AB_PEER=1 the SDPA peer built in step 1 (ab-options.sh; not with SKIP_TABLE or SKIP_SDPA),
#     timed in the same rounds.
# Usage (device tool, carry ["build/carry", ".deps"]): bash scripts/gpu/run-prebuilt.sh
# Results under $OUT, in one archive (pack-out.sh): gpu_tests.txt, kernels.jsonl, sdpa.jsonl (with
# TABLE_RUNS > 1: kernels-runN.jsonl, sdpa-runN.jsonl), table.md, ab.txt.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
source scripts/gpu/pack-out.sh
t0=$(date +%s)
P=/tmp/prebuilt
# Afresh each call: a warm machine keeps /tmp, and an earlier call's variants would join the A/B.
rm -rf $P /tmp/sdpa-build.rc && mkdir -p $P
compgen -G "build/carry/*.xz" > /dev/null || { echo "no build/carry/*.xz: run scripts/gpu/pack-kernel-binaries.sh here and carry build/carry"; exit 1; }
for f in build/carry/*.xz; do xz -dc "$f" > "$P/$(basename "$f" .xz)" && chmod +x "$P/$(basename "$f" .xz)"; done
# The binaries need libcudart.so.13: the toolkit's, else the one pip's torch brings.
cudart=$(find /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/lib/python3*/dist-packages/nvidia \
  /usr/lib/python3/dist-packages/nvidia -name 'libcudart.so.13*' 2>/dev/null | head -1)
export LD_LIBRARY_PATH=${cudart:+$(dirname "$cudart"):}/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
if [[ -z ${SKIP_TABLE:-} && -z ${SKIP_SDPA:-} ]]; then
  (BUILD_TARGETS="aimicius_sdpa_decode_bench ${BACKGROUND_TARGETS:-}" bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1; echo $? > /tmp/sdpa-build.rc) &
  build_pid=$!
fi
timeout "${GPU_TEST_TIMEOUT:-420}" $P/aimicius_gpu_tests --gtest_filter="${GPU_TEST_FILTER:-*}" > "$OUT/gpu_tests.txt" 2>&1
echo "kernel tests rc=$? at $(( $(date +%s) - t0 )) s"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/gpu_tests.txt" | head -20
if [[ -z ${SKIP_TABLE:-} ]]; then
  if [[ -n ${build_pid:-} ]]; then
    wait "$build_pid"
    echo "SDPA peer build rc=$(cat /tmp/sdpa-build.rc) at $(( $(date +%s) - t0 )) s"
  fi
  # TABLE_RUNS runs of the bench and its peer, one after the other (kernels-runN.jsonl,
  # sdpa-runN.jsonl when more than one); the table holds each figure's median over them.
  runs=${TABLE_RUNS:-1} kernel_files=() sdpa_files=()
  [[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "TABLE_RUNS=$runs: a count of runs, 1 or more"; runs=1; }
  for r in $(seq 1 "$runs"); do
    tag=""; (( runs > 1 )) && tag="-run$r"
    # shellcheck disable=SC2086  # KERNEL_BENCH_ARGS is several flags
    timeout "${KERNEL_BENCH_TIMEOUT:-200}" $P/aimicius-bench-attention-new ${KERNEL_BENCH_ARGS:---no-sweep} \
      > "$OUT/kernels$tag.jsonl" 2> "$OUT/kernels$tag.err"
    echo "kernel bench$tag rc=$? ($(wc -l < "$OUT/kernels$tag.jsonl") lines) at $(( $(date +%s) - t0 )) s"
    : > "$OUT/sdpa$tag.jsonl"  # no peer (SKIP_SDPA, a failed build): the table without its column
    # Only a peer built in this call: a failed build must not leave an earlier call's binary to run.
    if [[ $(cat /tmp/sdpa-build.rc 2>/dev/null) == 0 ]]; then
      timeout 150 build-gpu/bench/aimicius_sdpa_decode_bench > "$OUT/sdpa$tag.jsonl" 2> "$OUT/sdpa$tag.err"
      echo "sdpa peer$tag rc=$? at $(( $(date +%s) - t0 )) s"
    fi
    kernel_files+=("$OUT/kernels$tag.jsonl") sdpa_files+=("$OUT/sdpa$tag.jsonl")
  done
  python3 bench/decode_table.py "$(IFS=,; echo "${kernel_files[*]}")" "$(IFS=,; echo "${sdpa_files[*]}")" \
    > "$OUT/table.md" 2>&1
  cat "$OUT/table.md"
fi
SIDES=()
for f in "$P"/aimicius-bench-attention-*; do
  [[ $f == */aimicius-bench-attention-new ]] || SIDES+=("$f ${AB_BENCH_FLAGS:-}")
done
if (( ${#SIDES[@]} > 0 )) || [[ -n ${AB_PLAN_SIDES:-} ]]; then
  SIDES+=("$P/aimicius-bench-attention-new ${AB_BENCH_FLAGS:-}")
  if [[ -n ${AB_PLAN_SIDES:-} ]]; then
    IFS='|' read -r -a plans <<< "$AB_PLAN_SIDES"
    for flags in "${plans[@]}"; do SIDES+=("$P/aimicius-bench-attention-new $flags"); done
  fi
  AB_SIDES=$(printf '%s\n' "${SIDES[@]}" | paste -sd'|') AB_NAME=ab OUT=$OUT bash scripts/gpu/ab-options.sh
fi
echo "run-prebuilt: $(( $(date +%s) - t0 )) s"
