// Gemma 3 (text) as Hugging Face transformers runs it: tests/data/gemma3 holds a tiny checkpoint
// written by transformers 5 itself and its logits and greedy continuations computed by transformers
// (eager attention; scripts/fixtures/gemma_parity_fixtures.py DIR gemma3 made them once). Gemma 3
// is Gemma 2's layer (sandwich norms, query_pre_attn_scalar, sliding layers) without its caps,
// plus q/k norms (1 + weight gains) before RoPE and a second RoPE: its sliding layers rotate with
// their own base (10 here) and no scaling, its full layers with rope_theta (1000) and the linear
// scaling (factor 2). The fixture's layers are sliding, sliding, full, sliding, window 4 over 8-
// and 12-token sequences, so each of these moves its logits (checked below).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/json_file.h"
#include "runtime/model.h"
#include "tests/runtime/gguf_model_writer.h"
#include "tests/runtime/parity_fixture.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using test::all_logits;
using test::greedy;
using test::ParityCase;

const std::filesystem::path kCheckpoint = std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "gemma3";

std::vector<ParityCase> parity_cases() { return test::read_parity_cases(kCheckpoint); }

// The fixture's weights under a config.json edited by `edit`.
std::unique_ptr<Model> load_with_config(const ScratchDir& dir, const std::function<void(nlohmann::json&)>& edit) {
  return test::load_with_edited_config(kCheckpoint, dir.path(), edit);
}

TEST(Gemma3Parity, TheCheckpointReadsAsTransformersRunsIt) {
  const ModelConfig c = load_model_config(kCheckpoint);
  EXPECT_EQ(c.model_type, "gemma3_text");
  EXPECT_EQ(c.mlp_activation, MlpActivation::kGeluTanh);
  EXPECT_TRUE(c.scale_embedding && c.norm_gain_plus_one && c.tie_word_embeddings && c.sandwich_norms && c.qk_norm);
  EXPECT_EQ(c.attn_logit_softcap, 0.0);  // Gemma 3 has no caps (null, its default)
  EXPECT_EQ(c.final_logit_softcap, 0.0);
  EXPECT_DOUBLE_EQ(c.attention_scale(), 1.0 / std::sqrt(24.0));
  EXPECT_EQ(c.layer_slides, (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(c.local_rope_layers, c.layer_slides);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1000.0);
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 2.0);
  EXPECT_DOUBLE_EQ(c.local_rope_theta, 10.0);
  EXPECT_TRUE(c.local_rope(0));
  EXPECT_FALSE(c.local_rope(2));
  EXPECT_FALSE(c.plain_attention());
  EXPECT_FALSE(c.plain_qk());
  EXPECT_EQ(parse_model_config(c.to_json(), "round trip").to_json(), c.to_json());
}

// transformers 4's form: rope_theta, rope_local_base_freq and rope_scaling at the top level, the
// layers from sliding_window_pattern (3: every third layer full) instead of layer_types.
TEST(Gemma3Parity, TheTransformers4FormOfTheConfigGivesTheSameLogits) {
  torch::NoGradGuard no_grad;
  ScratchDir dir;
  test::expect_config_form_reads_the_same(kCheckpoint, dir.path(), [](nlohmann::json& j) {
    j["rope_theta"] = 1000.0;
    j["rope_local_base_freq"] = 10.0;
    j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}};
    j["sliding_window_pattern"] = 3;
    for (const char* key : {"rope_parameters", "layer_types", "_sliding_window_pattern", "dtype"}) j.erase(key);
    j["cache_implementation"] = "hybrid";
    j["torch_dtype"] = "float32";
    j["transformers_version"] = "4.50.0";
  }, "transformers 4");
}

// Each Gemma 3 part, changed alone, moves the logits well past the parity bound.
TEST(Gemma3Parity, EachGemma3DifferenceMatters) {
  torch::NoGradGuard no_grad;
  const ParityCase p = parity_cases().at(0);  // 12 tokens: past the window of 4
  const std::pair<const char*, std::function<void(nlohmann::json&)>> variants[] = {
      {"sliding layers' base", [](nlohmann::json& j) { j["rope_parameters"]["sliding_attention"]["rope_theta"] = 1000.0; }},
      {"full layers' scaling", [](nlohmann::json& j) { j["rope_parameters"]["full_attention"] = {{"rope_theta", 1000.0}}; }},
      {"layer types", [](nlohmann::json& j) { j["layer_types"][2] = "sliding_attention"; }},
      {"window", [](nlohmann::json& j) { j["sliding_window"] = nullptr; }},
      {"query_pre_attn_scalar", [](nlohmann::json& j) { j["query_pre_attn_scalar"] = 16; }},
  };
  for (const auto& [what, edit] : variants) {
    ScratchDir dir;
    const auto m = load_with_config(dir, edit);
    test::expect_logits_far(all_logits(*m, p.ids), p.logits, what);
  }
}

TEST(Gemma3Parity, MalformedOrUnsupportedGemma3KeysAreNamed) {
  const nlohmann::json base = read_json_file(kCheckpoint / "config.json");
  const std::pair<std::function<void(nlohmann::json&)>, const char*> bad[] = {
      // One object for every layer: Gemma 3 reads one per layer type.
      {[](nlohmann::json& j) { j["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}}; },
       "rope_parameters"},
      {[](nlohmann::json& j) { j["rope_parameters"]["sliding_attention"] = {{"rope_type", "linear"}, {"factor", 2.0}}; },
       "sliding_attention"},
      {[](nlohmann::json& j) { j["rope_parameters"]["full_attention"] = 5; }, "full_attention"},
      {[](nlohmann::json& j) { j.erase("layer_types"), j["sliding_window_pattern"] = 0; }, "sliding_window_pattern"},
      {[](nlohmann::json& j) { j["use_bidirectional_attention"] = true; }, "use_bidirectional_attention"},
      // Gemma 3's image-text wrapper: its text model is nested.
      {[](nlohmann::json& j) { j["model_type"] = "gemma3"; }, "gemma3_text"},
      // A second RoPE base on a family that has one RoPE.
      {[](nlohmann::json& j) { j["model_type"] = "gemma2", j.erase("rope_parameters"), j["rope_local_base_freq"] = 10; },
       "rope_local_base_freq"},
  };
  for (const auto& [edit, key] : bad) {
    nlohmann::json j = base;
    edit(j);
    const std::string err = aimicius::testing::error_of([&] { parse_model_config(j, "g3.json"); });
    EXPECT_NE(err.find(key), std::string::npos) << key << ": " << (err.empty() ? "accepted" : err);
  }
}

// The checkpoint as a converter writes Gemma 3 to GGUF (arch "gemma3"; norms, the q/k norms'
// included, 1 + weight; the window, the full layers' period and the sliding layers' base as
// metadata), F32 and quantised, on the plain CPU path and on LibTorch. A GGUF file carries no
// query_pre_attn_scalar (llama.cpp scales by 1 / sqrt(head_dim)), so the reference here is the
// safetensors model with query_pre_attn_scalar = head_dim, the same weights.
TEST(Gemma3Parity, GgufFileRunsAsTheSafetensorsModelOnBothCpuPaths) {
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
  EXPECT_EQ(cpu->config().local_rope_layers, c.local_rope_layers);
  EXPECT_DOUBLE_EQ(cpu->config().local_rope_theta, 10.0);
  EXPECT_EQ(cpu->config().rope_scaling.type, "linear");
  for (const ParityCase& p : parity_cases()) {
    const torch::Tensor want = all_logits(*want_model, p.ids);
    EXPECT_GT(want.std().item<double>(), 0.5);
    EXPECT_LT((all_logits(*lt, p.ids) - want).abs().max().item<double>(), 2e-4) << "gguf libtorch";
    EXPECT_LT((all_logits(*cpu, p.ids) - want).abs().max().item<double>(), 2e-4) << "gguf cpu";
    EXPECT_EQ(greedy(*cpu, p.ids, 8), greedy(*want_model, p.ids, 8));  // one token a step, past the window
  }
  test::GgufWriteOptions q;
  q.quantized = true;
  test::write_gguf_like_converter(c, st.path(), dir.path() / "q.gguf", q);
  test::expect_quantized_cpu_path_near_libtorch(dir.path() / "q.gguf", parity_cases(), 0.15);
}

// On CUDA (the op-by-op path: neither plain_attention nor plain_qk): transformers' logits in
// float32. Skips without a GPU.
TEST(Gemma3Cuda, LogitsMatchTransformers) {
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
