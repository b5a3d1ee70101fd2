#!/usr/bin/env bash
# End-to-end generation speed on the CUDA machine: the runtime on Sigma-1.5B-shaped (DiffQKV) and
# STD-1.5B-shaped (GQA 16/16, Llama-typed so Hugging Face can load the same weights) random
# checkpoints, and HF transformers `generate` on the GQA one as the peer, in the same call.
# Usage (device tool, carrying .deps): bash scripts/gpu/run-bench.sh   Results: $OUT/bench.txt
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
A=build-gpu/harness/aimicius
W=/tmp/aimicius-bench; mkdir -p $W
cat > $W/std-llama.json <<'JSON'
{"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048, "intermediate_size": 6144,
 "num_hidden_layers": 26, "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 64,
 "rms_norm_eps": 1e-6, "rope_theta": 50000.0, "max_position_embeddings": 131072, "tie_word_embeddings": false}
JSON
$A make-checkpoint --preset sigma-1.5b --dtype bf16 --out $W/sigma
$A make-checkpoint --config $W/std-llama.json --dtype bf16 --out $W/std
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  for B in 1 32; do
    for M in sigma std; do
      echo "== aimicius $M batch $B"
      $A bench generate --checkpoint $W/$M --device cuda --batch $B --prompt-len 2048 --new-tokens 128 --repeats 3 | tail -1
    done
    echo "== hf std batch $B"
    python3 scripts/bench/hf_generate_bench.py $W/std cuda bf16 $B 2048 128 3 2>&1 | tail -1
  done
} 2>&1 | tee "$OUT/bench.txt"
