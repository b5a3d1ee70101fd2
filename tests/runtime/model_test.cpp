// The LibTorch runtime against the independent float64 reference (runtime/reference_model.h):
// logits of random checkpoints of every attention family, KV-cached decode against full
// recompute at every step, selective V fetching, and generation behaviour.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "common/errors.h"
#include "common/json_file.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/local_model.h"
#include "runtime/tokenizer/chat_template.h"
#include "runtime/model.h"
#include "runtime/reference_model.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;

// max |a - b| / max |b|: relative to the logits' scale, so near-zero logits don't dominate.
double relative_error(const torch::Tensor& got, const std::vector<std::vector<double>>& want) {
  double max_diff = 0, max_ref = 0;
  for (size_t t = 0; t < want.size(); ++t)
    for (size_t v = 0; v < want[t].size(); ++v) {
      max_diff = std::max(max_diff, std::abs(got[t][v].item<double>() - want[t][v]));
      max_ref = std::max(max_ref, std::abs(want[t][v]));
    }
  return max_diff / max_ref;
}

// max |got - want| / max |want|, for tensors: BLAS takes different float32 paths for one row and
// many, so results agree to the data's scale, not element by element.
double scaled_error(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).abs().max().item<double>() / want.abs().max().item<double>();
}

// Rows [from, from + n) of one slot of a layer's K or V (KVCache::k_rows / v_rows), wherever its
// pages put them.
torch::Tensor slot_rows(const KVCache& cache, const torch::Tensor& all, int64_t slot, int64_t from, int64_t n) {
  std::vector<int64_t> rows;
  cache.append_rows(slot, from, n, rows);
  return all.index_select(0, torch::tensor(rows, torch::kLong).to(all.device()));
}

std::vector<int32_t> random_tokens(int64_t n, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % vocab);
  return t;
}

torch::Tensor as_tensor(const std::vector<int32_t>& ids) {
  return torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).view({1, -1});
}

// A checkpoint of `preset` with random weights of scale init_std, written to `dir` and loaded on the CPU.
std::unique_ptr<Model> random_model(const std::filesystem::path& dir, const char* preset, double init_std) {
  CheckpointOptions opts;
  opts.init_std = init_std;
  write_random_checkpoint(preset_config(preset), dir, opts);
  return Model::load(dir, {});
}

struct Shape {
  std::string name;
  ModelConfig config;
};

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (const char* p : {"tiny-diffqkv", "tiny-gqa", "tiny-mha", "tiny-mqa"}) out.push_back({p, preset_config(p)});
  ModelConfig qwen = preset_config("tiny-gqa");  // Qwen2: q/k/v biases and tied embeddings
  qwen.model_type = "qwen2";
  qwen.qkv_bias = true;
  qwen.tie_word_embeddings = true;
  out.push_back({"qwen2-bias-tied", qwen});
  ModelConfig scaled = preset_config("tiny-diffqkv");  // Llama 3 RoPE scaling
  scaled.rope_scaling.type = "llama3";
  scaled.rope_scaling.factor = 8.0;
  scaled.rope_scaling.original_max_position_embeddings = 16;
  out.push_back({"diffqkv-llama3-rope", scaled});
  ModelConfig yarn = preset_config("tiny-gqa");  // yarn: its attention scaling (1.139) on every path
  yarn.rope_scaling.type = "yarn";
  yarn.rope_scaling.factor = 4.0;
  yarn.rope_scaling.original_max_position_embeddings = 16;
  out.push_back({"gqa-yarn-rope", yarn});
  return out;
}

TEST(Model, LogitsMatchTheFloat64ReferenceForEveryAttentionFamily) {
  ScratchDir dir;
  for (const auto& shape : shapes()) {
    CheckpointOptions opts;
    opts.seed = 11;
    opts.init_std = 0.2;  // large enough that attention is far from uniform
    write_random_checkpoint(shape.config, dir / shape.name, opts);
    const ReferenceModel ref(dir / shape.name);
    auto model = Model::load(dir / shape.name, {});
    const auto tokens = random_tokens(23, shape.config.vocab_size, 3);
    KVCache cache = model->make_cache(1, 32);
    const torch::Tensor logits = model->forward(as_tensor(tokens), cache, {0}, false)[0];
    const auto want = ref.forward(tokens);
    EXPECT_LT(relative_error(logits, want), 1e-4) << shape.name;
    EXPECT_GT(logits.abs().max().item<double>(), 1e-2) << shape.name << ": logits too small to test anything";
  }
}

TEST(Model, CachedDecodeMatchesFullRecomputeAtEveryStep) {
  ScratchDir dir;
  for (const char* preset : {"tiny-diffqkv", "tiny-mqa"}) {
    auto model = random_model(dir / preset, preset, 0.2);
    const auto tokens = random_tokens(20, model->config().vocab_size, 5);
    KVCache full = model->make_cache(1, 32);
    const torch::Tensor all = model->forward(as_tensor(tokens), full, {0}, false)[0];
    KVCache step = model->make_cache(1, 32);
    std::vector<int32_t> prefix(tokens.begin(), tokens.begin() + 5);
    // Relative to the logits' scale: BLAS takes different float32 paths for one row and many.
    auto rel = [](const torch::Tensor& a, const torch::Tensor& b) {
      return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
    };
    torch::Tensor last = model->forward(as_tensor(prefix), step, {0}, true)[0];
    EXPECT_LT(rel(last, all[4]), 1e-4) << preset << " step 4";
    for (size_t t = 5; t < tokens.size(); ++t) {
      last = model->forward(as_tensor({tokens[t]}), step, {0}, true)[0];
      EXPECT_LT(rel(last, all[t]), 1e-4) << preset << " step " << t;
    }
    EXPECT_EQ(step.lengths[0], 20);
  }
}

TEST(Model, BatchedSlotsOfDifferentLengthsMatchSingleSequences) {
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.2;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), opts);
  auto model = Model::load(dir.path(), {});
  const auto a = random_tokens(9, 272, 1), b = random_tokens(4, 272, 2);
  KVCache cache = model->make_cache(2, 16);
  model->forward(as_tensor(a), cache, {0}, true);
  model->forward(as_tensor(b), cache, {1}, true);
  const torch::Tensor both = model->forward(torch::tensor({7L, 9L}).view({2, 1}), cache, {0, 1}, true);
  for (const auto& [seq, row] : {std::pair{a, 0}, std::pair{b, 1}}) {
    KVCache alone = model->make_cache(1, 16);
    auto extended = seq;
    extended.push_back(row == 0 ? 7 : 9);
    const torch::Tensor want = model->forward(as_tensor(extended), alone, {0}, true)[0];
    EXPECT_TRUE(torch::allclose(both[row], want, 1e-4, 1e-5)) << "slot " << row;
  }
}

// Prompts of different lengths prefilled in one padded forward give each prompt's per-prompt
// last logits and cache rows; the padding reaches neither the cache (rows past each length stay
// zero) nor the lengths. A second prefill appends to slots that already hold a prefix.
TEST(Model, PaddedPrefillOfDifferentLengthsMatchesPerPromptForwards) {
  ScratchDir dir;
  for (const char* preset : {"tiny-diffqkv", "tiny-mqa"}) {
    auto model = random_model(dir / preset, preset, 0.2);
    const int64_t vocab = model->config().vocab_size;
    const std::vector<int64_t> lengths = {9, 1, 17, 4, 17, 12};
    const std::vector<int64_t> slots = {3, 0, 5, 1, 4, 2};  // not in prompt order
    std::vector<std::vector<int32_t>> prompts, tails;
    for (size_t i = 0; i < lengths.size(); ++i) {
      prompts.push_back(random_tokens(lengths[i], vocab, 40 + i));
      tails.push_back(random_tokens(1 + (i * 5) % 7, vocab, 80 + i));
    }
    KVCache batched = model->make_cache(6, 32);
    const torch::Tensor first = model->prefill(prompts, batched, slots);
    ASSERT_EQ(first.sizes(), (std::vector<int64_t>{6, vocab}));
    const torch::Tensor second = model->prefill(tails, batched, slots);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const int64_t slot = slots[i];
      KVCache alone = model->make_cache(1, 32);
      const torch::Tensor want_first = model->forward(as_tensor(prompts[i]), alone, {0}, true)[0];
      const torch::Tensor want_second = model->forward(as_tensor(tails[i]), alone, {0}, true)[0];
      EXPECT_LT(scaled_error(first[i], want_first), 1e-4) << preset << " prompt " << i;
      EXPECT_LT(scaled_error(second[i], want_second), 1e-4) << preset << " tail " << i;
      const int64_t length = alone.lengths[0];
      EXPECT_EQ(batched.lengths[slot], length) << preset << " prompt " << i;
      for (int64_t l = 0; l < static_cast<int64_t>(batched.k.size()); ++l) {
        EXPECT_LT(scaled_error(slot_rows(batched, batched.k_rows(l), slot, 0, length),
                               slot_rows(alone, alone.k_rows(l), 0, 0, length)), 1e-4)
            << preset << " layer " << l << " prompt " << i;
        EXPECT_LT(scaled_error(slot_rows(batched, batched.v_rows(l), slot, 0, length),
                               slot_rows(alone, alone.v_rows(l), 0, 0, length)), 1e-4)
            << preset << " layer " << l << " prompt " << i;
        EXPECT_EQ(slot_rows(batched, batched.k_rows(l), slot, length, 32 - length).abs().max().item<double>(), 0.0)
            << preset << " layer " << l << " prompt " << i << ": padding stored";
        EXPECT_EQ(slot_rows(batched, batched.v_rows(l), slot, length, 32 - length).abs().max().item<double>(), 0.0)
            << preset << " layer " << l << " prompt " << i << ": padding stored";
      }
    }
  }
}

TEST(Model, PrefillChecksItsPromptsAndTheCapacityOfEachSlot) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  auto model = Model::load(dir.path(), {});
  KVCache cache = model->make_cache(2, 8);
  EXPECT_THROW(model->prefill({{1, 2}}, cache, {0, 1}), std::invalid_argument);
  EXPECT_THROW(model->prefill({{1, 2}, {}}, cache, {0, 1}), std::invalid_argument);
  EXPECT_THROW(model->prefill({{1, 2}, {1, 100000}}, cache, {0, 1}), std::invalid_argument);
  // Capacity counts each prompt's own tokens, not the padded length: 8 + 2 fit two slots of 8.
  model->prefill({std::vector<int32_t>(8, 5), {1, 2}}, cache, {0, 1});
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{8, 2}));
  EXPECT_THROW(model->prefill({{1}, {1}}, cache, {0, 1}), std::runtime_error);
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{8, 2}));  // a refused prefill changes nothing
}

TEST(Model, SelectiveVFetchingIsExactWhenKCoversTheContextAndApproximateOtherwise) {
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.1;  // attention spread over many positions, so dropping all but 2 matters
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), opts);
  auto exact = Model::load(dir.path(), {});
  ModelOptions covering;
  covering.selective_v_topk = 64;
  auto wide = Model::load(dir.path(), covering);
  ModelOptions narrow_opts;
  narrow_opts.selective_v_topk = 2;
  auto narrow = Model::load(dir.path(), narrow_opts);
  const auto tokens = random_tokens(30, 272, 9);
  std::vector<torch::Tensor> outs;
  for (Model* m : {exact.get(), wide.get(), narrow.get()}) {
    KVCache cache = m->make_cache(1, 40);
    m->forward(as_tensor(std::vector<int32_t>(tokens.begin(), tokens.end() - 1)), cache, {0}, true);
    outs.push_back(m->forward(as_tensor({tokens.back()}), cache, {0}, true)[0]);
  }
  const double scale = outs[0].abs().max().item<double>();
  EXPECT_LT((outs[0] - outs[1]).abs().max().item<double>() / scale, 1e-6);
  EXPECT_GT((outs[0] - outs[2]).abs().max().item<double>() / scale, 1e-3) << "top-2 of 30 should change the logits";
}

TEST(Model, KvCacheKeepsKAndVInTheirOwnShapes) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  auto model = Model::load(dir.path(), {});
  KVCache cache = model->make_cache(2, 10);
  const ModelConfig& c = model->config();
  // A full-size pool: each slot's page in place, read by the kernels as [slots, rows, heads, d]
  // without a table.
  EXPECT_FALSE(cache.kernel_table().defined());
  EXPECT_EQ(model->make_cache(2, 10, 10 * KVCache::kPageTokens).pages().pages(), 2)
      << "a pool larger than its slots can use is full size";
  EXPECT_EQ(cache.kernel_k(0).sizes(), (std::vector<int64_t>{2, KVCache::kPageTokens, c.num_k_heads, c.head_dim_qk}));
  EXPECT_EQ(cache.row(1, 3), KVCache::kPageTokens + 3);
  // Two slots of 10 tokens: one page each (pages are KVCache::kPageTokens rows).
  const int64_t page = KVCache::kPageTokens;
  EXPECT_EQ(cache.k[0].sizes(), (std::vector<int64_t>{2, page, c.num_k_heads, c.head_dim_qk}));
  EXPECT_EQ(cache.v[0].sizes(), (std::vector<int64_t>{2, page, c.num_v_heads, c.head_dim_v}));
  // 2 layers x (2x16 + 4x24) floats x 4 bytes = 1024 bytes per token.
  EXPECT_EQ(cache.bytes(), 2 * page * 1024);
  model->forward(as_tensor(random_tokens(3, 272, 1)), cache, {1}, true);
  EXPECT_EQ(cache.used_bytes(), 3 * 1024);
}

// A paged cache whose pool is smaller than its slots' capacity (runtime/kv_pages.h): sequences take
// pages as they need them, a reset gives them back, a sequence placed on pages that are not one run
// of rows (its context then gathered) computes what it computes alone, and a pool out of pages is
// an error naming the slot.
TEST(Model, APagedCacheGivesEachSequenceItsOwnPagesAndTheSameLogits) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  auto model = Model::load(dir.path(), {});
  const int64_t page = KVCache::kPageTokens, vocab = model->config().vocab_size;
  KVCache cache = model->make_cache(6, 4 * page, 5 * page);  // full size would be 24 pages
  EXPECT_EQ(cache.pages().pages(), 5);
  const std::vector<int64_t> lengths = {10, page + 6, 10, 10};  // 1, 2, 1, 1 pages: the pool is full
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < lengths.size(); ++i) prompts.push_back(random_tokens(lengths[i], vocab, 300 + i));
  const torch::Tensor first = model->prefill(prompts, cache, {0, 1, 2, 3});
  EXPECT_EQ(cache.pages().free_pages(), 0);
  for (size_t i = 0; i < prompts.size(); ++i) {
    KVCache alone = model->make_cache(1, 4 * page);
    EXPECT_LT(scaled_error(first[i], model->forward(as_tensor(prompts[i]), alone, {0}, true)[0]), 1e-4) << i;
  }
  std::string full;
  try {
    model->forward(as_tensor(prompts[0]), cache, {4}, true);
  } catch (const std::runtime_error& e) {
    full = e.what();
  }
  EXPECT_NE(full.find("out of pages"), std::string::npos) << full;
  EXPECT_NE(full.find("slot 4"), std::string::npos) << full;
  EXPECT_EQ(cache.lengths[4], 0) << "the failed forward stored nothing";

  // The table the kernels read is the host's, refreshed after each change (and only then).
  auto device_table_is_current = [&] {
    const torch::Tensor t = cache.device_table().to(torch::kCPU).contiguous();
    return std::vector<int32_t>(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel()) == cache.pages().table();
  };
  EXPECT_TRUE(device_table_is_current());
  EXPECT_TRUE(cache.kernel_table().defined()) << "a paged pool: the kernels read the table";
  EXPECT_EQ(cache.kernel_k(0).data_ptr(), cache.k[0].data_ptr());
  cache.reset(0);  // its page (0) and slot 2's (3) back: no two free pages are one run
  cache.reset(2);
  EXPECT_EQ(cache.pages().free_pages(), 2);
  EXPECT_TRUE(device_table_is_current());
  const std::vector<int32_t> longer = random_tokens(page + 20, vocab, 400);
  const torch::Tensor got = model->forward(as_tensor(longer), cache, {5}, true)[0];
  EXPECT_FALSE(cache.contiguous_rows(5, page + 20)) << "pages 0 and 3";
  KVCache alone = model->make_cache(1, 4 * page);
  EXPECT_LT(scaled_error(got, model->forward(as_tensor(longer), alone, {0}, true)[0]), 1e-4);
  // Decode steps after it, across its pages, still as alone; and slot 1's rows were not touched.
  for (int step = 0; step < 3; ++step) {
    const std::vector<int32_t> next = random_tokens(1, vocab, 500 + step);
    EXPECT_LT(scaled_error(model->forward(as_tensor(next), cache, {5}, true)[0],
                           model->forward(as_tensor(next), alone, {0}, true)[0]), 1e-4) << "step " << step;
  }
  KVCache slot1_alone = model->make_cache(1, 4 * page);
  model->forward(as_tensor(prompts[1]), slot1_alone, {0}, true);
  for (int64_t l = 0; l < static_cast<int64_t>(cache.k.size()); ++l)
    EXPECT_LT(scaled_error(slot_rows(cache, cache.k_rows(l), 1, 0, lengths[1]),
                           slot_rows(slot1_alone, slot1_alone.k_rows(l), 0, 0, lengths[1])), 1e-4) << "layer " << l;
}

// Issue 19, item 9: num_hidden_layers 1e9 in config.json allocated 13 GB (the list of expected
// tensors) before failing. The file is checked first: an InputError naming the missing layer; and
// past kMaxLayers the config itself is refused (111111111111112 asked the config reader for a
// 14 TB table of sliding layers: found by the model_config fuzz target).
TEST(Model, AConfigClaimingMoreLayersThanTheFileFailsBeforeSizingAnything) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  nlohmann::json config = read_json_file(dir / "config.json");
  config["num_hidden_layers"] = kMaxLayers;
  aimicius::testing::write_file(dir / "config.json", config.dump());
  std::string error = aimicius::testing::error_of([&] { Model::load(dir.path(), {}); });
  EXPECT_NE(error.find(fmt::format("model.layers.{}.", kMaxLayers - 1)), std::string::npos) << error;
  for (const int64_t layers : {kMaxLayers + 1, int64_t{111111111111112}}) {
    config["num_hidden_layers"] = layers;
    aimicius::testing::write_file(dir / "config.json", config.dump());
    error = aimicius::testing::error_of([&] { Model::load(dir.path(), {}); });
    EXPECT_NE(error.find(fmt::format("\"num_hidden_layers\" is {}, expected at most 4096", layers)), std::string::npos)
        << error;
  }
}

TEST(Model, Bf16CheckpointLoadsOnCpuAsFloat32) {
  ScratchDir dir;
  CheckpointOptions opts;
  opts.dtype = DType::kBF16;
  opts.init_std = 0.2;
  write_random_checkpoint(preset_config("tiny-gqa"), dir.path(), opts);
  auto model = Model::load(dir.path(), {});
  const ReferenceModel ref(dir.path());  // the reference reads the same bf16 values as float64
  const auto tokens = random_tokens(12, 272, 4);
  KVCache cache = model->make_cache(1, 12);
  EXPECT_LT(relative_error(model->forward(as_tensor(tokens), cache, {0}, false)[0], ref.forward(tokens)), 1e-4);
}

TEST(Model, MisshapedOrMissingWeightsAreNamed) {
  ScratchDir dir;
  ModelConfig c = preset_config("tiny-gqa");
  write_random_checkpoint(c, dir.path(), {});
  nlohmann::json cfg = c.to_json();
  cfg["intermediate_size"] = 161;
  cfg["bos_token_id"] = 256;
  aimicius::testing::write_file(dir / "config.json", cfg.dump());
  try {
    Model::load(dir.path(), {});
    FAIL() << "mis-shaped checkpoint loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mlp.gate_proj.weight\" has shape [160, 64], expected [161, 64]"),
              std::string::npos) << e.what();
  }
}

// Issue 20: transformers 5 writes the RoPE base as rope_parameters.rope_theta; read as the
// transformers-4 form, the same weights give the same logits (SmolLM2's base, 100000).
TEST(Model, Transformers5ConfigGivesTheLogitsOfTheTransformers4Form) {
  ScratchDir dir;
  ModelConfig c = preset_config("tiny-gqa");
  c.rope_theta = 100000.0;
  CheckpointOptions opts;
  opts.init_std = 0.2;
  write_random_checkpoint(c, dir.path(), opts);
  const auto tokens = as_tensor(random_tokens(48, c.vocab_size, 5));
  auto logits = [&] {
    auto model = Model::load(dir.path(), {});
    KVCache cache = model->make_cache(1, 64);
    return model->forward(tokens, cache, {0}, false)[0];
  };
  const torch::Tensor t4 = logits();
  nlohmann::json j = read_json_file(dir / "config.json");
  ASSERT_EQ(j["rope_theta"], 100000.0);
  j.erase("rope_theta");
  j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 100000.0}};
  j["dtype"] = "float32";
  j["transformers_version"] = "5.25.0";
  std::ofstream(dir / "config.json") << j.dump();
  EXPECT_TRUE(torch::equal(logits(), t4));
  j.erase("rope_parameters");  // what the runtime read before: base 10000, different logits
  std::ofstream(dir / "config.json") << j.dump();
  EXPECT_GT(scaled_error(logits(), t4), 1e-3);
}

// Generation ---------------------------------------------------------------------------------

class Generate : public ::testing::Test {
 protected:
  void SetUp() override {
    CheckpointOptions opts;
    opts.init_std = 0.3;
    write_random_checkpoint(preset_config("tiny-diffqkv"), dir_.path(), opts);
    model_ = LocalModel::load(dir_.path(), {});
  }
  ScratchDir dir_;
  std::unique_ptr<LocalModel> model_;
};

TEST_F(Generate, GreedyIsDeterministicAndBatchesMatchSinglePrompts) {
  SamplingParams p;
  p.max_new_tokens = 12;
  const std::vector<std::vector<int32_t>> prompts = {random_tokens(7, 256, 1), random_tokens(2, 256, 2),
                                                     random_tokens(15, 256, 3)};
  const auto batch = model_->generate_tokens(prompts, p);
  EXPECT_EQ(model_->generate_tokens(prompts, p), batch);
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(model_->generate_tokens({prompts[i]}, p)[0], batch[i]) << i;
  // Greedy continuation is the argmax of a full recompute (checks the loop, not just the cache).
  auto model = Model::load(dir_.path(), {});
  auto seq = prompts[1];
  for (int32_t t : batch[1]) {
    KVCache cache = model->make_cache(1, 32);
    const torch::Tensor logits = model->forward(as_tensor(seq), cache, {0}, true)[0];
    if (logits.argmax().item<int64_t>() == 257) break;  // eos ends the sequence
    EXPECT_EQ(logits.argmax().item<int64_t>(), t);
    seq.push_back(t);
  }
}

// Batched prefill in one group, and in many (a budget smaller than two prompts), generates what
// each prompt generates alone, prefilled by itself.
TEST_F(Generate, PrefillGroupsDoNotChangeGreedyGenerations) {
  SamplingParams p;
  p.max_new_tokens = 10;
  p.ignore_eos = true;
  std::vector<std::vector<int32_t>> prompts;
  for (int64_t n : {6, 19, 1, 11, 19, 3, 8}) prompts.push_back(random_tokens(n, 256, 200 + n + prompts.size()));
  std::vector<std::vector<int32_t>> alone;
  for (const auto& prompt : prompts) alone.push_back(model_->generate_tokens({prompt}, p)[0]);
  EXPECT_EQ(model_->generate_tokens(prompts, p), alone);
  for (int64_t budget : {20, 40}) {
    LocalModelOptions o;
    o.prefill_tokens = budget;
    EXPECT_EQ(LocalModel::load(dir_.path(), o)->generate_tokens(prompts, p), alone) << "budget " << budget;
  }
}

// transformers' generate() stops at generation_config.json's eos_token_id (Llama 3 Instruct:
// <|eot_id|>, which config.json does not list); the runtime read only config.json's.
TEST_F(Generate, StopsAtTheEosIdsOfGenerationConfigJson) {
  SamplingParams p;
  p.max_new_tokens = 8;
  const Generation free = model_->generate({"stop here"}, p)[0];
  ASSERT_EQ(free.finish_reason, "length");
  ASSERT_GE(free.tokens.size(), 3u);
  const int32_t stop = free.tokens[2];
  std::ofstream(dir_ / "generation_config.json") << nlohmann::json{{"eos_token_id", {stop}}}.dump();
  const Generation stopped = LocalModel::load(dir_.path(), {})->generate({"stop here"}, p)[0];
  EXPECT_EQ(stopped.finish_reason, "eos");
  const auto first = std::find(free.tokens.begin(), free.tokens.end(), stop) - free.tokens.begin();
  EXPECT_LE(stopped.tokens.size(), static_cast<size_t>(first) + 1);
  EXPECT_TRUE(std::equal(stopped.tokens.begin(), stopped.tokens.begin() + first, free.tokens.begin()));
}

TEST_F(Generate, SamplingIsSeededAndMaxTokensHolds) {
  SamplingParams p;
  p.max_new_tokens = 10;
  p.temperature = 1.5;
  p.top_k = 50;
  p.top_p = 0.95;
  p.seed = 1;
  const std::vector<std::vector<int32_t>> prompts = {random_tokens(5, 256, 1), random_tokens(3, 256, 2)};
  const auto a = model_->generate_tokens(prompts, p);
  EXPECT_EQ(model_->generate_tokens(prompts, p), a);
  // With per-prompt seeds, a prompt samples the same tokens alone or in any batch position.
  p.prompt_seeds = {11, 22};
  const auto seeded = model_->generate_tokens(prompts, p);
  p.prompt_seeds = {22};
  EXPECT_EQ(model_->generate_tokens({prompts[1]}, p)[0], seeded[1]);
  p.prompt_seeds.clear();
  p.seed = 2;
  EXPECT_NE(model_->generate_tokens(prompts, p), a);
  for (const auto& seq : a) EXPECT_LE(seq.size(), 10u);
  p.top_k = 1;  // top-1 sampling is greedy
  SamplingParams greedy;
  greedy.max_new_tokens = 10;
  EXPECT_EQ(model_->generate_tokens(prompts, p), model_->generate_tokens(prompts, greedy));
}

TEST_F(Generate, TextGenerationStopsAtStopStrings) {
  SamplingParams p;
  p.max_new_tokens = 40;
  const auto free_run = model_->generate({"nvidia-smi -q"}, p)[0];
  ASSERT_GE(free_run.text.size(), 4u) << "random model produced too little text to test stop strings";
  const std::string stop = free_run.text.substr(2, 2);
  p.stop = {stop};
  const auto stopped = model_->generate({"nvidia-smi -q"}, p)[0];
  EXPECT_EQ(stopped.finish_reason, "stop");
  EXPECT_EQ(stopped.text, free_run.text.substr(0, free_run.text.find(stop)));
  EXPECT_EQ(stopped.prompt_tokens, 14);  // bos + 13 bytes
}

TEST(Generation, BadDeviceOrMissingTokenizerAreInputErrors) {
  EXPECT_THROW(check_device_spec("tpu", ""), InputError);
  EXPECT_THROW(check_device_spec("cpu", "f8"), InputError);
  ScratchDir dir;
  CheckpointOptions opts;
  opts.write_tokenizer = false;
  write_random_checkpoint(preset_config("tiny-mha"), dir.path(), opts);
  auto model = LocalModel::load(dir.path(), {});
  EXPECT_THROW(model->generate({"hi"}, {}), InputError);
}

// A tokenizer whose ids reach past the model's embedding, or (under chat) a chat template that
// fails on a plain conversation, is the checkpoint's error at load, naming the file: not a run of
// examples that each fail.
TEST(Generation, ATokenizerOrChatTemplateThatCannotServeTheModelFailsTheLoad) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  nlohmann::json tokenizer = read_json_file(dir / "tokenizer.json");
  const nlohmann::json original = tokenizer;
  tokenizer["added_tokens"].push_back({{"id", 100000}, {"content", "<|evil|>"}, {"special", true}});
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  try {
    LocalModel::load(dir.path(), {});
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: the tokenizer's ids reach 100000"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "tokenizer.json") << original.dump();
  std::ofstream(dir / "chat_template.jinja") << "{{ raise_exception('no conversation is good enough') }}";
  LocalModelOptions chat;
  chat.chat = true;
  EXPECT_NO_THROW(LocalModel::load(dir.path(), {})) << "without chat the template is not used";
  try {
    LocalModel::load(dir.path(), chat);
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("chat_template.jinja: the chat template fails on a one-turn conversation"),
              std::string::npos) << e.what();
  }
}

// A conversation the chat template refuses (raise_exception: Gemma's "System role not supported")
// is that conversation's error; the others of the call are generated as they would be alone. The
// same for plain prompts under chat=1 that the template refuses by their text.
TEST(Generation, AConversationTheChatTemplateRefusesIsThatPromptsErrorOnly) {
  ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), {});
  std::ofstream(dir / "chat_template.jinja")
      << "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}"
         "{% endif %}{% if 'forbidden' in m.content %}{{ raise_exception('no forbidden words') }}{% endif %}"
         "{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
  LocalModelOptions chat;
  chat.chat = true;
  auto model = LocalModel::load(dir.path(), chat);
  SamplingParams p;
  p.max_new_tokens = 6;
  p.ignore_eos = true;
  std::vector<int> done(3, 0);
  p.on_done = [&](size_t i, const Generation&) { done.at(i) += 1; };
  const std::vector<std::vector<ChatMessage>> conversations = {
      {{"user", "list the GPUs"}}, {{"system", "be brief"}, {"user", "hi"}}, {{"user", "show the NICs"}}};
  const auto got = model->generate_chat(conversations, p);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(done, std::vector<int>({1, 1, 1}));
  EXPECT_TRUE(got[1].template_refused);
  EXPECT_TRUE(got[1].tokens.empty());
  EXPECT_NE(got[1].error.find("chat template refused the conversation"), std::string::npos) << got[1].error;
  EXPECT_NE(got[1].error.find("System role not supported"), std::string::npos) << got[1].error;
  p.on_done = nullptr;
  for (const size_t i : {0u, 2u}) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(got[i].template_refused);
    EXPECT_TRUE(got[i].error.empty()) << got[i].error;
    const auto alone = model->generate_chat({conversations[i]}, p);
    EXPECT_EQ(got[i].tokens, alone[0].tokens);
    EXPECT_EQ(got[i].text, alone[0].text);
    EXPECT_EQ(got[i].tokens.size(), 6u);
  }
  const auto plain = model->generate({"nvidia-smi", "a forbidden word", "ls"}, p);
  EXPECT_TRUE(plain[1].template_refused);
  EXPECT_NE(plain[1].error.find("no forbidden words"), std::string::npos) << plain[1].error;
  EXPECT_EQ(plain[0].tokens.size(), 6u);
  EXPECT_EQ(plain[2].tokens.size(), 6u);
  EXPECT_EQ(plain[2].tokens, model->generate({"ls"}, p)[0].tokens);
  // Log-likelihood of continuations the same way: the refused prompt's error, the others scored.
  const auto scores = model->score({"nvidia-smi", "a forbidden word"}, {" -L", " -L"}, true);
  EXPECT_TRUE(scores[0].error.empty()) << scores[0].error;
  EXPECT_GT(scores[0].nll, 0.0);
  EXPECT_NE(scores[1].error.find("no forbidden words"), std::string::npos) << scores[1].error;
}

}  // namespace
}  // namespace aimicius::runtime

namespace aimicius::runtime {
namespace {

// A SentencePiece tokenizer.model in a LibTorch process: the tokenizer reaches libsentencepiece
// through its plugin, so the two protobuf copies never meet (this process would crash otherwise).
TEST(Generation, SentencePieceCheckpointGeneratesInATorchProcess) {
  aimicius::testing::ScratchDir dir;
  CheckpointOptions opts;
  opts.write_tokenizer = false;
  write_random_checkpoint(preset_config("tiny-mha"), dir.path(), opts);
  std::filesystem::copy_file(aimicius::testing::fixture_file("spm/tokenizer.model"), dir / "tokenizer.model");
  auto model = LocalModel::load(dir.path(), {});
  SamplingParams p;
  p.max_new_tokens = 8;
  p.ignore_eos = true;
  const auto out = model->generate({"nvidia-smi --query-gpu=name"}, p)[0];
  EXPECT_EQ(out.tokens.size(), 8u);
  EXPECT_GT(out.prompt_tokens, 3);
  EXPECT_LT(out.prompt_tokens, 27);  // pieces merge characters: fewer tokens than bytes
}

}  // namespace
}  // namespace aimicius::runtime

namespace aimicius::runtime {
namespace {

// The CUDA path against the CPU path on the same checkpoint: in float32 to the reference's bar,
// in bf16 (storage; attention math in float32) within bf16 tolerance on a checkpoint of ordinary
// scale, and cached decode consistent with the full pass. Skips without a GPU.
TEST(ModelCuda, LogitsMatchTheCpuPathInF32AndBf16AndDecodeIsConsistent) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  aimicius::testing::ScratchDir dir;
  const auto tokens = random_tokens(40, 272, 8);
  auto rel = [](const torch::Tensor& got, const torch::Tensor& want) {
    return (got - want).abs().max().item<double>() / want.abs().max().item<double>();
  };
  for (const auto& [dtype, init_std, limit] : {std::tuple{torch::kFloat32, 0.2, 1e-4}, std::tuple{torch::kBFloat16, 0.02, 3e-2}}) {
    const auto ckpt = dir / (dtype == torch::kFloat32 ? "f32" : "bf16");
    CheckpointOptions opts;
    opts.init_std = init_std;
    write_random_checkpoint(preset_config("tiny-diffqkv"), ckpt, opts);
    auto cpu = Model::load(ckpt, {});
    ModelOptions gpu_opts;
    gpu_opts.device = torch::Device("cuda");
    gpu_opts.dtype = dtype;
    auto gpu = Model::load(ckpt, gpu_opts);
    KVCache cc = cpu->make_cache(1, 48), gc = gpu->make_cache(1, 48);
    const torch::Tensor want = cpu->forward(as_tensor(tokens), cc, {0}, false)[0];
    const torch::Tensor got = gpu->forward(as_tensor(tokens), gc, {0}, false)[0].cpu();
    EXPECT_LT(rel(got, want), limit) << "dtype " << dtype;
    KVCache step = gpu->make_cache(1, 48);
    gpu->forward(as_tensor(std::vector<int32_t>(tokens.begin(), tokens.end() - 1)), step, {0}, true);
    const torch::Tensor last = gpu->forward(as_tensor({tokens.back()}), step, {0}, true)[0].cpu();
    EXPECT_LT(rel(last, got[39]), limit) << "dtype " << dtype;
  }
}

// Decode steps on CUDA in bf16 go through aimicius' kernels (runtime/cuda_attention.h) when the
// build has them: head dims 64 and 128 (d_k != d_v), three slots of different lengths decoding in
// one batch, and selective V with k past every context (= full attention), against the CPU path.
TEST(ModelCuda, KernelDecodeMatchesTheCpuPathForBatchedSlots) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  aimicius::testing::ScratchDir dir;
  ModelConfig config = preset_config("tiny-diffqkv");
  config.head_dim_qk = 64;
  config.head_dim_v = 128;
  CheckpointOptions opts;
  opts.init_std = 0.02;
  write_random_checkpoint(config, dir.path(), opts);
  for (int64_t topk : {0, 1000}) {
    ModelOptions cpu_opts, gpu_opts;
    cpu_opts.selective_v_topk = gpu_opts.selective_v_topk = topk;
    gpu_opts.device = torch::Device("cuda");
    gpu_opts.dtype = torch::kBFloat16;
    auto cpu = Model::load(dir.path(), cpu_opts);
    auto gpu = Model::load(dir.path(), gpu_opts);
    KVCache cc = cpu->make_cache(3, 64), gc = gpu->make_cache(3, 64);
    const std::vector<int64_t> lengths = {7, 19, 33};
    for (int64_t s = 0; s < 3; ++s) {
      const auto prompt = as_tensor(random_tokens(lengths[s], config.vocab_size, 100 + s));
      cpu->forward(prompt, cc, {s}, true);
      gpu->forward(prompt, gc, {s}, true);
    }
    const auto next = as_tensor({5, 77, 200}).view({3, 1});
    const torch::Tensor want = cpu->forward(next, cc, {0, 1, 2}, true);
    const torch::Tensor got = gpu->forward(next, gc, {0, 1, 2}, true).cpu();
    for (int64_t s = 0; s < 3; ++s) {
      const double rel = (got[s] - want[s]).abs().max().item<double>() / want[s].abs().max().item<double>();
      EXPECT_LT(rel, 3e-2) << "slot " << s << " topk " << topk;
    }
    EXPECT_EQ(gc.lengths, (std::vector<int64_t>{8, 20, 34}));
  }
}

// tiny-diffqkv with 64-wide heads (a shape the decode kernels take), random bf16-scale weights, in
// `dir`; returns its config.
ModelConfig write_tiny_diffqkv_d64(const std::filesystem::path& dir, bool qkv_bias = false) {
  ModelConfig config = preset_config("tiny-diffqkv");
  config.head_dim_qk = config.head_dim_v = 64;
  config.qkv_bias = qkv_bias;
  CheckpointOptions opts;
  opts.init_std = 0.02;
  write_random_checkpoint(config, dir, opts);
  return config;
}

// Decode steps replayed from a CUDA graph give the logits of the same steps launched eagerly, step
// after step (the graph re-reads its inputs: positions, lengths and slots change every step).
TEST(ModelCuda, GraphedDecodeStepsMatchEagerSteps) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  aimicius::testing::ScratchDir dir;
  const ModelConfig config = write_tiny_diffqkv_d64(dir.path());
  ModelOptions graphed, eager;
  graphed.device = eager.device = torch::Device("cuda");
  graphed.dtype = eager.dtype = torch::kBFloat16;
  eager.cuda_graphs = false;
  auto a = Model::load(dir.path(), graphed);
  auto b = Model::load(dir.path(), eager);
  if (!a->decode_kernels_active()) GTEST_SKIP() << "this build decodes without the CUDA kernels";
  KVCache ca = a->make_cache(2, 32), cb = b->make_cache(2, 32);
  for (int64_t s = 0; s < 2; ++s) {
    const auto prompt = as_tensor(random_tokens(3 + 4 * s, config.vocab_size, 7 + s));
    a->forward(prompt, ca, {s}, true);
    b->forward(prompt, cb, {s}, true);
  }
  for (int step = 0; step < 6; ++step) {
    const auto next = torch::tensor(std::vector<int64_t>{10 + step, 90 + step}).view({2, 1});
    const torch::Tensor la = a->forward(next, ca, {0, 1}, true).cpu(), lb = b->forward(next, cb, {0, 1}, true).cpu();
    // Same kernels on the same inputs; cuBLAS may choose other GEMM algorithms inside a capture.
    EXPECT_LE((la - lb).abs().max().item<double>(), 1e-2 * lb.abs().max().item<double>()) << "step " << step;
  }
  EXPECT_TRUE(a->decode_graphs_active()) << "the decode step could not be captured";
  EXPECT_EQ(ca.lengths, cb.lengths);

  // A new cache (which may reuse the old one's freed addresses, layer by layer) gets its own graph.
  for (int round = 0; round < 2; ++round) {
    ca = a->make_cache(2, 32);
    cb = b->make_cache(2, 32);
    for (int64_t s = 0; s < 2; ++s) {
      const auto prompt = as_tensor(random_tokens(5 + s + round, config.vocab_size, 70 + s + round));
      a->forward(prompt, ca, {s}, true);
      b->forward(prompt, cb, {s}, true);
    }
    for (int step = 0; step < 3; ++step) {
      const auto next = torch::tensor(std::vector<int64_t>{20 + step, 40 + round}).view({2, 1});
      const torch::Tensor la = a->forward(next, ca, {0, 1}, true).cpu(), lb = b->forward(next, cb, {0, 1}, true).cpu();
      EXPECT_LE((la - lb).abs().max().item<double>(), 1e-2 * lb.abs().max().item<double>())
          << "round " << round << " step " << step;
    }
  }
}


// `bench generate`'s "attention plan" line: the cut a step of the CUDA kernels runs, a planner
// override included (a 64-token chunk over 640 tokens of capacity: 10 splits); off the kernels'
// path (the CPU here), nothing.
TEST(ModelCuda, DescribesTheAttentionPlanOfAStep) {
  aimicius::testing::ScratchDir dir;
  write_tiny_diffqkv_d64(dir.path());
  EXPECT_EQ(Model::load(dir.path(), ModelOptions{})->decode_attention_plan(2, 640), "");
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  ModelOptions o;
  o.device = torch::Device("cuda");
  o.dtype = torch::kBFloat16;
  o.decode_chunk_tokens = 64;
  const auto m = Model::load(dir.path(), o);
  if (!m->decode_kernels_active()) GTEST_SKIP() << "this build decodes without the CUDA kernels";
  const std::string plan = m->decode_attention_plan(2, 640);
  EXPECT_EQ(plan.rfind("units of ", 0), 0u) << plan;
  EXPECT_NE(plan.find(", 10 splits of 64 tokens, "), std::string::npos) << plan;
  o.decode_chunk_tokens = 128;
  EXPECT_NE(Model::load(dir.path(), o)->decode_attention_plan(2, 640).find(", 5 splits of 128 tokens, "),
            std::string::npos);
}

// The fused decode step (runtime/cuda_decode_step.h) against the op-by-op kernel step on the same
// checkpoint: augmented Q and q/k/v biases (a Qwen2-style config), batches 1, 3 and 8 decoding
// several steps eagerly and as graphs, and a batch past kernels::kMaxGemvBatch, which takes the
// op-by-op step. The graph of a fused step launches a handful of kernels a layer, fewer than half
// of the op-by-op step's.
TEST(ModelCuda, FusedDecodeStepMatchesTheOpByOpStep) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  aimicius::testing::ScratchDir dir;
  const ModelConfig config = write_tiny_diffqkv_d64(dir.path(), /*qkv_bias=*/true);
  for (bool graphs : {false, true}) {
    ModelOptions fused, unfused;
    fused.device = unfused.device = torch::Device("cuda");
    fused.dtype = unfused.dtype = torch::kBFloat16;
    fused.cuda_graphs = unfused.cuda_graphs = graphs;
    unfused.fused_decode = false;
    auto a = Model::load(dir.path(), fused);
    auto b = Model::load(dir.path(), unfused);
    if (!a->decode_kernels_active()) GTEST_SKIP() << "this build decodes without the CUDA kernels";
    ASSERT_TRUE(a->fused_decode_active());
    ASSERT_FALSE(b->fused_decode_active());
    for (int64_t batch : {1, 3, 8, 9}) {
      KVCache ca = a->make_cache(batch, 40), cb = b->make_cache(batch, 40);
      std::vector<int64_t> slots;
      for (int64_t s = 0; s < batch; ++s) {
        const auto prompt = as_tensor(random_tokens(2 + 3 * s, config.vocab_size, 50 + s));
        a->forward(prompt, ca, {s}, true);
        b->forward(prompt, cb, {s}, true);
        slots.push_back(s);
      }
      for (int step = 0; step < 4; ++step) {
        std::vector<int64_t> next;
        for (int64_t s = 0; s < batch; ++s) next.push_back((17 * s + 5 * step + 3) % config.vocab_size);
        const auto tokens = torch::tensor(next).view({batch, 1});
        const torch::Tensor la = a->forward(tokens, ca, slots, true).cpu(), lb = b->forward(tokens, cb, slots, true).cpu();
        EXPECT_LE((la - lb).abs().max().item<double>(), 2e-2 * lb.abs().max().item<double>())
            << "batch " << batch << " step " << step << " graphs " << graphs;
      }
      EXPECT_EQ(ca.lengths, cb.lengths);
      if (graphs && batch <= 8) {
        const int fused_kernels = a->decode_graph_kernels(batch), unfused_kernels = b->decode_graph_kernels(batch);
        EXPECT_GT(fused_kernels, 0);
        EXPECT_LE(fused_kernels, 10 * config.num_layers + 4) << "batch " << batch;
        EXPECT_LT(2 * fused_kernels, unfused_kernels) << "batch " << batch;
      }
    }
  }
}

// The launch order of the fused step's kernels (decode attention released before or after the QKV
// projection ends, with or without programmatic dependent launch) changes when blocks start, never
// what they compute: the same logits bit for bit. A chunk other than the planner's splits the
// context differently (the splits are combined in another order): the same logits within rounding.
TEST(ModelCuda, LaunchOrderDoesNotChangeTheStepAndAnotherChunkOnlyItsRounding) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  aimicius::testing::ScratchDir dir;
  const ModelConfig config = write_tiny_diffqkv_d64(dir.path());
  struct Variant {
    const char* name;
    bool early, pdl;
    int chunk;
  };
  const Variant variants[] = {
      {"default", false, true, 0}, {"early launch", true, true, 0}, {"no PDL", false, false, 0}, {"chunk 64", false, true, 64}};
  std::vector<torch::Tensor> logits;
  for (const Variant& v : variants) {
    ModelOptions o;
    o.device = torch::Device("cuda");
    o.dtype = torch::kBFloat16;
    o.attention_launch_early = v.early;
    o.decode_pdl = v.pdl;
    o.decode_chunk_tokens = v.chunk;
    auto m = Model::load(dir.path(), o);
    if (!m->decode_kernels_active()) GTEST_SKIP() << "this build decodes without the CUDA kernels";
    ASSERT_TRUE(m->fused_decode_active()) << v.name;
    KVCache cache = m->make_cache(3, 400);
    for (int64_t s = 0; s < 3; ++s) m->forward(as_tensor(random_tokens(150 + 60 * s, config.vocab_size, 30 + s)), cache, {s}, true);
    std::vector<torch::Tensor> steps;
    for (int step = 0; step < 4; ++step) {
      const auto next = torch::tensor(std::vector<int64_t>{11 + step, 23 + step, 37 + step}).view({3, 1});
      steps.push_back(m->forward(next, cache, {0, 1, 2}, true).cpu());
    }
    EXPECT_TRUE(m->decode_graphs_active()) << v.name;
    logits.push_back(torch::stack(steps));
  }
  for (size_t i = 1; i < logits.size(); ++i) {
    if (variants[i].chunk == 0) {
      EXPECT_TRUE(torch::equal(logits[i], logits[0])) << variants[i].name;
    } else {
      const double scale = logits[0].abs().max().item<double>();
      EXPECT_LE((logits[i] - logits[0]).abs().max().item<double>(), 1e-2 * scale) << variants[i].name;
    }
  }
}

// Shapes for the prefill tests on CUDA: tiny-diffqkv (d_k != d_v: the per-sequence paths), and
// tiny-gqa and tiny-diffqkv with 64-wide heads, which the decode kernels take, so that their bf16
// prefill runs packed with the fused RoPE append and varlen FlashAttention
// (Model::prefill_reads_cache_in_place), each through one of its attention calls: "gqa-64" one call
// a layer; "diffqkv-64" (8 Q, 2 K, 4 V heads) one call per K head, its head broadcast over the V
// heads it spans; "diffqkv-64-more-k" (8 Q, 4 K, 2 V) one per V head, the V head broadcast;
// "diffqkv-64-coprime" (12 Q, 4 K, 3 V: neither a multiple of the other) one per query head.
const std::vector<std::string> kPackedShapes = {"gqa-64", "diffqkv-64", "diffqkv-64-more-k", "diffqkv-64-coprime"};

ModelConfig prefill_test_config(const std::string& name) {
  if (std::find(kPackedShapes.begin(), kPackedShapes.end(), name) == kPackedShapes.end()) return preset_config(name);
  ModelConfig c = preset_config(name == "gqa-64" ? "tiny-gqa" : "tiny-diffqkv");
  c.head_dim_qk = c.head_dim_v = 64;
  if (name == "diffqkv-64-more-k") c.num_k_heads = 4, c.num_v_heads = 2;
  if (name == "diffqkv-64-coprime") c.num_q_heads = 12, c.num_k_heads = 4, c.num_v_heads = 3;
  return c;
}

// The packed path is the one taken wherever the build and shape allow it.
void expect_packed_prefill_where_possible(const Model& gpu, const std::string& name, torch::ScalarType dtype) {
  const bool shape = std::find(kPackedShapes.begin(), kPackedShapes.end(), name) != kPackedShapes.end();
  if (gpu.decode_kernels_active() && shape && dtype == torch::kBFloat16)
    EXPECT_TRUE(gpu.prefill_reads_cache_in_place()) << name;
  if (!shape || dtype != torch::kBFloat16) EXPECT_FALSE(gpu.prefill_reads_cache_in_place()) << name;
}

// Padded prefill on CUDA (SDPA over right-padded rows) against the CPU's per-prompt forwards, in
// float32 and bf16, with the cache lengths each prompt's own; then a decode step of every slot
// (through the kernels where the build has them) reads the rows the prefill stored.
TEST(ModelCuda, PaddedPrefillMatchesTheCpuPath) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  for (const char* preset : {"tiny-diffqkv", "gqa-64", "diffqkv-64", "diffqkv-64-more-k", "diffqkv-64-coprime"}) {
  SCOPED_TRACE(preset);
  aimicius::testing::ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.02;
  write_random_checkpoint(prefill_test_config(preset), dir.path(), opts);
  const std::vector<int64_t> lengths = {30, 5, 17, 1, 30};
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < lengths.size(); ++i) prompts.push_back(random_tokens(lengths[i], 272, 60 + i));
  auto cpu = Model::load(dir.path(), {});
  for (const auto& [dtype, limit] : {std::pair{torch::kFloat32, 1e-4}, std::pair{torch::kBFloat16, 3e-2}}) {
    ModelOptions gpu_opts;
    gpu_opts.device = torch::Device("cuda");
    gpu_opts.dtype = dtype;
    auto gpu = Model::load(dir.path(), gpu_opts);
    expect_packed_prefill_where_possible(*gpu, preset, dtype);
    KVCache gc = gpu->make_cache(5, 40), cc = cpu->make_cache(5, 40);
    const torch::Tensor got = gpu->prefill(prompts, gc, {0, 1, 2, 3, 4}).cpu();
    for (int64_t i = 0; i < 5; ++i) {
      const torch::Tensor want = cpu->forward(as_tensor(prompts[i]), cc, {i}, true)[0];
      EXPECT_LT(scaled_error(got[i], want), limit) << "dtype " << dtype << " prompt " << i;
    }
    EXPECT_EQ(gc.lengths, lengths);
    const auto next = torch::tensor(std::vector<int64_t>{3, 30, 99, 150, 271}).view({5, 1});
    const torch::Tensor step = gpu->forward(next, gc, {0, 1, 2, 3, 4}, true).cpu();
    const torch::Tensor want_step = cpu->forward(next, cc, {0, 1, 2, 3, 4}, true);
    for (int64_t i = 0; i < 5; ++i)
      EXPECT_LT(scaled_error(step[i], want_step[i]), limit) << "dtype " << dtype << " decode after prompt " << i;
  }
  }
}

}  // namespace
}  // namespace aimicius::runtime

namespace aimicius::runtime {
namespace {

// chat=1 wraps the prompt as a user turn in the checkpoint's format before encoding: the prompt
// grows by the format's markers (here plain "user: ...\nassistant:" lines: the byte-level test
// tokenizer has no chat tokens), and generation still runs.
TEST(Generation, ChatOptionFormatsThePrompt) {
  aimicius::testing::ScratchDir dir;
  write_random_checkpoint(preset_config("tiny-gqa"), dir.path(), {});
  LocalModelOptions plain, chat;
  chat.chat = true;
  SamplingParams p;
  p.max_new_tokens = 2;
  const auto a = LocalModel::load(dir.path(), plain)->generate({"hi"}, p)[0];
  const auto b = LocalModel::load(dir.path(), chat)->generate({"hi"}, p)[0];
  EXPECT_EQ(a.prompt_tokens, 3);  // bos + 2 bytes
  EXPECT_GT(b.prompt_tokens, a.prompt_tokens + 10);
}

TEST(Generation, PromptsBeyondTheContextAreErrorsOfTheirOwn) {
  ScratchDir dir;
  ModelConfig c = preset_config("tiny-diffqkv");
  c.max_position_embeddings = 64;
  write_random_checkpoint(c, dir.path(), CheckpointOptions{});
  auto model = LocalModel::load(dir.path(), {});
  SamplingParams p;
  p.max_new_tokens = 8;
  const std::string short_prompt = "nvidia-smi -L", long_prompt(80, 'x');
  const auto both = model->generate({long_prompt, short_prompt, long_prompt}, p);
  ASSERT_EQ(both.size(), 3u);
  for (size_t i : {0u, 2u}) {
    EXPECT_NE(both[i].error.find("exceeds the model's context of 64 tokens"), std::string::npos) << both[i].error;
    EXPECT_TRUE(both[i].text.empty());
  }
  const auto alone = model->generate({short_prompt}, p);
  EXPECT_TRUE(both[1].error.empty());
  EXPECT_EQ(both[1].tokens, alone[0].tokens);  // the long prompts cost it nothing
  EXPECT_EQ(both[1].text, alone[0].text);
}

// Continuous batching ------------------------------------------------------------------------

// Nine prompts of different lengths; the longest comes last, so it is admitted late.
std::vector<std::vector<int32_t>> nine_prompts() {
  std::vector<std::vector<int32_t>> prompts;
  for (int64_t n : {5, 17, 2, 9, 30, 1, 12, 7, 41}) prompts.push_back(random_tokens(n, 256, 300 + prompts.size()));
  return prompts;
}

// Each prompt generated alone, with its own entries of the per-prompt parameters.
std::vector<std::vector<int32_t>> one_at_a_time(LocalModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                                const SamplingParams& p) {
  std::vector<std::vector<int32_t>> out;
  for (size_t i = 0; i < prompts.size(); ++i) {
    SamplingParams alone = p;
    if (!p.prompt_seeds.empty()) alone.prompt_seeds = {p.prompt_seeds[i]};
    if (!p.prompt_max_new_tokens.empty()) alone.prompt_max_new_tokens = {p.prompt_max_new_tokens[i]};
    out.push_back(model.generate_tokens({prompts[i]}, alone)[0]);
  }
  return out;
}

// The schedule's own invariants: every prompt ran in one of the slots, and each prompt admitted
// after the start took a slot at the very step a previous holder of it ended (refilled at once).
void expect_slots_refilled_at_once(const ScheduleStats& s, size_t prompts) {
  ASSERT_EQ(s.slot.size(), prompts);
  for (size_t j = 0; j < prompts; ++j) {
    EXPECT_GE(s.slot[j], 0);
    EXPECT_LT(s.slot[j], s.slots);
    EXPECT_LE(s.admitted_at[j], s.done_at[j]);
    if (s.admitted_at[j] == 0 && j < static_cast<size_t>(s.slots)) continue;
    bool freed_then = false;
    for (size_t i = 0; i < j; ++i) freed_then |= s.slot[i] == s.slot[j] && s.done_at[i] == s.admitted_at[j];
    EXPECT_TRUE(freed_then) << "prompt " << j << " admitted at step " << s.admitted_at[j] << " into slot "
                            << s.slot[j] << ", which no prompt freed then";
  }
}

// Generates `prompts` one at a time, then through 3 slots: the same tokens, slots refilled at
// once. Returns the one-at-a-time tokens and the 3-slot schedule.
std::pair<std::vector<std::vector<int32_t>>, ScheduleStats> expect_three_slots_match_alone(
    LocalModel& model, const std::vector<std::vector<int32_t>>& prompts, SamplingParams p) {
  const auto alone = one_at_a_time(model, prompts, p);
  p.max_active = 3;
  ScheduleStats stats;
  EXPECT_EQ(model.generate_tokens(prompts, p, &stats), alone) << "max_new_tokens " << p.max_new_tokens;
  EXPECT_EQ(stats.slots, 3);
  int64_t capacity = 0;  // the longest prompt with its new tokens (at least one)
  for (size_t i = 0; i < prompts.size(); ++i)
    capacity = std::max<int64_t>(capacity, static_cast<int64_t>(prompts[i].size()) +
                                               std::max(p.prompt_max_new_tokens.empty() ? p.max_new_tokens
                                                                                        : p.prompt_max_new_tokens[i],
                                                        int64_t{1}));
  EXPECT_EQ(stats.capacity_tokens, capacity);
  expect_slots_refilled_at_once(stats, prompts.size());
  return {alone, stats};
}

// `config` with many end-of-sequence ids, so that greedy sequences end early and unevenly, and
// peaked random weights (init_std 0.3: no near-ties for rounding to flip), written to `dir`.
void write_uneven_eos_checkpoint(ModelConfig config, const std::filesystem::path& dir) {
  for (int64_t id = 3; id < 256; id += 9) config.eos_token_ids.push_back(id);
  CheckpointOptions opts;
  opts.init_std = 0.3;
  write_random_checkpoint(config, dir, opts);
}

// Greedy tokens with 3 slots for 9 prompts are each prompt's tokens generated alone, for short
// and long budgets; the slots are reused and the longest prompt joins a running batch.
TEST_F(Generate, ContinuousBatchingMatchesOneAtATimeAndReusesSlots) {
  const auto prompts = nine_prompts();
  for (int64_t max_new : {1, 6, 16}) {
    SamplingParams p;
    p.max_new_tokens = max_new;
    p.ignore_eos = true;
    const ScheduleStats stats = expect_three_slots_match_alone(*model_, prompts, p).second;
    std::vector<int> uses(3, 0);
    for (int64_t slot : stats.slot) ++uses[slot];
    EXPECT_EQ(uses, (std::vector<int>{3, 3, 3})) << "every sequence is max_new long: three waves";
    EXPECT_EQ(stats.decode_steps, 3 * (max_new - 1));
    EXPECT_EQ(stats.slot_steps, 9 * (max_new - 1));
    EXPECT_EQ(stats.admitted_at[8], 2 * (max_new - 1)) << "the longest prompt joins in the third wave";
  }
}

// End-of-sequence ends sequences at different steps: each freed slot takes the next prompt before
// the next decode step, and the tokens are still each prompt's alone.
TEST_F(Generate, ContinuousBatchingRefillsSlotsFreedByEndOfSequence) {
  ScratchDir dir;
  write_uneven_eos_checkpoint(preset_config("tiny-diffqkv"), dir.path());
  SamplingParams p;
  p.max_new_tokens = 16;
  const auto [alone, stats] = expect_three_slots_match_alone(*LocalModel::load(dir.path(), {}), nine_prompts(), p);
  std::set<size_t> lengths;
  for (const auto& seq : alone) lengths.insert(seq.size());
  EXPECT_GE(lengths.size(), 3u) << "the checkpoint should end sequences at different lengths";
  std::set<int64_t> admissions(stats.admitted_at.begin(), stats.admitted_at.end());
  EXPECT_GE(admissions.size(), 3u) << "prompts should join at several steps, not in waves";
}

// Budgets of their own end sequences at different steps without end-of-sequence: each prompt
// generates exactly its budget, as alone, and freed slots are refilled at several steps.
TEST_F(Generate, ContinuousBatchingHonoursPerPromptMaxNewTokens) {
  SamplingParams p;
  p.ignore_eos = true;
  p.prompt_max_new_tokens = {3, 9, 1, 14, 5, 2, 7, 11, 4};
  const auto [alone, stats] = expect_three_slots_match_alone(*model_, nine_prompts(), p);
  for (size_t i = 0; i < alone.size(); ++i)
    EXPECT_EQ(static_cast<int64_t>(alone[i].size()), p.prompt_max_new_tokens[i]) << i;
  std::set<int64_t> admissions(stats.admitted_at.begin(), stats.admitted_at.end());
  EXPECT_GE(admissions.size(), 4u) << "prompts should join as budgets run out, not in waves";
  p.prompt_max_new_tokens.pop_back();
  EXPECT_THROW(model_->generate_tokens(nine_prompts(), p), std::invalid_argument);
  EXPECT_THROW(model_->generate({"a", "b"}, p), std::invalid_argument);
}

// Text generation with stop strings and streaming under 3 slots: each prompt's Generation (text,
// tokens, finish reason) is its one-at-a-time Generation; on_done delivers each exactly once, and
// the streamed pieces are a prefix of its text.
TEST_F(Generate, ContinuousBatchingKeepsStopStringsStreamingAndReportsEachPromptOnce) {
  const std::vector<std::string> prompts = {"nvidia-smi -q", "ls", "dmesg | tail -n 50", "a", "ibstat mlx5_0",
                                            "rocm-smi --showuse", "df -h /", "x", "dcgmi diag -r 3 --verbose"};
  SamplingParams p;
  p.max_new_tokens = 24;
  const std::string sample = model_->generate({prompts[0]}, p)[0].text;
  ASSERT_GE(sample.size(), 6u) << "random model produced too little text to pick stop strings from";
  p.stop = {sample.substr(3, 1), sample.substr(5, 1)};
  std::vector<Generation> alone;
  for (const auto& prompt : prompts) alone.push_back(model_->generate({prompt}, p)[0]);
  std::vector<std::string> streamed(prompts.size());
  std::vector<int> done(prompts.size(), 0);
  p.max_active = 3;
  p.on_text = [&](size_t i, const std::string& piece) { streamed[i] += piece; };
  p.on_done = [&](size_t i, const Generation& g) {
    ++done[i];
    EXPECT_EQ(g.tokens, alone[i].tokens) << i;
  };
  const auto together = model_->generate(prompts, p);
  std::set<std::string> reasons;
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(together[i].text, alone[i].text) << i;
    EXPECT_EQ(together[i].tokens, alone[i].tokens) << i;
    EXPECT_EQ(together[i].finish_reason, alone[i].finish_reason) << i;
    EXPECT_EQ(done[i], 1) << i;
    EXPECT_EQ(together[i].text.compare(0, streamed[i].size(), streamed[i]), 0) << i;
    reasons.insert(together[i].finish_reason);
  }
  EXPECT_TRUE(reasons.count("stop")) << "no prompt reached a stop string: the test checks nothing about them";
}

// Sampling draws from each prompt's own generator: the schedule does not change what is drawn.
TEST_F(Generate, ContinuousBatchingDoesNotChangeSampledTokens) {
  const auto prompts = nine_prompts();
  SamplingParams p;
  p.max_new_tokens = 8;
  p.temperature = 1.2;
  p.seed = 5;
  const auto all_at_once = model_->generate_tokens(prompts, p);
  p.max_active = 2;
  EXPECT_EQ(model_->generate_tokens(prompts, p), all_at_once);
}

// max_active 0, N or more: every prompt is admitted at once into slot = its index, prefilled in
// one plan, and the tokens are bit-for-bit the same.
TEST_F(Generate, MaxActiveOfAtLeastThePromptsIsOneBatch) {
  const auto prompts = nine_prompts();
  SamplingParams p;
  p.max_new_tokens = 6;
  ScheduleStats base;
  const auto tokens = model_->generate_tokens(prompts, p, &base);
  for (int64_t max_active : {9, 50}) {
    p.max_active = max_active;
    ScheduleStats stats;
    EXPECT_EQ(model_->generate_tokens(prompts, p, &stats), tokens) << max_active;
    EXPECT_EQ(stats.slots, 9);
    EXPECT_EQ(stats.prefills, base.prefills);
    EXPECT_EQ(stats.decode_steps, base.decode_steps);
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(stats.slot[i], static_cast<int64_t>(i));
      EXPECT_EQ(stats.admitted_at[i], 0);
    }
  }
  p.max_active = -1;
  EXPECT_THROW(model_->generate_tokens(prompts, p), std::invalid_argument);
}

// Shared-prefix reuse ------------------------------------------------------------------------

std::vector<int32_t> joined(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Prompts sharing prefixes of different lengths (40 tokens; 40 + 35 nested in it; 50 elsewhere),
// one equal to a prefix, two sharing nothing; call order mixes them.
std::vector<std::vector<int32_t>> prefix_prompts() {
  const auto a = random_tokens(40, 256, 500), ab = joined(a, random_tokens(35, 256, 501)),
             c = random_tokens(50, 256, 502);
  return {joined(a, random_tokens(5, 256, 510)),  joined(ab, random_tokens(3, 256, 511)), random_tokens(20, 256, 512),
          joined(c, random_tokens(4, 256, 513)),  a,                                       joined(ab, random_tokens(12, 256, 514)),
          joined(a, random_tokens(9, 256, 515)),  random_tokens(33, 256, 516),             joined(c, random_tokens(6, 256, 517))};
}

// A prefix's rows copied into slots that then prefill different suffixes in one padded forward:
// each prompt's last logits are those of the whole prompt prefilled fresh (the padded path with
// slots that already hold rows).
TEST(Model, PaddedPrefillAfterCopiedPrefixRowsMatchesWholePrompts) {
  ScratchDir dir;
  auto model = random_model(dir.path(), "tiny-diffqkv", 0.2);
  const auto prefix = random_tokens(30, 256, 7);
  const std::vector<std::vector<int32_t>> suffixes = {random_tokens(9, 256, 8), random_tokens(2, 256, 9),
                                                      random_tokens(5, 256, 10)};
  KVCache cache = model->make_cache(4, 64);
  model->prefill({prefix}, cache, {3});
  cache.copy_prefix(3, {0, 1, 2}, 30);
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{30, 30, 30, 30}));
  const torch::Tensor got = model->prefill(suffixes, cache, {0, 1, 2});
  for (size_t b = 0; b < suffixes.size(); ++b) {
    KVCache alone = model->make_cache(1, 64);
    const torch::Tensor want = model->prefill({joined(prefix, suffixes[b])}, alone, {0})[0];
    EXPECT_LT(scaled_error(got[b], want), 1e-5) << b;
    EXPECT_EQ(cache.lengths[b], 30 + static_cast<int64_t>(suffixes[b].size()));
  }
  EXPECT_THROW(cache.copy_prefix(3, {0}, 31), std::out_of_range);
  EXPECT_THROW(cache.copy_prefix(3, {3}, 5), std::out_of_range);
}

// The same on CUDA (where a prefill after held rows takes the masked SDPA path): the suffixes'
// last logits match the CPU's whole prompts, in f32 and bf16.
TEST(ModelCuda, PaddedPrefillAfterCopiedPrefixRowsMatchesTheCpuPath) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  ScratchDir dir;
  const auto prefix = random_tokens(30, 256, 7);
  const std::vector<std::vector<int32_t>> suffixes = {random_tokens(9, 256, 8), random_tokens(2, 256, 9)};
  for (const char* preset : {"tiny-diffqkv", "gqa-64", "diffqkv-64", "diffqkv-64-more-k", "diffqkv-64-coprime"})  // per-sequence FlashAttention / packed
  for (const auto& [dtype, init_std, limit] : {std::tuple{torch::kFloat32, 0.2, 1e-4}, std::tuple{torch::kBFloat16, 0.02, 3e-2}}) {
    SCOPED_TRACE(preset);
    const auto ckpt = dir / (std::string(preset) + (dtype == torch::kFloat32 ? "-f32" : "-bf16"));
    CheckpointOptions opts;
    opts.init_std = init_std;
    write_random_checkpoint(prefill_test_config(preset), ckpt, opts);
    auto cpu = Model::load(ckpt, {});
    ModelOptions gpu_opts;
    gpu_opts.device = torch::Device("cuda");
    gpu_opts.dtype = dtype;
    auto gpu = Model::load(ckpt, gpu_opts);
    expect_packed_prefill_where_possible(*gpu, preset, dtype);
    KVCache cache = gpu->make_cache(3, 64);
    gpu->prefill({prefix}, cache, {2});
    cache.copy_prefix(2, {0, 1}, 30);
    const torch::Tensor got = gpu->prefill(suffixes, cache, {0, 1}).cpu();
    for (size_t b = 0; b < suffixes.size(); ++b) {
      KVCache alone = cpu->make_cache(1, 64);
      const torch::Tensor want = cpu->prefill({joined(prefix, suffixes[b])}, alone, {0})[0];
      EXPECT_LT(scaled_error(got[b], want), limit) << "dtype " << dtype << " prompt " << b;
    }
  }
}

// Reuse on and off: the same greedy tokens, with a slot per prompt and through 3 slots (slots
// reused, prefixes freed and computed again as their prompts pass); the stats count the rows
// copied (each prompt min(prefix, length - 1)) and the prefix tokens prefilled once.
TEST_F(Generate, PrefixReuseKeepsGreedyTokensAndCountsWhatItSaves) {
  const auto prompts = prefix_prompts();
  int64_t total = 0;
  for (const auto& p : prompts) total += static_cast<int64_t>(p.size());
  for (int64_t max_active : {0, 3}) {
    SamplingParams p;
    p.max_new_tokens = 7;
    p.max_active = max_active;
    p.prefix_reuse = false;
    ScheduleStats off_stats, on_stats;
    const auto off = model_->generate_tokens(prompts, p, &off_stats);
    p.prefix_reuse = true;
    const auto on = model_->generate_tokens(prompts, p, &on_stats);
    EXPECT_EQ(on, off) << "max_active " << max_active;
    EXPECT_EQ(off_stats.prompt_tokens_prefilled, total);
    EXPECT_EQ(off_stats.prefix_tokens_reused + off_stats.prefixes + off_stats.prefix_slots, 0);
    // a: 40 + 40 + 39 (the prompt equal to it); ab: 75 + 75; c: 50 + 50.
    EXPECT_EQ(on_stats.prefix_tokens_reused, 369) << max_active;
    EXPECT_EQ(on_stats.prompt_tokens_prefilled, total - 369);
    EXPECT_EQ(on_stats.prefixes, 3);
    EXPECT_EQ(on_stats.prefix_tokens_prefilled, 40 + 35 + 50);
    EXPECT_EQ(on_stats.prefix_slots, 2) << "two levels";
    EXPECT_EQ(on_stats.slots, max_active == 0 ? 9 : 3);
    if (max_active == 0)
      for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(on_stats.slot[i], static_cast<int64_t>(i));
    EXPECT_NE(on_stats.prefill_summary().find("369 reused from 3 shared prefixes"), std::string::npos)
        << on_stats.prefill_summary();
    // Time in the model is counted for both phases, and the step count matches the summary.
    EXPECT_GT(on_stats.admit_seconds, 0.0);
    EXPECT_GT(on_stats.decode_seconds, 0.0);
    EXPECT_NE(on_stats.time_summary().find(fmt::format("({} steps,", on_stats.decode_steps)), std::string::npos)
        << on_stats.time_summary();
  }
}

// phase_times: each phase of the forwards is timed and summed by name, prefill and decode apart,
// and the summary line names them; the tokens are the same as without.
TEST_F(Generate, PhaseTimesNameEachPhaseAndChangeNoToken) {
  LocalModelOptions timed;
  timed.phase_times = true;
  const auto model = LocalModel::load(dir_.path(), timed);
  const auto prompts = prefix_prompts();
  SamplingParams p;
  p.max_new_tokens = 4;
  ScheduleStats stats;
  EXPECT_EQ(model->generate_tokens(prompts, p, &stats), model_->generate_tokens(prompts, p));
  for (const char* phase : {"prefill MLP", "prefill attention and output projection", "prefill q/k/v projections and RoPE",
                            "decode MLP", "decode output head"}) {
    ASSERT_TRUE(stats.phase_seconds.count(phase)) << phase;
    EXPECT_GT(stats.phase_seconds.at(phase), 0.0) << phase;
  }
  EXPECT_NE(stats.time_summary().find("; prefill MLP "), std::string::npos) << stats.time_summary();
  ScheduleStats untimed;
  model_->generate_tokens(prompts, p, &untimed);
  EXPECT_TRUE(untimed.phase_seconds.empty());
}

// Sampled tokens come from each prompt's own generator: reuse (and the order it admits prompts
// in) does not change them beyond rounding.
TEST_F(Generate, PrefixReuseDoesNotChangeSampledTokens) {
  const auto prompts = prefix_prompts();
  SamplingParams p;
  p.max_new_tokens = 6;
  p.temperature = 0.8;
  p.seed = 3;
  p.max_active = 2;
  p.prefix_reuse = false;
  const auto off = model_->generate_tokens(prompts, p);
  p.prefix_reuse = true;
  EXPECT_EQ(model_->generate_tokens(prompts, p), off);
}

// Text with stop strings and streaming: the same Generations with reuse on and off (prompts
// sharing a long instruction, through 2 slots), and the shared block was reused.
TEST_F(Generate, PrefixReuseKeepsTextAndStopStrings) {
  const std::string instruction =
      "You answer with one shell command for the GPU host described below. Examples: list GPUs -> nvidia-smi -L; "
      "show topology -> nvidia-smi topo -m.\nQuestion: ";
  std::vector<std::string> prompts;
  for (const char* q : {"show clocks", "reset gpu 0", "ib status", "x", "show processes using the GPU"})
    prompts.push_back(instruction + q + "\nAnswer:");
  prompts.push_back("a prompt sharing nothing");
  SamplingParams p;
  p.max_new_tokens = 20;
  p.max_active = 2;
  p.prefix_reuse = false;
  const auto off = model_->generate(prompts, p);
  const std::string sample = off[0].text + off[1].text;
  ASSERT_GE(sample.size(), 6u);
  p.stop = {sample.substr(2, 1), sample.substr(5, 1)};
  const auto off_stopped = model_->generate(prompts, p);
  p.prefix_reuse = true;
  ScheduleStats stats;
  std::vector<std::string> streamed(prompts.size());
  p.on_text = [&](size_t i, const std::string& piece) { streamed[i] += piece; };
  const auto on_stopped = model_->generate(prompts, p, &stats);
  bool stopped = false;
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(on_stopped[i].text, off_stopped[i].text) << i;
    EXPECT_EQ(on_stopped[i].tokens, off_stopped[i].tokens) << i;
    EXPECT_EQ(on_stopped[i].finish_reason, off_stopped[i].finish_reason) << i;
    EXPECT_EQ(on_stopped[i].text.compare(0, streamed[i].size(), streamed[i]), 0) << i;
    stopped |= on_stopped[i].finish_reason == "stop";
  }
  EXPECT_TRUE(stopped) << "no prompt reached a stop string: the test checks nothing about them";
  EXPECT_EQ(stats.prefixes, 1);
  EXPECT_GE(stats.prefix_tokens_reused, 5 * 32);
}

// max_active=auto on the CPU: a number of slots from MemAvailable, at least one, at most the
// prompts, capped by max_active; the reason says so; the tokens are unchanged.
TEST_F(Generate, AutoMaxActiveChoosesFromMemoryAndKeepsTokens) {
  const auto prompts = nine_prompts();
  SamplingParams p;
  p.max_new_tokens = 4;
  const auto want = model_->generate_tokens(prompts, p);
  p.auto_max_active = true;
  ScheduleStats stats;
  EXPECT_EQ(model_->generate_tokens(prompts, p, &stats), want);
  EXPECT_EQ(stats.slots, 9) << "a tiny model's cache fits every prompt";
  EXPECT_EQ(stats.slots_reason.rfind("max_active 9 (paged KV cache): ", 0), 0u) << stats.slots_reason;
  EXPECT_NE(stats.slots_reason.find("all prompts fit"), std::string::npos) << stats.slots_reason;
  p.max_active = 2;
  EXPECT_EQ(model_->generate_tokens(prompts, p, &stats), want);
  EXPECT_EQ(stats.slots, 2);
  EXPECT_NE(stats.slots_reason.find("capped at 2"), std::string::npos) << stats.slots_reason;
}

// memory_share sets the share of free memory a pool sized from memory may take: the rest is the
// margin the reason states; outside (0, 1] the model is refused.
TEST_F(Generate, MemoryShareIsThePoolsPartOfFreeMemory) {
  LocalModelOptions o;
  o.memory_share = 0.25;
  const auto quarter = LocalModel::load(dir_.path(), o);
  SamplingParams p;
  p.max_new_tokens = 2;
  p.auto_max_active = true;
  ScheduleStats stats;
  quarter->generate_tokens(nine_prompts(), p, &stats);
  EXPECT_NE(stats.slots_reason.find(", 75% margin,"), std::string::npos) << stats.slots_reason;
  model_->generate_tokens(nine_prompts(), p, &stats);
  EXPECT_NE(stats.slots_reason.find(", 10% margin,"), std::string::npos) << stats.slots_reason;
  for (double bad : {0.0, -0.5, 1.01}) {
    o.memory_share = bad;
    EXPECT_THROW(LocalModel::load(dir_.path(), o), InputError) << bad;
  }
}

// A decode chunk, chunk scale or Q-head count below zero is refused at load (0 is the planner's), and
// so is a chunk scale given with a chunk; on the CPU the others are accepted and change nothing
// (only the CUDA kernels plan chunks and units).
TEST_F(Generate, ANegativeDecodeChunkIsRefused) {
  LocalModelOptions o;
  o.decode_chunk_tokens = -1;
  EXPECT_THROW(LocalModel::load(dir_.path(), o), InputError);
  o.decode_chunk_tokens = 0;
  o.decode_q_heads = -2;
  EXPECT_THROW(LocalModel::load(dir_.path(), o), InputError);
  o.decode_q_heads = 0;
  o.decode_chunk_scale = -0.5;
  EXPECT_THROW(LocalModel::load(dir_.path(), o), InputError);
  o.decode_chunk_scale = 0.5;
  o.decode_chunk_tokens = 64;
  EXPECT_THROW(LocalModel::load(dir_.path(), o), InputError);
  SamplingParams scaled;
  scaled.max_new_tokens = 3;
  o.decode_chunk_tokens = 0;
  EXPECT_EQ(LocalModel::load(dir_.path(), o)->generate_tokens(nine_prompts(), scaled),
            model_->generate_tokens(nine_prompts(), scaled));
  o.decode_chunk_scale = 0;
  o.decode_q_heads = 4;
  o.decode_chunk_tokens = 64;
  SamplingParams p;
  p.max_new_tokens = 3;
  EXPECT_EQ(LocalModel::load(dir_.path(), o)->generate_tokens(nine_prompts(), p),
            model_->generate_tokens(nine_prompts(), p));
}

// A run's totals over its calls (one per suite): counts add up, slots are the largest call's, and
// the reason kept is that call's (bench eval prints it beside its floor, which counts its slots).
TEST_F(Generate, ScheduleTotalsKeepTheReasonOfTheCallWithTheMostSlots) {
  const auto prompts = nine_prompts();
  SamplingParams p;
  p.max_new_tokens = 2;
  p.auto_max_active = true;
  p.max_active = 3;
  ScheduleStats few, many, totals;
  model_->generate_tokens(prompts, p, &few);
  p.max_active = 0;
  model_->generate_tokens(prompts, p, &many);
  ASSERT_LT(few.slots, many.slots);
  totals.add_counts(few);
  totals.add_counts(many);
  totals.add_counts(few);
  EXPECT_EQ(totals.slots, many.slots);
  EXPECT_EQ(totals.slots_reason, many.slots_reason);
  EXPECT_EQ(totals.decode_steps, 2 * few.decode_steps + many.decode_steps);
}

// The most prompts active at once in a generation, from its schedule (admitted_at .. done_at).
int64_t most_active(const ScheduleStats& stats) {
  int64_t most = 0;
  for (int64_t step = 0; step <= stats.decode_steps; ++step) {
    int64_t active = 0;
    for (size_t i = 0; i < stats.slot.size(); ++i) active += stats.admitted_at[i] <= step && step < stats.done_at[i];
    most = std::max(most, active);
  }
  return most;
}

// A paged pool smaller than its slots (kv_pool_tokens): a prompt is admitted only when the pool has
// pages for its whole sequence, so fewer run at once than there are slots, and every prompt's
// greedy tokens are still its tokens generated alone; with shared prefixes too (their slots keep
// their pages). A pool that cannot hold the longest sequence is refused.
TEST_F(Generate, APagedPoolSmallerThanItsSlotsMakesPromptsWaitAndKeepsTokens) {
  const int64_t page = KVCache::kPageTokens;
  SamplingParams p;
  p.max_new_tokens = 30;  // the nine prompts need 31..71 rows: one or two pages
  const auto prompts = nine_prompts();
  const auto want = one_at_a_time(*model_, prompts, p);
  p.max_active = 4;
  p.kv_pool_tokens = 3 * page;
  ScheduleStats stats;
  EXPECT_EQ(model_->generate_tokens(prompts, p, &stats), want);
  EXPECT_EQ(stats.slots, 4);
  EXPECT_LT(most_active(stats), 4) << "three pages never hold four sequences";
  EXPECT_GE(most_active(stats), 2);
  EXPECT_NE(stats.slots_reason.find("paged KV pool of 192 tokens"), std::string::npos) << stats.slots_reason;

  const auto shared = prefix_prompts();  // two prefix slots of a full 2 pages each, then 3 pages
  const auto shared_want = one_at_a_time(*model_, shared, p);
  p.kv_pool_tokens = 7 * page;
  EXPECT_EQ(model_->generate_tokens(shared, p, &stats), shared_want);
  EXPECT_GT(stats.prefix_tokens_reused, 0);
  p.kv_pool_tokens = 5 * page;
  EXPECT_THROW(model_->generate_tokens(shared, p), std::invalid_argument) << "2 pages x (1 + 2 prefix slots) > 5";
}

// A reset slot is written from position 0 again and reads none of its old rows.
TEST(Model, ResetSlotStartsItsSequenceAfresh) {
  ScratchDir dir;
  auto model = random_model(dir.path(), "tiny-diffqkv", 0.2);
  const auto first = random_tokens(9, 256, 1), second = random_tokens(4, 256, 2);
  KVCache reused = model->make_cache(1, 16), fresh = model->make_cache(1, 16);
  model->forward(as_tensor(first), reused, {0}, true);
  reused.reset(0);
  EXPECT_EQ(reused.lengths[0], 0);
  const torch::Tensor got = model->forward(as_tensor(second), reused, {0}, false);
  const torch::Tensor want = model->forward(as_tensor(second), fresh, {0}, false);
  EXPECT_TRUE(torch::equal(got, want));
  EXPECT_EQ(reused.lengths[0], 4);
  EXPECT_THROW(reused.reset(1), std::out_of_range);
}

// On CUDA in bf16 with head dims the kernels take: decode steps of each number of active slots replay
// their own CUDA graphs, reused slots are prefilled afresh (the fused path of empty slots), and
// greedy tokens are each prompt's alone. Skips without a GPU.
// Decode ahead (LocalModelOptions::decode_ahead, forced on here: on the CPU it is off by default)
// -----------------------------------------------------------------------------------------------

std::unique_ptr<LocalModel> load_ahead(const std::filesystem::path& dir, bool ahead) {
  LocalModelOptions o;
  o.decode_ahead = ahead ? 1 : 0;
  return LocalModel::load(dir, o);
}

// Sequences ending at end-of-sequence ids are found one step late: each such row's extra row is
// discarded, the tokens are each prompt's alone, and freed slots are still refilled at the step
// their holder ended (the admission goes before the step queued ahead is read). All prompts at once (nothing
// waits, so every step is queued ahead) gives the same tokens too.
TEST(DecodeAhead, SequencesEndingAtEndOfSequenceKeepTheirTokensAndSlotsAreRefilledAtOnce) {
  ScratchDir dir;
  write_uneven_eos_checkpoint(preset_config("tiny-diffqkv"), dir.path());
  SamplingParams p;
  p.max_new_tokens = 16;
  const auto ahead = load_ahead(dir.path(), true);
  EXPECT_TRUE(ahead->decode_path(1).ahead);
  EXPECT_FALSE(load_ahead(dir.path(), false)->decode_path(1).ahead);
  const auto [alone, stats] = expect_three_slots_match_alone(*ahead, nine_prompts(), p);
  std::set<size_t> lengths;
  for (const auto& seq : alone) lengths.insert(seq.size());
  ASSERT_GE(lengths.size(), 3u) << "the checkpoint should end sequences at different lengths";
  EXPECT_GT(stats.discarded_rows, 0) << "no sequence ended at end-of-sequence while a step was queued ahead";
  ScheduleStats behind_stats;
  SamplingParams three = p;
  three.max_active = 3;
  EXPECT_EQ(load_ahead(dir.path(), false)->generate_tokens(nine_prompts(), three, &behind_stats), alone);
  EXPECT_EQ(behind_stats.discarded_rows, 0);
  ScheduleStats all_stats;
  EXPECT_EQ(ahead->generate_tokens(nine_prompts(), p, &all_stats), alone);
  EXPECT_GT(all_stats.discarded_rows, 0);
  int64_t generated = 0;
  for (const auto& seq : alone) generated += static_cast<int64_t>(seq.size());
  EXPECT_EQ(all_stats.slot_steps + 9, generated + static_cast<int64_t>(std::count_if(
                                                      alone.begin(), alone.end(), [&](const auto& seq) {
                                                        return static_cast<int64_t>(seq.size()) < p.max_new_tokens;
                                                      })))
      << "every kept row is a token or a sequence's end-of-sequence pick; discarded rows are not counted";
}

// Budgets of their own (no end-of-sequence): the host knows every end before the step that
// reaches it, so nothing is discarded, and the steps are decode_step's loop's steps.
TEST(DecodeAhead, LengthEndsAreKnownAheadAndCostNoRow) {
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.3;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), opts);
  SamplingParams p;
  p.ignore_eos = true;
  p.prompt_max_new_tokens = {3, 9, 1, 14, 5, 2, 7, 11, 4};
  const auto [alone, stats] = expect_three_slots_match_alone(*load_ahead(dir.path(), true), nine_prompts(), p);
  EXPECT_EQ(stats.discarded_rows, 0);
  ScheduleStats behind;
  p.max_active = 3;
  EXPECT_EQ(load_ahead(dir.path(), false)->generate_tokens(nine_prompts(), p, &behind), alone);
  EXPECT_EQ(stats.decode_steps, behind.decode_steps);
  EXPECT_EQ(stats.slot_steps, behind.slot_steps);
  EXPECT_EQ(stats.done_at, behind.done_at);
}

// Text with stop strings, streaming and on_done under decode ahead: each prompt's Generation is
// the one decode_step's loop gives, reported once, streamed as a prefix of its text; a row that
// reached a stop string is discarded from the step queued after it.
TEST(DecodeAhead, StopStringsAndStreamingGiveTheSameGenerations) {
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.3;
  write_random_checkpoint(preset_config("tiny-diffqkv"), dir.path(), opts);
  const std::vector<std::string> prompts = {"nvidia-smi -q", "ls", "dmesg | tail -n 50", "a", "ibstat mlx5_0",
                                            "rocm-smi --showuse", "df -h /", "x", "dcgmi diag -r 3 --verbose"};
  const auto behind = load_ahead(dir.path(), false);
  const auto ahead = load_ahead(dir.path(), true);
  SamplingParams p;
  p.max_new_tokens = 24;
  const std::string sample = behind->generate({prompts[0]}, p)[0].text;
  ASSERT_GE(sample.size(), 6u) << "random model produced too little text to pick stop strings from";
  p.stop = {sample.substr(3, 1), sample.substr(5, 1)};
  for (int64_t slots : {int64_t{0}, int64_t{3}}) {
    p.max_active = slots;
    p.on_text = nullptr;
    p.on_done = nullptr;
    const auto want = behind->generate(prompts, p);
    std::vector<std::string> streamed(prompts.size());
    std::vector<int> done(prompts.size(), 0);
    p.on_text = [&](size_t i, const std::string& piece) { streamed[i] += piece; };
    p.on_done = [&](size_t i, const Generation&) { ++done[i]; };
    ScheduleStats stats;
    const auto got = ahead->generate(prompts, p, &stats);
    std::set<std::string> reasons;
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(got[i].tokens, want[i].tokens) << i;
      EXPECT_EQ(got[i].text, want[i].text) << i;
      EXPECT_EQ(got[i].finish_reason, want[i].finish_reason) << i;
      EXPECT_EQ(done[i], 1) << i;
      EXPECT_EQ(got[i].text.compare(0, streamed[i].size(), streamed[i]), 0) << i;
      reasons.insert(got[i].finish_reason);
    }
    ASSERT_TRUE(reasons.count("stop")) << "no prompt reached a stop string: the test checks nothing about them";
    EXPECT_GT(stats.discarded_rows, 0) << "max_active " << slots;
  }
}

// Sampling draws on the host from each prompt's generator: decode ahead leaves it alone.
TEST(DecodeAhead, SamplingIsNotQueuedAhead) {
  ScratchDir dir;
  write_uneven_eos_checkpoint(preset_config("tiny-diffqkv"), dir.path());
  SamplingParams p;
  p.max_new_tokens = 8;
  p.temperature = 1.2;
  p.seed = 5;
  p.max_active = 2;
  ScheduleStats stats;
  EXPECT_EQ(load_ahead(dir.path(), true)->generate_tokens(nine_prompts(), p, &stats),
            load_ahead(dir.path(), false)->generate_tokens(nine_prompts(), p));
  EXPECT_EQ(stats.discarded_rows, 0);
}

TEST(ModelCuda, ContinuousBatchingMatchesOneAtATime) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  ModelConfig diffqkv = preset_config("tiny-diffqkv");
  diffqkv.head_dim_qk = 64;
  diffqkv.head_dim_v = 128;
  // The packed shapes: their admissions prefill packed, through varlen FlashAttention.
  for (const ModelConfig& config : {diffqkv, prefill_test_config("gqa-64"), prefill_test_config("diffqkv-64"),
                                    prefill_test_config("diffqkv-64-more-k")}) {
    ScratchDir dir;
    write_uneven_eos_checkpoint(config, dir.path());
    LocalModelOptions o;
    o.device = "cuda";
    o.dtype = "bf16";
    SamplingParams p;
    p.max_new_tokens = 16;
    // A token difference is a scheduling bug or a bf16 near-tie (the kernels' split plan changes
    // with the batch size); the checkpoint's peaked logits make the second unlikely.
    expect_three_slots_match_alone(*LocalModel::load(dir.path(), o), nine_prompts(), p);
  }
}

// A paged pool on CUDA (kv_pool_tokens: the kernels read K/V through the block table, the packed
// prefill gathers sequences whose pages are not one run, decode ahead writes past a freed
// sequence's end): each prompt's greedy tokens are its tokens alone, with and without shared
// prefixes, and fewer run at once than there are slots.
TEST(ModelCuda, APagedPoolMatchesOneAtATime) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  for (const ModelConfig& config : {prefill_test_config("gqa-64"), prefill_test_config("diffqkv-64")}) {
    ScratchDir dir;
    write_uneven_eos_checkpoint(config, dir.path());
    LocalModelOptions o;
    o.device = "cuda";
    o.dtype = "bf16";
    auto model = LocalModel::load(dir.path(), o);
    SamplingParams p;
    p.max_new_tokens = 30;
    for (const auto& prompts : {nine_prompts(), prefix_prompts()}) {
      const auto alone = one_at_a_time(*model, prompts, p);
      SamplingParams paged = p;
      paged.max_active = 4;
      paged.kv_pool_tokens = 8 * KVCache::kPageTokens;
      ScheduleStats stats;
      EXPECT_EQ(model->generate_tokens(prompts, paged, &stats), alone);
      EXPECT_LE(most_active(stats), 4);
    }
  }
}

// A decode graph is captured on one call's KV cache and replayed while the next call's cache lies at
// the same addresses. Caches of one page each (capacities 21 and 57) do: the caching allocator hands
// the freed pool back. The graph of the first call was planned for 21 tokens; replayed on the second
// it attended to too few (NaN, token 0 from its 33rd token on). Graphs on and off give the same tokens.
TEST(ModelCuda, AGraphIsNotReplayedOnALaterCacheOfAnotherCapacity) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  ScratchDir dir;
  write_uneven_eos_checkpoint(prefill_test_config("diffqkv-64"), dir.path());
  LocalModelOptions o;
  o.device = "cuda";
  o.dtype = "bf16";
  auto graphs = LocalModel::load(dir.path(), o);
  o.cuda_graphs = false;
  auto eager = LocalModel::load(dir.path(), o);
  SamplingParams p;
  p.max_new_tokens = 16;
  p.ignore_eos = true;
  for (int64_t n : {5, 41, 17, 30}) {
    const std::vector<std::vector<int32_t>> prompt = {random_tokens(n, 256, 900 + n)};
    const auto expected = eager->generate_tokens(prompt, p);
    ASSERT_EQ(expected[0].size(), 16u);
    EXPECT_EQ(graphs->generate_tokens(prompt, p), expected) << "prompt of " << n << " tokens";
  }
}

}  // namespace
}  // namespace aimicius::runtime
