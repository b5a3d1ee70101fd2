#!/usr/bin/env bash
# Issue 18 on the CUDA machine, in one device call: `aimicius bench eval` (a whole run of the four
# suites on random-weight Sigma-1.5B- and STD-1.5B-shaped checkpoints, fixed-length answers,
# greedy, scored and stored as any run) beside its peer, Hugging Face `generate` over the same
# token ids in batches (bench/hf_eval_bench.py, STD only: transformers has no DiffQKV), and the
# physical floor at the read bandwidth measured in the same call and the H200's dense BF16 peak
# (989 TFLOPS, NVIDIA's H200 datasheet figure without sparsity).
# Usage (device tool, carrying .deps): bash scripts/gpu/run-eval-bench.sh     Results under $OUT.
# NEW (new tokens, default 64), BATCH (sequences at once, default 64), LIMIT (examples per suite,
# default all), MODELS (default "std sigma"), PREFIX_REUSE (the local: spec's prefix_reuse values to run,
# default 1; "1 0" runs both), REPEATS and HF_REPEATS (default 1), HF_BATCH (default BATCH;
# at batch 64 of ~5k-token prompts transformers runs out of memory on the prefill logits), SKIP_HF=1, SKIP_TESTS=1,
# RUNTIME_TEST_FILTER (the GPU runtime tests run first; default ModelCuda*:Generate*:GemmaCuda*:Gemma2Cuda*),
# SPEC_OPTIONS (appended to the local: spec, e.g. "&phase_times=1" for the time of each phase),
# SPEC_VARIANTS (space-separated, each appended after SPEC_OPTIONS in a run of its own, "-" for
# none: SPEC_VARIANTS="- &max_active=auto" runs --batch-size and the paged pool sized from memory).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
if [ -z "${SKIP_TESTS:-}" ]; then
  timeout 200 $B/tests/aimicius_runtime_tests --gtest_filter="${RUNTIME_TEST_FILTER:-ModelCuda*:Generate*:GemmaCuda*:Gemma2Cuda*}" > "$OUT/runtime_tests.txt" 2>&1
  echo "runtime tests rc=$?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/runtime_tests.txt" | head
  # Two runtimes on one GPU (run --devices 0,0) answer a run as one does.
  timeout 120 $B/tests/aimicius_tests --gtest_filter='DevicePoolLocal.*' > "$OUT/device_pool_tests.txt" 2>&1
  echo "device pool tests rc=$?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/device_pool_tests.txt" | head
fi
timeout 60 $B/bench/aimicius-bench-attention --only none > "$OUT/bandwidth.jsonl" 2>&1
READ=$(python3 -c 'import json,sys; print(next(json.loads(l)["bandwidth_gbs"] for l in open(sys.argv[1]) if l.startswith("{") and json.loads(l)["kind"]=="read"))' "$OUT/bandwidth.jsonl")
echo "read bandwidth: $READ GB/s"
timeout 60 $A bench sandbox --runs 50 --repeats 1 2>&1 | tail -2  # the suites execute answers in bwrap
W=/tmp/aimicius-eval
source "$(dirname "$0")/bench-checkpoints.sh"; make_bench_checkpoints $W
cp checkpoints/sigma-mini/tokenizer.model $W/sigma/; cp checkpoints/sigma-mini/tokenizer.model $W/std/
N=${NEW:-64}; BS=${BATCH:-64}
# models/ (all-MiniLM-L6-v2, 88 MB) is not carried to this machine: a hashing stand-in scores cmdgen's
# embedding metrics here (bench eval --hashing-embedder).
EMB=; [ -f models/all-MiniLM-L6-v2/model.safetensors ] || EMB=--hashing-embedder
LIM=${LIMIT:+--limit $LIMIT}
for r in $(seq ${REPEATS:-1}); do  # repeats outermost: each variant's runs spread over the call
  for m in ${MODELS:-std sigma}; do
    for pr in ${PREFIX_REUSE:-1}; do
      vi=0
      for v in ${SPEC_VARIANTS:--}; do
        vi=$((vi + 1)); extra=${SPEC_OPTIONS:-}; [ "$v" = - ] || extra="$extra$v"
        echo "== eval $m prefix_reuse=$pr$extra repeat $r" | tee -a "$OUT/eval-$m.txt"
        timeout ${EVAL_TIMEOUT:-300} $A bench eval --model "local:$W/$m?device=cuda&prefix_reuse=$pr$extra" --batch-size $BS \
          --max-new-tokens $N $LIM --read-gbps $READ --peak-tflops 989 $EMB --prompts-out $W/prompts-$m.jsonl \
          2> "$OUT/eval-$m-$pr-v$vi-$r.err" | tee -a "$OUT/eval-$m.txt"
        echo "eval $m prefix_reuse=$pr$extra repeat $r rc=${PIPESTATUS[0]} at $(( $(date +%s) - t0 )) s"
        tail -2 "$OUT/eval-$m-$pr-v$vi-$r.err"
      done
    done
  done
done
if [ -z "${SKIP_HF:-}" ]; then
  for r in $(seq ${HF_REPEATS:-1}); do
    timeout ${HF_TIMEOUT:-240} python3 bench/hf_eval_bench.py $W/std $W/prompts-std.jsonl ${HF_BATCH:-$BS} $N \
      > "$OUT/hf-eval-$r.txt" 2>&1
    echo "hf repeat $r rc=$?"; grep -E "^hf (eval|progress)" "$OUT/hf-eval-$r.txt" | tail -2
  done
fi
echo "total: $(( $(date +%s) - t0 )) s"
