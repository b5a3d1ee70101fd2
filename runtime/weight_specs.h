// The tensors of a checkpoint: names (Hugging Face Llama layout, plus the DiffQKV augmented-Q
// projections) and shapes, derived from the config. The one place that knows the layout: the
// writer, the float64 reference and the LibTorch model all ask here.
//
//   model.embed_tokens.weight                       [vocab, hidden]
//   model.layers.L.input_layernorm.weight           [hidden]
//   model.layers.L.self_attn.q_proj.weight          [n_q*d_k, hidden]   (+ .bias with qkv_bias)
//   model.layers.L.self_attn.q_up_proj.weight       [aug, n_q*d_k]      (augmented Q only)
//   model.layers.L.self_attn.q_gate_proj.weight     [aug, n_q*d_k]      (augmented Q only)
//   model.layers.L.self_attn.q_down_proj.weight     [n_q*d_k, aug]      (augmented Q only)
//   model.layers.L.self_attn.k_proj.weight          [n_k*d_k, hidden]   (+ .bias with qkv_bias)
//   model.layers.L.self_attn.v_proj.weight          [n_v*d_v, hidden]   (+ .bias with qkv_bias)
//   model.layers.L.self_attn.{q,k}_norm.weight      [d_k]               (qk_norm only)
//   model.layers.L.self_attn.o_proj.weight          [hidden, n_q*d_v]
//   model.layers.L.post_attention_layernorm.weight  [hidden]
//   model.layers.L.mlp.{gate,up}_proj.weight        [ffn, hidden]
//   model.layers.L.mlp.down_proj.weight             [hidden, ffn]
//   model.norm.weight                               [hidden]
//   lm_head.weight                                  [vocab, hidden]     (absent when tied)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  bool is_norm = false;  // RMSNorm gains: initialised near 1, not near 0
};

std::string layer_weight(int64_t layer, const std::string& suffix);
std::vector<WeightSpec> weight_specs(const ModelConfig& config);

}  // namespace aimicius::runtime
