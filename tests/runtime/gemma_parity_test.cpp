// Gemma as Hugging Face transformers runs it: tests/data/gemma holds a tiny checkpoint written by
// transformers 5 itself (config.json, model.safetensors) and its logits and greedy continuations
// computed by transformers (parity.json; scripts/fixtures/gemma_parity_fixtures.py made them once).
// Gemma differs from Llama in four places, each of which moves these logits: GeGLU with GELU's
// tanh form, the embedding scaled by sqrt(hidden_size), RMSNorm gains 1 + weight, and head_dim
// apart from hidden_size / heads. The LibTorch model, the float64 reference and the same weights
// as a GGUF file (written the way llama.cpp's converter writes Gemma: 1 + weight stored in the
// norms, no output tensor) on both CPU paths must all give transformers' numbers (the first two in
// tests/runtime/family_parity_test.cpp, with every family's).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/json_file.h"
#include "runtime/checkpoint_writer.h"
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

const std::filesystem::path kCheckpoint = std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "gemma";

std::vector<ParityCase> parity_cases() { return test::read_parity_cases(kCheckpoint); }

// The fixture's weights under a config.json edited by `edit`.
std::unique_ptr<Model> load_with_config(const ScratchDir& dir, const std::function<void(nlohmann::json&)>& edit) {
  return test::load_with_edited_config(kCheckpoint, dir.path(), edit);
}

TEST(GemmaParity, TheCheckpointReadsAsTransformersRunsIt) {
  const ModelConfig c = load_model_config(kCheckpoint);
  EXPECT_EQ(c.model_type, "gemma");
  EXPECT_EQ(c.mlp_activation, MlpActivation::kGeluTanh);
  EXPECT_TRUE(c.scale_embedding);
  EXPECT_TRUE(c.norm_gain_plus_one);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.head_dim_qk, 16);  // not hidden / heads = 8
  EXPECT_EQ(c.num_k_heads, 1);
}

// The same checkpoint with its config.json in the form transformers 4 wrote Gemma's (the official
// configs' legacy hidden_act "gelu" beside hidden_activation, top-level rope_theta, rope_scaling
// null, none of transformers 5's keys) gives transformers 5's logits: the two forms are one model.
TEST(GemmaParity, TheTransformers4FormOfTheConfigGivesTheSameLogits) {
  torch::NoGradGuard no_grad;
  ASSERT_TRUE(read_json_file(kCheckpoint / "config.json").contains("rope_parameters"))
      << "the fixture should be transformers 5's form";
  ScratchDir dir;
  test::expect_config_form_reads_the_same(kCheckpoint, dir.path(), [](nlohmann::json& t4) {
    t4["rope_theta"] = t4["rope_parameters"]["rope_theta"];
    t4["rope_scaling"] = nullptr;
    for (const char* key : {"rope_parameters", "use_bidirectional_attention", "dtype"}) t4.erase(key);
    t4["hidden_act"] = "gelu";
    t4["hidden_activation"] = "gelu_pytorch_tanh";
    t4["torch_dtype"] = "float32";
    t4["transformers_version"] = "4.38.0";
  }, "transformers-4 config");
}

// Each Gemma difference, turned off alone, moves the logits well past the parity bound: the parity
// tests would catch the runtime missing any one of them.
TEST(GemmaParity, EachGemmaDifferenceMatters) {
  torch::NoGradGuard no_grad;
  const ParityCase p = parity_cases().at(0);
  const std::pair<const char*, nlohmann::json> variants[] = {
      {"model_type", "llama"},           // no embedding scale, plain gains, SiLU (and untied: lm_head missing)
      {"hidden_act", "silu"},            // SwiGLU instead of GeGLU
  };
  for (const auto& [key, value] : variants) {
    ScratchDir dir;
    const auto m = load_with_config(dir, [&](nlohmann::json& j) {
      j[key] = value;
      j["tie_word_embeddings"] = true;
    });
    test::expect_logits_far(all_logits(*m, p.ids), p.logits, key);
  }
}

// The checkpoint as llama.cpp's converter writes Gemma to GGUF, F32 and quantised, through the
// plain CPU path (runtime/cpu/, the default for GGUF on CPU) and through LibTorch.
TEST(GemmaParity, GgufFileGivesTransformersLogitsOnBothCpuPaths) {
  torch::NoGradGuard no_grad;
  const ModelConfig c = load_model_config(kCheckpoint);
  const std::vector<ParityCase> cases = parity_cases();
  ScratchDir dir;
  test::write_gguf_like_converter(c, kCheckpoint, dir.path() / "f32.gguf");
  ModelOptions libtorch;
  libtorch.cpu_quantized = false;
  const auto cpu = Model::load(dir.path() / "f32.gguf", {});
  const auto lt = Model::load(dir.path() / "f32.gguf", libtorch);
  EXPECT_NE(cpu->cpu_path(), "");
  EXPECT_FALSE(cpu->config().norm_gain_plus_one);  // the file's norms hold 1 + weight
  for (const ParityCase& p : cases) {
    expect_logits_near(all_logits(*lt, p.ids), p.logits, 2e-4, "gguf libtorch");
    expect_logits_near(all_logits(*cpu, p.ids), p.logits, 2e-4, "gguf cpu");
    EXPECT_EQ(greedy(*cpu, p.ids, static_cast<int>(p.greedy.size())), p.greedy);
  }
  // Q8_0 embedding and Q4_1 matrices: the quantised kernels against the same file dequantised.
  test::GgufWriteOptions q;
  q.quantized = true;
  test::write_gguf_like_converter(c, kCheckpoint, dir.path() / "q.gguf", q);
  // The int8 rounding of the activations only (runtime/cpu/kernels.h; the F32 file above, whose
  // activations stay float, is exact): measured 0.12 and 0.095 worst against a std of 1.6 (a
  // 32-wide row is one block, so its largest value sets every step); the same top token.
  test::expect_quantized_cpu_path_near_libtorch(dir.path() / "q.gguf", cases, 0.1);
}

// On CUDA: transformers' logits in float32, and a Gemma of kernel-sized heads (d 64) decoding three
// slots of different lengths in bf16 against the CPU path (the project's attention kernels; the
// fused step, which computes SwiGLU with plain gains, must stand aside). Skips without a GPU.
TEST(GemmaCuda, LogitsMatchTransformersAndKernelDecodeMatchesTheCpuPath) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  torch::NoGradGuard no_grad;
  ModelOptions gpu_f32;
  gpu_f32.device = torch::Device("cuda");
  const auto m = Model::load(kCheckpoint, gpu_f32);
  for (const ParityCase& p : parity_cases()) expect_logits_near(all_logits(*m, p.ids).cpu(), p.logits, 2e-3, "cuda f32");

  ModelConfig c = load_model_config(kCheckpoint);
  c.head_dim_qk = c.head_dim_v = 64;
  c.num_q_heads = 4, c.num_k_heads = c.num_v_heads = 2;
  ScratchDir dir;
  CheckpointOptions opts;
  opts.init_std = 0.05;
  opts.write_tokenizer = false;
  write_random_checkpoint(c, dir.path(), opts);
  ModelOptions gpu = gpu_f32;
  gpu.dtype = torch::kBFloat16;
  const auto cpu_model = Model::load(dir.path(), {});
  const auto gpu_model = Model::load(dir.path(), gpu);
  EXPECT_FALSE(gpu_model->fused_decode_active());
  KVCache cc = cpu_model->make_cache(3, 64), gc = gpu_model->make_cache(3, 64);
  const std::vector<std::vector<int64_t>> prompts = {{2, 5, 9}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 90, 91}, {2, 60}};
  for (int64_t s = 0; s < 3; ++s) {
    const torch::Tensor ids = torch::tensor(prompts[s]).view({1, -1});
    cpu_model->forward(ids, cc, {s}, true);
    gpu_model->forward(ids, gc, {s}, true);
  }
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor next = torch::tensor({int64_t{7 + step}, int64_t{30}, int64_t{88 - step}}).view({3, 1});
    const torch::Tensor want = cpu_model->forward(next, cc, {0, 1, 2}, true);
    const torch::Tensor got = gpu_model->forward(next, gc, {0, 1, 2}, true).cpu();
    for (int64_t s = 0; s < 3; ++s) {
      const double rel = (got[s] - want[s]).abs().max().item<double>() / want[s].abs().max().item<double>();
      EXPECT_LT(rel, 3e-2) << "slot " << s << " step " << step;
    }
  }
}

}  // namespace
}  // namespace aimicius::runtime
