#include "training/train_model.h"

#include <cmath>

#include <torch/version.h>

#include <fmt/format.h>

#include "common/errors.h"
#include "runtime/model.h"
#include "runtime/weight_specs.h"

namespace aimicius::runtime {

namespace {

bool is_output_projection(const std::string& name) {
  return name.find("o_proj") != std::string::npos || name.find("down_proj") != std::string::npos;
}

// model.cpp's RMSNorm: statistics in float32, the gain applied in the activations' dtype.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& gain, double eps) {
  const torch::Tensor xf = x.to(torch::kFloat32);
  const torch::Tensor normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return gain.to(x.scalar_type()) * normed.to(x.scalar_type());
}

// model.cpp's RoPE: pairs (i, i + d/2) rotated in float32. x [B, T, heads, d]; cos/sin [1, T, 1, d/2].
torch::Tensor rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor xf = x.to(torch::kFloat32);
  const torch::Tensor a = xf.narrow(-1, 0, half), b = xf.narrow(-1, half, half);
  return torch::cat({a * cos - b * sin, b * cos + a * sin}, -1).to(x.scalar_type());
}

}  // namespace

TrainableModel::TrainableModel(const ModelConfig& config, torch::Device device, uint64_t seed, double init_std)
    : config_(config), device_(device) {
  config_.validate("train");
  // This forward is the DiffQKV/Llama one (SwiGLU, plain gains and embedding, softmax attention over
  // the whole context, q and k as projected): a Gemma-family or Qwen3 config trained here would be
  // saved as a model it is not.
  if (config_.mlp_activation != MlpActivation::kSilu || config_.scale_embedding || config_.norm_gain_plus_one ||
      config_.sandwich_norms || config_.final_logit_softcap > 0 || !config_.plain_attention() || !config_.plain_qk())
    throw InputError(fmt::format("train: model_type \"{}\" is not trainable here (diffqkv, llama, qwen2, mistral only)",
                                 config_.model_type));
  torch::manual_seed(seed);
  const double out_std = init_std / std::sqrt(2.0 * static_cast<double>(config_.num_layers));
  for (const WeightSpec& spec : weight_specs(config_)) {
    torch::Tensor t;
    if (spec.is_norm) {
      t = torch::ones(spec.shape, torch::kFloat32);
    } else if (spec.name.size() > 5 && spec.name.compare(spec.name.size() - 5, 5, ".bias") == 0) {
      t = torch::zeros(spec.shape, torch::kFloat32);
    } else {
      t = torch::randn(spec.shape, torch::kFloat32) * (is_output_projection(spec.name) ? out_std : init_std);
    }
    params_[spec.name] = t.to(device_).set_requires_grad(true);
    order_.push_back(spec.name);
  }
  inv_freq_ = rope_inv_freq(config_).to(device_);
}

std::vector<torch::Tensor> TrainableModel::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& name : order_) out.push_back(params_.at(name));
  return out;
}

int64_t TrainableModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : params_) n += t.numel();
  return n;
}

const torch::Tensor& TrainableModel::w(const std::string& name) const {
  const auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error(fmt::format("TrainableModel: no weight {}", name));
  return it->second;
}

torch::Tensor TrainableModel::layer(int64_t l, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin, torch::ScalarType compute) const {
  const ModelConfig& c = config_;
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads, dk = c.head_dim_qk, dv = c.head_dim_v;
  auto W = [&](const std::string& suffix) { return w(layer_weight(l, suffix)).to(compute); };
  auto bias = [&](const std::string& suffix) {
    return c.qkv_bias ? w(layer_weight(l, suffix)).to(compute) : torch::Tensor();
  };

  const torch::Tensor h = rms_norm(x, w(layer_weight(l, "input_layernorm.weight")), c.rms_norm_eps);
  torch::Tensor q = torch::linear(h, W("self_attn.q_proj.weight"), bias("self_attn.q_proj.bias"));
  if (c.aug_q_size > 0)
    q = torch::linear(torch::silu(torch::linear(q, W("self_attn.q_gate_proj.weight"))) *
                          torch::linear(q, W("self_attn.q_up_proj.weight")),
                      W("self_attn.q_down_proj.weight"));
  torch::Tensor k = torch::linear(h, W("self_attn.k_proj.weight"), bias("self_attn.k_proj.bias"));
  const torch::Tensor v = torch::linear(h, W("self_attn.v_proj.weight"), bias("self_attn.v_proj.bias")).view({B, T, nv, dv});
  q = rope(q.view({B, T, nq, dk}), cos, sin);
  k = rope(k.view({B, T, nk, dk}), cos, sin);

  const int64_t q_per_k = nq / nk, q_per_v = nq / nv;
  torch::Tensor out;  // [B, T, nq * dv] in the compute dtype
#if TORCH_VERSION_MAJOR >= 2
  if (x.is_cuda() && dk == dv) {
    // On CUDA, LibTorch's fused causal SDPA (FlashAttention for bf16, with its backward): the
    // float32 path below materialises a [B, nq, T, T] score matrix, 4 GB per layer at batch 8 x
    // 4096 tokens, and spends most of a step on it. Same function (the runtime prefills with the
    // same SDPA on CUDA), so the checkpoint is the same model either way.
    const torch::Tensor qh = q.transpose(1, 2);  // [B, nq, T, dk]
    const torch::Tensor kh = k.transpose(1, 2).repeat_interleave(q_per_k, 1);
    const torch::Tensor vh = v.transpose(1, 2).repeat_interleave(q_per_v, 1);
    out = at::scaled_dot_product_attention(qh, kh, vh, {}, 0.0, /*is_causal=*/true)
              .transpose(1, 2)
              .reshape({B, T, nq * dv})
              .to(compute);
  }
#endif
  if (!out.defined()) {
    // Causal attention per K group in float32, as model.cpp scores: q [B, nk, q_per_k, T, dk].
    const torch::Tensor qg = q.to(torch::kFloat32).view({B, T, nk, q_per_k, dk}).permute({0, 2, 3, 1, 4});
    const torch::Tensor kg = k.to(torch::kFloat32).permute({0, 2, 3, 1}).unsqueeze(2);  // [B, nk, 1, dk, T]
    torch::Tensor scores = torch::matmul(qg, kg).reshape({B, nq, T, T}) / std::sqrt(static_cast<double>(dk));
    const torch::Tensor future =
        torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
    const torch::Tensor probs = torch::softmax(scores, -1).view({B, nv, q_per_v, T, T});
    const torch::Tensor vh = v.to(torch::kFloat32).permute({0, 2, 1, 3}).unsqueeze(2);  // [B, nv, 1, T, dv]
    out = torch::matmul(probs, vh).view({B, nq, T, dv}).permute({0, 2, 1, 3}).reshape({B, T, nq * dv}).to(compute);
  }
  torch::Tensor y = x + torch::linear(out, W("self_attn.o_proj.weight"));

  const torch::Tensor h2 = rms_norm(y, w(layer_weight(l, "post_attention_layernorm.weight")), c.rms_norm_eps);
  return y + torch::linear(torch::silu(torch::linear(h2, W("mlp.gate_proj.weight"))) * torch::linear(h2, W("mlp.up_proj.weight")),
                           W("mlp.down_proj.weight"));
}

torch::Tensor TrainableModel::forward(const torch::Tensor& tokens, torch::ScalarType compute) const {
  const ModelConfig& c = config_;
  const int64_t T = tokens.size(1);
  const torch::Tensor embed = w("model.embed_tokens.weight");
  torch::Tensor x = torch::embedding(embed, tokens.to(device_)).to(compute);
  const torch::Tensor positions = torch::arange(T, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  const torch::Tensor angles = positions.unsqueeze(-1) * inv_freq_;  // [T, d/2]
  const torch::Tensor cos = angles.cos().to(torch::kFloat32).view({1, T, 1, -1});
  const torch::Tensor sin = angles.sin().to(torch::kFloat32).view({1, T, 1, -1});
  for (int64_t l = 0; l < c.num_layers; ++l) x = layer(l, x, cos, sin, compute);
  x = rms_norm(x, w("model.norm.weight"), c.rms_norm_eps);
  const torch::Tensor& head = c.tie_word_embeddings ? embed : w("lm_head.weight");
  return torch::linear(x, head.to(compute)).to(torch::kFloat32);
}

torch::Tensor TrainableModel::loss(const torch::Tensor& tokens, torch::ScalarType compute) const {
  const int64_t T = tokens.size(1) - 1;
  const torch::Tensor logits = forward(tokens.narrow(1, 0, T), compute);
  const torch::Tensor targets = tokens.narrow(1, 1, T).to(device_);
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

std::vector<std::pair<std::string, torch::Tensor>> TrainableModel::export_weights(torch::ScalarType dtype) const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& name : order_) out.emplace_back(name, params_.at(name).detach().to(torch::kCPU, dtype).contiguous());
  return out;
}

}  // namespace aimicius::runtime
