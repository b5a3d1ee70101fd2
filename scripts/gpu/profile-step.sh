#!/usr/bin/env bash
# Where one batch-1 decode step's time goes: Nsight Compute times every kernel of one eager decode
# step (--no-cuda-graphs: kernels one by one, so each is timed alone, without the overlap that
# programmatic dependent launch gives inside a graph) of random Sigma-1.5B- and STD-1.5B-shaped
# checkpoints at a 2k prompt, and sums time and DRAM bytes by kernel. Usage (device tool, carrying
# .deps): bash scripts/gpu/profile-step.sh   (reuses the checkpoints run-decode-bench.sh made, or
# makes them). Results under $OUT: ncu-step-MODEL.csv (raw) and step-profile-MODEL.txt (summary).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null)
W=/tmp/aimicius-bench; mkdir -p $W
[ -d $W/sigma ] || $A make-checkpoint --preset sigma-1.5b --dtype bf16 --out $W/sigma > /dev/null
[ -d $W/std ] || $A make-checkpoint --preset std-1.5b --dtype bf16 --out $W/std > /dev/null
for M in sigma std; do
  # One step: the fused step's kernels (gemv, rope_append) and attention's (decode_*); a step of
  # Sigma launches about 235 of them, STD 183.
  timeout 240 "$NCU" --clock-control none --csv --page raw --metrics gpu__time_duration.sum,dram__bytes_read.sum \
    --kernel-name regex:"gemv_kernel|rope_append|decode_" --launch-count ${COUNT:-240} \
    $A bench generate --checkpoint $W/$M --device cuda --batch ${BATCH:-1} --prompt-len 2048 --new-tokens 3 \
    --repeats 1 --warmup 0 --no-cuda-graphs > "$OUT/ncu-step-$M.csv" 2> "$OUT/ncu-step-$M.err"
  echo "== $M rc=$?"
  STEP=$([ $M = sigma ] && echo 235 || echo 183)  # kernels of one step (the graph's count less the embedding)
  python3 - "$OUT/ncu-step-$M.csv" $STEP <<'PY' | tee "$OUT/step-profile-$M.txt"
import csv, sys, collections
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
head = rows[0]; name = head.index("Kernel Name")
t = head.index("gpu__time_duration.sum"); b = head.index("dram__bytes_read.sum")
units = rows[1]
def num(s): return float(s.replace(",", "")) if s not in ("", "n/a") else 0.0
scale_t = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}[units[t]]  # -> us
scale_b = {"byte": 1.0, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9}[units[b]]
agg = collections.defaultdict(lambda: [0, 0.0, 0.0])
# The first step only (ncu's --launch-count may reach into the next one).
step = int(sys.argv[2]) if len(sys.argv) > 2 else len(rows) - 2
for r in rows[2:2 + step]:
    full = r[name].replace("(anonymous namespace)::", "")
    k = full.split("<")[0].split("(")[0].split("::")[-1].replace("void ", "").strip()
    k += " (pair)" if ", true>" in full else ""
    a = agg[k]; a[0] += 1; a[1] += num(r[t]) * scale_t; a[2] += num(r[b]) * scale_b
total = sum(a[1] for a in agg.values())
print(f"{'kernel':40s} {'count':>6s} {'us':>10s} {'share':>6s} {'MB':>8s} {'GB/s':>8s}")
for k, (n, us, by) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
    print(f"{k:40s} {n:6d} {us:10.1f} {us / total:6.1%} {by / 1e6:8.1f} {by / us / 1e3 if us else 0:8.0f}")
print(f"{'total':40s} {sum(a[0] for a in agg.values()):6d} {total:10.1f}")
PY
done
echo "total: $(( $(date +%s) - t0 )) s"
