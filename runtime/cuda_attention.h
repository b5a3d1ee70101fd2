// Decode attention on CUDA with aimicius' own kernels (kernels/decode_attention.h,
// kernels/selective_v.h), for LibTorch tensors. Compiled only in builds whose LibTorch has CUDA
// and whose kernels were compiled (AIMICIUS_RUNTIME_CUDA_KERNELS); model.cpp falls back to its
// LibTorch path everywhere else.
//
// Invariants: everything runs on LibTorch's current CUDA stream, with no host synchronisation and
// no allocation beyond the caching allocator's workspace tensor, so a decode step can be captured
// in a CUDA graph. Plans are per (batch, slot capacity) and cheap to recompute.
#pragma once

#include <torch/torch.h>

#include <string>

#include "runtime/model_config.h"

namespace aimicius::runtime {

// Whether the kernels take this shape (head dims 64 or 128, group sizes they support), dtype and
// selective-V top-k (at most kernels::kMaxSelectiveTopK).
bool cuda_decode_supported(const ModelConfig& config, torch::ScalarType dtype, int64_t selective_topk);

// The current device's SM count (the decode planner spreads a sequence's context over it).
int cuda_sm_count();

// Overrides of the planner (ModelOptions::decode_chunk_tokens, decode_pdl, decode_q_heads,
// decode_chunk_scale), for benchmarks.
struct DecodeOverrides {
  int chunk_tokens = 0;  // > 0: context tokens per block
  bool pdl = true;       // false: plain launches
  int q_heads = 0;       // > 0: Q heads a unit (check_decode_overrides refuses one the heads cannot take)
  double chunk_scale = 0;  // > 0: the planner's chunk times this, its other choices kept
};

// Throws InputError when an override cannot plan this model's heads (a Q-head count that is no
// unit of its heads), so that a bad benchmark flag fails at load, not inside the first decode step.
void check_decode_overrides(const ModelConfig& config, torch::ScalarType dtype, const DecodeOverrides& overrides);

// How the kernels cut one decode step's attention for `batch` sequences in slots of `capacity` tokens
// (the plan cuda_decode_attention takes there), in kernels::describe_decode_split's words, or
// "selective V fetching, top-k N": the line `bench generate` prints.
std::string cuda_decode_plan_summary(const ModelConfig& config, torch::ScalarType dtype, int64_t batch,
                                     int64_t capacity, int64_t selective_topk, int sm_count,
                                     const DecodeOverrides& overrides = {});

// q [B, n_q, d_k] (contiguous, bf16/fp16, CUDA); k_cache [pages, page_tokens, n_k, d_k] and
// v_cache [pages, page_tokens, n_v, d_v] as KVCache holds them, with its block table (int32
// [slots, pages a slot may hold]; undefined: slot s is page s, the [slots, capacity] layout);
// context_lens [B] int32 (the new token's K/V already stored); slots [B] int32; max_context: the
// most tokens a slot holds (the plan's length). selective_topk > 0: Sigma's selective V fetching
// (the runtime's semantics: softmax over the kept top-k scores). Returns [B, n_q, d_v].
torch::Tensor cuda_decode_attention(const torch::Tensor& q, const torch::Tensor& k_cache, const torch::Tensor& v_cache,
                                    const torch::Tensor& context_lens, const torch::Tensor& slots,
                                    const torch::Tensor& block_table, int64_t max_context, double scale,
                                    int64_t selective_topk, int sm_count, const DecodeOverrides& overrides = {});

}  // namespace aimicius::runtime
