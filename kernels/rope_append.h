// The rotary embedding of one decode step's q and k, and the append of its K and V rows to the KV
// cache, in one kernel (one block per sequence).
//
// Rounding follows LibTorch's op-by-op path (runtime/model.cpp): angle = position * inv_freq in
// float64, cos/sin rounded to float32, then a*cos - b*sin and b*cos + a*sin as separately rounded
// float32 products and sums, rounded to the storage type. Pairs are (i, i + d_k / 2) (HF Llama).
//
// Contract: q [batch, n_q * d_k], k [batch, n_k * d_k], v [batch, n_v * d_v] (the projections'
// outputs, contiguous); q_out [batch, n_q, d_k]; the caches [slots, capacity, n_k, d_k] and
// [slots, capacity, n_v, d_v] (runtime KVCache layout); the new token goes to position
// context_lens[b] - 1 of slot slots[b], which must be < capacity (the caller checked it). With a
// block table (a paged cache, kernels/attention_params.h) the caches are [pages, capacity, heads, d]
// and position t of slot s lies in page block_table[s * block_table_stride + t / capacity], row
// t % capacity (the caller allotted that page). d_k even,
// d_v a multiple of 8, q/k/v/cache rows 16-byte aligned.
// No allocation, no host synchronisation: capturable in a CUDA graph.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/attention_params.h"

namespace aimicius::kernels {

struct RopeAppendParams {
  DType dtype = DType::kBF16;
  int batch = 0, n_q = 0, n_k = 0, n_v = 0, d_k = 0, d_v = 0;
  int64_t capacity = 0;
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* q_out = nullptr;
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  const int32_t* slots = nullptr;         // [batch]
  const int32_t* block_table = nullptr;   // [slots, block_table_stride] or null (a slot is one page)
  int block_table_stride = 0;
  const int32_t* context_lens = nullptr;  // [batch], the new token included
  const double* inv_freq = nullptr;       // [d_k / 2]
  bool pdl = true;
  // With pdl: true lets the next kernel (decode attention) be scheduled as soon as this one starts,
  // before it waits for the previous grid (the step's QKV projection); false (the default) only once
  // that wait is over. Scheduled early, the attention's blocks were placed beside the projection's,
  // on whatever SMs had room, and a plan of about one long block per SM ran as slowly as its most
  // crowded SM: the batch-1 32k step took 5% longer (docs/PERFORMANCE.md, 2026-12-06).
  bool launch_next_early = false;
};

// Empty when p satisfies the contract (what can be checked on the host); else what is wrong.
std::string validate_rope_append_params(const RopeAppendParams& p);

// Throws std::invalid_argument on invalid params, std::runtime_error when the launch fails.
void rope_append(const RopeAppendParams& p, cudaStream_t stream);

}  // namespace aimicius::kernels
