#!/usr/bin/env bash
# Issue 9 on the CUDA machine, in one device call: build (scripts/gpu/build.sh), run the GPU and
# runtime tests, then train the tiny checkpoints of training/configs/ (Sigma-shaped DiffQKV and the
# ablation's GQA, K-compressed, V-compressed and augmented-Q variants) under one budget with
# `aimicius train`; each variant comes back as $OUT/VARIANT.tar.
# Usage (device tool, carrying .deps): bash scripts/gpu/run-train.sh
# Env: CORPUS (a corpus folder or .jsonl; default: built here with `aimicius corpus`), VARIANTS
# (default "sigma-tiny gqa-tiny kcomp-tiny vcomp-tiny augq-tiny"), STEPS (2000), BATCH (32), SEQ (512),
# LR (3e-3), SEED (0; other seeds write VARIANT-seedN), SKIP_TESTS=1.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
t0=$(date +%s)
bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
B=build-gpu
A=$B/harness/aimicius
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
if [ -z "${SKIP_TESTS:-}" ]; then
  for t in aimicius_gpu_tests aimicius_runtime_tests aimicius_serve_tests aimicius_api_tests; do
    timeout 240 $B/tests/$t > "$OUT/$t.txt" 2>&1; echo "$t rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/$t.txt" | tr '\n' ' ')"
  done
fi
CORPUS=${CORPUS:-}
if [ -z "$CORPUS" ]; then
  CORPUS=/tmp/aimicius-corpus
  $A corpus --out "$CORPUS" > "$OUT/corpus.txt" 2>&1 || { tail -20 "$OUT/corpus.txt"; exit 1; }
  tail -2 "$OUT/corpus.txt"
fi
# Each variant comes back as one tar (the device returns at most 8 files): the checkpoint,
# train_log.json, the training output and the corpus manifest.
W=/tmp/aimicius-trained
mkdir -p "$W"
SEED=${SEED:-0}
for C in ${VARIANTS:-sigma-tiny gqa-tiny kcomp-tiny vcomp-tiny augq-tiny}; do
  V=$C; [ "$SEED" != 0 ] && V=$C-seed$SEED
  timeout ${TRAIN_TIMEOUT:-300} $A train --config training/configs/$C.json --corpus "$CORPUS" --out "$W/$V" --device cuda \
    --steps ${STEPS:-2000} --batch ${BATCH:-32} --seq-len ${SEQ:-512} --lr ${LR:-3e-3} --eval-every ${EVAL_EVERY:-500} \
    --seed "$SEED" > "$W/$V.train.txt" 2>&1
  echo "train $V rc=$?: $(tail -1 "$W/$V.train.txt")"
  mv "$W/$V.train.txt" "$W/$V/train.txt"
  if [ -f "$CORPUS/manifest.json" ]; then cp "$CORPUS/manifest.json" "$W/$V/corpus-manifest.json"; fi
  tar -cf "$OUT/$V.tar" -C "$W" "$V"
done
echo "total: $(( $(date +%s) - t0 )) s"
