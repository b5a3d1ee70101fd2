#!/usr/bin/env bash
# A/B of kernel sources on one GPU, in one device call: the attention bench built from the working
# tree ("new") and from each variant's versions of some files, the binaries alternated (AB_ROUNDS,
# default 2) over AB_CONFIGS (SHAPE:BATCH:CONTEXT of aimicius-bench-attention), so every side sees
# the same card, clocks and neighbours. Run it after a driver script built build-gpu (e.g.
# scripts/gpu/run-decode-bench.sh). A variant is a folder of files at their paths in the
# repository, laid over the tree for its build: AB_VARIANTS="NAME=DIR ..." (default "old=.ab/old").
# Prepare them here, e.g. main's header, or every kernel file a branch changes:
#   mkdir -p .ab/old/kernels && git show main:kernels/decode_attention_mma.cuh > .ab/old/kernels/decode_attention_mma.cuh
#   for f in $(git diff --name-only main BRANCH -- kernels); do
#     mkdir -p .ab/BRANCH/$(dirname $f) && git show BRANCH:$f > .ab/BRANCH/$f; done
#   (.ab/ is git-ignored: name .ab in the device call's carry)
# AB_ITERS (default 50) launches a run; AB_BENCH_FLAGS go to every run (e.g. --planned-only).
# Output (scripts/gpu/ab_summary.py): one line per run, then each side's median per configuration;
# the raw rows in $OUT/ab.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
B=build-gpu
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/usr/local/cuda/bin:/opt/deps/usr/bin:$PATH
t0=$(date +%s)
[ -x $B/bench/aimicius-bench-attention ] || { echo "no $B/bench/aimicius-bench-attention: build first"; exit 1; }
source "$(dirname "$0")/build-variants.sh"
build_variants bench/aimicius-bench-attention
SIDES=("${BUILT[@]}" new)
# The sides alternated by ab-options.sh, each its own binary with the same flags.
AB_SIDES=$(for side in "${SIDES[@]}"; do printf '%s\n' "/tmp/aimicius-bench-attention-$side ${AB_BENCH_FLAGS:-}"; done | paste -sd'|')
AB_SIDES=$AB_SIDES AB_NAME=${AB_NAME:-ab} OUT=$OUT bash scripts/gpu/ab-options.sh
echo "ab-kernels: $(( $(date +%s) - t0 )) s"
