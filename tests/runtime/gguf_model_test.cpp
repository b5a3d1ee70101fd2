// A GGUF checkpoint through the LibTorch model (runtime/model.h, Model::load on a .gguf): the
// same random weights written as safetensors and as an F32 GGUF laid out as llama.cpp's converter
// writes it (q/k rows permuted for llama, names mapped) give the same logits, so the name mapping
// and the undoing of the permutation are right; and a GGUF with a missing tensor is an InputError.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/errors.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/local_model.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/weight_specs.h"
#include "tests/runtime/gguf_test_writer.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using test::GgufWriter;

// llama.cpp's converter permute: rows [heads, 2, hd/2] -> [heads, hd/2, 2].
std::vector<float> permute_rows(const std::vector<float>& w, int64_t heads, int64_t hd, int64_t cols) {
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t s = 0; s < 2; ++s)
      for (int64_t i = 0; i < hd / 2; ++i)
        std::copy_n(w.begin() + ((h * 2 + s) * (hd / 2) + i) * cols, cols,
                    out.begin() + ((h * (hd / 2) + i) * 2 + s) * cols);
  return out;
}

// float32 -> IEEE half, mantissa truncated (the files only need some half; readers dequantise its bits).
uint16_t to_half(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000;
  const int exp = static_cast<int>((b >> 23) & 0xFF) - 127 + 15;
  if (exp <= 0) return static_cast<uint16_t>(sign);  // tiny: signed zero
  return static_cast<uint16_t>(sign | (std::min(exp, 30) << 10) | ((b >> 13) & 0x3FF));
}

void put_half(std::string& out, float f) {
  const uint16_t h = to_half(f);
  out.push_back(static_cast<char>(h & 0xFF));
  out.push_back(static_cast<char>(h >> 8));
}

// Rows of 32-value blocks as llama.cpp's quantize writes them (ggml_types.h has the layouts):
// Q8_0 (d = max|x| / 127) or Q4_1 (d = (max - min) / 15, m = min).
std::string quantize_blocks(const std::vector<float>& v, gguf::GgmlType type) {
  std::string out;
  for (size_t b = 0; b < v.size(); b += 32) {
    const float* x = v.data() + b;
    float lo = x[0], hi = x[0], amax = 0;
    for (int j = 0; j < 32; ++j) lo = std::min(lo, x[j]), hi = std::max(hi, x[j]), amax = std::max(amax, std::abs(x[j]));
    if (type == gguf::GgmlType::kQ8_0) {
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

// The safetensors checkpoint in `dir` as a GGUF file, written the converter's way; `skip` leaves a
// tensor out. `quantized`: the embedding as Q8_0 and every other matrix as Q4_1 (SmolLM2's Q4_1
// file's types), norms float32.
void write_gguf_like_converter(const ModelConfig& c, const std::filesystem::path& dir, const std::filesystem::path& out,
                               const std::string& skip = "", bool tokenizer = false, bool permute = true,
                               const std::string& chat_template = "{% for m in messages %}<|im_start|>...{% endfor %}",
                               bool quantized = false) {
  const auto ckpt = SafetensorsCheckpoint::open(dir);
  GgufWriter w;
  if (tokenizer) {  // "hello" and "Ġw" merge; the rest of the vocabulary is filler
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
    w.kv_string("tokenizer.chat_template", chat_template);
  }
  const std::string a = c.model_type;
  w.kv_string("general.architecture", a);
  w.kv_u32(a + ".context_length", static_cast<uint32_t>(c.max_position_embeddings));
  w.kv_u32(a + ".embedding_length", static_cast<uint32_t>(c.hidden_size));
  w.kv_u32(a + ".block_count", static_cast<uint32_t>(c.num_layers));
  w.kv_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  w.kv_u32(a + ".attention.head_count", static_cast<uint32_t>(c.num_q_heads));
  w.kv_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.num_k_heads));
  w.kv_f32(a + ".rope.freq_base", static_cast<float>(c.rope_theta));
  w.kv_f32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  for (const auto& spec : weight_specs(c)) {
    const std::string name = gguf::gguf_tensor_name(spec.name);
    if (name == skip) continue;
    std::vector<float> v = to_float_vector(*ckpt.find(spec.name));
    const int64_t cols = spec.shape.size() == 2 ? spec.shape[1] : 1;
    const bool q = name.find("attn_q.") != std::string::npos, k = name.find("attn_k.") != std::string::npos;
    if (permute && c.model_type == "llama" && (q || k)) v = permute_rows(v, q ? c.num_q_heads : c.num_k_heads, c.head_dim_qk, cols);
    std::vector<uint64_t> dims(spec.shape.rbegin(), spec.shape.rend());
    if (quantized && spec.shape.size() == 2) {
      const auto type = name == "token_embd.weight" ? gguf::GgmlType::kQ8_0 : gguf::GgmlType::kQ4_1;
      w.tensor(name, dims, static_cast<uint32_t>(type), quantize_blocks(v, type));
    } else {
      w.tensor_f32(name, dims, v);
    }
  }
  const std::string bytes = w.finish();
  std::ofstream(out, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

torch::Tensor logits_of(Model& m, const std::vector<int64_t>& ids) {
  KVCache cache = m.make_cache(1, 64);
  return m.forward(torch::tensor(ids).view({1, -1}), cache, {0}, false);
}

TEST(GgufModel, SameLogitsAsTheSafetensorsCheckpointForLlamaAndQwen2) {
  ModelConfig llama = preset_config("tiny-gqa");
  llama.rope_theta = 100000.0;
  ModelConfig qwen = preset_config("tiny-gqa");
  qwen.model_type = "qwen2";
  qwen.qkv_bias = true;
  qwen.tie_word_embeddings = true;
  for (const ModelConfig& c : {llama, qwen}) {
    ScratchDir dir;
    CheckpointOptions opts;
    opts.init_std = 0.2;
    opts.write_tokenizer = false;
    write_random_checkpoint(c, dir.path() / "hf", opts);
    std::filesystem::create_directories(dir.path() / "gguf");
    write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "gguf" / "m.gguf");
    torch::NoGradGuard no_grad;
    const auto hf = Model::load(dir.path() / "hf", {});
    const auto gg = Model::load(dir.path() / "gguf", {});  // the folder holding one .gguf
    EXPECT_EQ(gg->config().model_type, c.model_type);
    EXPECT_EQ(gg->config().tie_word_embeddings, c.tie_word_embeddings);
    const std::vector<int64_t> ids = {3, 17, 100, 250, 9, 42, 7, 8, 199, 5};
    const torch::Tensor a = logits_of(*hf, ids), b = logits_of(*gg, ids);
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-5) << c.model_type;
    // The permutation matters: the same file written without it gives other logits.
    if (c.model_type == "llama") {
      write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "unpermuted.gguf", "", false, false);
      const auto wrong = Model::load(dir.path() / "unpermuted.gguf", {});
      EXPECT_GT((logits_of(*wrong, ids) - a).abs().max().item<double>(), 1e-3);
    }
  }
}

// A random tiny-gqa checkpoint in dir/hf (no tokenizer: a GGUF file brings its own), for tests
// that write it out as a GGUF file.
ModelConfig write_tiny_checkpoint(const ScratchDir& dir) {
  ModelConfig c = preset_config("tiny-gqa");
  CheckpointOptions opts;
  opts.write_tokenizer = false;
  write_random_checkpoint(c, dir.path() / "hf", opts);
  return c;
}

TEST(GgufModel, MissingTensorIsAnInputErrorNamingIt) {
  ScratchDir dir;
  const ModelConfig c = write_tiny_checkpoint(dir);
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "bad.gguf", "blk.1.ffn_up.weight");
  try {
    Model::load(dir.path() / "bad.gguf", {});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("blk.1.ffn_up.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.gguf"), std::string::npos) << e.what();
  }
}

// LocalModel on a GGUF file: the tokenizer from the metadata encodes the prompt, generation runs.
TEST(GgufModel, LocalModelGeneratesWithTheMetadataTokenizer) {
  ScratchDir dir;
  const ModelConfig c = write_tiny_checkpoint(dir);
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "m.gguf", "", true);
  const auto model = LocalModel::load(dir.path() / "m.gguf", {});
  SamplingParams p;
  p.max_new_tokens = 3;
  const auto out = model->generate({"hello world"}, p);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error, "");
  EXPECT_EQ(out[0].prompt_tokens, 6);  // hello, Ġw, o, r, l, d
}

// A chat template that does not parse is the checkpoint's error when chat formatting is asked
// for, at load (exit 2 before a run starts), naming the file; without chat it is not read.
TEST(GgufModel, AChatTemplateThatDoesNotParseFailsTheLoadUnderChat) {
  ScratchDir dir;
  const ModelConfig c = write_tiny_checkpoint(dir);
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "m.gguf", "", true, true,
                            "{% for m in messages %}{{ m['content'] }}");  // no endfor
  LocalModelOptions chat;
  chat.chat = true;
  try {
    LocalModel::load(dir.path() / "m.gguf", chat);
    FAIL() << "a template without endfor loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("m.gguf"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(LocalModel::load(dir.path() / "m.gguf", {}));
}

// The quantised CPU path (runtime/cpu/) on a GGUF whose matrices are Q8_0 / Q4_1: its logits against
// the same file dequantised through LibTorch (the rounding of the activations to int8 is the only
// difference: kernels.h), prompts of different lengths prefilled together against each alone, and
// a KV-cached decode against the full prefill.
TEST(GgufModel, QuantizedCpuPathMatchesTheDequantisedModel) {
  ScratchDir dir;
  ModelConfig c = write_tiny_checkpoint(dir);
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "q.gguf", "", false, true, "", true);
  ModelOptions plain;
  plain.cpu_quantized = false;
  const auto q = Model::load(dir.path() / "q.gguf", {});
  const auto f = Model::load(dir.path() / "q.gguf", plain);
  EXPECT_NE(q->cpu_path(), "");
  EXPECT_EQ(f->cpu_path(), "");
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> ids = {3, 17, 100, 250, 9, 42, 7, 8, 199, 5, 77, 31};
  const torch::Tensor a = logits_of(*q, ids), b = logits_of(*f, ids);
  // Measured: 5.5e-3 worst over 12 positions x 272 logits whose std is 0.16 (the int8 rounding of
  // each block of activations, through two layers); the bound leaves 3.6x.
  const double worst = (a - b).abs().max().item<double>();
  EXPECT_LT(worst, 2e-2);
  EXPECT_GT(b.std().item<double>(), 0.1);  // the logits are not all alike: the comparison means something
  EXPECT_TRUE(torch::equal(a.argmax(-1), b.argmax(-1)));

  // Two prompts of different lengths in one padded prefill, against each prefilled alone; then one
  // decode step against the longer sequence prefilled whole (the same kernels on the same rows).
  const std::vector<int32_t> p1 = {3, 17, 100, 250, 9}, p2 = {42, 7, 8};
  KVCache both = q->make_cache(2, 16);
  const torch::Tensor together = q->prefill({p1, p2}, both, {0, 1});
  for (const auto& [p, row] : {std::pair{p1, 0}, std::pair{p2, 1}}) {
    KVCache alone = q->make_cache(1, 16);
    const torch::Tensor one = q->prefill({p}, alone, {0});
    EXPECT_LT((together[row] - one[0]).abs().max().item<double>(), 1e-5);
  }
  const torch::Tensor step = q->forward(torch::tensor({int64_t{5}, int64_t{6}}).view({2, 1}), both, {0, 1}, true);
  std::vector<int32_t> p1_more = p1;
  p1_more.push_back(5);
  KVCache whole = q->make_cache(1, 16);
  EXPECT_LT((step[0] - q->prefill({p1_more}, whole, {0})[0]).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace aimicius::runtime
