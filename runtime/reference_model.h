// An independent float64 forward pass of the DiffQKV decoder in plain C++ loops: the yardstick the
// LibTorch runtime is tested against. It shares nothing with the LibTorch path but the config,
// the weight layout (weight_specs.h) and the safetensors reader; RoPE, RMSNorm, attention and the
// MLP are written out again here on purpose, slowly and literally. Only for small checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

class ReferenceModel {
 public:
  explicit ReferenceModel(const std::filesystem::path& checkpoint_dir);
  const ModelConfig& config() const { return config_; }

  // Logits for every position of one sequence: [tokens.size()][vocab].
  std::vector<std::vector<double>> forward(const std::vector<int32_t>& tokens) const;

 private:
  const std::vector<double>& w(const std::string& name) const;
  ModelConfig config_;
  std::map<std::string, std::vector<double>> weights_;
};

}  // namespace aimicius::runtime
