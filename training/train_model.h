// The DiffQKV decoder as a trainable LibTorch graph: the same architecture, weight names and
// arithmetic as runtime/model.h, but over whole sequences (causal attention, no KV cache) with
// autograd, so that `aimicius train` produces checkpoints the inference runtime loads as it was
// trained.
//
// Invariants: parameters are float32 master weights (one tensor per weight_specs() entry, same
// name and shape); forward() may compute in bf16/fp16 (weights cast per use, gradients flow back
// to the float32 masters) but returns float32 logits. RoPE, RMSNorm and the aug-Q MLP follow
// model.cpp exactly: tests compare the two forwards on one checkpoint.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

class TrainableModel {
 public:
  // Fresh weights: N(0, init_std) (norm gains 1), output projections scaled by 1/sqrt(2 * layers)
  // (GPT-2's rule: keeps the residual stream's variance flat with depth), seeded.
  TrainableModel(const ModelConfig& config, torch::Device device, uint64_t seed, double init_std = 0.02);

  const ModelConfig& config() const { return config_; }
  std::vector<torch::Tensor> parameters() const;
  int64_t parameter_count() const;

  // tokens [B, T] int64 -> logits [B, T, vocab] float32; `compute` is the matmul dtype.
  torch::Tensor forward(const torch::Tensor& tokens, torch::ScalarType compute = torch::kFloat32) const;

  // Mean next-token cross-entropy of tokens [B, T+1] (inputs [:, :-1], targets [:, 1:]).
  torch::Tensor loss(const torch::Tensor& tokens, torch::ScalarType compute = torch::kFloat32) const;

  // The weights in weight_specs() order, on the CPU in `dtype` (kFloat32, kBFloat16, kFloat16).
  std::vector<std::pair<std::string, torch::Tensor>> export_weights(torch::ScalarType dtype) const;

 private:
  const torch::Tensor& w(const std::string& name) const;
  torch::Tensor layer(int64_t l, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                      torch::ScalarType compute) const;

  ModelConfig config_;
  torch::Device device_;
  std::map<std::string, torch::Tensor> params_;
  std::vector<std::string> order_;  // weight_specs() order
  torch::Tensor inv_freq_;          // float64 [d_k / 2]
};

}  // namespace aimicius::runtime
