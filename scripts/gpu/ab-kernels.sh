#!/usr/bin/env bash
# A/B of kernel sources on one GPU, in one device call: the attention bench built from the old
# versions of some files and from the working tree's, the two binaries alternated (AB_ROUNDS, default
# 2) over AB_CONFIGS (SHAPE:BATCH:CONTEXT of aimicius-bench-attention), so both sides see the same
# card, clocks and neighbours. Run it after a driver script built build-gpu (e.g.
# scripts/gpu/run-decode-bench.sh). The old files come in AB_OLD (default .ab/old) at their paths in
# the repository; prepare them here with, e.g.:
#   mkdir -p .ab/old/kernels && git show HEAD:kernels/decode_attention_mma.cuh > .ab/old/kernels/decode_attention_mma.cuh
#   echo /.ab/ >> .git/info/exclude        # then name .ab in the device call's carry
# AB_ITERS (default 50) launches a run; AB_BENCH_FLAGS go to every run (e.g. --planned-only).
# Output: one line per run (side, round, shape, batch, context, kernel us, read of the same bytes us,
# paged us), raw rows in $OUT/ab.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
B=build-gpu
OLD=${AB_OLD:-.ab/old}
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/usr/local/cuda/bin:/opt/deps/usr/bin:$PATH
t0=$(date +%s)
[ -x $B/bench/aimicius-bench-attention ] || { echo "no $B/bench/aimicius-bench-attention: build first"; exit 1; }
mapfile -t FILES < <(cd "$OLD" && find . -type f | sed 's|^\./||')
[ ${#FILES[@]} -gt 0 ] || { echo "no files under $OLD"; exit 1; }
cp $B/bench/aimicius-bench-attention /tmp/bench-new
SAVED=$(mktemp -d)
for f in "${FILES[@]}"; do mkdir -p "$SAVED/$(dirname "$f")"; cp "$f" "$SAVED/$f"; cp "$OLD/$f" "$f"; done
cmake --build $B --target aimicius-bench-attention > "$OUT/ab-build.log" 2>&1 || tail -20 "$OUT/ab-build.log"
cp $B/bench/aimicius-bench-attention /tmp/bench-old
for f in "${FILES[@]}"; do cp "$SAVED/$f" "$f"; done
cmake --build $B --target aimicius-bench-attention >> "$OUT/ab-build.log" 2>&1  # the tree's binary again
echo "old build: $(( $(date +%s) - t0 )) s (${FILES[*]})"
CONFIGS=${AB_CONFIGS:-"diffqkv_sigma:1:4096 diffqkv_sigma:1:32768 diffqkv_sigma:8:4096 gqa_std:1:4096 gqa_d128:1:32768"}
for round in $(seq 1 "${AB_ROUNDS:-2}"); do
  for side in old new; do
    for c in $CONFIGS; do
      timeout 90 /tmp/bench-$side --only "$c" --no-sweep --iters "${AB_ITERS:-50}" ${AB_BENCH_FLAGS:-} 2>/dev/null | grep '"kind":"decode"' | sed "s/^/$side $round /"
    done
  done
done | tee "$OUT/ab.txt" | python3 -c '
import sys, json
for line in sys.stdin:
    side, rnd, js = line.split(" ", 2); d = json.loads(js)
    print(side, rnd, d["shape"], d["batch"], d["context"], d["time_us"], d.get("read_same_bytes_us"), d.get("paged_time_us"))'
echo "ab: $(( $(date +%s) - t0 )) s"
