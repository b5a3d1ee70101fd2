#include "kernels/attention_params.h"

#include <sstream>

namespace aimicius::kernels {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kBF16: return "bf16";
    case DType::kFP16: return "fp16";
    case DType::kF32: return "f32";
  }
  return "?";
}

void set_contiguous_strides(DecodeAttentionParams& p, int64_t capacity) {
  p.q_head_stride = p.d_k;
  p.q_batch_stride = static_cast<int64_t>(p.n_q) * p.d_k;
  p.k_head_stride = p.d_k;
  p.k_token_stride = static_cast<int64_t>(p.n_k) * p.d_k;
  p.k_batch_stride = capacity * p.k_token_stride;
  p.v_head_stride = p.d_v;
  p.v_token_stride = static_cast<int64_t>(p.n_v) * p.d_v;
  p.v_batch_stride = capacity * p.v_token_stride;
  p.out_head_stride = p.d_v;
  p.out_batch_stride = static_cast<int64_t>(p.n_q) * p.d_v;
}

int64_t cache_token_offset(const DecodeAttentionParams& p, int slot, int t, int64_t page_stride, int64_t token_stride) {
  if (!p.block_table) return slot * page_stride + t * token_stride;
  const int64_t page = p.block_table[static_cast<int64_t>(slot) * p.block_table_stride + t / p.page_tokens];
  return page * page_stride + (t % p.page_tokens) * token_stride;
}

std::string validate_decode_params(const DecodeAttentionParams& p, bool need_pointers) {
  std::ostringstream e;
  if (p.batch < 0) e << "batch " << p.batch << " < 0; ";
  if (p.n_q <= 0 || p.n_k <= 0 || p.n_v <= 0) e << "head counts must be positive; ";
  else if (p.n_q % p.n_k || p.n_q % p.n_v)
    e << "n_q " << p.n_q << " is not a multiple of n_k " << p.n_k << " and n_v " << p.n_v << "; ";
  if (p.d_k <= 0 || p.d_v <= 0) e << "head dims must be positive; ";
  if (need_pointers && p.batch > 0 && (!p.q || !p.k_cache || !p.v_cache || !p.context_lens || !p.out)) e << "null pointer; ";
  const int64_t strides[] = {p.q_batch_stride, p.q_head_stride, p.k_batch_stride, p.k_token_stride,
                             p.k_head_stride,  p.v_batch_stride, p.v_token_stride, p.v_head_stride,
                             p.out_batch_stride, p.out_head_stride};
  for (int64_t s : strides)
    if (s < 0) e << "negative stride " << s << "; ";
  if (p.block_table) {
    if (p.page_tokens < 16 || (p.page_tokens & (p.page_tokens - 1)) != 0)
      e << "page_tokens " << p.page_tokens << " is not a power of two >= 16; ";
    if (p.block_table_stride <= 0) e << "block_table_stride " << p.block_table_stride << " <= 0; ";
  }
  return e.str();
}

}  // namespace aimicius::kernels
