// Host-side checks shared by the decode-attention entry points (decode_attention.cu,
// selective_v.cu): what the CUDA kernels support beyond validate_decode_params, and the Q-head
// grouping both use. Every failure throws std::invalid_argument naming the caller and the cause.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/attention_params.h"

namespace aimicius::kernels::detail {

// The largest power of two <= 8 dividing n_q / n_k: Q heads per block (all share one K head).
inline int q_heads_per_block(const DecodeAttentionParams& p) {
  const int qk = p.n_q / p.n_k;
  for (int qb : {8, 4, 2})
    if (qk % qb == 0) return qb;
  return 1;
}

inline void check_supported(const DecodeAttentionParams& p, const char* who, bool need_pointers = true) {
  std::string why = validate_decode_params(p, need_pointers);
  if (p.dtype != DType::kBF16 && p.dtype != DType::kFP16) why += "dtype must be bf16 or fp16; ";
  if ((p.d_k != 64 && p.d_k != 128) || (p.d_v != 64 && p.d_v != 128))
    why += "d_k and d_v must be 64 or 128 (got " + std::to_string(p.d_k) + ", " + std::to_string(p.d_v) + "); ";
  const int64_t strides[] = {p.q_batch_stride, p.q_head_stride, p.k_batch_stride, p.k_token_stride, p.k_head_stride,
                             p.v_batch_stride, p.v_token_stride, p.v_head_stride, p.out_batch_stride, p.out_head_stride};
  for (int64_t s : strides)
    if (s % 8) why += "stride " + std::to_string(s) + " is not a multiple of 8 elements (16-byte rows); ";
  if (p.batch > 65535) why += "batch > 65535; ";
  if (!why.empty()) throw std::invalid_argument(std::string(who) + ": " + why);
}

inline void check_aligned(const DecodeAttentionParams& p, const char* who) {
  for (const void* ptr : {p.q, p.k_cache, p.v_cache, static_cast<const void*>(p.out)})
    if (reinterpret_cast<uintptr_t>(ptr) % 16)
      throw std::invalid_argument(std::string(who) + ": q, K, V and out must be 16-byte aligned");
}

}  // namespace aimicius::kernels::detail
