// The transformers parity fixtures of the model-family tests (tests/data/<family>/parity.json,
// written by scripts/fixtures/*_parity_fixtures.py): token sequences, transformers' logits for
// every position, and its greedy continuation; and the checks the tests make against them.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_file.h"
#include "runtime/model.h"
#include "runtime/reference_model.h"

namespace aimicius::test {

struct ParityCase {
  std::vector<int64_t> ids;
  torch::Tensor logits;  // [T, vocab] float32, transformers'
  std::vector<int64_t> greedy;
};

inline std::vector<ParityCase> read_parity_cases(const std::filesystem::path& checkpoint) {
  const nlohmann::json j = read_json_file(checkpoint / "parity.json");
  std::vector<ParityCase> out;
  for (const auto& c : j.at("cases")) {
    ParityCase p;
    p.ids = c.at("ids").get<std::vector<int64_t>>();
    std::vector<float> flat;
    for (const auto& row : c.at("logits"))
      for (const auto& v : row) flat.push_back(v.get<float>());
    p.logits = torch::tensor(flat).view({static_cast<int64_t>(p.ids.size()), -1});
    p.greedy = c.at("greedy").get<std::vector<int64_t>>();
    out.push_back(std::move(p));
  }
  return out;
}

// Every position's logits of one sequence, prefilled at once into a fresh cache.
inline torch::Tensor all_logits(runtime::Model& m, const std::vector<int64_t>& ids) {
  runtime::KVCache cache = m.make_cache(1, 64);
  return m.forward(torch::tensor(ids).view({1, -1}), cache, {0}, false)[0];
}

// Greedy decoding through the KV cache: prefill, then one token a step.
inline std::vector<int64_t> greedy(runtime::Model& m, const std::vector<int64_t>& ids, int steps) {
  runtime::KVCache cache = m.make_cache(1, 64);
  torch::Tensor logits = m.forward(torch::tensor(ids).view({1, -1}), cache, {0}, true);
  std::vector<int64_t> out;
  for (int i = 0; i < steps; ++i) {
    out.push_back(logits[0].argmax().item<int64_t>());
    logits = m.forward(torch::tensor({out.back()}).view({1, 1}), cache, {0}, true);
  }
  return out;
}

// The float64 reference's logits [T, vocab] for one sequence, as float32.
inline torch::Tensor reference_logits(const runtime::ReferenceModel& ref, const std::vector<int64_t>& ids) {
  std::vector<float> flat;
  for (const auto& row : ref.forward(std::vector<int32_t>(ids.begin(), ids.end())))
    for (double v : row) flat.push_back(static_cast<float>(v));
  return torch::tensor(flat).view({static_cast<int64_t>(ids.size()), -1});
}

// The largest |logit| difference, against the logits' own spread (the bound means something only
// when the logits are far from alike).
inline void expect_logits_near(const torch::Tensor& got, const torch::Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_GT(want.std().item<double>(), 0.5) << what;
  EXPECT_LT((got - want).abs().max().item<double>(), tol) << what;
}

// A model change that must matter: the logits move well past the parity bound (0.1 against 2e-4).
inline void expect_logits_far(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_GT((got - want).abs().max().item<double>(), 0.1) << what;
}

// Every case's logits within `tolerance` of transformers', and its greedy tokens (through the KV
// cache) equal, on `m` (on any device); `label` names the path in failures.
inline void expect_cases_match(runtime::Model& m, const std::vector<ParityCase>& cases, double tolerance,
                               const std::string& label) {
  for (const ParityCase& p : cases) {
    expect_logits_near(all_logits(m, p.ids).cpu(), p.logits, tolerance, label);
    EXPECT_EQ(greedy(m, p.ids, static_cast<int>(p.greedy.size())), p.greedy) << label;
  }
}

// A quantised GGUF file (Q8_0 / Q4_1) on the CPU path, which rounds activations to int8 blocks,
// against the same file on LibTorch (the weights dequantised, activations float): every logit within
// `std_share` of LibTorch's logits' std, and the same top token at all but at most one position.
// Each family passes its own share; where a caller measured the differences, its comment says so.
inline void expect_quantized_cpu_path_near_libtorch(const std::filesystem::path& gguf,
                                                    const std::vector<ParityCase>& cases, double std_share) {
  runtime::ModelOptions libtorch;
  libtorch.cpu_quantized = false;
  const auto cpu = runtime::Model::load(gguf, {});
  const auto lt = runtime::Model::load(gguf, libtorch);
  ASSERT_NE(cpu->cpu_path(), "") << gguf;
  for (const ParityCase& p : cases) {
    const torch::Tensor a = all_logits(*cpu, p.ids), b = all_logits(*lt, p.ids);
    EXPECT_LT((a - b).abs().max().item<double>(), std_share * b.std().item<double>()) << gguf;
    EXPECT_GE(torch::eq(a.argmax(-1), b.argmax(-1)).sum().item<int64_t>(), a.size(0) - 1) << gguf;
  }
}

// The checkpoint's weights in `dir` under its config.json edited by `edit`, loaded.
inline std::unique_ptr<runtime::Model> load_with_edited_config(const std::filesystem::path& checkpoint,
                                                               const std::filesystem::path& dir,
                                                               const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = read_json_file(checkpoint / "config.json");
  edit(j);
  std::filesystem::copy(checkpoint / "model.safetensors", dir / "model.safetensors",
                        std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "config.json") << j.dump();
  return runtime::Model::load(dir, {});
}

// Another form of the fixture's config.json (the fixture's edited by `edit`; transformers 4's, say)
// reads as the same model: the same parsed config, and transformers' logits from the same weights.
inline void expect_config_form_reads_the_same(const std::filesystem::path& checkpoint,
                                              const std::filesystem::path& dir,
                                              const std::function<void(nlohmann::json&)>& edit,
                                              const std::string& label) {
  const auto m = load_with_edited_config(checkpoint, dir, edit);
  EXPECT_EQ(m->config().to_json(), runtime::load_model_config(checkpoint).to_json()) << label;
  for (const ParityCase& p : read_parity_cases(checkpoint)) expect_logits_near(all_logits(*m, p.ids), p.logits, 2e-4, label);
}

}  // namespace aimicius::test
