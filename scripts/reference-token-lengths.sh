#!/usr/bin/env bash
# The token lengths of each suite's references under a checkpoint's tokenizer: what a suite's
# max_new_tokens (suite.json) must leave room for. Prints, per suite and split, the count, median
# and maximum tokens of the oracle answers' reference field, and max x 1.5.
#   scripts/reference-token-lengths.sh [TOKENIZER_DIR] [AIMICIUS_BIN]
# Default tokenizer: the bundled checkpoint's (checkpoints/sigma-mini). Needs python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tok="${1:-$root/checkpoints/sigma-mini}"
bin="${2:-$root/build/harness/aimicius}"
python3 - "$root" "$tok" "$bin" <<'PY'
import json, statistics, subprocess, sys
root, tok, binary = sys.argv[1:4]
fields = {"cmdgen": "reference", "diagnostics": "reference", "infrawise": "reference",
          "optiflow": "reference_program"}
for suite, field in fields.items():
    for split in ("fewshot", "dev", "test"):
        texts = []
        try:
            with open(f"{root}/datasets/{suite}/{split}.jsonl") as f:
                for line in f:
                    v = json.loads(line).get(field)
                    if v is not None:
                        texts.append(v if isinstance(v, str) else json.dumps(v))
        except FileNotFoundError:
            continue
        lengths = []
        for i in range(0, len(texts), 50):  # a few texts per call: argument lists stay small
            out = subprocess.run([binary, "tokenize", "--no-bos", "--tokenizer", tok, "--", *texts[i:i + 50]],
                                 check=True, capture_output=True, text=True).stdout
            lengths += [len(json.loads(l)) for l in out.splitlines() if l.strip()]
        print(f"{suite:12} {split:8} n={len(lengths):4} median={statistics.median(lengths):7.1f} "
              f"max={max(lengths):5} max*1.5={int(max(lengths) * 1.5)}")
PY
