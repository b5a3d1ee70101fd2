// GGUF files made from a safetensors checkpoint as llama.cpp's converter (convert_hf_to_gguf.py)
// makes them, for the tests of the GGUF model path: the same weights under GGUF names and layout,
// so that the two loads must give the same logits. Built on GgufWriter (gguf_test_writer.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/gguf/ggml_types.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/model_config.h"
#include "runtime/safetensors.h"
#include "runtime/weight_specs.h"
#include "tests/runtime/gguf_test_writer.h"

namespace aimicius::test {

// llama.cpp's converter permute: rows [heads, 2, hd/2] -> [heads, hd/2, 2].
inline std::vector<float> permute_rows(const std::vector<float>& w, int64_t heads, int64_t hd, int64_t cols) {
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t s = 0; s < 2; ++s)
      for (int64_t i = 0; i < hd / 2; ++i)
        std::copy_n(w.begin() + ((h * 2 + s) * (hd / 2) + i) * cols, cols,
                    out.begin() + ((h * (hd / 2) + i) * 2 + s) * cols);
  return out;
}

// float32 -> IEEE half, mantissa truncated (the files only need some half; readers dequantise its bits).
inline uint16_t to_half(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000;
  const int exp = static_cast<int>((b >> 23) & 0xFF) - 127 + 15;
  if (exp <= 0) return static_cast<uint16_t>(sign);  // tiny: signed zero
  return static_cast<uint16_t>(sign | (std::min(exp, 30) << 10) | ((b >> 13) & 0x3FF));
}

inline void put_half(std::string& out, float f) {
  const uint16_t h = to_half(f);
  out.push_back(static_cast<char>(h & 0xFF));
  out.push_back(static_cast<char>(h >> 8));
}

// Rows of 32-value blocks as llama.cpp's quantize writes them (ggml_types.h has the layouts):
// Q8_0 (d = max|x| / 127) or Q4_1 (d = (max - min) / 15, m = min).
inline std::string quantize_blocks(const std::vector<float>& v, runtime::gguf::GgmlType type) {
  std::string out;
  for (size_t b = 0; b < v.size(); b += 32) {
    const float* x = v.data() + b;
    float lo = x[0], hi = x[0], amax = 0;
    for (int j = 0; j < 32; ++j) lo = std::min(lo, x[j]), hi = std::max(hi, x[j]), amax = std::max(amax, std::abs(x[j]));
    if (type == runtime::gguf::GgmlType::kQ8_0) {
      const float d = amax / 127;
      put_half(out, d);
      for (int j = 0; j < 32; ++j) out.push_back(static_cast<char>(d > 0 ? std::lround(x[j] / d) : 0));
    } else {
      const float d = (hi - lo) / 15;
      put_half(out, d);
      put_half(out, lo);
      auto nib = [&](float y) { return d > 0 ? static_cast<int>(std::clamp<long>(std::lround((y - lo) / d), 0, 15)) : 0; };
      for (int j = 0; j < 16; ++j) out.push_back(static_cast<char>(nib(x[j]) | (nib(x[j + 16]) << 4)));
    }
  }
  return out;
}

struct GgufWriteOptions {
  std::string skip;        // a tensor left out ("": none)
  bool tokenizer = false;  // a small gpt2-style vocabulary ("hello" and "Ġw" merge) and a chat template
  bool permute = true;     // llama's q/k rows permuted as the converter does
  std::string chat_template = "{% for m in messages %}<|im_start|>...{% endfor %}";
  bool quantized = false;  // the embedding as Q8_0 and every other matrix as Q4_1 (SmolLM2's Q4_1 file's types)
};

// The safetensors checkpoint in `dir` as a GGUF file, written the way llama.cpp's converter writes
// the family: names mapped, llama's q/k rows permuted, Gemma's (Gemma 2's, Gemma 3's) norms stored
// as 1 + weight and its head_dim as key_length, Gemma 2's caps and window as metadata, Gemma 3's
// window, sliding layers' base and full-layer period (as a converter that writes them does), and
// linear RoPE scaling; norms float32.
inline void write_gguf_like_converter(const runtime::ModelConfig& c, const std::filesystem::path& dir,
                                      const std::filesystem::path& out, const GgufWriteOptions& o = {}) {
  const auto ckpt = runtime::SafetensorsCheckpoint::open(dir);
  GgufWriter w;
  if (o.tokenizer) {  // "hello" and "Ġw" merge; the rest of the vocabulary is filler
    std::vector<std::string> tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "h", "e", "l", "o", "Ġ", "w",
                                       "r", "d", "he", "ll", "hell", "hello", "Ġw"};
    std::vector<int32_t> types = {3, 3, 3};
    while (static_cast<int64_t>(tokens.size()) < c.vocab_size) tokens.push_back("<filler" + std::to_string(tokens.size()) + ">");
    types.resize(tokens.size(), 1);
    w.kv_string("tokenizer.ggml.model", "gpt2");
    w.kv_string("tokenizer.ggml.pre", "gpt2");
    w.kv_strings("tokenizer.ggml.tokens", tokens);
    w.kv_i32s("tokenizer.ggml.token_type", types);
    w.kv_strings("tokenizer.ggml.merges", {"h e", "l l", "he ll", "hell o", "Ġ w"});
    w.kv_u32("tokenizer.ggml.eos_token_id", 2);
    w.kv_string("tokenizer.chat_template", o.chat_template);
  }
  const std::string a = c.model_type == "gemma3_text" ? "gemma3" : c.model_type;
  w.kv_string("general.architecture", a);
  w.kv_u32(a + ".context_length", static_cast<uint32_t>(c.max_position_embeddings));
  w.kv_u32(a + ".embedding_length", static_cast<uint32_t>(c.hidden_size));
  w.kv_u32(a + ".block_count", static_cast<uint32_t>(c.num_layers));
  w.kv_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  w.kv_u32(a + ".attention.head_count", static_cast<uint32_t>(c.num_q_heads));
  w.kv_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.num_k_heads));
  w.kv_f32(a + ".rope.freq_base", static_cast<float>(c.rope_theta));
  w.kv_f32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  if (c.head_dim_qk * c.num_q_heads != c.hidden_size) {
    w.kv_u32(a + ".attention.key_length", static_cast<uint32_t>(c.head_dim_qk));
    w.kv_u32(a + ".attention.value_length", static_cast<uint32_t>(c.head_dim_v));
  }
  if (a == "gemma2") {  // the converter's three Gemma 2 keys (the layers that slide are llama.cpp's rule)
    w.kv_f32(a + ".attn_logit_softcapping", static_cast<float>(c.attn_logit_softcap));
    w.kv_f32(a + ".final_logit_softcapping", static_cast<float>(c.final_logit_softcap));
    w.kv_u32(a + ".attention.sliding_window", static_cast<uint32_t>(c.sliding_window));
  }
  if (a == "gemma3") {  // the period: the first full layer's index + 1
    w.kv_u32(a + ".attention.sliding_window", static_cast<uint32_t>(c.sliding_window));
    int64_t period = 1;
    while (period <= c.num_layers && c.local_rope(period - 1)) ++period;
    w.kv_u32(a + ".attention.sliding_window_pattern", static_cast<uint32_t>(period));
    w.kv_f32(a + ".rope.freq_base_swa", static_cast<float>(c.local_rope_theta));
  }
  if (c.rope_scaling.type == "linear") {
    w.kv_string(a + ".rope.scaling.type", "linear");
    w.kv_f32(a + ".rope.scaling.factor", static_cast<float>(c.rope_scaling.factor));
  }
  for (const auto& spec : runtime::weight_specs(c)) {
    const std::string name = runtime::gguf::gguf_tensor_name(spec.name, c.sandwich_norms);
    if (name == o.skip) continue;
    std::vector<float> v = runtime::to_float_vector(*ckpt.find(spec.name));
    const int64_t cols = spec.shape.size() == 2 ? spec.shape[1] : 1;
    const bool q = name.find("attn_q.") != std::string::npos, k = name.find("attn_k.") != std::string::npos;
    if (c.norm_gain_plus_one && name.find("norm.weight") != std::string::npos)
      for (float& x : v) x += 1.0f;
    if (o.permute && c.model_type == "llama" && (q || k)) v = permute_rows(v, q ? c.num_q_heads : c.num_k_heads, c.head_dim_qk, cols);
    std::vector<uint64_t> dims(spec.shape.rbegin(), spec.shape.rend());
    if (o.quantized && spec.shape.size() == 2) {
      const auto type = name == "token_embd.weight" ? runtime::gguf::GgmlType::kQ8_0 : runtime::gguf::GgmlType::kQ4_1;
      w.tensor(name, dims, static_cast<uint32_t>(type), quantize_blocks(v, type));
    } else {
      w.tensor_f32(name, dims, v);
    }
  }
  const std::string bytes = w.finish();
  std::ofstream(out, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace aimicius::test
