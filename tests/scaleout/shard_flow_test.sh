#!/bin/bash
# A sharded evaluation end to end on this machine, as a cluster would run it, checked against the
# same run unsharded (oracle, every bundled suite, the first 3 examples of each):
#   local  N = 3 `run-shard.sh` processes at once, then the merge (the N-process test);
#   slurm  scripts/slurm/shard.sbatch once per array task (SLURM_ARRAY_TASK_ID = 0..N-1, N = 2),
#          then merge.sbatch and report.sbatch as the dependent jobs run them; and submit.sh
#          against a stand-in sbatch that records its arguments: one array of N tasks, the merge
#          afterok on the array, the report afterok on the merge;
#   k8s    the Indexed Job's container command once per JOB_COMPLETION_INDEX with the manifest's
#          own environment (output folder, scripts and model pointed here), N from the manifest
#          (completions = parallelism = AIMICIUS_SHARDS is checked), then the merge Job's command.
# Each mode checks that the merged run equals the unsharded one (every prediction and score, the
# scores' details less execution timings), is
# complete, and that merging again adds nothing.
#
#   shard_flow_test.sh local|slurm|k8s AIMICIUS_BIN SOURCE_DIR [PYTHON]
# Exit 77 (ctest: skipped) for k8s when PYTHON cannot read YAML.
set -euo pipefail

mode=$1
bin=$2
src=$3
python=${4:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export AIMICIUS_BIN=$bin
export AIMICIUS_GLOBAL="--data-dir $src/datasets"
export AIMICIUS_MODEL=oracle
export AIMICIUS_ARGS="--limit 3"
export AIMICIUS_OUT=$tmp/out
export AIMICIUS_SCRIPTS=$src/scripts/scaleout

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

if [ "$mode" = k8s ] && ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "SKIP: $python has no yaml module (Debian: python3-yaml) to read the manifests" >&2
  exit 77
fi

# The reference: the same run, unsharded.
"$bin" --data-dir "$src/datasets" --db "$tmp/whole.db" run --model oracle --limit 3 >/dev/null 2>"$tmp/whole.err" ||
  fail "the unsharded run failed: $(cat "$tmp/whole.err")"

# Waits for every pid given; fails naming the shards that failed.
wait_all() {
  local failed=""
  local k=0
  for pid in "$@"; do
    wait "$pid" || failed="$failed $k"
    k=$((k + 1))
  done
  [ -z "$failed" ] || fail "shard(s)$failed failed (logs: $(cat "$tmp"/shard-*.log))"
}

case $mode in
  local)
    n=3
    pids=()
    for ((k = 0; k < n; k++)); do
      "$src/scripts/scaleout/run-shard.sh" "$k" "$n" >"$tmp/shard-$k.log" 2>&1 &
      pids+=($!)
    done
    wait_all "${pids[@]}"
    "$src/scripts/scaleout/merge-and-report.sh" "$n" merge >/dev/null
    ;;
  slurm)
    n=2
    export AIMICIUS_SHARDS=$n
    pids=()
    for ((k = 0; k < n; k++)); do
      SLURM_ARRAY_TASK_ID=$k bash "$src/scripts/slurm/shard.sbatch" >"$tmp/shard-$k.log" 2>&1 &
      pids+=($!)
    done
    wait_all "${pids[@]}"
    # A requeued task finds its shard complete and does nothing.
    SLURM_ARRAY_TASK_ID=0 bash "$src/scripts/slurm/shard.sbatch" 2>&1 | grep -q "already complete" ||
      fail "a rerun array task did not see its shard complete"
    bash "$src/scripts/slurm/merge.sbatch" >/dev/null
    bash "$src/scripts/slurm/report.sbatch" >/dev/null
    grep -q "cmdgen" "$AIMICIUS_OUT/report.md" || fail "report.md does not show the merged run"
    [ -s "$AIMICIUS_OUT/report.html" ] || fail "no report.html"

    # submit.sh's job graph, against a stand-in sbatch.
    mkdir -p "$tmp/fakebin"
    cat >"$tmp/fakebin/sbatch" <<'FAKE'
#!/bin/bash
touch "$SBATCH_LOG"
n=$(($(wc -l <"$SBATCH_LOG") + 101))
echo "$* | shards=$AIMICIUS_SHARDS model=$AIMICIUS_MODEL args=$AIMICIUS_ARGS" >>"$SBATCH_LOG"
echo "$n;cluster"
FAKE
    chmod +x "$tmp/fakebin/sbatch"
    SBATCH_LOG=$tmp/sbatch.log PATH="$tmp/fakebin:$PATH" \
      "$src/scripts/slurm/submit.sh" --model 'local:/ckpt?device=cuda' --shards 8 --out "$tmp/submitted" -- --limit 5 >/dev/null
    mapfile -t jobs <"$tmp/sbatch.log"
    [ "${#jobs[@]}" = 3 ] || fail "submit.sh made ${#jobs[@]} jobs, not 3: ${jobs[*]}"
    [[ ${jobs[0]} == *"--array=0-7 "*"shard.sbatch | shards=8 model=local:/ckpt?device=cuda args=--limit 5" ]] ||
      fail "the array job: ${jobs[0]}"
    [[ ${jobs[1]} == *"--dependency=afterok:101 "*"merge.sbatch"* ]] || fail "the merge job: ${jobs[1]}"
    [[ ${jobs[2]} == *"--dependency=afterok:102 "*"report.sbatch"* ]] || fail "the report job: ${jobs[2]}"
    ;;
  k8s)
    # Runs each manifest's container command as its pods would: the Indexed Job's once per index.
    "$python" - "$src/scripts/k8s" "$tmp" <<'PY' || fail "the Kubernetes manifests' commands"
import os, subprocess, sys, yaml
k8s, tmp = sys.argv[1], sys.argv[2]
def job(name):
    with open(os.path.join(k8s, name)) as f:
        doc = yaml.safe_load(f)
    assert doc["apiVersion"] == "batch/v1" and doc["kind"] == "Job", name
    container = doc["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    return doc["spec"], container["command"], env
def run(command, env, log):
    local = dict(os.environ)
    local.update(env)
    # Here, not in a pod: the scripts, the output folder and the model of this test.
    for key in ("AIMICIUS_OUT", "AIMICIUS_SCRIPTS", "AIMICIUS_MODEL", "AIMICIUS_ARGS"):
        local[key] = os.environ[key]
    with open(log, "w") as out:
        return subprocess.Popen(command, env=local, stdout=out, stderr=subprocess.STDOUT)
spec, command, env = job("shards-job.yaml")
assert spec["completionMode"] == "Indexed", "the shards' Job must be Indexed"
n = int(env["AIMICIUS_SHARDS"])
assert spec["completions"] == n and spec["parallelism"] == n, "completions, parallelism and AIMICIUS_SHARDS differ"
pods = [run(command, dict(env, JOB_COMPLETION_INDEX=str(k)), f"{tmp}/shard-{k}.log") for k in range(n)]
codes = [p.wait() for p in pods]
assert codes == [0] * n, f"pods exited {codes}: " + " ".join(open(f"{tmp}/shard-{k}.log").read() for k in range(n))
spec, command, merge_env = job("merge-job.yaml")
assert merge_env["AIMICIUS_SHARDS"] == env["AIMICIUS_SHARDS"], "the merge Job's N differs from the shards' Job's"
assert run(command, merge_env, f"{tmp}/merge.log").wait() == 0, open(f"{tmp}/merge.log").read()
PY
    n=$(grep -A1 'name: AIMICIUS_SHARDS' "$src/scripts/k8s/shards-job.yaml" | sed -n 's/.*value: "\([0-9]*\)"/\1/p')
    [ -s "$AIMICIUS_OUT/report.md" ] || fail "the merge Job wrote no report"
    ;;
  *)
    fail "unknown mode $mode (local, slurm, k8s)"
    ;;
esac

# The merged run equals the unsharded run, example by example, score by score.
compare() {
  "$python" - "$tmp/whole.db" "$AIMICIUS_OUT/merged.db" "$n" <<'PY'
import json, sqlite3, sys
whole, merged, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
TIMINGS = {"seconds", "wall_seconds"}  # how long an execution took: differs between any two runs
def untimed(j):
    if isinstance(j, dict):
        return {k: untimed(v) for k, v in j.items() if k not in TIMINGS}
    if isinstance(j, list):
        return [untimed(v) for v in j]
    return j
def run_of(db, merged_run):
    c = sqlite3.connect(db)
    runs = [r for r in c.execute("SELECT id, status, suites_json, config_json FROM runs")
            if ("merged_shards" in json.loads(r[3])) == merged_run]
    assert len(runs) == 1, f"{db}: {len(runs)} runs"
    rid, status, suites, config = runs[0]
    preds = sorted(c.execute("SELECT suite, example_id, subset, prompt_sha256, prompt, reference, raw_output, answer, "
                             "error, status FROM predictions WHERE run_id = ?", (rid,)))
    scores = sorted((s, e, m, v, json.dumps(untimed(json.loads(d)), sort_keys=True)) for s, e, m, v, d in
                    c.execute("SELECT suite, example_id, metric, value, detail_json FROM scores WHERE run_id = ?", (rid,)))
    return status, json.loads(suites), json.loads(config), preds, scores
ws, wsuites, wconfig, wpreds, wscores = run_of(whole, False)
ms, msuites, mconfig, mpreds, mscores = run_of(merged, True)
assert ms == "complete", f"merged run is {ms}"
assert mconfig["merged_shards"] == {"count": n, "indices": list(range(n))}, mconfig["merged_shards"]
assert msuites == wsuites, f"suites differ:\n{msuites}\n{wsuites}"
assert len({p[0] for p in wpreds}) == 4, "the reference run should cover the four bundled suites"
assert mpreds == wpreds, f"predictions differ ({len(mpreds)} merged, {len(wpreds)} unsharded)"
assert mscores == wscores, f"scores differ ({len(mscores)} merged, {len(wscores)} unsharded)"
print(f"merged == unsharded: {len(mpreds)} predictions, {len(mscores)} scores, {n} shards")
PY
}
compare || fail "the merged run differs from the unsharded run"
# Merging again changes nothing.
"$src/scripts/scaleout/merge-and-report.sh" "$n" merge >/dev/null 2>"$tmp/again.err"
grep -q " 0 example(s) added" "$tmp/again.err" || fail "merging again added examples: $(cat "$tmp/again.err")"
compare >/dev/null || fail "merging again changed the merged run"
echo "PASS ($mode)"
