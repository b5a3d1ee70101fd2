// Planning and launching of the decode-attention kernels (kernel code: decode_attention_mma.cuh,
// the tensor-core split pass; decode_attention_impl.cuh, the two-pass split pass and the combine).
#include "kernels/decode_attention.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>

#include "kernels/cuda_check.h"
#include "kernels/decode_attention_kernels.cuh"
#include "kernels/decode_split_plan.h"
#include "kernels/pdl.cuh"
#include "kernels/shape_checks.h"

namespace aimicius::kernels {
namespace {

using detail::check_aligned;
using detail::check_supported;
using detail::cuda_check;
using detail::q_heads_per_block;

using detail::kChunkGranule;
using detail::kMinChunk;

int round_up(int x, int m) { return (x + m - 1) / m * m; }

detail::SplitKind split_kind(const DecodePlan& plan) {
  if (plan.tensor_cores) return detail::SplitKind::kTensorCore;
  return plan.deep_unroll ? detail::SplitKind::kTwoPassDeep : detail::SplitKind::kTwoPass;
}

// K heads a unit of qb Q heads reads: 1 when they share one (qb divides n_q / n_k), else qb / (n_q / n_k).
int k_heads_per_unit(const DecodeAttentionParams& p, int qb) {
  const int qk = p.n_q / p.n_k;
  return qk % qb == 0 ? 1 : qb / qk;
}

// Whether qb Q heads can be a unit: QB of 1, 2, 4 or 8 that shares one K head, or (tensor-core pass
// only) two K heads' Q heads, QB = 2 x n_q / n_k of 4 or 8.
bool valid_unit(const DecodeAttentionParams& p, int qb, bool tensor_cores) {
  const int qk = p.n_q / p.n_k;
  if (qb != 1 && qb != 2 && qb != 4 && qb != 8) return false;
  return qk % qb == 0 || (tensor_cores && qb >= 4 && qb == 2 * qk);
}

// The most dynamic shared memory a block of the current device may opt in to.
int shared_memory_optin() {
  int device = 0, optin = 0;
  cuda_check(cudaGetDevice(&device), "cudaGetDevice");
  cuda_check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
             "cudaDeviceGetAttribute(shared memory)");
  return optin;
}

detail::DecodeKernels kernels_for(const DecodeAttentionParams& p, int qb, detail::SplitKind kind) {
  const int qvb = std::gcd(qb, p.n_q / p.n_v), kb = k_heads_per_unit(p, qb);
  const detail::DecodeKernels k = p.dtype == DType::kBF16 ? detail::decode_kernels_bf16(p.d_k, p.d_v, qb, qvb, kb, kind)
                                                          : detail::decode_kernels_fp16(p.d_k, p.d_v, qb, qvb, kb, kind);
  if (!k.split) throw std::logic_error("decode_attention: no kernel instantiated for this shape");
  // Above the 48 KB default: the tensor-core pass's rings, or the largest score buffer this QB may
  // plan. A function attribute, not stream work: legal while a CUDA graph is being captured.
  const size_t smem = kind == detail::SplitKind::kTensorCore
                          ? k.split_smem
                          : detail::score_buffer_bytes(qb, detail::max_score_floats(qb) / qb);
  cuda_check(cudaFuncSetAttribute(k.split, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
             "cudaFuncSetAttribute(decode split kernel)");
  return k;
}

// The tensor-core pass's split for units of qb Q heads: the chunk from the SM count and the
// kernel's occupancy, a unit a warp as choose_decode_split picks it (warp_units -1) or as given
// (0 or 1); and its splits and the blocks that plan launches.
struct TensorCoreSplit {
  SplitChoice choice;
  SplitCut cut;
};
TensorCoreSplit tensor_core_split(const DecodeAttentionParams& p, int qb, int len, int sm_count, int warp_units) {
  const detail::DecodeKernels k = kernels_for(p, qb, detail::SplitKind::kTensorCore);
  int occupancy = 0;
  cuda_check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occupancy, k.split, k.split_threads, k.split_smem),
             "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  SplitPlanInput in;
  in.context_tokens = len;
  in.units = static_cast<int64_t>(std::max(p.batch, 1)) * (p.n_q / qb);
  in.sm_count = sm_count;
  in.blocks_per_sm = std::max(occupancy, 1);  // the same kernel either way
  in.granule = detail::kMmaGranule;
  in.min_chunk = detail::kMmaMinChunk;
  TensorCoreSplit s;
  if (warp_units == -1) {
    const bool can = (p.n_q / qb) % detail::kMmaWarps == 0;
    s.choice = choose_decode_split(in, can ? detail::kMmaWarps : 1);
  } else {
    s.choice.warp_units = warp_units == 1;
    if (s.choice.warp_units) in.units /= detail::kMmaWarps, in.unit_weight = detail::kMmaWarps;
    s.choice.chunk = choose_decode_chunk(in);
  }
  s.cut.splits = (len + s.choice.chunk - 1) / s.choice.chunk;
  s.cut.blocks = split_blocks(std::max(p.batch, 1), p.n_q, qb, s.cut.splits, s.choice.warp_units, detail::kMmaWarps);
  return s;
}

}  // namespace

int current_device_sm_count() {
  int device = 0, sms = 0;
  cuda_check(cudaGetDevice(&device), "cudaGetDevice");
  cuda_check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)");
  return sms;
}

DecodePlan plan_decode_attention(const DecodeAttentionParams& p, int max_context_len, int sm_count,
                                 const DecodePlanOptions& options) {
  check_supported(p, "plan_decode_attention", /*need_pointers=*/false);
  if (max_context_len < 0 || sm_count <= 0)
    throw std::invalid_argument("plan_decode_attention: max_context_len must be >= 0 and sm_count > 0");
  if (!(options.chunk_scale >= 0) || (options.chunk_scale > 0 && options.chunk_tokens > 0))
    throw std::invalid_argument("plan_decode_attention: chunk_scale must be >= 0 and not given with chunk_tokens");
  DecodePlan plan;
  plan.tensor_cores = options.tensor_cores != 0;
  const int optin = plan.tensor_cores ? shared_memory_optin() : 0;
  // Whether the tensor-core pass's slices for units of qb Q heads fit a block's shared memory.
  auto fits = [&](int qb) {
    return detail::mma_smem_bytes(p.d_k, p.d_v, qb, std::gcd(qb, p.n_q / p.n_v), k_heads_per_unit(p, qb)) <=
           static_cast<size_t>(optin);
  };
  plan.q_heads_per_block = q_heads_per_block(p);
  const int qk = p.n_q / p.n_k;
  const int len = std::max(max_context_len, 1);
  // Units of two K heads, where their slices fit, unless the planner's split for them adds splits
  // to one K head's without adding blocks (choose_two_k_heads). The chosen unit's split is kept:
  // the chunk below is the same computation (each costs an occupancy query).
  std::optional<TensorCoreSplit> chosen_split;
  if (options.q_heads_per_block <= 0 && plan.tensor_cores && two_k_heads_shape(p.d_k * 2, qk) &&
      valid_unit(p, 2 * qk, true) && fits(2 * qk) && plan.q_heads_per_block == qk) {
    const TensorCoreSplit one = tensor_core_split(p, qk, len, sm_count, -1);
    const TensorCoreSplit two = tensor_core_split(p, 2 * qk, len, sm_count, -1);
    const bool take_two = choose_two_k_heads(one.cut, two.cut);
    plan.q_heads_per_block = take_two ? 2 * qk : qk;
    chosen_split = take_two ? two : one;
  }
  if (options.q_heads_per_block > 0) {
    const int qb = options.q_heads_per_block;
    if (!valid_unit(p, qb, plan.tensor_cores))
      throw std::invalid_argument(
          "plan_decode_attention: q_heads_per_block must be 1, 2, 4 or 8 and divide n_q / n_k, or (tensor-core pass) "
          "be 4 or 8 and twice n_q / n_k");
    plan.q_heads_per_block = qb;
  }
  plan.deep_unroll = options.deep_unroll != 0;
  plan.pdl = options.pdl != 0;
  if (plan.tensor_cores) {
    // Shapes whose slices do not fit a block's shared memory (QB = 8 heads over 8 V heads of 128)
    // take the two-pass kernel.
    plan.tensor_cores = fits(plan.q_heads_per_block);
    if (!plan.tensor_cores && !valid_unit(p, plan.q_heads_per_block, false))
      throw std::invalid_argument("plan_decode_attention: units of two K heads need the tensor-core pass, whose slices "
                                  "do not fit this GPU's shared memory for this shape");
  }
  const int qb = plan.q_heads_per_block;
  if (options.warp_units == 1) {
    if (!plan.tensor_cores || (p.n_q / qb) % detail::kMmaWarps)
      throw std::invalid_argument("plan_decode_attention: a unit a warp needs the tensor-core pass and n_q / QB a multiple of " +
                                  std::to_string(detail::kMmaWarps));
    plan.warp_units = true;
  }
  if (plan.tensor_cores) {
    if (options.chunk_tokens > 0) {
      plan.chunk_tokens = round_up(options.chunk_tokens, detail::kMmaGranule);
    } else {
      // The split worked out above (only for the planner's own unit) holds only for its own warp
      // assignment too.
      const bool reuse = chosen_split && options.warp_units == -1;
      const SplitChoice choice =
          reuse ? chosen_split->choice : tensor_core_split(p, qb, len, sm_count, options.warp_units).choice;
      plan.chunk_tokens = choice.chunk;
      plan.warp_units = choice.warp_units;
    }
  } else {
    const int max_chunk = detail::max_score_floats(qb) / qb;
    if (options.chunk_tokens > 0) {
      plan.chunk_tokens = std::min(round_up(options.chunk_tokens, kChunkGranule), max_chunk);
    } else {
      int occupancy = 0;
      cuda_check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occupancy, kernels_for(p, qb, split_kind(plan)).split,
                                                               detail::kDecodeThreads,
                                                               detail::score_buffer_bytes(qb, max_chunk)),
                 "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
      const int64_t wave = static_cast<int64_t>(sm_count) * std::max(occupancy, 1);
      const int64_t units = static_cast<int64_t>(std::max(p.batch, 1)) * (p.n_q / qb);
      // Fewest whole waves whose chunks fit the score buffer: per-block work is uniform, so whole
      // waves keep every SM busy to the end. Splits round down so that the blocks never spill into
      // a nearly empty extra wave.
      int chunk = max_chunk;
      for (int64_t waves = 1; waves <= 64; ++waves) {
        const int64_t splits = std::max<int64_t>(wave * waves / units, 1);
        chunk = round_up(static_cast<int>((len + splits - 1) / splits), kChunkGranule);
        if (chunk <= max_chunk) break;
      }
      plan.chunk_tokens = std::clamp(chunk, std::min(kMinChunk, max_chunk), max_chunk);
    }
  }
  plan.splits = (len + plan.chunk_tokens - 1) / plan.chunk_tokens;
  if (options.interleave == 1) {
    if (!plan.tensor_cores)
      throw std::invalid_argument("plan_decode_attention: interleaved splits need the tensor-core pass");
    plan.interleaved = true;
  } else if (options.interleave == -1 && plan.tensor_cores && options.chunk_tokens <= 0) {
    // V heads a K head of the unit serves (with two K heads, GQA's one each: measured faster
    // contiguous, docs/PERFORMANCE.md, session 50).
    const int qvb = std::gcd(qb, p.n_q / p.n_v);
    plan.interleaved = choose_interleaved_splits(qb / qvb / k_heads_per_unit(p, qb), plan.splits, plan.chunk_tokens);
  }
  if (options.chunk_scale > 0) {
    // After every other choice, so that only the chunk differs from the planner's plan.
    // Bounded before rounding: lround of a value past long's range is unspecified.
    const double want = std::min(plan.chunk_tokens * options.chunk_scale, static_cast<double>(1 << 30));
    const int scaled = static_cast<int>(std::max(std::lround(want), 1L));
    plan.chunk_tokens = plan.tensor_cores ? round_up(scaled, detail::kMmaGranule)
                                          : std::min(round_up(scaled, kChunkGranule), detail::max_score_floats(qb) / qb);
    plan.splits = (len + plan.chunk_tokens - 1) / plan.chunk_tokens;
  }
  if (plan.splits > 1) {
    const size_t rows = static_cast<size_t>(p.batch) * p.n_q * plan.splits;
    const size_t out_bytes = rows * p.d_v * sizeof(float);
    plan.workspace_bytes = (out_bytes + 255) / 256 * 256 + rows * sizeof(float);
  }
  return plan;
}

void decode_attention(const DecodeAttentionParams& p, const DecodePlan& plan, void* workspace, cudaStream_t stream) {
  check_supported(p, "decode_attention");
  if (p.batch == 0) return;
  check_aligned(p, "decode_attention");
  const int qb = plan.q_heads_per_block;
  if (!valid_unit(p, qb, plan.tensor_cores) || plan.chunk_tokens <= 0 || plan.splits <= 0 ||
      (!plan.tensor_cores && plan.chunk_tokens * plan.q_heads_per_block > detail::max_score_floats(qb)))
    throw std::invalid_argument("decode_attention: the plan was not made for this shape");
  if (plan.splits > 1 && !workspace)
    throw std::invalid_argument("decode_attention: the plan needs a workspace");
  const detail::DecodeKernels k = kernels_for(p, plan.q_heads_per_block, split_kind(plan));

  detail::DecodeArgs a{};
  a.q = p.q, a.q_bs = p.q_batch_stride, a.q_hs = p.q_head_stride;
  a.k = p.k_cache, a.k_bs = p.k_batch_stride, a.k_ts = p.k_token_stride, a.k_hs = p.k_head_stride;
  a.v = p.v_cache, a.v_bs = p.v_batch_stride, a.v_ts = p.v_token_stride, a.v_hs = p.v_head_stride;
  a.lens = p.context_lens, a.slots = p.cache_slots;
  a.table = p.block_table, a.table_stride = p.block_table_stride, a.page_tokens = p.page_tokens;
  a.out = p.out, a.out_bs = p.out_batch_stride, a.out_hs = p.out_head_stride;
  a.n_q = p.n_q, a.qk = p.n_q / p.n_k, a.qv = p.n_q / p.n_v, a.n_qb = p.n_q / plan.q_heads_per_block;
  if (plan.warp_units && (!plan.tensor_cores || a.n_qb % detail::kMmaWarps))
    throw std::invalid_argument("decode_attention: the plan was not made for this shape");
  a.warp_units = plan.warp_units ? 1 : 0;
  if (plan.interleaved && !plan.tensor_cores)
    throw std::invalid_argument("decode_attention: the plan was not made for this shape");
  a.interleaved = plan.interleaved ? 1 : 0;
  a.chunk = plan.chunk_tokens, a.splits = plan.splits;
  a.min_chunk = k.min_chunk, a.granule = k.granule;
  a.scale_log2 = p.scale * 1.4426950408889634f;
  if (plan.splits > 1) {
    const size_t rows = static_cast<size_t>(p.batch) * p.n_q * plan.splits;
    const size_t out_bytes = (rows * p.d_v * sizeof(float) + 255) / 256 * 256;
    a.partial_out = static_cast<float*>(workspace);
    a.partial_lse = reinterpret_cast<float*>(static_cast<char*>(workspace) + out_bytes);
  }
  const int64_t blocks = static_cast<int64_t>(plan.splits) * (plan.warp_units ? a.n_qb / detail::kMmaWarps : a.n_qb);
  if (blocks > 0x7fffffff) throw std::invalid_argument("decode_attention: grid too large (splits * n_q / QB)");
  const size_t smem = plan.tensor_cores ? k.split_smem : detail::score_buffer_bytes(qb, plan.chunk_tokens);
  detail::launch_kernel(k.split, dim3(static_cast<unsigned>(blocks), p.batch), dim3(k.split_threads), smem, plan.pdl,
                        stream, "decode_attention: split kernel launch", a);
  if (plan.splits > 1)
    detail::launch_kernel(k.combine, dim3(p.n_q, p.batch), dim3(detail::kCombineThreads), 0, plan.pdl, stream,
                          "decode_attention: combine kernel launch", a);
}

}  // namespace aimicius::kernels
