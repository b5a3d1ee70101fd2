// Split-KV ("flash-decoding") decode attention over a DiffQKV KV cache: one new query token per
// sequence, K with n_k heads of d_k and V with n_v heads of d_v, bf16 or fp16 storage, fp32 math.
// Reference: kernels/reference/attention_reference.h (reference::decode_attention).
//
// How it works (why it is fast): decode attention is memory-bound, so the only thing that matters
// is reading each K and V row once, at full bandwidth. A block takes QB (up to 8) Q heads that share
// one K head and one chunk of a sequence's context: it reads each K row of the chunk once for all
// QB heads (DiffQKV's saving: few K heads, many Q heads per K head), keeps the chunk's scores in
// shared memory, and reads each V row once for the Q heads of the block that share it. Chunks are
// independent blocks (so batch 1 at 128k context fills the GPU); each writes its normalised partial
// output and log-sum-exp to a workspace, and a second kernel combines the chunks.
//
// Contract: the caller plans once per shape and maximum context length (plan_decode_attention),
// provides plan.workspace_bytes of device memory (256-byte aligned, as cudaMalloc gives) and then
// calls decode_attention on a stream; no host synchronisation, no allocation, so it can be
// captured in a CUDA graph. Every context_lens[b] must be <= the planned max_context_len (a longer
// one yields NaN outputs for that sequence, never a silent truncation).
// Supported: d_k, d_v in {64, 128}; any n_q multiple of n_k and n_v. q, K, V rows must be 16-byte
// aligned (strides multiples of 8 elements). When n_q / n_k is not a power of two <= 8 the K rows
// are read by several blocks (from L2), and likewise V rows when n_v < n_k; results stay exact.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/attention_params.h"

namespace aimicius::kernels {

struct DecodePlan {
  int q_heads_per_block = 0;  // QB
  int chunk_tokens = 0;       // context tokens per block for a sequence of max_context_len tokens
  int splits = 0;             // chunks per sequence: ceil(max_context_len / chunk_tokens)
                              // (a shorter sequence is cut into `splits` smaller chunks, >= 256
                              // tokens each, so one plan - one CUDA graph - serves every length)
  bool deep_unroll = true;    // 8 rows per thread in flight where registers allow (else 4)
  size_t workspace_bytes = 0; // 0 when splits == 1 (the blocks write the output directly)
};

// Overrides of the planner's choices, for tests (many splits) and benchmarks (tuning sweeps).
struct DecodePlanOptions {
  int chunk_tokens = 0;  // > 0: this chunk size, rounded up to a multiple of 64, capped at the
                         // score buffer (8192 / QB tokens; 2048 for QB = 8)
  int deep_unroll = -1;  // -1: the planner's choice; 0 or 1: that variant
  int q_heads_per_block = 0;  // > 0: QB (1, 2, 4 or 8, dividing n_q / n_k); fewer than n_q / n_k
                              // Q heads per block read each K row more than once (through L2)
};

// Chooses the chunk size from the SM count, the kernel's occupancy and the context length: the
// fewest whole waves of blocks over all SMs whose chunks fit the block's shared-memory score
// buffer (8192 / QB tokens; 2048 for QB = 8), and chunks of 256 tokens at least (per-block costs
// stay small).
// Throws std::invalid_argument on unsupported shapes, std::runtime_error on CUDA errors.
DecodePlan plan_decode_attention(const DecodeAttentionParams& p, int max_context_len, int sm_count,
                                 const DecodePlanOptions& options = {});

// Launches the attention (and the combine kernel when plan.splits > 1) on `stream`.
// Throws std::invalid_argument on invalid params, std::runtime_error when a launch fails.
void decode_attention(const DecodeAttentionParams& p, const DecodePlan& plan, void* workspace,
                      cudaStream_t stream);

// The SM count of the current device (for plan_decode_attention). Throws on CUDA errors.
int current_device_sm_count();

}  // namespace aimicius::kernels
