#!/usr/bin/env bash
# Issue 6 on the CUDA machine, in one device call: build everything (LibTorch 2.x + the kernels),
# run the GPU tests (kernels and the runtime's CUDA decode path), the kernel benchmark (copy
# bandwidth, DiffQKV vs GQA decode attention), the paper's per-layer cost comparison
# (bench/layer_cost_bench.cpp), and end-to-end decode tokens/s of Sigma-1.5B-shaped
# (DiffQKV) and STD-1.5B-shaped (GQA) random checkpoints with the kernels (the fused step as CUDA
# graphs; at batch 1 also the unfused step, --no-fused-decode, and no graphs, --no-cuda-graphs),
# with LibTorch attention (--torch-attention) and, as the peer, Hugging Face transformers
# `generate` on the GQA weights.
# Usage (device tool, carrying .deps): bash scripts/gpu/run-decode-bench.sh     Results under $OUT.
# LONG_MODELS (default "sigma std") and LONG_VARIANTS (bench generate flags of each 32k run, one word
# each, "-" for none, e.g. "- --early-attention-launch --no-decode-pdl": plans compared inside the step)
# set the 32k runs; SKIP_HF=1 leaves the Hugging Face peer out.
# SKIP_KERNEL_BENCH=1, SKIP_GEMV_BENCH=1, SKIP_LAYER=1, SKIP_E2E=1, SKIP_LONG=1 (the 32k-prompt runs) leave those parts
# out (one call has 10 minutes). BATCHES, PROMPT, NEW and E2E_MODES (kernels, unfused, nographs, noahead, torch) set
# the end-to-end runs (nopdl: decode attention without PDL; early: --early-attention-launch; varied and paged: the paged KV cache's cost, see below). GPU_TEST_FILTER limits the kernel tests (gtest filter), RUNTIME_TEST_FILTER sets
# the runtime's (default ModelCuda*:Generat*), SKIP_RUNTIME_TESTS=1 leaves them out; KERNEL_BENCH_ARGS go to aimicius-bench-attention (--no-sweep).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
timeout 240 $B/tests/aimicius_gpu_tests --gtest_filter="${GPU_TEST_FILTER:-*}" > "$OUT/gpu_tests.txt" 2>&1
echo "kernel tests rc=$?"; grep -E "^\[  (PASSED|FAILED) " "$OUT/gpu_tests.txt"
if [ -z "${SKIP_RUNTIME_TESTS:-}" ]; then
  timeout 240 $B/tests/aimicius_runtime_tests --gtest_filter="${RUNTIME_TEST_FILTER:-ModelCuda*:Generat*}" > "$OUT/runtime_tests.txt" 2>&1
  echo "runtime tests rc=$?"; grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure" "$OUT/runtime_tests.txt" | head
fi
echo "after tests: $(( $(date +%s) - t0 )) s"
if [ -z "${SKIP_KERNEL_BENCH:-}" ]; then
  timeout ${KERNEL_BENCH_TIMEOUT:-150} $B/bench/aimicius-bench-attention ${KERNEL_BENCH_ARGS:-} > "$OUT/kernel_bench.jsonl" \
    2> "$OUT/kernel_bench.err"
  echo "kernel bench rc=$? ($(wc -l < "$OUT/kernel_bench.jsonl") lines), at $(( $(date +%s) - t0 )) s"
  timeout 120 $B/bench/aimicius_sdpa_decode_bench > "$OUT/sdpa_bench.jsonl" 2> "$OUT/sdpa_bench.err"
  echo "sdpa peer rc=$?, at $(( $(date +%s) - t0 )) s"
  # The markdown tables of docs/PERFORMANCE.md, issue 17's goals and the planner against its sweep.
  python3 bench/decode_table.py "$OUT/kernel_bench.jsonl" "$OUT/sdpa_bench.jsonl" > "$OUT/kernel_table.md" 2>&1
  sed -n '/goals missed\|every goal checked met\|no SDPA rows/,$p' "$OUT/kernel_table.md"
fi
# The decode step's matrix-vector products, alone and as the step's chain (bench/gemv_bench.cpp).
if [ -z "${SKIP_GEMV_BENCH:-}" ]; then
  timeout ${GEMV_BENCH_TIMEOUT:-150} $B/bench/aimicius-bench-gemv > "$OUT/gemv_bench.jsonl" 2> "$OUT/gemv_bench.err"
  echo "gemv bench rc=$? ($(wc -l < "$OUT/gemv_bench.jsonl") lines), at $(( $(date +%s) - t0 )) s"
  grep '"step"' "$OUT/gemv_bench.jsonl"
fi
# The paper's per-layer comparison (KV store/load + attention + aug-Q, Sigma vs STD).
if [ -z "${SKIP_LAYER:-}" ]; then
  timeout ${LAYER_BENCH_TIMEOUT:-200} $B/bench/aimicius_layer_cost_bench --batches ${LAYER_BATCHES:-1,16} \
    > "$OUT/layer_bench.jsonl" 2> "$OUT/layer_bench.err"
  echo "layer bench rc=$?, at $(( $(date +%s) - t0 )) s"; grep -E '"(ratio|kv_cache)"' "$OUT/layer_bench.jsonl" | head -40
fi
if [ -n "${SKIP_E2E:-}" ]; then echo "total: $(( $(date +%s) - t0 )) s"; exit 0; fi
W=/tmp/aimicius-bench
source "$(dirname "$0")/bench-checkpoints.sh"; make_bench_checkpoints $W
{
  for B_ in ${BATCHES:-1 32}; do
    for M in sigma std; do
      MODES="kernels torch"; [ $B_ = 1 ] && MODES="kernels unfused nographs torch"
      MODES=${E2E_MODES:-$MODES}
      for MODE in $MODES; do
        FLAG=""; [ $MODE = torch ] && FLAG=--torch-attention; [ $MODE = nographs ] && FLAG=--no-cuda-graphs
        [ $MODE = unfused ] && FLAG=--no-fused-decode; [ $MODE = noahead ] && FLAG=--no-decode-ahead
        [ $MODE = nopdl ] && FLAG=--no-decode-pdl
        [ $MODE = early ] && FLAG=--early-attention-launch
        # varied: prompts of PROMPT/2..PROMPT tokens (a fixed draw) in slots of the longest's size;
        # paged: the same prompts in a paged pool of B x (0.8 PROMPT + NEW + 64) rows, smaller than
        # B slots of the longest (so the kernels read the block table) and, for a batch of 32, room
        # for every sequence at once (their average is 0.75 PROMPT): the same schedule, the table's
        # cost alone (the bench's schedule line says how many ran at once). From batch 2 (a pool of
        # one slot is always full size).
        P_=${PROMPT:-2048}; N_=${NEW:-128}
        [ $MODE = varied ] && FLAG="--prompt-len-min $((P_ / 2))"
        [ $MODE = paged ] && FLAG="--prompt-len-min $((P_ / 2)) --kv-pool-tokens $((B_ * (P_ * 4 / 5 + N_ + 64)))"
        [ $MODE = paged ] && [ $B_ -lt 2 ] && continue
        echo "== aimicius $M $MODE batch $B_ prompt ${PROMPT:-2048}"
        timeout 120 $A bench generate --checkpoint $W/$M --device cuda --batch $B_ --prompt-len ${PROMPT:-2048} \
          --new-tokens ${NEW:-128} --repeats 3 $FLAG | grep -E '^(batch|decode path|decode graphs|schedule)'
      done
    done
    [ -n "${SKIP_HF:-}" ] && continue
    echo "== hf std batch $B_ prompt ${PROMPT:-2048}"
    timeout 120 python3 bench/hf_generate_bench.py $W/std cuda bf16 $B_ ${PROMPT:-2048} ${NEW:-128} 3 2>&1 | tail -1
  done
  # Long context: batch 1 at a 32k prompt (batch 32 x 32k does not fit STD's cache in 80 GB).
  [ -n "${SKIP_LONG:-}" ] && exit 0
  for M in ${LONG_MODELS:-sigma std}; do
    for V in ${LONG_VARIANTS:--}; do
      FLAG=""; [ "$V" = - ] || FLAG=$V
      echo "== aimicius $M kernels batch 1 prompt 32768 ${FLAG:-(planner)}"
      timeout 150 $A bench generate --checkpoint $W/$M --device cuda --batch 1 --prompt-len 32768 --new-tokens 128 \
        --repeats 3 $FLAG | grep -E '^(batch|decode path|decode graphs)'
    done
  done
  [ -n "${SKIP_HF:-}" ] && exit 0
  echo "== hf std batch 1 prompt 32768"
  timeout 150 python3 bench/hf_generate_bench.py $W/std cuda bf16 1 32768 128 3 2>&1 | tail -1
} 2>&1 | tee "$OUT/e2e_bench.txt"
echo "total: $(( $(date +%s) - t0 )) s"
