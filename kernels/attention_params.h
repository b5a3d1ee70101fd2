// Parameters of decode attention over a DiffQKV KV cache: one new query token per sequence.
// Plain C++ (no CUDA headers), shared by the CUDA kernels and their CPU references.
//
// Invariants (checked by validate_decode_params, which every entry point calls):
// - n_q is a positive multiple of n_k and of n_v. Q head h reads K head h / (n_q / n_k) and
//   V head h / (n_q / n_v).
// - q is [batch, n_q, d_k], the K cache [slots, capacity, n_k, d_k], the V cache
//   [slots, capacity, n_v, d_v], out [batch, n_q, d_v]; every stride is in elements and the last
//   dimension is contiguous (stride 1). The runtime's per-layer KVCache ([slots, capacity, heads, d],
//   contiguous) is described by k_batch_stride = capacity * n_k * d_k, k_token_stride = n_k * d_k,
//   k_head_stride = d_k.
// - Sequence b attends to the first context_lens[b] tokens (the new token's K/V already stored) of
//   cache slot cache_slots[b] (slot b when cache_slots is null). context_lens[b] == 0 gives zeros.
// - Paged caches (runtime/kv_pages.h): with a block_table, the caches are [pages, page_tokens,
//   heads, d] (k_batch_stride / v_batch_stride step from one page to the next) and token t of slot s
//   lies in page block_table[s * block_table_stride + t / page_tokens], row t % page_tokens;
//   page_tokens is a power of two >= 16 (a 16-token tile never straddles two pages). Without one, slot
//   s is the single page s and holds every token of its context (the [slots, capacity] layout).
// - For the kernels the pointers are device pointers and dtype is kBF16 or kFP16 (fp32 math
//   inside); for the references they are host pointers to float arrays and dtype is kF32.
#pragma once

#include <cstdint>
#include <string>

namespace aimicius::kernels {

enum class DType { kBF16, kFP16, kF32 };

const char* dtype_name(DType t);

struct DecodeAttentionParams {
  DType dtype = DType::kBF16;
  int batch = 0, n_q = 0, n_k = 0, n_v = 0, d_k = 0, d_v = 0;
  float scale = 0.0f;  // softmax scale, usually 1 / sqrt(d_k)

  const void* q = nullptr;
  int64_t q_batch_stride = 0, q_head_stride = 0;
  const void* k_cache = nullptr;
  int64_t k_batch_stride = 0, k_token_stride = 0, k_head_stride = 0;
  const void* v_cache = nullptr;
  int64_t v_batch_stride = 0, v_token_stride = 0, v_head_stride = 0;
  const int32_t* context_lens = nullptr;  // [batch]
  const int32_t* cache_slots = nullptr;   // [batch] or null (identity)
  const int32_t* block_table = nullptr;   // [slots, block_table_stride] or null (a slot is one page)
  int block_table_stride = 0, page_tokens = 0;
  void* out = nullptr;
  int64_t out_batch_stride = 0, out_head_stride = 0;
};

// Fills the strides for contiguous q [batch, n_q, d_k], out [batch, n_q, d_v] and caches
// [slots, capacity, heads, d] (the runtime's layout). Pointers, lengths and scale stay as they are.
void set_contiguous_strides(DecodeAttentionParams& p, int64_t capacity);

// Element offset of token t of cache slot `slot` in a cache whose pages (slots, without a block
// table) are page_stride apart and whose tokens are token_stride apart: the rule above, for the
// references (the kernels' own copy is detail::SlotRows).
int64_t cache_token_offset(const DecodeAttentionParams& p, int slot, int t, int64_t page_stride, int64_t token_stride);

// Empty string when the shape and strides satisfy the invariants above; otherwise what is wrong.
// Planning needs no data: need_pointers = false skips the null-pointer check.
std::string validate_decode_params(const DecodeAttentionParams& p, bool need_pointers = true);

}  // namespace aimicius::kernels
