// A GGUF checkpoint through the LibTorch model (runtime/model.h, Model::load on a .gguf): the
// same random weights written as safetensors and as an F32 GGUF laid out as llama.cpp's converter
// writes it (q/k rows permuted for llama, names mapped) give the same logits, so the name mapping
// and the undoing of the permutation are right; and a GGUF with a missing tensor is an InputError.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "common/errors.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/local_model.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "runtime/weight_specs.h"
#include "tests/runtime/gguf_model_writer.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using test::GgufWriteOptions;
using test::write_gguf_like_converter;

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
    // The same weights through two float32 paths (LibTorch's products; the CPU path's kernels, whose
    // scalar build sums each dot product in order): within float32 rounding of the logits' size
    // (measured: 1.4e-5 on the scalar build, a few 1e-6 on the vector ones); a wrong mapping or
    // permutation moves them by more than 1e-3 (below).
    const double scale = 1.0 + a.abs().max().item<double>();
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-5 * scale) << c.model_type << ", logits up to " << scale - 1;
    // The permutation matters: the same file written without it gives other logits.
    if (c.model_type == "llama") {
      GgufWriteOptions unpermuted;
      unpermuted.permute = false;
      write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "unpermuted.gguf", unpermuted);
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

// The checkpoint of `c` in dir/hf written as a quantised GGUF file (dir/q.gguf, as llama.cpp's
// converter lays it out) and loaded with the default options (the CPU's quantised path).
std::unique_ptr<Model> load_quantized_gguf(const ScratchDir& dir, const ModelConfig& c) {
  GgufWriteOptions quantized;
  quantized.quantized = true;
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "q.gguf", quantized);
  return Model::load(dir.path() / "q.gguf", {});
}

TEST(GgufModel, MissingTensorIsAnInputErrorNamingIt) {
  ScratchDir dir;
  const ModelConfig c = write_tiny_checkpoint(dir);
  GgufWriteOptions missing;
  missing.skip = "blk.1.ffn_up.weight";
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "bad.gguf", missing);
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
  GgufWriteOptions with_tokenizer;
  with_tokenizer.tokenizer = true;
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "m.gguf", with_tokenizer);
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
  GgufWriteOptions broken_template;
  broken_template.tokenizer = true;
  broken_template.chat_template = "{% for m in messages %}{{ m['content'] }}";  // no endfor
  write_gguf_like_converter(c, dir.path() / "hf", dir.path() / "m.gguf", broken_template);
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
  const auto q = load_quantized_gguf(dir, c);
  ModelOptions plain;
  plain.cpu_quantized = false;
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
    EXPECT_TRUE(torch::equal(together[row], one[0])) << "prompt " << row;  // every kernel's floats are one order
  }
  const torch::Tensor step = q->forward(torch::tensor({int64_t{5}, int64_t{6}}).view({2, 1}), both, {0, 1}, true);
  std::vector<int32_t> p1_more = p1;
  p1_more.push_back(5);
  KVCache whole = q->make_cache(1, 16);
  EXPECT_TRUE(torch::equal(step[0], q->prefill({p1_more}, whole, {0})[0]));
}

// A decoding sequence's logits do not depend on how many others decode beside it: its step alone,
// among 8 (from 8 rows the products take the x8 kernels) and among 17 (x16, or AMX tiles from 16),
// bit for bit. Every quantised kernel gives the same floats (runtime/cpu/kernels.h); before, a lone
// step took the 4-row kernels, whose float order differed, so a run's greedy tokens could change
// with its batch (resumed after a crash, sharded, or served beside other requests).
TEST(GgufModel, ADecodeStepIsTheSameAloneAndAmongOthers) {
  ScratchDir dir;
  ModelConfig c = write_tiny_checkpoint(dir);
  const auto q = load_quantized_gguf(dir, c);
  ASSERT_NE(q->cpu_path(), "");
  torch::NoGradGuard no_grad;
  std::mt19937 rng(5);
  std::vector<std::vector<int32_t>> prompts(17);
  std::vector<int64_t> next(17);
  for (size_t i = 0; i < prompts.size(); ++i) {
    prompts[i].resize(3 + rng() % 10);
    for (int32_t& t : prompts[i]) t = static_cast<int32_t>(rng() % c.vocab_size);
    next[i] = static_cast<int64_t>(rng() % c.vocab_size);
  }
  torch::Tensor alone;
  for (int64_t n : {1, 8, 17}) {
    KVCache cache = q->make_cache(n, 32);
    std::vector<int64_t> slots(n);
    for (int64_t i = 0; i < n; ++i) slots[i] = i;
    q->prefill({prompts.begin(), prompts.begin() + n}, cache, slots);
    const torch::Tensor step =
        q->forward(torch::tensor(std::vector<int64_t>(next.begin(), next.begin() + n)).view({n, 1}), cache, slots, true);
    if (n == 1) {
      alone = step[0].clone();
      EXPECT_GT(alone.std().item<double>(), 0.05);  // logits that differ: the comparison means something
    } else {
      EXPECT_TRUE(torch::equal(step[0], alone)) << "the step among " << n << " sequences";
    }
  }
}

// The same with head dims of 32, where on CPUs with AMX-BF16 a sequence's tokens in one forward
// choose its paths (runtime/cpu/cpu_transformer.h: from 64 the bfloat16 tile products, from 16 the
// tile attention; elsewhere all of this runs the int8 products and float attention and must hold as
// well): prompts of 140 tokens (bfloat16 products, tiles), 20 (int8 products, tiles) and 5
// (neither) prefilled together give, bit for bit, each prompt prefilled alone (the paths are chosen
// per sequence, never by its neighbours); prompt 0 prefilled in two runs of 70 (a reused prefix,
// then the rest) gives the floats of the whole; and a decode step after prompt 0's first 139 tokens
// (the decode path) agrees with the whole prompt within the two paths' rounding.
TEST(GgufModel, ThePromptPathIsChosenPerSequenceAndAgreesWithDecode) {
  ScratchDir dir;
  ModelConfig c = preset_config("tiny-gqa");
  c.head_dim_qk = c.head_dim_v = 32;
  CheckpointOptions opts;
  opts.write_tokenizer = false;
  opts.init_std = 0.1;
  write_random_checkpoint(c, dir.path() / "hf", opts);
  const auto q = load_quantized_gguf(dir, c);
  ASSERT_NE(q->cpu_path(), "");
  torch::NoGradGuard no_grad;
  std::mt19937 rng(3);
  const auto prompt = [&](int n) {
    std::vector<int32_t> p(n);
    for (int32_t& t : p) t = static_cast<int32_t>(rng() % c.vocab_size);
    return p;
  };
  const std::vector<std::vector<int32_t>> prompts = {prompt(140), prompt(20), prompt(5)};
  KVCache all = q->make_cache(3, 160);
  const torch::Tensor together = q->prefill(prompts, all, {0, 1, 2});
  for (int64_t i = 0; i < 3; ++i) {
    KVCache alone = q->make_cache(1, 160);
    EXPECT_TRUE(torch::equal(together[i], q->prefill({prompts[i]}, alone, {0})[0])) << "prompt " << i;
  }
  const torch::Tensor whole = together[0];
  EXPECT_GT(whole.std().item<double>(), 0.05);  // logits that differ: the comparisons mean something
  // Prompt 0 as two runs of 70 tokens.
  KVCache halves = q->make_cache(1, 160);
  q->prefill({std::vector<int32_t>(prompts[0].begin(), prompts[0].begin() + 70)}, halves, {0});
  const torch::Tensor second = q->prefill({std::vector<int32_t>(prompts[0].begin() + 70, prompts[0].end())}, halves, {0});
  EXPECT_TRUE(torch::equal(second[0], whole));
  // Prompt 0 without its last token, then that token as a decode step, against prompt 0 whole.
  std::vector<int32_t> head(prompts[0].begin(), prompts[0].end() - 1);
  KVCache stepped = q->make_cache(1, 160);
  q->prefill({head}, stepped, {0});
  const torch::Tensor step = q->forward(torch::tensor({int64_t{prompts[0].back()}}).view({1, 1}), stepped, {0}, true);
  const double diff = (step[0] - whole).abs().max().item<double>();
  if (q->cpu_path().find("amx") == std::string::npos) {
    EXPECT_LT(diff, 1e-5);  // one path: measured 0 (avx512)
  } else {
    // bfloat16 products and attention against int8 products and float attention: measured 0.045
    // with the logits' std 0.83 (5%; the int8 path's own distance from float32 is 3% of the std in
    // QuantizedCpuPathMatchesTheDequantisedModel); the bound leaves 2.8x. A wrong position or cache
    // row moves the logits by about their std.
    EXPECT_LT(diff, 0.15 * whole.std().item<double>());
  }
}

}  // namespace
}  // namespace aimicius::runtime
