#!/usr/bin/env bash
# Issue 21's GPU check of `run --devices`: one suite on the STD-1.5B bench checkpoint, once on one
# runtime and once on two runtimes sharing GPU 0 (`--devices 0,0`; the lent machine has one GPU),
# greedy, so the stored raw outputs must be equal example by example. Results under $OUT.
# Usage (device tool, carrying .deps): bash scripts/gpu/check-devices.sh   (SUITE, LIMIT optional)
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
W=/tmp/aimicius-eval
source "$(dirname "$0")/bench-checkpoints.sh"; make_bench_checkpoints $W
cp checkpoints/sigma-mini/tokenizer.model $W/std/
DB=$OUT/devices.db; rm -f "$DB"
for d in "" "--devices 0,0"; do
  timeout 200 $A --db "$DB" run --model "local:$W/std?device=cuda" $d --suite ${SUITE:-diagnostics} \
    --limit ${LIMIT:-40} --batch-size 8 --max-new-tokens 32 > "$OUT/devices-run.txt" 2>&1
  echo "run ${d:-one runtime} rc=$?"; tail -2 "$OUT/devices-run.txt"
done
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = [r[0] for r in db.execute("SELECT id FROM runs ORDER BY id")]
a, b = (dict(db.execute("SELECT example_id, raw_output FROM predictions WHERE run_id=?", (r,))) for r in runs[:2])
same = sum(a[k] == b.get(k) for k in a)
print(f"devices check: runs {runs[:2]}: {len(a)} and {len(b)} predictions, {same} raw outputs equal")
PY
echo "total: $(( $(date +%s) - t0 )) s"
