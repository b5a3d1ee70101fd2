// Plain C++ references (float storage, double accumulation) of the decode-attention kernels.
// They take the same DecodeAttentionParams as the kernels, with dtype kF32 and host pointers;
// they are deliberately simple loops over (sequence, Q head, token): the tests compare the CUDA
// kernels against them.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention_params.h"

namespace aimicius::kernels::reference {

// out[b, h, :] = softmax_t(scale * q[b, h] . K[slot, t, h / (n_q / n_k)]) . V[slot, t, h / (n_q / n_v)]
// over t < context_lens[b]. Throws std::invalid_argument on invalid params.
void decode_attention(const DecodeAttentionParams& p);

// One (sequence b, Q head h) row of decode_attention: it writes only out[b, h, :], so rows may be
// worked out on separate threads (the GPU tests do, for 32k-token problems).
void decode_attention_row(const DecodeAttentionParams& p, int b, int h);

// The scaled scores scale * q[b, h] . K[slot, t, kh] of sequence b and Q head h, t < context_lens[b].
std::vector<float> attention_scores(const DecodeAttentionParams& p, int b, int h);

// Selective V fetching with the runtime's semantics (runtime/model.cpp): each (sequence, Q head)
// keeps its min(topk, len) highest scores, takes the softmax over those kept scores only, and
// reads only their V rows. With topk >= len this is decode_attention. Ties are broken towards the
// lower position. When `selected` is not null it gives, per (b, h), the positions to use instead
// (row of `selected_stride` int32 values, -1 = unused): the tests use it to evaluate a kernel's
// own choice among (near-)tied scores.
void selective_v(const DecodeAttentionParams& p, int topk, const int32_t* selected = nullptr,
                 int64_t selected_stride = 0);

// The reference's own top-k positions of (b, h), highest score first.
std::vector<int32_t> top_positions(const DecodeAttentionParams& p, int b, int h, int topk);

}  // namespace aimicius::kernels::reference
