// Helpers shared by the sentence-encoder tests: where the fixtures and the real model are, the
// skip-or-fail rule for tests that need the model, fixture readers, a scratch folder, and a tiny
// random BERT checkpoint for the error tests (so they run without the downloaded model).
//
// Invariants: nothing here keeps state between calls; ScratchDir removes its folder on
// destruction; write_tiny_bert() writes a complete, loadable model folder (config.json, vocab.txt,
// model.safetensors) unless told to leave a tensor out.
#pragma once

#include "tests/model_requirements.h"
#include "tests/scratch_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/safetensors.h"

namespace aimicius::testing {

inline std::filesystem::path encoder_fixture(const std::string& name) {
  return std::filesystem::path(AIMICIUS_ENCODER_FIXTURE_DIR) / name;
}


inline nlohmann::json read_json_fixture(const std::string& name) {
  std::ifstream in(encoder_fixture(name), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + encoder_fixture(name).string());
  return nlohmann::json::parse(in);
}

// embeddings.f32: rows of `dim` little-endian float32 values.
inline std::vector<std::vector<float>> read_reference_embeddings(size_t rows, size_t dim) {
  std::ifstream in(encoder_fixture("embeddings.f32"), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture embeddings.f32");
  std::vector<std::vector<float>> out(rows, std::vector<float>(dim));
  for (auto& row : out) {
    in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(dim * sizeof(float)));
  }
  if (!in) throw std::runtime_error("embeddings.f32 is shorter than embeddings.json says");
  return out;
}

using EncoderScratchDir = aimicius::testing::ScratchDir;

using aimicius::testing::write_file;

struct TinyBertOptions {
  std::string prefix;         // "" or "bert."
  std::string omit_tensor;    // a tensor name (without prefix) to leave out
  std::string misshape_tensor;  // a tensor name (without prefix) written with one extra row
};

// A 2-layer BERT with hidden size 8, 2 heads, FFN 16, a 12-token vocabulary and random weights.
inline void write_tiny_bert(const std::filesystem::path& dir, const TinyBertOptions& options = {}) {
  std::filesystem::create_directories(dir);
  const std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the",
                                          "gpu",   "is",    "hot",   "##s",   "!",      "cool"};
  std::string vocab_text;
  for (const auto& token : vocab) vocab_text += token + "\n";
  write_file(dir / "vocab.txt", vocab_text);
  const int64_t hidden = 8, ffn = 16, layers = 2, positions = 16, vocab_size = static_cast<int64_t>(vocab.size());
  write_file(dir / "config.json",
                  nlohmann::json{{"hidden_size", hidden}, {"num_hidden_layers", layers}, {"num_attention_heads", 2},
                                 {"intermediate_size", ffn}, {"max_position_embeddings", positions},
                                 {"type_vocab_size", 2}, {"vocab_size", vocab_size}, {"layer_norm_eps", 1e-12},
                                 {"hidden_act", "gelu"}}
                      .dump());

  std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {
      {"embeddings.word_embeddings.weight", {vocab_size, hidden}},
      {"embeddings.position_embeddings.weight", {positions, hidden}},
      {"embeddings.token_type_embeddings.weight", {2, hidden}},
      {"embeddings.LayerNorm.weight", {hidden}},
      {"embeddings.LayerNorm.bias", {hidden}}};
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* name : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      specs.push_back({p + name + ".weight", {hidden, hidden}});
      specs.push_back({p + name + ".bias", {hidden}});
    }
    specs.push_back({p + "attention.output.LayerNorm.weight", {hidden}});
    specs.push_back({p + "attention.output.LayerNorm.bias", {hidden}});
    specs.push_back({p + "intermediate.dense.weight", {ffn, hidden}});
    specs.push_back({p + "intermediate.dense.bias", {ffn}});
    specs.push_back({p + "output.dense.weight", {hidden, ffn}});
    specs.push_back({p + "output.dense.bias", {hidden}});
    specs.push_back({p + "output.LayerNorm.weight", {hidden}});
    specs.push_back({p + "output.LayerNorm.bias", {hidden}});
  }

  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<std::string> storage;  // keeps the bytes alive until written
  std::vector<runtime::TensorToWrite> tensors;
  storage.reserve(specs.size());
  for (auto& [name, shape] : specs) {
    if (name == options.omit_tensor) continue;
    if (name == options.misshape_tensor) shape[0] += 1;
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    std::vector<float> values(static_cast<size_t>(numel));
    for (float& v : values) v = normal(rng);
    storage.emplace_back(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    tensors.push_back({options.prefix + name, runtime::DType::kF32, shape, storage.back()});
  }
  runtime::write_safetensors(dir / "model.safetensors", tensors);
}

}  // namespace aimicius::testing
