// The shape of a DiffQKV decoder (Sigma, arXiv 2501.13629) read from an HF-style config.json.
//
// DiffQKV: Q has n_q heads of d_k, K has n_k heads of d_k, V has n_v heads of d_v; n_k and n_v
// each divide n_q (K and V are shared by groups of Q heads, with their own group sizes); the
// output projection takes n_q * d_v. Augmented Q (optional, aug_q_size > 0): after W_Q,
// q = W_down(SiLU(W_gate q) * W_up q) with W_up, W_gate: n_q*d_k -> aug_q_size and
// W_down: aug_q_size -> n_q*d_k, before RoPE.
//
// config.json fields (model_type "diffqkv"): hidden_size, intermediate_size, num_hidden_layers,
// vocab_size, num_attention_heads (n_q), num_key_heads (n_k), num_value_heads (n_v), head_dim
// (d_k), v_head_dim (d_v, default head_dim), aug_q_intermediate_size (0 or absent: none),
// rms_norm_eps, rope_theta, rope_scaling, tie_word_embeddings, max_position_embeddings.
// Llama / Qwen2 / Mistral configs load as the special case n_k = n_v = num_key_value_heads,
// d_v = d_k, no augmented Q (Qwen2 adds q/k/v biases).
//
// Invariant: a ModelConfig returned by parse/load/preset has passed validate(): every size is
// positive and the head counts divide as above. Errors name the field and the expected value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius::runtime {

struct RopeScaling {
  std::string type;  // "" (none), "linear", "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string model_type = "diffqkv";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_q_heads = 0;
  int64_t num_k_heads = 0;
  int64_t num_v_heads = 0;
  int64_t head_dim_qk = 0;
  int64_t head_dim_v = 0;
  int64_t aug_q_size = 0;  // 0: no augmented Q
  bool qkv_bias = false;   // Qwen2
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  int64_t max_position_embeddings = 8192;
  std::vector<int64_t> bos_token_ids;
  std::vector<int64_t> eos_token_ids;

  int64_t q_size() const { return num_q_heads * head_dim_qk; }
  int64_t k_size() const { return num_k_heads * head_dim_qk; }
  int64_t v_size() const { return num_v_heads * head_dim_v; }
  int64_t o_in_size() const { return num_q_heads * head_dim_v; }
  // KV-cache bytes one token costs over all layers, for elements of `elem_bytes`.
  int64_t kv_bytes_per_token(int64_t elem_bytes) const {
    return num_layers * (k_size() + v_size()) * elem_bytes;
  }
  int64_t parameter_count() const;

  // Throws InputError naming the field and what was expected; `where` names the source.
  void validate(const std::string& where) const;
  nlohmann::ordered_json to_json() const;
};

ModelConfig parse_model_config(const nlohmann::json& j, const std::string& where);
ModelConfig load_model_config(const std::filesystem::path& checkpoint_dir);

// Shapes for tests and benchmarks: sigma-1.5b, sigma-10b, std-1.5b (the paper's GQA baseline),
// and small ones (tiny-diffqkv, tiny-gqa, tiny-mha, tiny-mqa, small-diffqkv, small-gqa).
ModelConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace aimicius::runtime
