#!/usr/bin/env bash
# Issue 9 on the CUDA machine, in one device call: build, (optionally) run the GPU and runtime
# tests, build the corpus (`aimicius corpus $CORPUS_ARGS`), learn its SentencePiece vocabulary
# (`aimicius train-tokenizer`, when VOCAB is set), then train every variant of training/configs/
# named in VARIANTS for every seed in SEEDS under one budget with `aimicius train`, PARALLEL runs
# at a time on the one GPU (small models leave most of an H100 idle), and, when ANSWER_SUITES is
# set, measure each checkpoint's answer loss on those suites' test splits on the GPU
# (`aimicius answer-loss`). Each checkpoint comes back as $OUT/VARIANT[-seedN].tar (the device
# returns at most 8 files: set KEEP to the checkpoints to return whole; the others come back as
# one results tar of their logs and measurements).
# Usage (device tool, carrying .deps): VARIANTS="..." SEEDS="0 1" bash scripts/gpu/run-train.sh
# Env: CORPUS_ARGS (e.g. "--optiflow-train 10000 --diagnostics-per-template 1500"), VOCAB (e.g.
# 4096; unset: byte-level), VARIANTS, SEEDS ("0"), STEPS (2000), BATCH (32), SEQ (512), LR (3e-3),
# WARMUP (50), EVAL_EVERY (500), PARALLEL (1), ANSWER_SUITES (e.g. "cmdgen,infrawise,optiflow,diagnostics"),
# RUN_SUITES (seed-0 checkpoints also run `aimicius run` on these suites, RUN_LIMIT examples each,
# RUN_TOKENS new tokens; not cmdgen: its embedding model does not travel to this machine),
# KEEP (variant names whose checkpoints come back whole; default: all), SKIP_TESTS=1.
set -uo pipefail
source "$(dirname "$0")/prologue.sh"
if [ -z "${SKIP_TESTS:-}" ]; then
  for t in aimicius_gpu_tests aimicius_runtime_tests aimicius_answer_loss_tests training/aimicius_training_tests; do
    timeout 240 $B/tests/$t > "$OUT/${t##*/}.txt" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/${t##*/}.txt" | tr '\n' ' ')"
  done
fi
CORPUS=/tmp/aimicius-corpus
# shellcheck disable=SC2086  # CORPUS_ARGS is a list of flags
$A corpus --out "$CORPUS" ${CORPUS_ARGS:-} > "$OUT/corpus.txt" 2>&1 || { tail -20 "$OUT/corpus.txt"; exit 1; }
head -1 "$OUT/corpus.txt"
TOKENIZER_ARGS=()
if [ -n "${VOCAB:-}" ]; then
  $A train-tokenizer --corpus "$CORPUS" --out /tmp/aimicius-tok --vocab "$VOCAB" | tee "$OUT/tokenizer.txt"
  TOKENIZER_ARGS=(--tokenizer /tmp/aimicius-tok)
fi
W=/tmp/aimicius-trained
mkdir -p "$W"

# One training (and its answer loss) per call; output in $W/$V.
train_one() {
  local C=$1 SEED=$2 V=$1
  [ "$SEED" != 0 ] && V=$C-seed$SEED
  timeout ${TRAIN_TIMEOUT:-480} $A train --config training/configs/$C.json --corpus "$CORPUS" --out "$W/$V" --device cuda \
    "${TOKENIZER_ARGS[@]}" --steps ${STEPS:-2000} --batch ${BATCH:-32} --seq-len ${SEQ:-512} --lr ${LR:-3e-3} \
    --warmup ${WARMUP:-50} --eval-every ${EVAL_EVERY:-500} --seed "$SEED" > "$W/$V.train.txt" 2>&1
  echo "train $V rc=$? at $(( $(date +%s) - t0 )) s: $(tail -1 "$W/$V.train.txt")"
  mv "$W/$V.train.txt" "$W/$V/train.txt"
  cp "$CORPUS/manifest.json" "$W/$V/corpus-manifest.json"
  if [ -n "${ANSWER_SUITES:-}" ]; then
    timeout ${ANSWER_TIMEOUT:-300} $A --db "$W/$V/answer_loss.db" answer-loss --model "local:$W/$V?device=cuda" \
      --suite "$ANSWER_SUITES" --split test \
      --out "$W/$V/answer_loss.jsonl" --format json > "$W/$V/answer_loss.json" 2> "$W/$V/answer_loss.err"
    echo "answer-loss $V rc=$? at $(( $(date +%s) - t0 )) s"
  fi
  if [ -n "${RUN_SUITES:-}" ] && [ "$SEED" = 0 ]; then
    timeout ${RUN_TIMEOUT:-300} $A --db "$W/$V/run.db" run --model "local:$W/$V?device=cuda" --suite "$RUN_SUITES" \
      --limit ${RUN_LIMIT:-100} --max-new-tokens ${RUN_TOKENS:-256} > "$W/$V/run.txt" 2>&1
    echo "run $V rc=$? at $(( $(date +%s) - t0 )) s"
    $A --db "$W/$V/run.db" report --format json --all-metrics > "$W/$V/report.json" 2>> "$W/$V/run.txt"
  fi
}

running=0
for SEED in ${SEEDS:-0}; do
  for C in ${VARIANTS:-sigma-mini gqa-small kcomp-small vcomp-small augq-small sigma-small}; do
    train_one "$C" "$SEED" &
    running=$((running + 1))
    if [ "$running" -ge "${PARALLEL:-1}" ]; then wait -n; running=$((running - 1)); fi
  done
done
wait
nvidia-smi --query-gpu=memory.used --format=csv,noheader >> "$OUT/gpu.txt"

# Checkpoints named in KEEP come back whole; everything else's logs and measurements in one tar.
mkdir -p "$W/results"
for d in "$W"/*/; do
  V=$(basename "$d"); [ "$V" = results ] && continue
  keep=0
  for k in ${KEEP-${VARIANTS:-}}; do [ "$k" = "$V" ] && keep=1; done
  if [ "$keep" = 1 ]; then tar -cf "$OUT/$V.tar" -C "$W" "$V"; fi
  mkdir -p "$W/results/$V"
  cp "$d"/train_log.json "$d"/train.txt "$W/results/$V/" 2>/dev/null
  cp "$d"/answer_loss.json* "$d"/answer_loss.err "$d"/run.db "$d"/run.txt "$d"/report.json "$W/results/$V/" 2>/dev/null
done
cp /tmp/aimicius-tok/tokenizer.model /tmp/aimicius-tok/tokenizer_report.json "$W/results/" 2>/dev/null
cp "$CORPUS/manifest.json" "$W/results/corpus-manifest.json"
tar -czf "$OUT/results.tgz" -C "$W" results
echo "total: $(( $(date +%s) - t0 )) s"
