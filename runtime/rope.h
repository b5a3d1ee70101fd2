// Rotary position embedding frequencies from a ModelConfig, as Hugging Face transformers computes
// them (transformers 5.25, modeling_rope_utils.py: the rope_init_fn of each rope_type).
//
//   default   inv_freq[i] = theta^(-2i/d), i < d/2
//   linear    default / factor
//   dynamic   NTK: theta' = theta * (factor * L / max_pos - (factor - 1))^(d / (d - 2)) with
//             L = max(seq_len, max_pos); for every sequence the runtime runs (it refuses contexts
//             past max_position_embeddings) L = max_pos and the frequencies equal the default ones,
//             as transformers' dynamic update keeps them below the original length
//   llama3    Llama 3.1's piecewise rescaling (low / high frequency factors, smooth in between)
//   yarn      interpolation / extrapolation blended over a linear ramp between the correction
//             dimensions of beta_fast and beta_slow, with the attention factor (mscale):
//             attention_factor if given, else mscale(factor, mscale) / mscale(factor, mscale_all_dim)
//             when both are non-zero, else mscale(factor) = 0.1 ln(factor) + 1 (1 when factor <= 1)
//
// attention_scaling multiplies cos and sin in transformers, so q.k by its square: the runtime folds
// the square into the attention logits' scale (runtime/model.cpp, reference_model.cpp), which keeps
// the KV cache unscaled and the CUDA kernels unchanged.
//
// Computed in float64 (transformers uses float32: the difference is below 1e-6 relative, which
// tests/runtime/rope_test.cpp checks against fixtures written by scripts/fixtures/rope_fixtures.py).
// No LibTorch. Invariant: inv_freq has head_dim_qk / 2 entries, all positive and finite.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

struct RopeTable {
  std::vector<double> inv_freq;    // head_dim_qk / 2 entries
  double attention_scaling = 1.0;  // multiplies cos and sin (yarn's mscale); 1 for the other types
};

// `seq_len`: the longest sequence the frequencies serve (only "dynamic" reads it; 0: the model's
// max_position_embeddings).
RopeTable rope_table(const ModelConfig& config, int64_t seq_len = 0);
// Layer `layer`'s table: rope_table(config), or for a local-RoPE layer (ModelConfig::local_rope,
// Gemma 3's sliding layers) the default frequencies of local_rope_theta, unscaled.
RopeTable layer_rope_table(const ModelConfig& config, int64_t layer);

}  // namespace aimicius::runtime
