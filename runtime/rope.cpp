// RoPE inverse frequencies per rope_type (see rope.h). Each branch follows the matching
// rope_init_fn of transformers' modeling_rope_utils.py; comments name the differences that matter.
#include "runtime/rope.h"

#include <algorithm>
#include <cmath>

namespace aimicius::runtime {
namespace {

std::vector<double> default_inv_freq(double theta, int64_t dim) {
  std::vector<double> f(static_cast<size_t>(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) f[i] = 1.0 / std::pow(theta, static_cast<double>(2 * i) / dim);
  return f;
}

double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

// The (fractional) dimension at which a frequency turns `rotations` times over `length` positions.
double yarn_correction_dim(double rotations, int64_t dim, double theta, double length) {
  return dim * std::log(length / (rotations * 2.0 * M_PI)) / (2.0 * std::log(theta));
}

RopeTable yarn(const ModelConfig& c, int64_t dim) {
  const RopeScaling& rs = c.rope_scaling;
  const double factor = rs.factor;
  RopeTable t;
  if (rs.attention_factor) {
    t.attention_scaling = *rs.attention_factor;
  } else if (rs.mscale != 0 && rs.mscale_all_dim != 0) {
    t.attention_scaling = yarn_mscale(factor, rs.mscale) / yarn_mscale(factor, rs.mscale_all_dim);
  } else {
    t.attention_scaling = yarn_mscale(factor, 1.0);
  }
  const double length = static_cast<double>(rs.original_max_position_embeddings > 0 ? rs.original_max_position_embeddings
                                                                                    : c.max_position_embeddings);
  double low = yarn_correction_dim(rs.beta_fast, dim, c.rope_theta, length);
  double high = yarn_correction_dim(rs.beta_slow, dim, c.rope_theta, length);
  if (rs.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // as transformers: no division by zero
  const std::vector<double> extrapolation = default_inv_freq(c.rope_theta, dim);
  t.inv_freq.resize(extrapolation.size());
  for (size_t i = 0; i < extrapolation.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double keep = 1.0 - ramp;  // share of the extrapolated (unscaled) frequency
    t.inv_freq[i] = extrapolation[i] / factor * (1.0 - keep) + extrapolation[i] * keep;
  }
  return t;
}

}  // namespace

RopeTable rope_table(const ModelConfig& c, int64_t seq_len) {
  const int64_t dim = c.head_dim_qk;
  const RopeScaling& rs = c.rope_scaling;
  if (rs.type == "yarn") return yarn(c, dim);
  RopeTable t;
  if (rs.type == "dynamic") {
    const double max_pos = static_cast<double>(c.max_position_embeddings);
    const double len = std::max(static_cast<double>(seq_len), max_pos);
    const double theta = c.rope_theta * std::pow(rs.factor * len / max_pos - (rs.factor - 1.0),
                                                 static_cast<double>(dim) / static_cast<double>(dim - 2));
    t.inv_freq = default_inv_freq(theta, dim);
    return t;
  }
  t.inv_freq = default_inv_freq(c.rope_theta, dim);
  if (rs.type == "linear") {
    for (double& v : t.inv_freq) v /= rs.factor;
  } else if (rs.type == "llama3") {
    const double old_len = static_cast<double>(rs.original_max_position_embeddings > 0 ? rs.original_max_position_embeddings
                                                                                       : c.max_position_embeddings);
    const double low_wavelen = old_len / rs.low_freq_factor;
    const double high_wavelen = old_len / rs.high_freq_factor;
    for (double& v : t.inv_freq) {
      const double wavelen = 2.0 * M_PI / v;
      if (wavelen > low_wavelen) {
        v /= rs.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old_len / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
        v = (1.0 - smooth) * v / rs.factor + smooth * v;
      }
    }
  }
  return t;
}

RopeTable layer_rope_table(const ModelConfig& c, int64_t layer) {
  if (!c.local_rope(layer)) return rope_table(c);
  RopeTable t;  // Gemma 3's sliding layers: the default frequencies of their own base, unscaled
  t.inv_freq = default_inv_freq(c.local_rope_theta, c.head_dim_qk);
  return t;
}

}  // namespace aimicius::runtime
