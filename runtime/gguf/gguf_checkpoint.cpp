#include "runtime/gguf/gguf_checkpoint.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "runtime/safetensors.h"

namespace aimicius::runtime::gguf {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `<arch>.` keys read below, and keys that do not change the computation (or are checked).
const std::set<std::string> kUnderstoodKeys = {
    "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
    "attention.head_count_kv", "rope.freq_base", "attention.layer_norm_rms_epsilon", "vocab_size",
    "rope.dimension_count", "attention.key_length", "attention.value_length", "rope.scaling.type",
    "rope.scaling.factor", "rope.scaling.original_context_length", "rope.scaling.finetuned",
    "expert_count", "expert_used_count", "pooling_type"};
// Understood for gemma2 and gemma3 only (elsewhere they would change the model unread).
const std::set<std::string> kGemmaKeys = {"attn_logit_softcapping", "final_logit_softcapping",
                                          "attention.sliding_window"};
// Understood for gemma3 only: its sliding layers' RoPE base and (where a converter writes it) the
// period of its full layers.
const std::set<std::string> kGemma3Keys = {"rope.freq_base_swa", "attention.sliding_window_pattern"};

}  // namespace

std::optional<fs::path> find_gguf(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    if (ends_with(path.filename().string(), ".gguf")) return path;
    return std::nullopt;
  }
  if (!fs::is_directory(path, ec)) return std::nullopt;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (name == "config.json" || ends_with(name, ".safetensors")) return std::nullopt;
    if (ends_with(name, ".gguf") && entry.is_regular_file()) found.push_back(entry.path());
  }
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const auto& f : found) names.push_back(f.filename().string());
    std::sort(names.begin(), names.end());
    throw InputError(fmt::format("{}: the folder holds several GGUF files ({}); name one: local:FILE.gguf",
                                 path.string(), fmt::join(names, ", ")));
  }
  return found.front();
}

ModelConfig gguf_model_config(const GgufFile& f) {
  const std::string arch = f.require_string("general.architecture");
  const bool gemma3 = arch == "gemma3", capped = arch == "gemma2" || gemma3;
  if (arch != "llama" && arch != "qwen2" && arch != "qwen3" && arch != "gemma" && !capped)
    throw InputError(fmt::format("{}: architecture \"{}\" is not supported (llama, qwen2, qwen3, gemma, gemma2, gemma3)",
                                 f.name(), arch));
  const std::string p = arch + ".";
  for (const auto& [key, value] : f.metadata())
    if (key.rfind(p, 0) == 0 && !kUnderstoodKeys.count(key.substr(p.size())) &&
        !(capped && kGemmaKeys.count(key.substr(p.size()))) && !(gemma3 && kGemma3Keys.count(key.substr(p.size()))))
      throw InputError(fmt::format("{}: metadata \"{}\" is not understood by this runtime and may change the "
                                   "model; refusing to run it", f.name(), key));
  ModelConfig c;
  c.model_type = arch;
  c.hidden_size = f.require_int(p + "embedding_length");
  c.num_layers = f.require_int(p + "block_count");
  if (c.num_layers > kMaxLayers)  // before the per-layer tables below
    throw InputError(fmt::format("{}: metadata \"{}block_count\" is {}, expected at most {}", f.name(), p, c.num_layers,
                                 kMaxLayers));
  c.intermediate_size = f.require_int(p + "feed_forward_length");
  c.num_q_heads = f.require_int(p + "attention.head_count");
  c.num_k_heads = c.num_v_heads = f.optional_int(p + "attention.head_count_kv").value_or(c.num_q_heads);
  c.max_position_embeddings = f.optional_int(p + "context_length").value_or(c.max_position_embeddings);
  c.rms_norm_eps = f.optional_float(p + "attention.layer_norm_rms_epsilon").value_or(1e-5);
  c.rope_theta = f.optional_float(p + "rope.freq_base").value_or(10000.0);
  if (c.num_q_heads <= 0 || c.hidden_size <= 0)
    throw InputError(fmt::format("{}: {}attention.head_count and embedding_length must be positive", f.name(), p));
  c.head_dim_qk = f.optional_int(p + "attention.key_length").value_or(c.hidden_size / c.num_q_heads);
  c.head_dim_v = f.optional_int(p + "attention.value_length").value_or(c.head_dim_qk);
  if (c.head_dim_v != c.head_dim_qk)
    throw InputError(fmt::format("{}: key_length {} != value_length {} is not supported", f.name(), c.head_dim_qk,
                                 c.head_dim_v));
  if (const auto rot = f.optional_int(p + "rope.dimension_count"); rot && *rot != c.head_dim_qk)
    throw InputError(fmt::format("{}: {}rope.dimension_count {} != head dim {} (partial rotary) is not supported",
                                 f.name(), p, *rot, c.head_dim_qk));
  if (f.optional_int(p + "expert_count").value_or(0) > 0)
    throw InputError(fmt::format("{}: mixture-of-experts models are not supported", f.name()));
  const std::string scaling = f.optional_string(p + "rope.scaling.type").value_or("none");
  if (scaling == "linear") {
    c.rope_scaling.type = "linear";
    c.rope_scaling.factor = f.optional_float(p + "rope.scaling.factor").value_or(1.0);
  } else if (scaling != "none") {
    throw InputError(fmt::format("{}: {}rope.scaling.type \"{}\" is not supported (none, linear)", f.name(), p, scaling));
  }
  if (f.find_tensor("rope_freqs.weight"))
    throw InputError(fmt::format("{}: rope_freqs.weight (llama3-style RoPE factors) is not supported yet", f.name()));
  // Qwen2 has q/k/v biases; other families where the file holds them (attention_bias).
  c.qkv_bias = arch == "qwen2" || f.find_tensor("blk.0.attn_q.bias") != nullptr;
  c.qk_norm = arch == "qwen3" || gemma3;
  // Gemma as llama.cpp runs it: GeGLU, the embedding scaled by sqrt(hidden_size); its converter
  // stores each norm's 1 + weight (the q/k norms' too), so the gains are used as stored
  // (norm_gain_plus_one false).
  if (arch == "gemma" || capped) {
    c.mlp_activation = MlpActivation::kGeluTanh;
    c.scale_embedding = true;
  }
  // Gemma 2 as llama.cpp runs it: the caps from the metadata (absent: none), the window on the even
  // layers (its swa pattern 2), and q scaled by 1 / sqrt(head_dim) except in the 46-layer (27B)
  // model, 1 / sqrt(hidden / heads): llama.cpp's rule, which matches the official configs'
  // query_pre_attn_scalar (256, 256, 144) that the file does not carry.
  // Gemma 3 likewise, without caps unless the metadata has them: the window on five layers of six
  // (llama.cpp's swa pattern 6; a converter's sliding_window_pattern where given), which rotate
  // with base rope.freq_base_swa (absent: 10000, llama.cpp's value) and no scaling; no window in the
  // file: every layer full, with the one RoPE (as llama.cpp); 1 / sqrt(head_dim) but for the
  // 62-layer (27B) model, 1 / sqrt(hidden / heads).
  if (capped) {
    c.attn_logit_softcap = f.optional_float(p + "attn_logit_softcapping").value_or(0.0);
    c.final_logit_softcap = f.optional_float(p + "final_logit_softcapping").value_or(0.0);
    const int64_t big = gemma3 ? 62 : 46;
    c.query_pre_attn_scalar = static_cast<double>(c.num_layers == big ? c.hidden_size / c.num_q_heads : c.head_dim_qk);
    c.sliding_window = f.optional_int(p + "attention.sliding_window").value_or(0);
    const int64_t pattern = gemma3 ? f.optional_int(p + "attention.sliding_window_pattern").value_or(6) : 2;
    if (pattern <= 0)
      throw InputError(fmt::format("{}: {}attention.sliding_window_pattern {} must be positive", f.name(), p, pattern));
    c.layer_slides.assign(static_cast<size_t>(std::max<int64_t>(c.num_layers, 0)), false);
    for (size_t l = 0; c.sliding_window > 0 && l < c.layer_slides.size(); ++l)
      c.layer_slides[l] = gemma3 ? (l + 1) % pattern != 0 : l % 2 == 0;
    if (gemma3 && c.sliding_window > 0) {
      c.local_rope_theta = f.optional_float(p + "rope.freq_base_swa").value_or(10000.0);
      c.local_rope_layers = c.layer_slides;
    }
    c.sandwich_norms = true;
  }
  const Value* tokens = f.find("tokenizer.ggml.tokens");
  if (tokens && tokens->type == ValueType::kArray) c.vocab_size = static_cast<int64_t>(tokens->array.size());
  const TensorInfo* embd = f.find_tensor("token_embd.weight");
  if (!embd || embd->dims.size() != 2 || embd->dims[0] != c.hidden_size)
    throw InputError(fmt::format("{}: tensor token_embd.weight is missing or not [vocab, {}]", f.name(), c.hidden_size));
  if (c.vocab_size == 0) c.vocab_size = embd->dims[1];
  if (embd->dims[1] != c.vocab_size)
    throw InputError(fmt::format("{}: token_embd.weight has {} rows but the token list {} entries", f.name(),
                                 embd->dims[1], c.vocab_size));
  if (const auto v = f.optional_int(p + "vocab_size"); v && *v != c.vocab_size)
    throw InputError(fmt::format("{}: {}vocab_size {} != {} tokens", f.name(), p, *v, c.vocab_size));
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  if (const auto bos = f.optional_int("tokenizer.ggml.bos_token_id")) c.bos_token_ids = {*bos};
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (const auto id = f.optional_int(key);
        id && std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), *id) == c.eos_token_ids.end())
      c.eos_token_ids.push_back(*id);
  c.validate(f.name());
  return c;
}

std::string gguf_tensor_name(const std::string& n, bool sandwich_norms) {
  if (n == "model.embed_tokens.weight") return "token_embd.weight";
  if (n == "model.norm.weight") return "output_norm.weight";
  if (n == "lm_head.weight") return "output.weight";
  static const std::pair<const char*, const char*> kLayer[] = {
      {"input_layernorm.weight", "attn_norm.weight"},    {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},          {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.k_proj.bias", "attn_k.bias"},          {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.v_proj.bias", "attn_v.bias"},          {"self_attn.o_proj.weight", "attn_output.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"}, {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},           {"mlp.down_proj.weight", "ffn_down.weight"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"}, {"self_attn.k_norm.weight", "attn_k_norm.weight"}};
  const std::string prefix = "model.layers.";
  if (n.rfind(prefix, 0) != 0) return "";
  const size_t dot = n.find('.', prefix.size());
  if (dot == std::string::npos) return "";
  const std::string layer = n.substr(prefix.size(), dot - prefix.size()), rest = n.substr(dot + 1);
  static const std::pair<const char*, const char*> kSandwich[] = {
      {"post_attention_layernorm.weight", "post_attention_norm.weight"},
      {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
      {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"}};
  if (sandwich_norms)
    for (const auto& [hf, gg] : kSandwich)
      if (rest == hf) return "blk." + layer + "." + gg;
  for (const auto& [hf, gg] : kLayer)
    if (rest == hf) return "blk." + layer + "." + gg;
  return "";
}

namespace {

// The file's row h*hd + 2*i + s holds HF's row h*hd + s*hd/2 + i.
template <typename T>
void unpermute_rows(std::vector<T>& w, int64_t heads, int64_t head_dim, int64_t row_size) {
  std::vector<T> out(w.size());
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t s = 0; s < 2; ++s) {
        const T* src = w.data() + (h * head_dim + 2 * i + s) * row_size;
        std::copy(src, src + row_size, out.data() + (h * head_dim + s * half + i) * row_size);
      }
  w.swap(out);
}

}  // namespace

void unpermute_rope_rows(std::vector<float>& w, int64_t heads, int64_t head_dim, int64_t cols) {
  unpermute_rows(w, heads, head_dim, cols);
}

void unpermute_rope_rows(std::vector<uint8_t>& rows, int64_t heads, int64_t head_dim, int64_t row_bytes) {
  unpermute_rows(rows, heads, head_dim, row_bytes);
}

int64_t permuted_rope_heads(const ModelConfig& c, const std::string& name) {
  if (c.model_type != "llama") return 0;
  if (ends_with(name, "attn_q.weight") || ends_with(name, "attn_q.bias")) return c.num_q_heads;
  if (ends_with(name, "attn_k.weight") || ends_with(name, "attn_k.bias")) return c.num_k_heads;
  return 0;
}

std::optional<std::vector<float>> to_runtime_weight(const GgufFile& f, const ModelConfig& c,
                                                    const std::string& runtime_name,
                                                    const std::vector<int64_t>& shape) {
  const std::string name = gguf_tensor_name(runtime_name, c.sandwich_norms);
  const TensorInfo* t = name.empty() ? nullptr : f.find_tensor(name);
  if (!t) return std::nullopt;
  if (t->shape() != shape)
    throw InputError(fmt::format("{}: tensor \"{}\" has shape {}, expected {} for {}", f.name(), name,
                                 shape_string(t->shape()), shape_string(shape), runtime_name));
  std::vector<float> w = f.to_float(*t);
  if (const int64_t heads = permuted_rope_heads(c, name))
    unpermute_rope_rows(w, heads, c.head_dim_qk, shape.size() == 2 ? shape[1] : 1);
  return w;
}

}  // namespace aimicius::runtime::gguf
