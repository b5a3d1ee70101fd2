// Qwen3 as Hugging Face transformers runs it: tests/data/qwen3 holds a tiny checkpoint written by
// transformers 5 itself and its logits and greedy continuations computed by transformers (eager
// attention; scripts/fixtures/gemma_parity_fixtures.py DIR qwen3 made them once). Beyond Llama,
// Qwen3 norms each head of q and of k over head_dim (q_norm / k_norm, Llama-style gains) before
// RoPE, and its head_dim (16 here) is not hidden / heads (8): q and o are 64 wide.
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
using test::expect_logits_near;
using test::greedy;
using test::ParityCase;

const std::filesystem::path kCheckpoint = std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "qwen3";

std::vector<ParityCase> parity_cases() { return test::read_parity_cases(kCheckpoint); }

// The fixture's weights under a config.json edited by `edit`.
std::unique_ptr<Model> load_with_config(const ScratchDir& dir, const std::function<void(nlohmann::json&)>& edit) {
  return test::load_with_edited_config(kCheckpoint, dir.path(), edit);
}

TEST(Qwen3Parity, TheCheckpointReadsAsTransformersRunsIt) {
  const ModelConfig c = load_model_config(kCheckpoint);
  EXPECT_EQ(c.model_type, "qwen3");
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);  // Qwen3's attention_bias is false (Qwen2's biases come with its type)
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.head_dim_qk, 16);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1000.0);
  EXPECT_TRUE(c.plain_attention());  // the decode kernels may run its attention on CUDA
  EXPECT_FALSE(c.plain_qk());        // but not the fused step's or packed prefill's RoPE
  EXPECT_EQ(parse_model_config(c.to_json(), "round trip").to_json(), c.to_json());
}

// transformers 4's form (top-level rope_theta, torch_dtype) reads as the same model.
TEST(Qwen3Parity, TheTransformers4FormOfTheConfigGivesTheSameLogits) {
  torch::NoGradGuard no_grad;
  ScratchDir dir;
  test::expect_config_form_reads_the_same(kCheckpoint, dir.path(), [](nlohmann::json& j) {
    j["rope_theta"] = j["rope_parameters"]["rope_theta"];
    j["rope_scaling"] = nullptr;
    for (const char* key : {"rope_parameters", "layer_types", "dtype"}) j.erase(key);
    j["torch_dtype"] = "float32";
    j["transformers_version"] = "4.51.0";
  }, "transformers 4");
}

// The q/k norms matter: the same weights read as Llama (no norms; the norm tensors unread) give
// other logits, far past the parity bound.
TEST(Qwen3Parity, TheQkNormsChangeTheLogits) {
  torch::NoGradGuard no_grad;
  ScratchDir dir;
  const auto m = load_with_config(dir, [](nlohmann::json& j) { j["model_type"] = "llama"; });
  EXPECT_FALSE(m->config().qk_norm);
  const ParityCase p = parity_cases().at(0);
  test::expect_logits_far(all_logits(*m, p.ids), p.logits, "read as llama");
}

// The checkpoint as llama.cpp's converter writes Qwen3 (arch "qwen3", attn_q_norm / attn_k_norm),
// F32 and quantised, on the plain CPU path and on LibTorch.
TEST(Qwen3Parity, GgufFileRunsAsTheSafetensorsModelOnBothCpuPaths) {
  torch::NoGradGuard no_grad;
  ScratchDir dir;
  const ModelConfig c = load_model_config(kCheckpoint);
  test::write_gguf_like_converter(c, kCheckpoint, dir.path() / "f32.gguf");
  ModelOptions libtorch;
  libtorch.cpu_quantized = false;
  const auto cpu = Model::load(dir.path() / "f32.gguf", {});
  const auto lt = Model::load(dir.path() / "f32.gguf", libtorch);
  ASSERT_NE(cpu->cpu_path(), "");
  EXPECT_TRUE(cpu->config().qk_norm);
  EXPECT_EQ(cpu->config().head_dim_qk, 16);
  for (const ParityCase& p : parity_cases()) {
    expect_logits_near(all_logits(*lt, p.ids), p.logits, 2e-4, "gguf libtorch");
    expect_logits_near(all_logits(*cpu, p.ids), p.logits, 2e-4, "gguf cpu");
    EXPECT_EQ(greedy(*cpu, p.ids, static_cast<int>(p.greedy.size())), p.greedy);
  }
  test::GgufWriteOptions q;
  q.quantized = true;
  test::write_gguf_like_converter(c, kCheckpoint, dir.path() / "q.gguf", q);
  // The same dequantised weights; the CPU path rounds its activations to int8 blocks and keeps
  // K and V in float16 (cpu_transformer.h): measured 0.156 and 0.058 of the logits' std over the
  // two cases (0.092 and 0.069 with a float32 cache), on this tiny random model whose logits
  // move far more per rounding than a trained one's; the top-token check is the sharper one.
  test::expect_quantized_cpu_path_near_libtorch(dir.path() / "q.gguf", parity_cases(), 0.25);
}

TEST(Qwen3Parity, AGgufFileMissingAQkNormIsNamed) {
  ScratchDir dir;
  test::GgufWriteOptions o;
  o.skip = "blk.1.attn_k_norm.weight";
  test::write_gguf_like_converter(load_model_config(kCheckpoint), kCheckpoint, dir.path() / "m.gguf", o);
  const std::string err = aimicius::testing::error_of([&] { Model::load(dir.path() / "m.gguf", {}); });
  EXPECT_NE(err.find("blk.1.attn_k_norm.weight"), std::string::npos) << err;
}

// On CUDA in float32: the decode kernels run its attention (plain_attention), the op path its q/k
// norms and RoPE; transformers' logits and greedy tokens. Skips without a GPU.
TEST(Qwen3Cuda, LogitsMatchTransformers) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  torch::NoGradGuard no_grad;
  ModelOptions gpu;
  gpu.device = torch::Device("cuda");
  const auto m = Model::load(kCheckpoint, gpu);
  test::expect_cases_match(*m, parity_cases(), 2e-3, "cuda f32");
}

}  // namespace
}  // namespace aimicius::runtime
