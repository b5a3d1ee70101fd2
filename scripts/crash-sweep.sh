#!/usr/bin/env bash
# crash-sweep.sh N: N SIGKILL-and-resume cycles of `aimicius run`, each resumed run compared with
# an uninterrupted one (docs/RELIABILITY.md records the results).
#
# Models, in turn: replay:FILE (the oracle's outputs of the bundled data, every other one replaced
# by a wrong answer, so scores are mixed), oracle, and local:DIR (a tiny random tiny-diffqkv
# checkpoint from `aimicius make-checkpoint`, cmdgen only, 16 new tokens: its prompts are short). For each model, a baseline run goes
# uninterrupted into its own db. Then a sequence: a fresh db, `run` started and SIGKILLed after a
# random delay (0 .. 1.2 x the baseline's duration), then `run --resume ID` killed the same way,
# until a run ends by itself; its exit status must be 0 and its stored results (per example: the
# raw output, the answer, the error; per score row: the metric and value) equal the baseline's.
# Each SIGKILL is one cycle. A difference keeps both dbs under the work folder and counts as a
# failure; the script exits 1 when there was any.
#
# Data: this tree's datasets/. Environment: AIMICIUS_BIN (default build/harness/aimicius; it needs
# the runtime for local:; copied into the work folder first), AIMICIUS_ENCODER (default
# models/all-MiniLM-L6-v2), LIMIT (examples per suite, default 3),
# SWEEP_DIR (work folder, default a new one under $TMPDIR), SEED (of the delays, default 1),
# SWEPT (which models, default "replay oracle local"), LOCAL_CHECKPOINT (make-checkpoint's shape
# options for the local model, default "--preset tiny-diffqkv"), LOCAL_SPEC (appended to the local model's
# spec, e.g. "?device=cuda" on a GPU machine) and LOCAL_ARGS (its run options, default "--suite
# cmdgen --max-new-tokens 16"; where the encoder's weights are absent, a suite without embedding
# metrics, e.g. "--suite diagnostics --max-new-tokens 16"). Reads the dbs with the sqlite3 shell,
# or with Python's sqlite3 module where the shell is absent (the GPU machine).
set -euo pipefail

cycles=${1:?usage: scripts/crash-sweep.sh N}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AIMICIUS_BIN:-$root/build/harness/aimicius}
encoder=${AIMICIUS_ENCODER:-$root/models/all-MiniLM-L6-v2}
limit=${LIMIT:-3}
work=${SWEEP_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/aimicius-crash-sweep-XXXXXX")}
RANDOM=${SEED:-1}
mkdir -p "$work"
[[ -x $bin ]] || { echo "crash-sweep: no aimicius binary at $bin (set AIMICIUS_BIN)" >&2; exit 2; }
# The sweep runs a copy: a rebuild of the binary during the sweep (it takes an hour) must not
# change it or make it vanish while it links.
cp "$bin" "$work/aimicius"
bin=$work/aimicius

aim() { "$bin" --encoder "$encoder" --data-dir "$root/datasets" "$@"; }

# sql DB QUERY: rows as the sqlite3 shell prints them (columns joined by |, NULL as nothing).
sql() {
  if command -v sqlite3 > /dev/null; then
    sqlite3 "$1" "$2"
  else
    python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for statement in [q for q in sys.argv[2].split(";") if q.strip()]:
    for row in db.execute(statement):
        print("|".join("" if v is None else str(v) for v in row))' "$1" "$2"
  fi
}

# The results of the newest run of a db, one line each, in a fixed order (no timings, no ids).
results() {
  sql "$1" "
    SELECT 'P', suite, example_id, quote(raw_output), quote(answer), quote(error) FROM predictions
      WHERE run_id = (SELECT max(id) FROM runs) ORDER BY suite, example_id;
    SELECT 'S', suite, example_id, metric, printf('%.12g', value) FROM scores
      WHERE run_id = (SELECT max(id) FROM runs) ORDER BY suite, example_id, metric;
    SELECT 'R', status FROM runs WHERE id = (SELECT max(id) FROM runs);"
}

# Set-up: the checkpoint and the replay file.
# shellcheck disable=SC2086  # one word per option
aim make-checkpoint ${LOCAL_CHECKPOINT:---preset tiny-diffqkv} --out "$work/ckpt" > /dev/null
if [[ " ${SWEPT:-replay} " == *" replay "* ]]; then
aim --db "$work/replay-source.db" run --model oracle --limit "$limit" > /dev/null 2> "$work/setup.err"
python3 -c 'import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for suite, example_id, output in db.execute(
        "SELECT suite, example_id, CASE WHEN rowid % 2 = 0 THEN '"'echo wrong answer'"' ELSE raw_output END"
        " FROM predictions ORDER BY rowid"):
    print(json.dumps({"suite": suite, "example_id": example_id, "output": output}))' \
  "$work/replay-source.db" > "$work/replay.jsonl"
fi

local_model="local:$work/ckpt${LOCAL_SPEC:-}"
models=()
for kind in ${SWEPT:-replay oracle local}; do
  case $kind in
    replay) models+=("replay:$work/replay.jsonl") ;;
    oracle) models+=("oracle") ;;
    local) models+=("$local_model") ;;
    *) echo "crash-sweep: unknown model kind $kind in SWEPT (replay, oracle, local)" >&2; exit 2 ;;
  esac
done
declare -A extra=(["$local_model"]="${LOCAL_ARGS:---suite cmdgen --max-new-tokens 16}")
declare -A baseline_ms
for i in "${!models[@]}"; do
  m=${models[$i]}
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  aim --db "$work/base-$i.db" run --model "$m" --limit "$limit" ${extra[$m]:-} > /dev/null 2> "$work/base-$i.err"
  baseline_ms[$i]=$(( ($(date +%s%N) - start) / 1000000 ))
  results "$work/base-$i.db" > "$work/base-$i.txt"
  echo "baseline $m: $(grep -c '^P' "$work/base-$i.txt") examples, ${baseline_ms[$i]} ms"
done

kills=0 sequences=0 failures=0 resumes=0
declare -A kills_per
sweep_start=$(date +%s)
while (( kills < cycles )); do
  i=$(( sequences % ${#models[@]} ))
  m=${models[$i]}
  db="$work/seq.db"
  rm -f "$db" "$db-wal" "$db-shm"
  sequences=$((sequences + 1))
  # shellcheck disable=SC2206
  cmd=(run --model "$m" --limit "$limit" ${extra[$m]:-})
  while :; do
    max_ms=$(( baseline_ms[$i] * 12 / 10 + 1 ))
    delay_ms=$(( (RANDOM * 32768 + RANDOM) % max_ms ))
    # The binary itself in the background (not through a function: $! would be a subshell, and
    # SIGKILL would leave the run going on its own).
    "$bin" --encoder "$encoder" --data-dir "$root/datasets" --db "$db" "${cmd[@]}" > "$work/last.out" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    # A process that has ended but is not reaped yet (state Z) is not killed: it finished.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2> /dev/null || echo Z)
    if [[ $state != Z ]] && kill -9 "$pid" 2> /dev/null; then
      wait "$pid" 2> /dev/null || true
      kills=$((kills + 1))
      kills_per[$i]=$(( ${kills_per[$i]:-0} + 1 ))
      run=$( [[ -f $db ]] && sql "$db" "SELECT id, status FROM runs ORDER BY id DESC LIMIT 1" 2> /dev/null || true)
      echo "sequence $sequences ${cmd[*]}: killed after $delay_ms ms; run ${run:-none}" >> "$work/attempts.log"
      # Killed after the run was stored complete (while printing its table): nothing to resume.
      [[ $run == *"|complete" ]] && { status=0; break_out=1; } || break_out=0
      if (( ! break_out )); then
        if [[ -n $run ]]; then cmd=(run --resume "${run%%|*}"); resumes=$((resumes + 1)); fi
        continue
      fi
    else
      status=0
      wait "$pid" || status=$?
      echo "sequence $sequences ${cmd[*]}: ended with $status" >> "$work/attempts.log"
    fi
    results "$db" > "$work/seq.txt" || true
    if (( status != 0 )) || ! cmp -s "$work/seq.txt" "$work/base-$i.txt"; then
      failures=$((failures + 1))
      keep="$work/failure-$failures"
      mkdir -p "$keep"
      cp "$db" "$work/seq.txt" "$work/last.out" "$keep/"
      echo "FAILURE $failures: $m, sequence $sequences, exit $status (kept in $keep)"
      diff "$work/base-$i.txt" "$work/seq.txt" | head -5 || true
    fi
    break
  done
  if (( sequences % 20 == 0 )); then
    echo "progress: $kills kills, $sequences sequences, $failures failures, $(( $(date +%s) - sweep_start )) s"
  fi
done
elapsed=$(( $(date +%s) - sweep_start ))
per_model=""
for i in "${!models[@]}"; do per_model+="${per_model:+, }${models[$i]%%:*} ${kills_per[$i]:-0}"; done
echo "crash-sweep: $kills SIGKILLs ($per_model)," \
  "$resumes resumes, $sequences completed sequences, $failures differing from the uninterrupted run," \
  "$elapsed s ($(( elapsed * 1000 / (kills > 0 ? kills : 1) )) ms per cycle); work folder $work"
(( failures == 0 ))
