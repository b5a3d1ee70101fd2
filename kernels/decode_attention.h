// Split-KV ("flash-decoding") decode attention over a DiffQKV KV cache: one new query token per
// sequence, K with n_k heads of d_k and V with n_v heads of d_v, bf16 or fp16 storage, fp32 math.
// Reference: kernels/reference/attention_reference.h (reference::decode_attention).
//
// How it works (why it is fast): decode attention is memory-bound, so what matters is reading each
// K and V row once, with enough bytes in flight to keep the memory system busy, and few enough
// instructions per byte that the SMs keep up. A block takes QB (up to 8) Q heads that share one K
// head and one chunk of a sequence's context, so each K row is read once for all QB heads
// (DiffQKV's saving: few K heads, many Q heads per K head) and each V row once for the heads that
// share it. In the default (tensor-core) split pass every warp streams its own 16-token slices of
// the chunk through a ring of asynchronous copies into shared memory and computes scores and
// p x V with mma instructions, online softmax in registers (decode_attention_mma.cuh); where the
// plan needs no more splits that way and its blocks are resident at once, each warp takes its own
// QB heads instead (4 adjacent units a block, read side by side). Chunks are independent blocks,
// planned so that the busiest SM has the least work: batch 1 at 4k runs on (nearly) every SM. Where
// a block reads several V heads over 4+ long splits (DiffQKV at batch 1-8), split s takes the 16-token
// slices s, s + splits, ... instead of one run, so all blocks sweep the context together
// (kernels/decode_split_plan.h, choose_interleaved_splits).
// Each block writes its normalised partial output and log-sum-exp to a workspace and a second
// kernel combines the chunks. Both kernels are launched with programmatic dependent launch: the
// combine pass is scheduled while the split pass ends (and the split pass while the kernel before
// it ends), and waits there for its inputs; the combine lets the kernel after it be scheduled
// before it waits. Before its own wait the split pass already issues its first K/V copies, of rows
// that earlier steps appended (never the row the step appends; the rule is in kernels/pdl.cuh).
// The two-pass CUDA-core kernel (scores of a chunk in shared memory, then V;
// decode_attention_impl.cuh) stays selectable for comparison.
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
  int q_heads_per_block = 0;  // QB: Q heads a unit (of one K head, or two when QB = 2 x n_q / n_k)
  int chunk_tokens = 0;       // context tokens per block for a sequence of max_context_len tokens
  int splits = 0;             // chunks per sequence: ceil(max_context_len / chunk_tokens)
                              // (a shorter sequence is cut into `splits` smaller chunks, >= 64
                              // tokens each (256 for the two-pass kernel), so one plan - one CUDA
                              // graph - serves every length)
  bool deep_unroll = true;    // 8 rows per thread in flight where registers allow (else 4)
  bool tensor_cores = true;   // the tensor-core split pass (else the two-pass CUDA-core kernel)
  bool pdl = true;            // programmatic dependent launch: each kernel's launch overlaps the
                              // previous kernel's end (sm_90; a no-op before)
  bool warp_units = false;    // tensor-core pass: each of a block's warps streams its own QB heads
                              // (adjacent heads: the block reads 4 heads' rows of each token
                              // together, and no merge of warps); else the block's warps share one
                              // set of QB heads and split its chunk's slices
  bool interleaved = false;    // tensor-core pass: split s takes the sequence's 16-token slices s,
                              // s + splits, s + 2 splits, ... (every split's blocks sweep the
                              // context together) instead of one run of chunk_tokens tokens
  size_t workspace_bytes = 0; // 0 when splits == 1 (the blocks write the output directly)
};

// Overrides of the planner's choices, for tests (many splits) and benchmarks (tuning sweeps).
struct DecodePlanOptions {
  int chunk_tokens = 0;  // > 0: this chunk size, rounded up to a multiple of 16 (tensor cores) or
                         // 64 and capped at the score buffer (8192 / QB tokens; 2048 for QB = 8)
  int deep_unroll = -1;  // -1: the planner's choice; 0 or 1: that variant
  int q_heads_per_block = 0;  // > 0: QB (1, 2, 4 or 8, dividing n_q / n_k); fewer than n_q / n_k
                              // Q heads per block read each K row more than once (through L2).
                              // With the tensor-core pass, also 4 or 8 = 2 x n_q / n_k: a unit
                              // of two adjacent K heads (each token's two rows read together)
  int pdl = -1;               // -1: on; 0: plain launches (for comparisons)
  int tensor_cores = -1;      // -1: the tensor-core split pass; 0: the two-pass kernel (whose chunks
                              // are capped by its score buffer, and deep_unroll applies)
  int warp_units = -1;        // -1: the planner's choice (a unit a block when chunk_tokens is set);
                              // 0 or 1: DecodePlan::warp_units (1 needs the tensor-core pass and
                              // n_q / QB a multiple of 4, else std::invalid_argument)
  int interleave = -1;        // -1: the planner's choice (choose_interleaved_splits; contiguous
                              // chunks when chunk_tokens is set); 0 or 1: DecodePlan::interleaved
                              // (1 needs the tensor-core pass)
  double chunk_scale = 0;     // > 0 (chunk_tokens 0): the planner's chunk times this, rounded up as
                              // chunk_tokens is, with every other choice as planned for the
                              // planner's chunk (0.5: about twice the splits); < 0, or with
                              // chunk_tokens, std::invalid_argument
};

// Chooses the chunk size from the GPU's SM count, the kernel's occupancy (blocks per SM) and the
// context length, nothing tuned to one card: for the tensor-core pass, the splitting of least
// modelled time (kernels/decode_split_plan.h: an SM's blocks share its bandwidth, so the busiest
// SM's tokens plus each block's fixed cost), chunks of 64 tokens at least; for the two-pass kernel,
// the fewest whole waves whose chunks fit its score buffer, 256 tokens at least.
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
