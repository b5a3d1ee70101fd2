// Gemma 2 as Hugging Face transformers runs it: tests/data/gemma2 holds a tiny checkpoint written by
// transformers 5 itself and its logits and greedy continuations computed by transformers (eager
// attention; scripts/fixtures/gemma_parity_fixtures.py DIR gemma2 made them once). Beyond Gemma
// (tests/runtime/gemma_parity_test.cpp), Gemma 2 caps attention scores and the final logits
// (cap * tanh(x / cap)), scales scores by 1 / sqrt(query_pre_attn_scalar), lets every other layer
// attend over a sliding window only, and puts an RMSNorm on the attention's and the MLP's outputs
// ("sandwich" norms). The fixture's window (4) is shorter than its sequences (8 and 12 tokens) and
// its caps near the values they cap, so each of these moves its logits (checked below).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_file.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/model.h"
#include "runtime/reference_model.h"
#include "tests/runtime/gguf_model_writer.h"
#include "tests/runtime/parity_fixture.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using test::all_logits;
using test::greedy;
using test::ParityCase;

const std::filesystem::path kCheckpoint = std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "gemma2";

std::vector<ParityCase> parity_cases() { return test::read_parity_cases(kCheckpoint); }

// The fixture's weights under a config.json edited by `edit`.
std::unique_ptr<Model> load_with_config(const ScratchDir& dir, const std::function<void(nlohmann::json&)>& edit) {
  return test::load_with_edited_config(kCheckpoint, dir.path(), edit);
}

TEST(Gemma2Parity, TheCheckpointReadsAsTransformersRunsIt) {
  const ModelConfig c = load_model_config(kCheckpoint);
  EXPECT_EQ(c.model_type, "gemma2");
  EXPECT_EQ(c.mlp_activation, MlpActivation::kGeluTanh);
  EXPECT_TRUE(c.scale_embedding && c.norm_gain_plus_one && c.tie_word_embeddings && c.sandwich_norms);
  EXPECT_EQ(c.attn_logit_softcap, 2.0);
  EXPECT_EQ(c.final_logit_softcap, 3.0);
  EXPECT_DOUBLE_EQ(c.attention_scale(), 1.0 / std::sqrt(24.0));
  EXPECT_EQ(c.sliding_window, 4);
  EXPECT_EQ(c.layer_slides, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(c.window_of(0), 4);
  EXPECT_EQ(c.window_of(1), 0);
  EXPECT_FALSE(c.plain_attention());  // the CUDA kernels and fused SDPA paths stand aside
  // Written back (make-checkpoint, write_random_checkpoint) and read again: the same model.
  EXPECT_EQ(parse_model_config(c.to_json(), "round trip").to_json(), c.to_json());
}

// transformers 4's form of the config: no layer_types (its layers slide on even indices, the rule
// of transformers 5's default too), top-level rope_theta, cache_implementation "hybrid".
TEST(Gemma2Parity, TheTransformers4FormOfTheConfigGivesTheSameLogits) {
  torch::NoGradGuard no_grad;
  ScratchDir dir;
  test::expect_config_form_reads_the_same(kCheckpoint, dir.path(), [](nlohmann::json& j) {
    j["rope_theta"] = j["rope_parameters"]["rope_theta"];
    for (const char* key : {"rope_parameters", "layer_types", "use_bidirectional_attention", "dtype"}) j.erase(key);
    j["cache_implementation"] = "hybrid";
    j["torch_dtype"] = "float32";
    j["transformers_version"] = "4.42.0";
  }, "transformers 4");
}

// Each Gemma 2 part, turned off alone, moves the logits well past the parity bound.
TEST(Gemma2Parity, EachGemma2DifferenceMatters) {
  torch::NoGradGuard no_grad;
  const ParityCase p = parity_cases().at(0);  // 12 tokens: past the window of 4
  const std::pair<const char*, nlohmann::json> variants[] = {
      {"attn_logit_softcapping", nullptr},
      {"final_logit_softcapping", nullptr},
      {"query_pre_attn_scalar", 16},  // = head_dim: the usual scale
      {"sliding_window", nullptr},
      {"layer_types", {"full_attention", "full_attention", "sliding_attention"}},
  };
  for (const auto& [key, value] : variants) {
    ScratchDir dir;
    const auto m = load_with_config(dir, [&](nlohmann::json& j) { j[key] = value; });
    test::expect_logits_far(all_logits(*m, p.ids), p.logits, key);
  }
}

TEST(Gemma2Parity, MalformedGemma2KeysAreNamed) {
  const nlohmann::json base = read_json_file(kCheckpoint / "config.json");
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"attn_logit_softcapping", -1.0},
      {"final_logit_softcapping", "30"},
      {"query_pre_attn_scalar", 0},
      {"sliding_window", -4},
      {"layer_types", {"sliding_attention"}},  // fewer than the 3 layers
      {"layer_types", {"full_attention", "chunked_attention", "full_attention"}},
  };
  for (const auto& [key, value] : bad) {
    nlohmann::json j = base;
    j[key] = value;
    try {
      parse_model_config(j, "g2.json");
      ADD_FAILURE() << key << " = " << value.dump() << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

// A random Gemma 2 of the fixture's shape from the project's own writer: LibTorch and the float64
// reference agree, on a sequence longer than the window (so both implement the same window).
TEST(Gemma2Parity, WrittenCheckpointsRunTheSameOnLibTorchAndTheReference) {
  torch::NoGradGuard no_grad;
  ModelConfig c = load_model_config(kCheckpoint);
  c.layer_slides = {false, true, true};
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.3;
  opts.write_tokenizer = false;
  write_random_checkpoint(c, dir.path(), opts);
  const std::vector<int64_t> ids = {2, 9, 31, 4, 77, 60, 60, 12, 5, 40};
  const auto m = Model::load(dir.path(), {});
  EXPECT_EQ(m->config().layer_slides, c.layer_slides);
  const torch::Tensor want = test::reference_logits(ReferenceModel(dir.path()), ids);
  EXPECT_LT((all_logits(*m, ids) - want).abs().max().item<double>(), 2e-4);
}

// The checkpoint as llama.cpp's converter writes Gemma 2 to GGUF (caps and window as metadata,
// norms 1 + weight under their llama.cpp names), F32 and quantised, on the plain CPU path and on
// LibTorch. A GGUF file carries no query_pre_attn_scalar (llama.cpp scales by 1 / sqrt(head_dim),
// or 1 / sqrt(hidden / heads) in the 46-layer 27B), so the reference here is the safetensors
// model with query_pre_attn_scalar = head_dim, the same weights; windows of 4 over 12 tokens.
TEST(Gemma2Parity, GgufFileRunsAsTheSafetensorsModelOnBothCpuPaths) {
  torch::NoGradGuard no_grad;
  ScratchDir st, dir;
  const auto want_model = load_with_config(st, [](nlohmann::json& j) { j["query_pre_attn_scalar"] = 16; });
  const ModelConfig c = want_model->config();
  test::write_gguf_like_converter(c, st.path(), dir.path() / "f32.gguf");
  ModelOptions libtorch;
  libtorch.cpu_quantized = false;
  const auto cpu = Model::load(dir.path() / "f32.gguf", {});
  const auto lt = Model::load(dir.path() / "f32.gguf", libtorch);
  ASSERT_NE(cpu->cpu_path(), "");
  EXPECT_EQ(cpu->config().layer_slides, c.layer_slides);
  EXPECT_EQ(cpu->config().attn_logit_softcap, 2.0);
  EXPECT_DOUBLE_EQ(cpu->config().attention_scale(), c.attention_scale());
  for (const ParityCase& p : parity_cases()) {
    const torch::Tensor want = all_logits(*want_model, p.ids);
    EXPECT_GT(want.std().item<double>(), 0.5);
    EXPECT_LT((all_logits(*lt, p.ids) - want).abs().max().item<double>(), 2e-4) << "gguf libtorch";
    EXPECT_LT((all_logits(*cpu, p.ids) - want).abs().max().item<double>(), 2e-4) << "gguf cpu";
    // Decoding through the cache, one token a step, past the window.
    EXPECT_EQ(greedy(*cpu, p.ids, 8), greedy(*want_model, p.ids, 8));
  }
  test::GgufWriteOptions q;
  q.quantized = true;
  test::write_gguf_like_converter(c, st.path(), dir.path() / "q.gguf", q);
  // The int8 rounding of the activations only (as for Gemma): measured 0.123 worst against a std
  // of 1.21 (the final cap of 3 narrows the logits' spread, not the rounding); the same top token
  // at all but at most one position.
  test::expect_quantized_cpu_path_near_libtorch(dir.path() / "q.gguf", parity_cases(), 0.15);
}

// The CPU path's AMX-BF16 tile attention (runtime/cpu/kernels.h; where the CPU has it, prompts of
// >= 16 tokens take it; an F32 file's products are float32, so its tiles take bfloat16 pairs:
// cpu_transformer.h) with Gemma 2's score cap and windows: the fixture's shape with heads of 32
// (the tiles need multiples of 32) and a window of 24, random weights, the F32 GGUF on the CPU path
// against the same file on LibTorch. A 20-token prompt fits the window (tiles in every layer), a
// 40-token one does not (its sliding layers take the float path, its full layer tiles). Measured
// worst logit differences: 5.2e-5 on the float path alone, 4.0e-4 (20 tokens) and 8.8e-5 (40) with
// tiles: a tile score is off by up to ~3 x 2^-18 of sum |q_c k_c|, large in this model (weights of
// std 0.3), and the cap's 2.0 is reached. Leaving out the cap or the window rule in the tile path
// gives 4.9-5.8. On CPUs without AMX-BF16 all of it runs the float path.
TEST(Gemma2Parity, TileAttentionKeepsTheCapAndTheWindow) {
  torch::NoGradGuard no_grad;
  ModelConfig c = load_model_config(kCheckpoint);
  c.head_dim_qk = c.head_dim_v = 32;
  c.query_pre_attn_scalar = 32;  // what a GGUF file implies (1 / sqrt(head_dim))
  c.sliding_window = 24;
  c.layer_slides = {true, false, true};
  ScratchDir st, dir;
  CheckpointOptions opts;
  opts.init_std = 0.3;
  opts.write_tokenizer = false;
  write_random_checkpoint(c, st.path(), opts);
  test::write_gguf_like_converter(c, st.path(), dir.path() / "f32.gguf");
  ModelOptions libtorch;
  libtorch.cpu_quantized = false;
  const auto cpu = Model::load(dir.path() / "f32.gguf", {});
  const auto lt = Model::load(dir.path() / "f32.gguf", libtorch);
  ASSERT_NE(cpu->cpu_path(), "");
  ASSERT_EQ(cpu->config().sliding_window, 24);
  for (int n : {20, 40}) {
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back(2 + (i * 37 + 11) % (c.vocab_size - 2));
    const torch::Tensor want = all_logits(*lt, ids);
    EXPECT_GT(want.std().item<double>(), 0.5);
    EXPECT_LT((all_logits(*cpu, ids) - want).abs().max().item<double>(), 1e-3) << n << " tokens";
  }
}

// On CUDA (the op-by-op path: plain_attention() is false, so neither the kernels nor SDPA run):
// transformers' logits in float32. Skips without a GPU.
TEST(Gemma2Cuda, LogitsMatchTransformers) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  torch::NoGradGuard no_grad;
  ModelOptions gpu;
  gpu.device = torch::Device("cuda");
  const auto m = Model::load(kCheckpoint, gpu);
  EXPECT_FALSE(m->decode_kernels_active());
  test::expect_cases_match(*m, parity_cases(), 2e-3, "cuda f32");
}

}  // namespace
}  // namespace aimicius::runtime
