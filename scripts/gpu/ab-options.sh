#!/usr/bin/env bash
# A/B of decode-attention plans on one GPU, in one device call: one build of the attention bench,
# run with each set of bench flags in AB_SIDES ("|" between sides, e.g. "--warp-units 0|--warp-units 1"),
# the sides alternated AB_ROUNDS times (default 2) over AB_CONFIGS (SHAPE:BATCH:CONTEXT), so every
# side sees the same card, clocks and neighbours. ab-kernels.sh compares two builds of the sources;
# this compares plans of one build. Run it after a driver script built build-gpu (e.g.
# scripts/gpu/run-decode-bench.sh with SKIP_KERNEL_BENCH=1).
# Output: one line per run (side, round, shape, batch, context, kernel us, head-major us, paged us, read of
# the same bytes us, splits x chunk, warp_units), the raw rows in $OUT/$AB_NAME.txt (AB_NAME, default
# ab-options: name each run of a call differently to keep its rows), then each side's median per
# configuration.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
BENCH=build-gpu/bench/aimicius-bench-attention
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
[ -x $BENCH ] || { echo "no $BENCH: build first"; exit 1; }
t0=$(date +%s)
IFS='|' read -r -a SIDES <<< "${AB_SIDES:?AB_SIDES: flag sets separated by |}"
RAW="$OUT/${AB_NAME:-ab-options}.txt"
CONFIGS=${AB_CONFIGS:-"diffqkv_sigma:1:4096 diffqkv_sigma:1:32768 diffqkv_sigma:8:4096 gqa_std:1:4096 gqa_std:64:4096"}
for round in $(seq 1 "${AB_ROUNDS:-2}"); do
  for i in "${!SIDES[@]}"; do
    for c in $CONFIGS; do
      # shellcheck disable=SC2086  # a side is several flags
      timeout 90 $BENCH --only "$c" --no-sweep --iters "${AB_ITERS:-50}" ${SIDES[$i]} 2>/dev/null |
        grep '"kind":"decode"' | sed "s/^/$i $round /"
    done
  done
done > "$RAW"
python3 - "$RAW" "${SIDES[@]}" <<'EOF'
import json, statistics, sys
path, sides = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(path):
    side, rnd, js = line.split(" ", 2)
    d = json.loads(js)
    key = (d["shape"], d["batch"], d["context"])
    print(side, rnd, *key, d["time_us"], d.get("head_major_time_us"), d.get("paged_time_us"),
          d.get("read_same_bytes_us"), f'{d["splits"]}x{d["chunk"]}', d.get("warp_units"))
    runs.setdefault(key, {}).setdefault(int(side), []).append(d["time_us"])
print("\nmedian us per side:", " | ".join(f"{i}: {s}" for i, s in enumerate(sides)))
for key, per in runs.items():
    meds = [statistics.median(per[i]) if i in per else float("nan") for i in range(len(sides))]
    base = meds[0]
    print(*key, *(f"{m:.1f} ({m / base - 1:+.1%})" for m in meds))
EOF
echo "ab-options: $(( $(date +%s) - t0 )) s"
