#!/usr/bin/env bash
# Nsight Compute sections of the decode-attention kernels (split and combine passes) at a few
# configurations of aimicius-bench-attention, in one device call: time, DRAM throughput, issue
# activity, warp stall reasons, occupancy. Usage (device tool, carrying .deps):
#   BUILD_TARGETS=aimicius-bench-attention bash scripts/gpu/profile-decode.sh [SHAPE:BATCH:CONTEXT ...]
# Results under $OUT (one ncu report text per configuration). Clocks are left alone (METHOD.md).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null)
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(diffqkv_sigma:1:4096 diffqkv_sigma:1:32768 gqa_std:64:32768 gqa_d128:64:32768)
for c in "${CONFIGS[@]}"; do
  # Launches: the reference check, 3 warm-ups, then timed ones; skip the first 4 (split + combine each).
  timeout 120 "$NCU" --clock-control none --kernel-name regex:decode_ --launch-skip 4 --launch-count 2 \
    --section SpeedOfLight --section WarpStateStats --section Occupancy --section LaunchStats \
    --section SchedulerStats --section MemoryWorkloadAnalysis \
    $B/bench/aimicius-bench-attention --only "$c" --iters 20 > "$OUT/ncu-${c//:/-}.txt" 2>&1
  echo "== $c rc=$?"
  grep -E "decode_|Duration|DRAM Throughput|Memory Throughput|Issue Slots Busy|Achieved Occupancy|Theoretical Occupancy|Registers Per|Block Limit|No Eligible|One or More|Warp Cycles Per Issued" "$OUT/ncu-${c//:/-}.txt" | sed -E 's/ +/ /g' | cut -c1-150
done
echo "total: $(( $(date +%s) - t0 )) s"
