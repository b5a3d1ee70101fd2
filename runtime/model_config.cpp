#include "runtime/model_config.h"

#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "common/errors.h"
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

int64_t optional_int(const nlohmann::json& j, const char* key, int64_t fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw InputError(fmt::format("{}: \"{}\" must be an integer", where, key));
  return it->get<int64_t>();
}

// The optional keys below are typed like optional_int: a value of the wrong type (a string where a
// number belongs, a number where a string does) is the file's error, never nlohmann's type_error,
// which the CLI would report as an internal error.
std::string optional_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                            const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw InputError(fmt::format("{}: \"{}\" must be a string", where, key));
  return it->get<std::string>();
}

bool optional_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw InputError(fmt::format("{}: \"{}\" must be true or false", where, key));
  return it->get<bool>();
}

double optional_number(const nlohmann::json& j, const char* key, double fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw InputError(fmt::format("{}: \"{}\" must be a number", where, key));
  return it->get<double>();
}

std::vector<int64_t> token_ids(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_number_integer()) return {it->get<int64_t>()};
  if (it->is_array()) {
    std::vector<int64_t> ids;
    for (const auto& id : *it) {
      if (!id.is_number_integer())
        throw InputError(fmt::format("{}: \"{}\" must be an integer or a list of integers", where, key));
      ids.push_back(id.get<int64_t>());
    }
    return ids;
  }
  return {};
}

}  // namespace

int64_t ModelConfig::parameter_count() const {
  const int64_t aug = aug_q_size > 0 ? 3 * q_size() * aug_q_size : 0;
  const int64_t attn = hidden_size * (q_size() + k_size() + v_size()) + o_in_size() * hidden_size + aug;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t per_layer = attn + mlp + 2 * hidden_size;
  return num_layers * per_layer + vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2) + hidden_size;
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
  if (!rope_scaling.type.empty() && rope_scaling.type != "linear" && rope_scaling.type != "llama3")
    throw InputError(fmt::format("{}: rope_scaling type \"{}\" is not supported (linear, llama3)", where,
                                 rope_scaling.type));
  for (int64_t id : bos_token_ids)
    if (id < 0 || id >= vocab_size) throw InputError(fmt::format("{}: bos_token_id {} outside the vocabulary", where, id));
  for (int64_t id : eos_token_ids)
    if (id < 0 || id >= vocab_size) throw InputError(fmt::format("{}: eos_token_id {} outside the vocabulary", where, id));
}

ModelConfig parse_model_config(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object", where));
  ModelConfig c;
  c.model_type = optional_string(j, "model_type", "llama", where);
  const bool diffqkv = c.model_type == "diffqkv";
  const bool gqa_family = c.model_type == "llama" || c.model_type == "qwen2" || c.model_type == "mistral";
  if (!diffqkv && !gqa_family)
    throw InputError(fmt::format("{}: model_type \"{}\" is not supported (diffqkv, llama, qwen2, mistral)", where,
                                 c.model_type));
  c.vocab_size = require_int(j, "vocab_size", where);
  c.hidden_size = require_int(j, "hidden_size", where);
  c.intermediate_size = require_int(j, "intermediate_size", where);
  c.num_layers = require_int(j, "num_hidden_layers", where);
  c.num_q_heads = require_int(j, "num_attention_heads", where);
  if (c.num_q_heads <= 0) throw InputError(fmt::format("{}: \"num_attention_heads\" must be positive", where));
  c.head_dim_qk = optional_int(j, "head_dim", c.hidden_size / c.num_q_heads, where);
  if (diffqkv) {
    c.num_k_heads = require_int(j, "num_key_heads", where);
    c.num_v_heads = require_int(j, "num_value_heads", where);
    c.head_dim_v = optional_int(j, "v_head_dim", c.head_dim_qk, where);
    c.aug_q_size = optional_int(j, "aug_q_intermediate_size", 0, where);
  } else {
    if (j.contains("num_key_heads") || j.contains("num_value_heads"))
      throw InputError(fmt::format("{}: num_key_heads/num_value_heads need model_type \"diffqkv\"", where));
    c.num_k_heads = c.num_v_heads = optional_int(j, "num_key_value_heads", c.num_q_heads, where);
    c.head_dim_v = c.head_dim_qk;
    c.qkv_bias = c.model_type == "qwen2" || optional_bool(j, "attention_bias", false, where);
  }
  if (diffqkv) c.qkv_bias = optional_bool(j, "attention_bias", false, where);
  c.rms_norm_eps = optional_number(j, "rms_norm_eps", 1e-5, where);
  c.rope_theta = optional_number(j, "rope_theta", 10000.0, where);
  c.tie_word_embeddings = optional_bool(j, "tie_word_embeddings", false, where);
  c.max_position_embeddings = optional_int(j, "max_position_embeddings", 8192, where);
  if (auto it = j.find("rope_scaling"); it != j.end() && it->is_object()) {
    const auto& rs = *it;
    const std::string in_scaling = where + ": rope_scaling";
    c.rope_scaling.type = optional_string(rs, "rope_type", optional_string(rs, "type", "", in_scaling), in_scaling);
    c.rope_scaling.factor = optional_number(rs, "factor", 1.0, in_scaling);
    c.rope_scaling.low_freq_factor = optional_number(rs, "low_freq_factor", 1.0, in_scaling);
    c.rope_scaling.high_freq_factor = optional_number(rs, "high_freq_factor", 4.0, in_scaling);
    c.rope_scaling.original_max_position_embeddings =
        optional_int(rs, "original_max_position_embeddings", 8192, in_scaling);
    if (c.rope_scaling.type == "default") c.rope_scaling.type.clear();
  }
  c.bos_token_ids = token_ids(j, "bos_token_id", where);
  c.eos_token_ids = token_ids(j, "eos_token_id", where);
  c.validate(where);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& dir) {
  const auto path = dir / "config.json";
  return parse_model_config(read_json_file(path), path.string());
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
  }
  j["rms_norm_eps"] = rms_norm_eps;
  j["rope_theta"] = rope_theta;
  if (!rope_scaling.type.empty())
    j["rope_scaling"] = {{"rope_type", rope_scaling.type},
                         {"factor", rope_scaling.factor},
                         {"low_freq_factor", rope_scaling.low_freq_factor},
                         {"high_freq_factor", rope_scaling.high_freq_factor},
                         {"original_max_position_embeddings", rope_scaling.original_max_position_embeddings}};
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
