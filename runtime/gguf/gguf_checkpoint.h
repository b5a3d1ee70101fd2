// A GGUF file as a checkpoint of the runtime's model: which path is one, the ModelConfig from its
// `<arch>.*` metadata, and its weights under the runtime's (Hugging Face) names, dequantised.
//
// Architectures: `llama` (SmolLM2, Llama 2/3 without llama3 rope_freqs), `qwen2` (q/k/v biases).
// Name mapping (GGUF -> runtime, see runtime/weight_specs.h):
//   token_embd -> model.embed_tokens      output_norm -> model.norm      output -> lm_head
//   blk.N.attn_norm -> input_layernorm    blk.N.attn_q|k|v (.weight, .bias) -> self_attn.q|k|v_proj
//   blk.N.attn_output -> self_attn.o_proj blk.N.ffn_norm -> post_attention_layernorm
//   blk.N.ffn_gate|up|down -> mlp.gate|up|down_proj
// llama.cpp's converter permutes the rows of attn_q / attn_k of `llama` models (within each head,
// HF's [first half | second half] rotary layout becomes interleaved pairs); to_runtime_weight
// undoes it, so the runtime's rotate-half RoPE sees HF's layout.
//
// Invariant: a metadata key under `<arch>.` that this file does not read or know to be harmless
// is an InputError (a key that changes the model must be read or refused, never ignored).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/gguf/gguf_file.h"
#include "runtime/model_config.h"

namespace aimicius::runtime::gguf {

// The GGUF file a `local:` path names: the path itself when it is a file ending in .gguf, or the
// single .gguf in a folder that has no config.json and no .safetensors; nothing otherwise (a
// safetensors checkpoint). A folder with several .gguf files is an InputError listing them.
std::optional<std::filesystem::path> find_gguf(const std::filesystem::path& path);

ModelConfig gguf_model_config(const GgufFile& file);

// The GGUF tensor name that holds runtime weight `runtime_name`, or "" when it has none. With
// sandwich norms (Gemma 2) llama.cpp names the norms by role: post_attention_layernorm (the
// attention output's) is post_attention_norm, pre_feedforward_layernorm is ffn_norm and
// post_feedforward_layernorm post_ffw_norm; elsewhere post_attention_layernorm is ffn_norm.
std::string gguf_tensor_name(const std::string& runtime_name, bool sandwich_norms = false);

// Runtime weight `runtime_name` as float32 (row-major, the runtime's shape), or nothing when the
// file lacks it. InputError naming the file and tensor when its shape is not `shape`.
std::optional<std::vector<float>> to_runtime_weight(const GgufFile& file, const ModelConfig& config,
                                                    const std::string& runtime_name,
                                                    const std::vector<int64_t>& shape);

// The heads whose rows llama.cpp permuted in GGUF tensor `gguf_name` (attn_q / attn_k, weight or
// bias, of a `llama` model), or 0 when it did not.
int64_t permuted_rope_heads(const ModelConfig& config, const std::string& gguf_name);

// Undoes llama.cpp's permute of a [heads * head_dim, cols] projection (rows interleaved per head).
void unpermute_rope_rows(std::vector<float>& w, int64_t heads, int64_t head_dim, int64_t cols);
// The same on rows of `row_bytes` bytes each (a quantised tensor's rows as stored).
void unpermute_rope_rows(std::vector<uint8_t>& rows, int64_t heads, int64_t head_dim, int64_t row_bytes);

}  // namespace aimicius::runtime::gguf
