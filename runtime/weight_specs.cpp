#include "runtime/weight_specs.h"

namespace aimicius::runtime {

std::string layer_weight(int64_t layer, const std::string& suffix) {
  return "model.layers." + std::to_string(layer) + "." + suffix;
}

std::vector<WeightSpec> weight_specs(const ModelConfig& c) {
  const int64_t h = c.hidden_size;
  std::vector<WeightSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {c.vocab_size, h}});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    specs.push_back({layer_weight(l, "input_layernorm.weight"), {h}, true});
    specs.push_back({layer_weight(l, "self_attn.q_proj.weight"), {c.q_size(), h}});
    if (c.qkv_bias) specs.push_back({layer_weight(l, "self_attn.q_proj.bias"), {c.q_size()}});
    if (c.aug_q_size > 0) {
      specs.push_back({layer_weight(l, "self_attn.q_up_proj.weight"), {c.aug_q_size, c.q_size()}});
      specs.push_back({layer_weight(l, "self_attn.q_gate_proj.weight"), {c.aug_q_size, c.q_size()}});
      specs.push_back({layer_weight(l, "self_attn.q_down_proj.weight"), {c.q_size(), c.aug_q_size}});
    }
    specs.push_back({layer_weight(l, "self_attn.k_proj.weight"), {c.k_size(), h}});
    if (c.qkv_bias) specs.push_back({layer_weight(l, "self_attn.k_proj.bias"), {c.k_size()}});
    specs.push_back({layer_weight(l, "self_attn.v_proj.weight"), {c.v_size(), h}});
    if (c.qkv_bias) specs.push_back({layer_weight(l, "self_attn.v_proj.bias"), {c.v_size()}});
    if (c.qk_norm) {  // Qwen3, Gemma 3: one gain over head_dim for q's heads and one for k's
      specs.push_back({layer_weight(l, "self_attn.q_norm.weight"), {c.head_dim_qk}, true});
      specs.push_back({layer_weight(l, "self_attn.k_norm.weight"), {c.head_dim_qk}, true});
    }
    specs.push_back({layer_weight(l, "self_attn.o_proj.weight"), {h, c.o_in_size()}});
    specs.push_back({layer_weight(l, "post_attention_layernorm.weight"), {h}, true});
    if (c.sandwich_norms) {  // Gemma 2: the MLP's input and output norms (model_config.h)
      specs.push_back({layer_weight(l, "pre_feedforward_layernorm.weight"), {h}, true});
      specs.push_back({layer_weight(l, "post_feedforward_layernorm.weight"), {h}, true});
    }
    specs.push_back({layer_weight(l, "mlp.gate_proj.weight"), {c.intermediate_size, h}});
    specs.push_back({layer_weight(l, "mlp.up_proj.weight"), {c.intermediate_size, h}});
    specs.push_back({layer_weight(l, "mlp.down_proj.weight"), {h, c.intermediate_size}});
  }
  specs.push_back({"model.norm.weight", {h}, true});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {c.vocab_size, h}});
  return specs;
}

}  // namespace aimicius::runtime
