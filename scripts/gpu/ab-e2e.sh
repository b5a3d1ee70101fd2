#!/usr/bin/env bash
# A/B of kernel sources end to end, in one device call. It times the decode step with aimicius built
# from the working tree ("new") and from each variant, a folder of files laid over the tree for its
# build (AB_VARIANTS="NAME=DIR ...", default "old=.ab/old"; prepare them as scripts/gpu/ab-kernels.sh's
# header shows). Each side runs `aimicius bench generate` on the random Sigma-1.5B- and STD-1.5B-shaped
# checkpoints (E2E_MODELS, default "sigma std"; BATCH 1, PROMPT 2048, NEW 128, 3 repeats a run).
# The sides alternate AB_ROUNDS times (default 2), so every side sees the same card, clocks and
# neighbours. Then the attention bench of each build, alternated over AB_CONFIGS by
# scripts/gpu/ab-options.sh: its rows timed alone and in a graph of a launch per layer.
# E2E_FLAG_SIDES ("flags|flags") adds sides that run the tree's build with more `bench generate`
# flags (named flags1, flags2, ...; e.g. "--decode-q-heads 2", a planner override), and
# AB_VARIANTS=none builds no variant (then only such sides are compared with the tree).
# Usage (device tool, carrying .deps and .ab): AB_VARIANTS="old=.ab/old" bash scripts/gpu/ab-e2e.sh
# AB_PLAN_SIDES ("flags|flags") adds attention-bench sides of the tree's build with those flags.
# Results under $OUT: e2e-ab.txt (the generate lines), ab-graph.txt (the attention rows).
set -uo pipefail
source "$(dirname "$0")/prologue.sh"  # builds build-gpu (incremental on a warm machine)
W=/tmp/aimicius-bench
source "$(dirname "$0")/bench-checkpoints.sh"; make_bench_checkpoints $W
source "$(dirname "$0")/build-variants.sh"
build_variants harness/aimicius bench/aimicius-bench-attention
SIDES=(new "${BUILT[@]}")
declare -A FLAGS=()
if [[ -n ${E2E_FLAG_SIDES:-} ]]; then
  IFS='|' read -r -a flag_sets <<< "$E2E_FLAG_SIDES"
  for i in "${!flag_sets[@]}"; do
    SIDES+=("flags$((i + 1))") FLAGS["flags$((i + 1))"]=${flag_sets[$i]}
    echo "flags$((i + 1)): the tree's build with ${flag_sets[$i]}"
  done
fi
for round in $(seq 1 "${AB_ROUNDS:-2}"); do
  for side in "${SIDES[@]}"; do
    bin=/tmp/aimicius-$side extra=()
    if [[ -n ${FLAGS[$side]:-} ]]; then bin=/tmp/aimicius-new; read -r -a extra <<< "${FLAGS[$side]}"; fi
    for M in ${E2E_MODELS:-sigma std}; do
      echo "== $side $M batch ${BATCH:-1} prompt ${PROMPT:-2048} round $round"
      timeout 120 "$bin" bench generate --checkpoint $W/$M --device cuda --batch "${BATCH:-1}" \
        --prompt-len "${PROMPT:-2048}" --new-tokens "${NEW:-128}" --repeats 3 "${extra[@]}" | grep -E '^(batch|decode graphs:|attention plan)'
    done
  done
done 2>&1 | tee "$OUT/e2e-ab.txt"
# Device ms a step per side and model (medians over the rounds).
python3 - "$OUT/e2e-ab.txt" <<'PY'
import re, statistics, sys, collections
ms, key = collections.defaultdict(list), None
for line in open(sys.argv[1]):
    if line.startswith("== "):
        side, model = line.split()[1:3]; key = (side, model)
    m = re.search(r"([0-9.]+) ms of device time per step", line)
    if m and key: ms[key].append(float(m.group(1)))
for (side, model), v in sorted(ms.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"{model:6} {side:10} device ms a step: median {statistics.median(v):.3f} of {v}")
PY
AB_SIDES=$(for side in new "${BUILT[@]}"; do printf '%s\n' "/tmp/aimicius-bench-attention-$side --planned-only"; done | paste -sd'|')
[[ -n ${AB_PLAN_SIDES:-} ]] && AB_SIDES="$AB_SIDES|$(tr '|' '\n' <<< "$AB_PLAN_SIDES" | sed 's|^|/tmp/aimicius-bench-attention-new --planned-only |' | paste -sd'|')"
AB_SIDES=$AB_SIDES AB_NAME=ab-graph AB_CONFIGS=${AB_CONFIGS:-"diffqkv_sigma:1:4096 diffqkv_sigma:8:4096 gqa_std:1:4096"} \
  OUT=$OUT bash scripts/gpu/ab-options.sh | sed -n '/^median us per side/,$p'
echo "ab-e2e: $(( $(date +%s) - t0 )) s"
