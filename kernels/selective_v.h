// Selective V fetching (Sigma): at decode, each (sequence, Q head) keeps only the V rows of its
// top-k attention scores. Semantics are the runtime's (runtime/model.cpp, selective_v_topk):
// min(topk, len) positions with the highest scores, softmax over those kept scores only (not over
// all scores), weighted sum of their V rows. With topk >= len this is full decode attention.
// Reference: kernels/reference/attention_reference.h (reference::selective_v).
//
// Two kernels: (1) the score pass of decode_attention (each K row read once for the Q heads that
// share it) writes all scores to the workspace; (2) one block per (sequence, Q head) finds the
// k-th largest score by a 4-pass radix select on the order-preserving integer image of the float
// scores (8 bits per pass, shared-memory histograms), gathers the positions above it plus as many
// positions equal to it as are needed (which of several exactly tied positions is taken is not
// specified, as with torch.topk), and reads only those V rows.
//
// Contract: as decode_attention.h (shapes, strides, alignment, dtype, context_lens on the device,
// <= the planned max_context_len or the output is NaN); 1 <= topk <= kMaxSelectiveTopK. The
// workspace holds batch * n_q * max_context_len floats. `selected` (optional, device,
// [batch, n_q, topk] int32) receives the kept positions, -1 past min(topk, len).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/attention_params.h"

namespace aimicius::kernels {

constexpr int kMaxSelectiveTopK = 1024;

struct SelectivePlan {
  int q_heads_per_block = 0;
  int max_context_len = 0;
  size_t workspace_bytes = 0;
};

// Throws std::invalid_argument on unsupported shapes.
SelectivePlan plan_selective_v(const DecodeAttentionParams& p, int max_context_len);

// Throws std::invalid_argument on invalid params, std::runtime_error when a launch fails.
void selective_v(const DecodeAttentionParams& p, int topk, const SelectivePlan& plan, void* workspace,
                 int32_t* selected, cudaStream_t stream);

}  // namespace aimicius::kernels
