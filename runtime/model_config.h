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
// Llama / Qwen2 / Qwen3 / Mistral / Gemma / Gemma 2 / Gemma 3 configs load as the special case
// n_k = n_v = num_key_value_heads, d_v = d_k, no augmented Q (Qwen2 adds q/k/v biases; Qwen3 norms
// q and k; Gemma scales the token embedding by sqrt(hidden_size), uses 1 + weight as every RMSNorm
// gain and GeGLU in the MLP; Gemma 2 adds the softcaps, sliding layers and sandwich norms below;
// Gemma 3 is Gemma 2 without the caps by default, plus q/k norms and a second RoPE for its sliding
// layers). Configs as transformers 4 writes them (rope_theta + rope_scaling) and as transformers 5
// does (rope_parameters, per layer type for Gemma 3) give the same ModelConfig. Every key of
// config.json is read, checked to have the one value the runtime implements, known to be
// harmless, or reported: the table is docs/CHECKPOINTS.md and
// the key lists at the top of model_config.cpp.
//
// Invariant: a ModelConfig returned by parse/load/preset has passed validate(): every size is
// positive and the head counts divide as above. Errors name the field and the expected value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius::runtime {

// RoPE scaling as transformers 4 writes it ("rope_scaling") and transformers 5 ("rope_parameters"):
// both forms parse to this struct (see model_config.cpp and runtime/rope.h for what each field does).
struct RopeScaling {
  std::string type;  // "" (default), "linear", "dynamic", "llama3", "yarn"
  double factor = 1.0;
  double low_freq_factor = 1.0;   // llama3
  double high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 0;  // llama3, yarn (0: max_position_embeddings)
  std::optional<double> attention_factor;        // yarn: given, else computed from mscale
  double beta_fast = 32.0;                       // yarn
  double beta_slow = 1.0;                        // yarn
  double mscale = 0.0;                           // yarn (0: unset)
  double mscale_all_dim = 0.0;                   // yarn (0: unset)
  bool truncate = true;                          // yarn
};

// The MLP's gate activation: down(act(gate x) * up x).
enum class MlpActivation {
  kSilu,      // SwiGLU: Llama, Qwen2, Mistral, DiffQKV
  kGeluTanh,  // GeGLU with GELU's tanh approximation (transformers' gelu_pytorch_tanh): Gemma
};

// The most layers a config may state: per-layer tables are made while a config is read (sliding
// windows, RoPE kinds), before any weight is; real models have at most a few hundred.
inline constexpr int64_t kMaxLayers = 4096;

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
  MlpActivation mlp_activation = MlpActivation::kSilu;
  // Gemma: the looked-up embedding row is multiplied by sqrt(hidden_size) (rounded to the run's
  // dtype first, as transformers does); the output projection (tied) uses the table unscaled.
  bool scale_embedding = false;
  // Gemma as transformers stores it: each RMSNorm's gain is 1 + weight, and the product is taken in
  // float32 before rounding to the run's dtype. Gemma's GGUF files store 1 + weight already (false).
  bool norm_gain_plus_one = false;
  // Gemma 2: attention scores and the final logits capped smoothly, cap * tanh(x / cap) (0: none);
  // scores scaled by 1 / sqrt(query_pre_attn_scalar) instead of 1 / sqrt(head_dim) (0: head_dim);
  // the layers that slide (layer_slides[l]; also Mistral's and Qwen2's windows) let query i see
  // keys j with i - sliding_window < j <= i only; and "sandwich" norms: the attention output and the MLP output each pass their own RMSNorm
  // before the residual add (post_attention_layernorm is then the attention output's norm,
  // pre_feedforward_layernorm the MLP input's, post_feedforward_layernorm the MLP output's).
  double attn_logit_softcap = 0;
  double final_logit_softcap = 0;
  double query_pre_attn_scalar = 0;
  int64_t sliding_window = 0;
  std::vector<bool> layer_slides;  // one per layer, or empty: no layer slides
  bool sandwich_norms = false;
  // Qwen3, Gemma 3: q and k each pass an RMSNorm over head_dim after their projection and before
  // RoPE (self_attn.q_norm / self_attn.k_norm: one gain of head_dim shared by every head, 1 + weight
  // where norm_gain_plus_one says so).
  bool qk_norm = false;
  // Gemma 3: the layers local_rope_layers names (its sliding layers, whether or not their window
  // cuts) rotate with base local_rope_theta and no scaling; the others with rope_theta and
  // rope_scaling. 0 / empty: one RoPE for every layer.
  double local_rope_theta = 0;
  std::vector<bool> local_rope_layers;
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  int64_t max_position_embeddings = 8192;
  std::vector<int64_t> bos_token_ids;
  std::vector<int64_t> eos_token_ids;
  // Keys of config.json that the runtime neither reads nor knows to be harmless: the loader warns
  // about them once (model_config.cpp states the rule). Not part of the model's shape.
  std::vector<std::string> unrecognised_keys;

  int64_t q_size() const { return num_q_heads * head_dim_qk; }
  int64_t k_size() const { return num_k_heads * head_dim_qk; }
  int64_t v_size() const { return num_v_heads * head_dim_v; }
  int64_t o_in_size() const { return num_q_heads * head_dim_v; }
  // KV-cache bytes one token costs over all layers, for elements of `elem_bytes`.
  int64_t kv_bytes_per_token(int64_t elem_bytes) const {
    return num_layers * (k_size() + v_size()) * elem_bytes;
  }
  int64_t parameter_count() const;
  // The factor q.k is multiplied by before the softcap and the softmax.
  double attention_scale() const;
  // Layer l's window (0: it sees its whole context).
  int64_t window_of(int64_t layer) const;
  // Attention as softmax(q.k / sqrt(head_dim)) over the whole causal context in every layer: what
  // the fused CUDA paths (SDPA, FlashAttention, the decode kernels) compute. False for Gemma 2.
  bool plain_attention() const;
  // Whether layer l rotates with the local RoPE (local_rope_theta).
  bool local_rope(int64_t layer) const;
  // q and k as the fused CUDA kernels make them (the projection, then one RoPE for every layer):
  // false with qk_norm or a local RoPE, whose q and k the op-by-op path makes.
  bool plain_qk() const;

  // Throws InputError naming the field and what was expected; `where` names the source.
  void validate(const std::string& where) const;
  nlohmann::ordered_json to_json() const;
};

// Throws InputError naming `where` and the key for a malformed value, for a key that changes the
// model in a way the runtime does not implement, and for an unsupported rope type.
ModelConfig parse_model_config(const nlohmann::json& j, const std::string& where);
// config.json of the folder; prints one warning line to stderr naming any unrecognised keys.
ModelConfig load_model_config(const std::filesystem::path& checkpoint_dir);

// What the runtime does with each config.json key it knows (docs/CHECKPOINTS.md is the table):
//   kRead      read into ModelConfig
//   kChecked   changes the model; only the runtime's one setting (absent, null, false, "silu"...)
//              is accepted, any other is an InputError naming the key
//   kHarmless  does not change the logits (bookkeeping, dropout, generation defaults)
// Any other key is kept in ModelConfig::unrecognised_keys and warned about by load_model_config.
enum class ConfigKeyUse { kRead, kChecked, kHarmless };
std::vector<std::pair<std::string, ConfigKeyUse>> config_key_table();

// generation_config.json (written by transformers 4 and 5 beside config.json): the ids that end a
// generation and the bos / pad ids. Each field is an int or a list of ints (null: unset).
struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;
  std::vector<int64_t> bos_token_ids;
  std::vector<int64_t> pad_token_ids;
};
GenerationConfig parse_generation_config(const nlohmann::json& j, const std::string& where);
// The folder's generation_config.json, or an empty GenerationConfig when there is none.
GenerationConfig load_generation_config(const std::filesystem::path& checkpoint_dir);
// The ids that end a generation, as transformers' generate() picks them: generation_config.json's
// eos_token_id when it names any, else config.json's; empty when neither does (the caller then
// falls back to the tokenizer's).
std::vector<int64_t> stop_token_ids(const ModelConfig& config, const GenerationConfig& generation);

// Shapes for tests and benchmarks: sigma-1.5b, sigma-10b, std-1.5b (the paper's GQA baseline),
// and small ones (tiny-diffqkv, tiny-gqa, tiny-mha, tiny-mqa, small-diffqkv, small-gqa).
ModelConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace aimicius::runtime
