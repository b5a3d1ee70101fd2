# Sourced by the scripts/gpu/run-*.sh drivers (after prologue.sh, which defines A): the two random
# bf16 checkpoints every GPU benchmark compares, made once in folder $1 when absent:
#   $1/sigma  Sigma-1.5B shape (make-checkpoint --preset sigma-1.5b: DiffQKV, aug-Q)
#   $1/std    STD-1.5B, the paper's GQA baseline, written as a plain Llama config so that Hugging
#             Face transformers (the peer) loads the same weights.
make_bench_checkpoints() {
  local W=$1
  mkdir -p "$W"
  cat > "$W/std-llama.json" <<'JSON'
{"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048, "intermediate_size": 6144,
 "num_hidden_layers": 26, "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 64,
 "rms_norm_eps": 1e-6, "rope_theta": 50000.0, "max_position_embeddings": 131072, "tie_word_embeddings": false}
JSON
  [ -d "$W/sigma" ] || $A make-checkpoint --preset sigma-1.5b --dtype bf16 --out "$W/sigma" > /dev/null
  [ -d "$W/std" ] || $A make-checkpoint --config "$W/std-llama.json" --dtype bf16 --out "$W/std" > /dev/null
}
