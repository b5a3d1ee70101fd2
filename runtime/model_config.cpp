// config.json -> ModelConfig, for configs as transformers 4 and 5 write them (see model_config.h).
//
// The rule for keys (docs/CHECKPOINTS.md lists every key): a key the runtime reads is read; a key
// known to change the model (kCheckedKeys) must hold the one setting the runtime implements, else
// InputError naming the file and key (CLI exit 2); a key known not to change the logits
// (kHarmlessKeys) passes; any other key passes with one warning naming it. Unknown keys are not
// refused because every family and transformers release adds bookkeeping keys; the families the
// runtime accepts (model_type) are closed, and each one's model-changing keys are in the lists,
// so an unknown key is one the family's transformers code does not read either.
#include "runtime/model_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "common/named_registry.h"

namespace aimicius::runtime {
namespace {

int64_t require_int(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    throw InputError(fmt::format("{}: \"{}\" must be an integer", where, key));
  return it->get<int64_t>();
}

// An id or a list of ids; anything else fails naming the key.
std::vector<int64_t> token_ids(const nlohmann::json& j, const char* key, const JsonLocation& at) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return {at.optional_int(j, key, 0)};
  std::vector<int64_t> ids;
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_number_integer()) at.child(key).index(i).fail("expected an integer token id");
    ids.push_back((*it)[i].get<int64_t>());
  }
  return ids;
}

bool present(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && !it->is_null();
}

// The keys of config.json, by what the runtime does with them (docs/CHECKPOINTS.md is the table).
// Read: shape, norms, RoPE, tokens.
constexpr const char* kReadKeys[] = {
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "head_dim", "num_key_heads", "num_value_heads", "v_head_dim", "aug_q_intermediate_size",
    "attention_bias", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters", "partial_rotary_factor",
    "original_max_position_embeddings", "tie_word_embeddings", "max_position_embeddings", "bos_token_id",
    "eos_token_id", "hidden_act", "sliding_window", "use_sliding_window", "max_window_layers", "layer_types",
    "sliding_window_pattern", "rope_local_base_freq"};
// Checked: they change the model, and the runtime implements one setting of each (the neutral one);
// any other value is an InputError (check_model_changing_keys).
constexpr const char* kCheckedKeys[] = {
    "hidden_activation", "use_bidirectional_attention", "mlp_bias",
    "attn_logit_softcapping", "final_logit_softcapping", "use_qk_norm", "qk_norm", "qk_layernorm",
    "quantization_config", "query_pre_attn_scalar", "embedding_multiplier", "logits_scaling", "residual_multiplier",
    "attention_multiplier", "num_experts", "num_local_experts", "no_rope_layers", "rope_interleaved"};
// Harmless: bookkeeping, training-only settings (dropout is off at inference), classification
// heads' labels, and the generation defaults transformers 4 copied into config.json (the harness
// sets its own sampling; stop ids come from generation_config.json / eos_token_id).
// _sliding_window_pattern is transformers 5's private copy of Gemma 3's pattern, written beside the
// layer_types it reads.
constexpr const char* kHarmlessKeys[] = {
    "architectures", "transformers_version", "torch_dtype", "dtype", "use_cache", "_name_or_path", "auto_map",
    "initializer_range", "pad_token_id", "sep_token_id", "decoder_start_token_id", "attention_dropout",
    "hidden_dropout", "embd_pdrop", "resid_pdrop", "mlp_dropout", "pretraining_tp", "output_attentions",
    "output_hidden_states", "return_dict", "use_return_dict", "tokenizer_class", "id2label", "label2id", "num_labels",
    "problem_type", "is_encoder_decoder", "is_decoder", "add_cross_attention", "cross_attention_hidden_size",
    "tie_encoder_decoder", "torchscript", "use_bfloat16", "pruned_heads", "chunk_size_feed_forward",
    "finetuning_task", "task_specific_params", "prefix", "tf_legacy_loss", "_attn_implementation_autoset",
    "is_llama_config", "cache_implementation", "_sliding_window_pattern",
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
    "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
    "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens"};

template <size_t N>
bool listed(const char* const (&keys)[N], const std::string& key) {
  return std::find_if(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; }) != std::end(keys);
}

std::vector<std::string> unrecognised_keys(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& [key, value] : j.items())
    if (!listed(kReadKeys, key) && !listed(kCheckedKeys, key) && !listed(kHarmlessKeys, key)) out.push_back(key);
  return out;
}

[[noreturn]] void unsupported(const JsonLocation& at, const std::string& key, const nlohmann::json& value,
                              const std::string& why) {
  throw InputError(fmt::format("{}: \"{}\" is {}: {} (the runtime does not implement it; docs/CHECKPOINTS.md)",
                               at.file(), key, value.dump(), why));
}

// The MLP activation (hidden_act), as transformers 5 reads it: Gemma's legacy "gelu" means the
// tanh approximation (GemmaConfig rewrites it); elsewhere "gelu" is the exact erf form, which the
// runtime does not implement. transformers 4 read Gemma's hidden_activation instead, so that key,
// when set, must name the same activation (else the two releases would run different models).
void read_activation(const nlohmann::json& j, const JsonLocation& at, ModelConfig& c) {
  const bool gemma = c.model_type == "gemma" || c.model_type == "gemma2" || c.model_type == "gemma3_text";
  auto parse = [&](const char* key) {
    const std::string act = at.optional_string(j, key);
    if (act == "silu" || act == "swish") return MlpActivation::kSilu;
    if (act == "gelu_pytorch_tanh" || act == "gelu_python_tanh" || act == "gelu_new" || (gemma && act == "gelu"))
      return MlpActivation::kGeluTanh;
    unsupported(at, key, j[key], "the MLP activation is SiLU or GELU's tanh approximation only");
  };
  c.mlp_activation = gemma ? MlpActivation::kGeluTanh : MlpActivation::kSilu;  // the families' defaults
  if (present(j, "hidden_act")) c.mlp_activation = parse("hidden_act");
  if (present(j, "hidden_activation") && parse("hidden_activation") != c.mlp_activation)
    unsupported(at, "hidden_activation", j["hidden_activation"],
                "it differs from hidden_act (transformers 4 and 5 would run different activations)");
}

// The checked keys (kCheckedKeys): each must hold the setting the runtime implements.
void check_model_changing_keys(const nlohmann::json& j, const JsonLocation& at, const ModelConfig& c) {
  if (at.optional_bool(j, "use_bidirectional_attention", false))
    unsupported(at, "use_bidirectional_attention", j["use_bidirectional_attention"], "attention is causal");
  if (at.optional_bool(j, "mlp_bias", false)) unsupported(at, "mlp_bias", j["mlp_bias"], "MLP projections have no bias");
  // rope_interleaved (nanotron's exports, e.g. SmolLM2): transformers ignores it and rotates halves,
  // as the runtime does; true would say the weights expect interleaved pairs.
  for (const char* key : {"use_qk_norm", "qk_norm", "qk_layernorm", "rope_interleaved"})
    if (at.optional_bool(j, key, false)) unsupported(at, key, j[key], "no norm on q and k");
  if (c.model_type != "gemma2" && c.model_type != "gemma3_text")  // they read caps and scale (read_gemma_caps)
    for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"})
      if (present(j, key)) unsupported(at, key, j[key], "changes the model (read for gemma2 and gemma3_text only)");
  for (const char* key : {"quantization_config", "embedding_multiplier", "logits_scaling", "residual_multiplier",
                          "attention_multiplier", "no_rope_layers"})
    if (present(j, key)) unsupported(at, key, j[key], "changes the model");
  for (const char* key : {"num_experts", "num_local_experts"})
    if (at.optional_int(j, key, 0) > 0) unsupported(at, key, j[key], "mixture-of-experts layers");
}

// Sliding-window attention as transformers 5 reads it per family: Qwen2 slides only with
// use_sliding_window, on the layers layer_types names (absent: from max_window_layers on, default
// 28); Mistral on every layer unless sliding_window is null (absent: 4096; it ignores layer_types);
// Gemma 2 on the layers layer_types names (absent: the even ones, transformers 4's rule and 5's
// default), window 4096 when absent; Gemma 3 likewise, absent layer_types read from
// sliding_window_pattern (default 6: layer l slides unless (l + 1) is a multiple of it), and its
// sliding layers rotate with the local RoPE even where their window never cuts; Qwen3 as Qwen2; Llama never (its attention ignores the key); diffqkv
// checkpoints have full attention. A window of at least max_position_embeddings never cuts a
// context the runtime accepts: read as none, so the fused CUDA paths (plain_attention) stay.
void read_windows(const nlohmann::json& j, const JsonLocation& at, ModelConfig& c) {
  std::vector<bool> typed;  // layer_types, where given (its entries are checked for every family)
  if (present(j, "layer_types")) {
    const auto& types = j["layer_types"];
    if (!types.is_array()) at.child("layer_types").fail("expected a list of layer types");
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string t = types[i].is_string() ? types[i].get<std::string>() : "";
      if (t != "sliding_attention" && t != "full_attention")
        at.child("layer_types").index(i).fail("expected \"full_attention\" or \"sliding_attention\"");
      typed.push_back(t == "sliding_attention");
    }
  }
  auto window_key = [&](int64_t absent) -> int64_t {
    if (!j.contains("sliding_window")) return absent;
    if (j["sliding_window"].is_null()) return 0;
    const int64_t w = at.optional_int(j, "sliding_window", absent);
    if (w <= 0) at.child("sliding_window").fail("expected a positive window or null");
    return w;
  };
  int64_t window = 0;
  std::vector<bool> slides(static_cast<size_t>(std::max<int64_t>(c.num_layers, 0)), false);
  const bool qwen = (c.model_type == "qwen2" || c.model_type == "qwen3") && at.optional_bool(j, "use_sliding_window", false);
  const bool gemma3 = c.model_type == "gemma3_text";
  if (qwen || c.model_type == "gemma2" || gemma3) {
    window = window_key(4096);
    const int64_t from = qwen ? at.optional_int(j, "max_window_layers", 28) : 0;
    const int64_t pattern = gemma3 ? at.optional_int(j, "sliding_window_pattern", 6) : 2;
    if (pattern <= 0) at.child("sliding_window_pattern").fail("expected a positive integer");
    if (!typed.empty() && static_cast<int64_t>(typed.size()) != c.num_layers)
      at.child("layer_types").fail(fmt::format("expected {} entries (num_hidden_layers)", c.num_layers));
    for (int64_t l = 0; l < c.num_layers; ++l)
      slides[l] = !typed.empty() ? typed[l] : qwen ? l >= from : gemma3 ? (l + 1) % pattern != 0 : l % 2 == 0;
    if (gemma3) c.local_rope_layers = slides;
  } else if (c.model_type == "mistral") {
    window = window_key(4096);
    slides.assign(slides.size(), true);
  } else if (c.model_type == "diffqkv" && present(j, "sliding_window")) {
    unsupported(at, "sliding_window", j["sliding_window"], "diffqkv checkpoints have full attention");
  }
  if (window > 0 && window < c.max_position_embeddings &&
      std::find(slides.begin(), slides.end(), true) != slides.end()) {
    c.sliding_window = window;
    c.layer_slides = slides;
  }
}

// Gemma 2's and 3's caps, scale and norms, as Gemma2Config / Gemma3TextConfig defaults and
// transformers 4 and 5 run them: softcaps (Gemma 2: 50 on the scores and 30 on the logits when the
// keys are absent; Gemma 3: none), none when null; query_pre_attn_scalar 256; sandwich norms.
// Their windows: read_windows.
void read_gemma_caps(const nlohmann::json& j, const JsonLocation& at, ModelConfig& c) {
  const bool gemma2 = c.model_type == "gemma2";
  auto cap = [&](const char* key, double fallback) {
    if (!j.contains(key)) return fallback;
    if (j[key].is_null()) return 0.0;
    const double v = at.optional_number(j, key, fallback);
    if (!(v > 0) || !std::isfinite(v)) at.child(key).fail("expected a positive number or null");
    return v;
  };
  c.attn_logit_softcap = cap("attn_logit_softcapping", gemma2 ? 50.0 : 0.0);
  c.final_logit_softcap = cap("final_logit_softcapping", gemma2 ? 30.0 : 0.0);
  c.query_pre_attn_scalar = at.optional_number(j, "query_pre_attn_scalar", 256.0);
  if (!(c.query_pre_attn_scalar > 0) || !std::isfinite(c.query_pre_attn_scalar))
    at.child("query_pre_attn_scalar").fail("expected a positive number");
  c.sandwich_norms = true;
}

// One RoPE object ({"rope_type" | "type", "rope_theta", parameters}) into a base and a scaling:
// the object's rope_theta wins over `theta_fallback`; partial_rotary_factor likewise over the
// top-level key (only 1 is implemented); llama3 and yarn take original_max_position_embeddings
// from a top-level key of that name, else from the object, else max_position_embeddings. A key
// the type does not take is an error, as in transformers' validation.
void read_rope_object(const nlohmann::json& j, const JsonLocation& at, const nlohmann::json& params,
                      const JsonLocation& p_at, double theta_fallback, const ModelConfig& c, double& theta,
                      RopeScaling& rs) {
  if (!params.is_object()) p_at.fail("expected an object");
  theta = p_at.optional_number(params, "rope_theta", theta_fallback);
  const double partial = p_at.optional_number(params, "partial_rotary_factor",
                                              at.optional_number(j, "partial_rotary_factor", 1.0));
  if (partial != 1.0)
    throw InputError(fmt::format("{}: \"partial_rotary_factor\" is {}: RoPE on part of the head is not implemented",
                                 at.file(), partial));
  rs.type = p_at.optional_string(params, "rope_type", p_at.optional_string(params, "type", "default"));
  // Each key's JSON type is checked whatever the rope type, so a wrong one names the key.
  rs.factor = p_at.optional_number(params, "factor", 1.0);
  rs.low_freq_factor = p_at.optional_number(params, "low_freq_factor", 1.0);
  rs.high_freq_factor = p_at.optional_number(params, "high_freq_factor", 4.0);
  rs.original_max_position_embeddings = at.optional_int(
      j, "original_max_position_embeddings", p_at.optional_int(params, "original_max_position_embeddings", 0));
  if (present(params, "attention_factor")) rs.attention_factor = p_at.optional_number(params, "attention_factor", 1.0);
  // transformers: `get("beta_fast") or 32`, so 0 and null mean the default too.
  rs.beta_fast = p_at.optional_number(params, "beta_fast", 32.0);
  if (rs.beta_fast == 0) rs.beta_fast = 32.0;
  rs.beta_slow = p_at.optional_number(params, "beta_slow", 1.0);
  if (rs.beta_slow == 0) rs.beta_slow = 1.0;
  rs.mscale = p_at.optional_number(params, "mscale", 0.0);
  rs.mscale_all_dim = p_at.optional_number(params, "mscale_all_dim", 0.0);
  rs.truncate = p_at.optional_bool(params, "truncate", true);

  std::vector<std::string> allowed = {"rope_type", "type", "rope_theta", "partial_rotary_factor"};
  std::vector<std::string> required;
  if (rs.type == "linear" || rs.type == "dynamic") {
    allowed.insert(allowed.end(), {"factor", "original_max_position_embeddings"});
    required = {"factor"};
  } else if (rs.type == "llama3") {
    allowed.insert(allowed.end(), {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"});
    required = {"factor", "low_freq_factor", "high_freq_factor"};
  } else if (rs.type == "yarn") {
    allowed.insert(allowed.end(), {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast",
                                   "beta_slow", "mscale", "mscale_all_dim", "truncate"});
    required = {"factor"};
  }
  for (const auto& [key, value] : params.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      p_at.child(key).fail(fmt::format("not a parameter of rope type \"{}\"", rs.type));
  for (const auto& key : required)
    if (!present(params, key.c_str())) p_at.child(key).fail(fmt::format("required by rope type \"{}\"", rs.type));
  if (rs.type == "default") rs.type.clear();
  // Linear/dynamic keep an original length only as a check (validate()); yarn and llama3 default
  // to max_position_embeddings as transformers' standardize_rope_params does.
  if ((rs.type == "llama3" || rs.type == "yarn") && rs.original_max_position_embeddings == 0)
    rs.original_max_position_embeddings = c.max_position_embeddings;
}

// RoPE: transformers 4 writes rope_theta + rope_scaling ({"type" | "rope_type", parameters});
// transformers 5 writes rope_parameters ({"rope_type", "rope_theta", parameters}). As transformers
// 5 reads them: a non-null rope_scaling wins over rope_parameters; the object's rope_theta wins
// over the top-level one (default 10000). Families with one rotary embedding for every layer
// (all but Gemma 3) refuse an object per layer type: transformers does not read it there.
// Gemma 3 (Gemma3TextConfig): rope_parameters holds one object per layer type, "full_attention"
// (its rope_theta defaulting to the top-level rope_theta, else 1e6; a rope_scaling merged into it)
// and "sliding_attention" (rope_theta defaulting to rope_local_base_freq, else 10000); absent
// objects are the default RoPE. The sliding layers' RoPE must be unscaled (no Gemma 3 scales it).
void read_rope(const nlohmann::json& j, const JsonLocation& at, ModelConfig& c) {
  if (c.model_type == "gemma3_text") {
    nlohmann::json full = nlohmann::json::object(), sliding = nlohmann::json::object();
    if (present(j, "rope_parameters")) {
      const auto& rp = j["rope_parameters"];
      if (!rp.is_object()) at.child("rope_parameters").fail("expected an object");
      for (const auto& [key, value] : rp.items()) {
        if (key != "full_attention" && key != "sliding_attention")
          at.child("rope_parameters").child(key).fail("Gemma 3 takes one object per layer type: \"full_attention\" "
                                                      "and \"sliding_attention\"");
        if (!value.is_null()) (key == "full_attention" ? full : sliding) = value;
      }
    }
    JsonLocation full_at = at.child("rope_parameters").child("full_attention");
    if (present(j, "rope_scaling")) {
      if (!j["rope_scaling"].is_object()) at.child("rope_scaling").fail("expected an object");
      if (!full.is_object()) full_at.fail("expected an object");
      full.update(j["rope_scaling"]);  // as Gemma3TextConfig: rope_scaling updates the full layers' object
      full_at = at.child("rope_scaling");
    }
    read_rope_object(j, at, full, full_at, at.optional_number(j, "rope_theta", 1e6), c, c.rope_theta, c.rope_scaling);
    RopeScaling local;
    read_rope_object(j, at, sliding, at.child("rope_parameters").child("sliding_attention"),
                     at.optional_number(j, "rope_local_base_freq", 10000.0), c, c.local_rope_theta, local);
    if (!local.type.empty())
      at.child("rope_parameters").child("sliding_attention").fail(
          fmt::format("rope type \"{}\" on the sliding layers is not implemented (their RoPE is unscaled)", local.type));
    return;
  }
  if (present(j, "rope_local_base_freq"))
    unsupported(at, "rope_local_base_freq", j["rope_local_base_freq"], "a second RoPE is read for gemma3_text only");
  const char* source = present(j, "rope_scaling") ? "rope_scaling" : "rope_parameters";
  const nlohmann::json params = present(j, source) ? j[source] : nlohmann::json::object();
  const JsonLocation p_at = at.child(source);
  if (!params.is_object()) p_at.fail("expected an object");
  for (const char* layer : {"full_attention", "sliding_attention"})
    if (params.contains(layer))
      // transformers' Llama, Qwen2 and Mistral have one rotary embedding for all layers and do not
      // read per-layer-type entries (transformers 5.25 then runs the default theta 10000): which
      // RoPE such a checkpoint was trained with cannot be told, so it is refused.
      p_at.child(layer).fail(fmt::format("per-layer-type RoPE is not read by transformers' {} (one rotary "
                                         "embedding for every layer); write rope_parameters as one object",
                                         c.model_type));
  read_rope_object(j, at, params, p_at, at.optional_number(j, "rope_theta", 10000.0), c, c.rope_theta, c.rope_scaling);
}

}  // namespace

std::vector<std::pair<std::string, ConfigKeyUse>> config_key_table() {
  std::vector<std::pair<std::string, ConfigKeyUse>> out;
  for (const char* k : kReadKeys) out.emplace_back(k, ConfigKeyUse::kRead);
  for (const char* k : kCheckedKeys) out.emplace_back(k, ConfigKeyUse::kChecked);
  for (const char* k : kHarmlessKeys) out.emplace_back(k, ConfigKeyUse::kHarmless);
  return out;
}

int64_t ModelConfig::parameter_count() const {
  const int64_t aug = aug_q_size > 0 ? 3 * q_size() * aug_q_size : 0;
  const int64_t attn = hidden_size * (q_size() + k_size() + v_size()) + o_in_size() * hidden_size + aug;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t per_layer = attn + mlp + (sandwich_norms ? 4 : 2) * hidden_size + (qk_norm ? 2 * head_dim_qk : 0);
  return num_layers * per_layer + vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2) + hidden_size;
}

double ModelConfig::attention_scale() const {
  return 1.0 / std::sqrt(query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(head_dim_qk));
}

int64_t ModelConfig::window_of(int64_t layer) const {
  return layer >= 0 && layer < static_cast<int64_t>(layer_slides.size()) && layer_slides[layer] ? sliding_window : 0;
}

bool ModelConfig::local_rope(int64_t layer) const {
  return local_rope_theta > 0 && layer >= 0 && layer < static_cast<int64_t>(local_rope_layers.size()) &&
         local_rope_layers[layer];
}

bool ModelConfig::plain_qk() const {
  if (qk_norm) return false;
  for (int64_t l = 0; l < num_layers; ++l)
    if (local_rope(l)) return false;
  return true;
}

bool ModelConfig::plain_attention() const {
  if (attn_logit_softcap != 0 || query_pre_attn_scalar != 0) return false;
  for (int64_t l = 0; l < num_layers; ++l)
    if (window_of(l) > 0) return false;
  return true;
}

void ModelConfig::validate(const std::string& where) const {
  const std::pair<const char*, int64_t> positive[] = {
      {"vocab_size", vocab_size},         {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size}, {"num_hidden_layers", num_layers},
      {"num_attention_heads", num_q_heads}, {"num_key_heads", num_k_heads},
      {"num_value_heads", num_v_heads},   {"head_dim", head_dim_qk},
      {"v_head_dim", head_dim_v}};
  for (const auto& [name, value] : positive)
    if (value <= 0) throw InputError(fmt::format("{}: \"{}\" is {}, expected a positive integer", where, name, value));
  if (num_layers > kMaxLayers)
    throw InputError(fmt::format("{}: \"num_hidden_layers\" is {}, expected at most {}", where, num_layers, kMaxLayers));
  if (num_q_heads % num_k_heads != 0)
    throw InputError(fmt::format("{}: \"num_key_heads\" is {}, expected a divisor of num_attention_heads ({})", where,
                                 num_k_heads, num_q_heads));
  if (num_q_heads % num_v_heads != 0)
    throw InputError(fmt::format("{}: \"num_value_heads\" is {}, expected a divisor of num_attention_heads ({})",
                                 where, num_v_heads, num_q_heads));
  if (head_dim_qk % 2 != 0)
    throw InputError(fmt::format("{}: \"head_dim\" is {}, expected an even number (RoPE rotates pairs)", where,
                                 head_dim_qk));
  if (aug_q_size < 0)
    throw InputError(fmt::format("{}: \"aug_q_intermediate_size\" is {}, expected 0 (none) or positive", where,
                                 aug_q_size));
  // Written as !(x > 0) so that NaN fails too.
  if (!(rms_norm_eps > 0) || !std::isfinite(rms_norm_eps))
    throw InputError(fmt::format("{}: \"rms_norm_eps\" must be a positive number", where));
  if (!(rope_theta > 0) || !std::isfinite(rope_theta))
    throw InputError(fmt::format("{}: \"rope_theta\" must be a positive number", where));
  if (max_position_embeddings <= 0)
    throw InputError(fmt::format("{}: \"max_position_embeddings\" is {}, expected a positive integer", where,
                                 max_position_embeddings));
  if (!rope_scaling.type.empty() && (!(rope_scaling.factor > 0) || !std::isfinite(rope_scaling.factor)))
    throw InputError(fmt::format("{}: rope_scaling \"factor\" must be a positive number", where));
  if (!rope_scaling.type.empty() && rope_scaling.type != "linear" && rope_scaling.type != "dynamic" &&
      rope_scaling.type != "llama3" && rope_scaling.type != "yarn")
    throw InputError(fmt::format("{}: rope type \"{}\" is not supported (default, linear, dynamic, llama3, yarn)", where,
                                 rope_scaling.type));
  if (rope_scaling.type == "dynamic" && rope_scaling.original_max_position_embeddings > 0 &&
      rope_scaling.original_max_position_embeddings != max_position_embeddings)
    throw InputError(fmt::format("{}: dynamic rope with original_max_position_embeddings {} != max_position_embeddings "
                                 "{} is not supported (its frequencies would change within the context)",
                                 where, rope_scaling.original_max_position_embeddings, max_position_embeddings));
  if (rope_scaling.attention_factor &&
      (!(*rope_scaling.attention_factor > 0) || !std::isfinite(*rope_scaling.attention_factor)))
    throw InputError(fmt::format("{}: rope \"attention_factor\" must be a positive number", where));
  if (rope_scaling.type == "dynamic" && head_dim_qk <= 2)
    throw InputError(fmt::format("{}: dynamic rope needs head_dim > 2", where));
  if (rope_scaling.type == "yarn" && !(rope_scaling.beta_fast > 0 && rope_scaling.beta_slow > 0))
    throw InputError(fmt::format("{}: yarn rope needs positive beta_fast and beta_slow", where));
  if (rope_scaling.type == "llama3" && !(rope_scaling.high_freq_factor > rope_scaling.low_freq_factor))
    throw InputError(fmt::format("{}: llama3 rope needs high_freq_factor > low_freq_factor", where));
  for (const auto& [name, value] : {std::pair{"attn_logit_softcapping", attn_logit_softcap},
                                     std::pair{"final_logit_softcapping", final_logit_softcap},
                                     std::pair{"query_pre_attn_scalar", query_pre_attn_scalar}})
    if (!(value >= 0) || !std::isfinite(value))
      throw InputError(fmt::format("{}: \"{}\" must be a positive number (or absent)", where, name));
  if (sliding_window < 0) throw InputError(fmt::format("{}: \"sliding_window\" is {}, expected >= 0", where, sliding_window));
  if (!layer_slides.empty() && static_cast<int64_t>(layer_slides.size()) != num_layers)
    throw InputError(fmt::format("{}: {} layer types for {} layers", where, layer_slides.size(), num_layers));
  if (!local_rope_layers.empty() && static_cast<int64_t>(local_rope_layers.size()) != num_layers)
    throw InputError(fmt::format("{}: {} local-RoPE layer types for {} layers", where, local_rope_layers.size(), num_layers));
  if (!(local_rope_theta >= 0) || !std::isfinite(local_rope_theta))
    throw InputError(fmt::format("{}: the sliding layers' rope_theta must be a positive number", where));
  for (int64_t id : bos_token_ids)
    if (id < 0 || id >= vocab_size) throw InputError(fmt::format("{}: bos_token_id {} outside the vocabulary", where, id));
  for (int64_t id : eos_token_ids)
    if (id < 0 || id >= vocab_size) throw InputError(fmt::format("{}: eos_token_id {} outside the vocabulary", where, id));
}

ModelConfig parse_model_config(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object", where));
  // Every optional key through the checked accessors: a value of the wrong JSON type fails naming
  // the file and the key, never as nlohmann's type_error (an internal error).
  const JsonLocation at(where, "");
  ModelConfig c;
  c.model_type = at.optional_string(j, "model_type", "llama");
  const bool diffqkv = c.model_type == "diffqkv";
  // Gemma 2 and 3 are Gemma (embedding scale, 1 + w gains, GeGLU, its defaults) plus
  // read_gemma_caps's parts; Gemma 3 and Qwen3 norm q and k.
  const bool gemma3 = c.model_type == "gemma3_text", qwen3 = c.model_type == "qwen3";
  const bool capped = c.model_type == "gemma2" || gemma3;
  const bool gemma = c.model_type == "gemma" || capped;
  const bool gqa_family =
      c.model_type == "llama" || c.model_type == "qwen2" || qwen3 || c.model_type == "mistral" || gemma;
  if (c.model_type == "gemma3")
    throw InputError(fmt::format("{}: model_type \"gemma3\" is Gemma 3's image-text model (its text model's config "
                                 "nested in text_config): only the text-only form, model_type \"gemma3_text\" "
                                 "(Gemma3ForCausalLM), or a GGUF file of it, is supported", where));
  if (!diffqkv && !gqa_family)
    throw InputError(fmt::format("{}: model_type \"{}\" is not supported (diffqkv, llama, qwen2, qwen3, mistral, gemma, "
                                 "gemma2, gemma3_text)", where, c.model_type));
  c.vocab_size = require_int(j, "vocab_size", where);
  c.hidden_size = require_int(j, "hidden_size", where);
  c.intermediate_size = require_int(j, "intermediate_size", where);
  c.num_layers = require_int(j, "num_hidden_layers", where);
  if (c.num_layers > kMaxLayers)  // before read_windows makes a table of them
    throw InputError(fmt::format("{}: \"num_hidden_layers\" is {}, expected at most {}", where, c.num_layers, kMaxLayers));
  c.num_q_heads = require_int(j, "num_attention_heads", where);
  if (c.num_q_heads <= 0) throw InputError(fmt::format("{}: \"num_attention_heads\" must be positive", where));
  // GemmaConfig's defaults differ from Llama's: head_dim 256, eps 1e-6, tied embeddings; Qwen3Config's:
  // head_dim 128, eps 1e-6.
  c.head_dim_qk = at.optional_int(j, "head_dim", gemma ? 256 : qwen3 ? 128 : c.hidden_size / c.num_q_heads);
  if (diffqkv) {
    c.num_k_heads = require_int(j, "num_key_heads", where);
    c.num_v_heads = require_int(j, "num_value_heads", where);
    c.head_dim_v = at.optional_int(j, "v_head_dim", c.head_dim_qk);
    c.aug_q_size = at.optional_int(j, "aug_q_intermediate_size", 0);
  } else {
    if (j.contains("num_key_heads") || j.contains("num_value_heads"))
      throw InputError(fmt::format("{}: num_key_heads/num_value_heads need model_type \"diffqkv\"", where));
    c.num_k_heads = c.num_v_heads = at.optional_int(j, "num_key_value_heads", c.num_q_heads);
    c.head_dim_v = c.head_dim_qk;
    c.qkv_bias = c.model_type == "qwen2" || at.optional_bool(j, "attention_bias", false);
  }
  if (diffqkv) c.qkv_bias = at.optional_bool(j, "attention_bias", false);
  c.rms_norm_eps = at.optional_number(j, "rms_norm_eps", gemma || qwen3 ? 1e-6 : 1e-5);
  c.qk_norm = gemma3 || qwen3;
  c.tie_word_embeddings = at.optional_bool(j, "tie_word_embeddings", gemma);
  c.scale_embedding = c.norm_gain_plus_one = gemma;
  read_activation(j, at, c);
  c.max_position_embeddings = at.optional_int(j, "max_position_embeddings", gemma3 ? 131072 : qwen3 ? 32768 : 8192);
  read_rope(j, at, c);
  if (capped) read_gemma_caps(j, at, c);
  read_windows(j, at, c);
  check_model_changing_keys(j, at, c);
  c.bos_token_ids = token_ids(j, "bos_token_id", at);
  c.eos_token_ids = token_ids(j, "eos_token_id", at);
  c.unrecognised_keys = unrecognised_keys(j);
  c.validate(where);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& dir) {
  const auto path = dir / "config.json";
  ModelConfig c = parse_model_config(read_json_file(path), path.string());
  if (!c.unrecognised_keys.empty())
    fmt::print(stderr,
               "warning: {}: key(s) {} not known to the runtime: read as not changing the model (docs/CHECKPOINTS.md)\n",
               path.string(), fmt::join(c.unrecognised_keys, ", "));
  return c;
}

GenerationConfig parse_generation_config(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object", where));
  const JsonLocation at(where, "");
  GenerationConfig g;
  g.eos_token_ids = token_ids(j, "eos_token_id", at);
  g.bos_token_ids = token_ids(j, "bos_token_id", at);
  g.pad_token_ids = token_ids(j, "pad_token_id", at);
  return g;
}

GenerationConfig load_generation_config(const std::filesystem::path& dir) {
  const auto path = dir / "generation_config.json";
  if (!input_file_present(path)) return {};
  return parse_generation_config(read_json_file(path), path.string());
}

std::vector<int64_t> stop_token_ids(const ModelConfig& config, const GenerationConfig& generation) {
  return generation.eos_token_ids.empty() ? config.eos_token_ids : generation.eos_token_ids;
}

nlohmann::ordered_json ModelConfig::to_json() const {
  nlohmann::ordered_json j;
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_layers;
  j["num_attention_heads"] = num_q_heads;
  if (model_type == "diffqkv") {
    j["num_key_heads"] = num_k_heads;
    j["num_value_heads"] = num_v_heads;
    j["head_dim"] = head_dim_qk;
    j["v_head_dim"] = head_dim_v;
    j["aug_q_intermediate_size"] = aug_q_size;
    j["attention_bias"] = qkv_bias;
  } else {
    j["num_key_value_heads"] = num_k_heads;
    j["head_dim"] = head_dim_qk;
    if (model_type != "qwen2") j["attention_bias"] = qkv_bias;  // Qwen2's biases come with the type
  }
  j["hidden_act"] = mlp_activation == MlpActivation::kGeluTanh ? "gelu_pytorch_tanh" : "silu";
  j["rms_norm_eps"] = rms_norm_eps;
  j["rope_theta"] = rope_theta;
  if (!rope_scaling.type.empty()) {
    // transformers 4's form, with only the keys of the type (each type refuses the others').
    const RopeScaling& rs = rope_scaling;
    nlohmann::ordered_json r = {{"rope_type", rs.type}, {"factor", rs.factor}};
    if (rs.type == "llama3") {
      r["low_freq_factor"] = rs.low_freq_factor;
      r["high_freq_factor"] = rs.high_freq_factor;
    }
    if ((rs.type == "llama3" || rs.type == "yarn" || rs.type == "dynamic") && rs.original_max_position_embeddings > 0)
      r["original_max_position_embeddings"] = rs.original_max_position_embeddings;
    if (rs.type == "yarn") {
      if (rs.attention_factor) r["attention_factor"] = *rs.attention_factor;
      r["beta_fast"] = rs.beta_fast;
      r["beta_slow"] = rs.beta_slow;
      if (rs.mscale != 0) r["mscale"] = rs.mscale;
      if (rs.mscale_all_dim != 0) r["mscale_all_dim"] = rs.mscale_all_dim;
      r["truncate"] = rs.truncate;
    }
    j["rope_scaling"] = r;
  }
  // Windows as each family reads them back (read_windows): Mistral's absent key would mean 4096.
  const bool slides = std::find(layer_slides.begin(), layer_slides.end(), true) != layer_slides.end();
  if (model_type == "mistral") j["sliding_window"] = slides ? nlohmann::ordered_json(sliding_window) : nlohmann::ordered_json();
  if ((model_type == "qwen2" || model_type == "qwen3") && slides) {
    j["use_sliding_window"] = true;
    j["sliding_window"] = sliding_window;
    nlohmann::ordered_json types = nlohmann::ordered_json::array();
    for (int64_t l = 0; l < num_layers; ++l) types.push_back(window_of(l) > 0 ? "sliding_attention" : "full_attention");
    j["layer_types"] = types;
  }
  if (model_type == "gemma2" || model_type == "gemma3_text") {  // every key written, none left to the defaults
    j["attn_logit_softcapping"] = attn_logit_softcap > 0 ? nlohmann::ordered_json(attn_logit_softcap) : nlohmann::ordered_json();
    j["final_logit_softcapping"] = final_logit_softcap > 0 ? nlohmann::ordered_json(final_logit_softcap) : nlohmann::ordered_json();
    j["query_pre_attn_scalar"] = query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(head_dim_qk);
    j["sliding_window"] = sliding_window > 0 ? nlohmann::ordered_json(sliding_window) : nlohmann::ordered_json();
    nlohmann::ordered_json types = nlohmann::ordered_json::array();
    // Gemma 3's local-RoPE layers are its sliding layers, also where the window never cuts.
    for (int64_t l = 0; l < num_layers; ++l)
      types.push_back(window_of(l) > 0 || local_rope(l) ? "sliding_attention" : "full_attention");
    j["layer_types"] = types;
    if (model_type == "gemma3_text") j["rope_local_base_freq"] = local_rope_theta > 0 ? local_rope_theta : rope_theta;
  }
  j["tie_word_embeddings"] = tie_word_embeddings;
  j["max_position_embeddings"] = max_position_embeddings;
  if (!bos_token_ids.empty()) j["bos_token_id"] = bos_token_ids.size() == 1 ? nlohmann::ordered_json(bos_token_ids[0]) : nlohmann::ordered_json(bos_token_ids);
  if (!eos_token_ids.empty()) j["eos_token_id"] = eos_token_ids.size() == 1 ? nlohmann::ordered_json(eos_token_ids[0]) : nlohmann::ordered_json(eos_token_ids);
  return j;
}

namespace {

ModelConfig make(const char* type, int64_t layers, int64_t hidden, int64_t ffn, int64_t vocab, int64_t nq,
                 int64_t nk, int64_t nv, int64_t dk, int64_t dv, int64_t aug, double theta) {
  ModelConfig c;
  c.model_type = type;
  c.num_layers = layers;
  c.hidden_size = hidden;
  c.intermediate_size = ffn;
  c.vocab_size = vocab;
  c.num_q_heads = nq;
  c.num_k_heads = nk;
  c.num_v_heads = nv;
  c.head_dim_qk = dk;
  c.head_dim_v = dv;
  c.aug_q_size = aug;
  c.rope_theta = theta;
  c.rms_norm_eps = 1e-6;
  c.max_position_embeddings = 131072;
  return c;
}

const NamedRegistry<std::function<ModelConfig()>>& presets() {
  static const NamedRegistry<std::function<ModelConfig()>> kPresets("preset", {
      // The paper's models (Table 14) and its GQA baseline.
      {"sigma-1.5b", [] { return make("diffqkv", 26, 2048, 6144, 128256, 32, 4, 16, 64, 64, 3072, 50000); }},
      {"sigma-10b", [] { return make("diffqkv", 32, 4096, 14336, 128256, 32, 4, 16, 128, 128, 6144, 500000); }},
      {"std-1.5b", [] { return make("diffqkv", 26, 2048, 6144, 128256, 32, 16, 16, 64, 64, 0, 50000); }},
      // Small shapes for tests: every attention family, d_k != d_v, odd group ratios.
      {"tiny-diffqkv", [] { return make("diffqkv", 2, 64, 128, 272, 8, 2, 4, 16, 24, 96, 10000); }},
      {"tiny-gqa", [] { return make("llama", 2, 64, 160, 272, 8, 2, 2, 8, 8, 0, 10000); }},
      {"tiny-mha", [] { return make("llama", 2, 48, 96, 300, 4, 4, 4, 12, 12, 0, 10000); }},
      {"tiny-mqa", [] { return make("diffqkv", 2, 48, 96, 300, 6, 1, 1, 8, 8, 0, 500000); }},
      // ~10M parameters: the CPU speed benchmark.
      {"small-diffqkv", [] { return make("diffqkv", 6, 256, 768, 8192, 8, 1, 4, 32, 32, 384, 50000); }},
      {"small-gqa", [] { return make("llama", 6, 256, 768, 8192, 8, 4, 4, 32, 32, 0, 50000); }},
  });
  return kPresets;
}

}  // namespace

std::vector<std::string> preset_names() { return presets().names(); }

ModelConfig preset_config(const std::string& name) {
  ModelConfig c = presets().find(name)();
  c.validate("preset " + name);
  return c;
}

}  // namespace aimicius::runtime
