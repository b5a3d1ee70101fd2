#include "runtime/reference_model.h"
#include "runtime/rope.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/errors.h"
#include "runtime/safetensors.h"
#include "runtime/weight_specs.h"

namespace aimicius::runtime {
namespace {

using Vec = std::vector<double>;

// y[o] = sum_i W[o][i] x[i] (+ b[o]); W is [out][in], row-major, as in the checkpoint.
Vec matvec(const Vec& W, const Vec& x, int64_t out, int64_t in, const Vec* bias = nullptr) {
  Vec y(out, 0.0);
  for (int64_t o = 0; o < out; ++o) {
    double s = bias ? (*bias)[o] : 0.0;
    for (int64_t i = 0; i < in; ++i) s += W[o * in + i] * x[i];
    y[o] = s;
  }
  return y;
}

Vec rms_norm(const Vec& x, const Vec& gain, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / x.size() + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * gain[i];
  return y;
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }
double gelu_tanh(double v) { return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))); }

// Rotates one head in place: pairs (i, i + d/2), the "rotate half" convention of HF Llama.
void apply_rope(double* head, int64_t d, int64_t pos, const Vec& inv_freq) {
  const int64_t half = d / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double angle = pos * inv_freq[i];
    const double c = std::cos(angle), s = std::sin(angle);
    const double a = head[i], b = head[i + half];
    head[i] = a * c - b * s;
    head[i + half] = b * c + a * s;
  }
}

}  // namespace

ReferenceModel::ReferenceModel(const std::filesystem::path& dir) : config_(load_model_config(dir)) {
  const auto ckpt = SafetensorsCheckpoint::open(dir);
  for (const auto& spec : weight_specs(config_)) {
    const auto values = to_float_vector(ckpt.require(spec.name, spec.shape));
    Vec& w = weights_[spec.name] = Vec(values.begin(), values.end());
    // Gemma's RMSNorm gains are 1 + weight (every norm weight name ends so).
    const std::string suffix = "norm.weight";
    if (config_.norm_gain_plus_one && spec.name.size() >= suffix.size() &&
        spec.name.compare(spec.name.size() - suffix.size(), suffix.size(), suffix) == 0)
      for (double& v : w) v += 1.0;
  }
}

const Vec& ReferenceModel::w(const std::string& name) const { return weights_.at(name); }

std::vector<std::vector<double>> ReferenceModel::forward(const std::vector<int32_t>& tokens) const {
  const ModelConfig& c = config_;
  const int64_t T = static_cast<int64_t>(tokens.size()), H = c.hidden_size;
  const int64_t dk = c.head_dim_qk, dv = c.head_dim_v;
  const int64_t q_per_k = c.num_q_heads / c.num_k_heads, q_per_v = c.num_q_heads / c.num_v_heads;
  const Vec& embed = w("model.embed_tokens.weight");

  std::vector<Vec> x(T, Vec(H));
  for (int64_t t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw InputError(fmt::format("token id {} at position {} outside the vocabulary", tokens[t], t));
    const double scale = c.scale_embedding ? std::sqrt(static_cast<double>(H)) : 1.0;  // Gemma
    for (int64_t i = 0; i < H; ++i) x[t][i] = embed[tokens[t] * H + i] * scale;
  }

  for (int64_t l = 0; l < c.num_layers; ++l) {
    auto W = [&](const std::string& s) -> const Vec& { return w(layer_weight(l, s)); };
    // The layer's RoPE (Gemma 3's sliding layers have their own); transformers scales cos and sin
    // by the attention scaling (yarn): q.k by its square.
    const RopeTable rope = layer_rope_table(c, l);
    const Vec& inv_freq = rope.inv_freq;
    const double q_scale = rope.attention_scaling * rope.attention_scaling;
    // Qwen3 / Gemma 3: each head of q and of k normed over head_dim before RoPE.
    const auto norm_heads = [&](Vec& x, int64_t heads, const char* gain) {
      for (int64_t hd = 0; hd < heads; ++hd) {
        const Vec normed = rms_norm(Vec(x.begin() + hd * dk, x.begin() + (hd + 1) * dk), W(gain), c.rms_norm_eps);
        std::copy(normed.begin(), normed.end(), x.begin() + hd * dk);
      }
    };
    std::vector<Vec> q(T), k(T), v(T);
    for (int64_t t = 0; t < T; ++t) {
      const Vec h = rms_norm(x[t], W("input_layernorm.weight"), c.rms_norm_eps);
      q[t] = matvec(W("self_attn.q_proj.weight"), h, c.q_size(), H, c.qkv_bias ? &W("self_attn.q_proj.bias") : nullptr);
      if (c.aug_q_size > 0) {
        const Vec up = matvec(W("self_attn.q_up_proj.weight"), q[t], c.aug_q_size, c.q_size());
        const Vec gate = matvec(W("self_attn.q_gate_proj.weight"), q[t], c.aug_q_size, c.q_size());
        Vec mid(c.aug_q_size);
        for (int64_t i = 0; i < c.aug_q_size; ++i) mid[i] = silu(gate[i]) * up[i];
        q[t] = matvec(W("self_attn.q_down_proj.weight"), mid, c.q_size(), c.aug_q_size);
      }
      k[t] = matvec(W("self_attn.k_proj.weight"), h, c.k_size(), H, c.qkv_bias ? &W("self_attn.k_proj.bias") : nullptr);
      v[t] = matvec(W("self_attn.v_proj.weight"), h, c.v_size(), H, c.qkv_bias ? &W("self_attn.v_proj.bias") : nullptr);
      if (c.qk_norm) {
        norm_heads(q[t], c.num_q_heads, "self_attn.q_norm.weight");
        norm_heads(k[t], c.num_k_heads, "self_attn.k_norm.weight");
      }
      for (int64_t hq = 0; hq < c.num_q_heads; ++hq) apply_rope(&q[t][hq * dk], dk, t, inv_freq);
      for (double& x : q[t]) x *= q_scale;
      for (int64_t hk = 0; hk < c.num_k_heads; ++hk) apply_rope(&k[t][hk * dk], dk, t, inv_freq);
    }
    for (int64_t t = 0; t < T; ++t) {
      Vec attn(c.o_in_size(), 0.0);
      // Keys first..t: the whole prefix, or the last `window` positions in a sliding layer.
      const int64_t window = c.window_of(l), first = window > 0 ? std::max<int64_t>(0, t - window + 1) : 0;
      for (int64_t hq = 0; hq < c.num_q_heads; ++hq) {
        const int64_t hk = hq / q_per_k, hv = hq / q_per_v;
        Vec scores(t + 1, 0.0);
        double max_score = -INFINITY;
        for (int64_t s = first; s <= t; ++s) {
          double dot = 0;
          for (int64_t i = 0; i < dk; ++i) dot += q[t][hq * dk + i] * k[s][hk * dk + i];
          scores[s] = dot * c.attention_scale();
          if (c.attn_logit_softcap > 0) scores[s] = std::tanh(scores[s] / c.attn_logit_softcap) * c.attn_logit_softcap;
          max_score = std::max(max_score, scores[s]);
        }
        double denom = 0;
        for (int64_t s = first; s <= t; ++s) denom += (scores[s] = std::exp(scores[s] - max_score));
        for (int64_t s = first; s <= t; ++s)
          for (int64_t i = 0; i < dv; ++i) attn[hq * dv + i] += scores[s] / denom * v[s][hv * dv + i];
      }
      Vec o = matvec(W("self_attn.o_proj.weight"), attn, H, c.o_in_size());
      // Sandwich norms (Gemma 2): post_attention_layernorm on the attention output, then the MLP
      // between pre_ and post_feedforward_layernorm.
      if (c.sandwich_norms) o = rms_norm(o, W("post_attention_layernorm.weight"), c.rms_norm_eps);
      for (int64_t i = 0; i < H; ++i) x[t][i] += o[i];
      const Vec h = rms_norm(x[t], W(c.sandwich_norms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"),
                             c.rms_norm_eps);
      const Vec gate = matvec(W("mlp.gate_proj.weight"), h, c.intermediate_size, H);
      const Vec up = matvec(W("mlp.up_proj.weight"), h, c.intermediate_size, H);
      Vec mid(c.intermediate_size);
      const auto act = c.mlp_activation == MlpActivation::kGeluTanh ? gelu_tanh : silu;
      for (int64_t i = 0; i < c.intermediate_size; ++i) mid[i] = act(gate[i]) * up[i];
      Vec down = matvec(W("mlp.down_proj.weight"), mid, H, c.intermediate_size);
      if (c.sandwich_norms) down = rms_norm(down, W("post_feedforward_layernorm.weight"), c.rms_norm_eps);
      for (int64_t i = 0; i < H; ++i) x[t][i] += down[i];
    }
  }
  const Vec& head = c.tie_word_embeddings ? embed : w("lm_head.weight");
  std::vector<Vec> logits(T);
  for (int64_t t = 0; t < T; ++t) {
    logits[t] = matvec(head, rms_norm(x[t], w("model.norm.weight"), c.rms_norm_eps), c.vocab_size, H);
    if (c.final_logit_softcap > 0)
      for (double& z : logits[t]) z = std::tanh(z / c.final_logit_softcap) * c.final_logit_softcap;
  }
  return logits;
}

}  // namespace aimicius::runtime
