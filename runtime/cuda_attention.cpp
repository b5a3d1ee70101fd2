#include "runtime/cuda_attention.h"

#include <ATen/cuda/CUDAContext.h>

#include <fmt/format.h>

#include "common/errors.h"
#include "kernels/decode_attention.h"
#include "kernels/decode_split_plan.h"
#include "kernels/selective_v.h"

namespace aimicius::runtime {
namespace {

kernels::DType kernel_dtype(torch::ScalarType t) {
  return t == torch::kHalf ? kernels::DType::kFP16 : kernels::DType::kBF16;
}

kernels::DecodeAttentionParams params_for(const torch::Tensor& q, const torch::Tensor& k_cache,
                                          const torch::Tensor& v_cache, const torch::Tensor& context_lens,
                                          const torch::Tensor& slots, const torch::Tensor& block_table,
                                          const torch::Tensor& out, double scale) {
  kernels::DecodeAttentionParams p;
  p.dtype = kernel_dtype(q.scalar_type());
  p.batch = static_cast<int>(q.size(0));
  p.n_q = static_cast<int>(q.size(1));
  p.d_k = static_cast<int>(q.size(2));
  p.n_k = static_cast<int>(k_cache.size(2));
  p.n_v = static_cast<int>(v_cache.size(2));
  p.d_v = static_cast<int>(v_cache.size(3));
  p.scale = static_cast<float>(scale);
  p.q = q.data_ptr();
  p.k_cache = k_cache.data_ptr();
  p.v_cache = v_cache.data_ptr();
  p.context_lens = context_lens.data_ptr<int32_t>();
  p.cache_slots = slots.data_ptr<int32_t>();
  p.out = out.data_ptr();
  kernels::set_contiguous_strides(p, k_cache.size(1));  // a page's (or a slot's) rows apart
  if (block_table.defined()) {
    p.block_table = block_table.data_ptr<int32_t>();
    p.block_table_stride = static_cast<int>(block_table.size(1));
    p.page_tokens = static_cast<int>(k_cache.size(1));
  }
  return p;
}

// A one-sequence problem of the model's head shape, no data: what the planner needs to say whether
// the kernels take the shape.
kernels::DecodeAttentionParams shape_params(const ModelConfig& c, torch::ScalarType dtype) {
  kernels::DecodeAttentionParams p;
  p.dtype = kernel_dtype(dtype);
  p.batch = 1;
  p.n_q = static_cast<int>(c.num_q_heads);
  p.n_k = static_cast<int>(c.num_k_heads);
  p.n_v = static_cast<int>(c.num_v_heads);
  p.d_k = static_cast<int>(c.head_dim_qk);
  p.d_v = static_cast<int>(c.head_dim_v);
  p.scale = 1.0f;
  kernels::set_contiguous_strides(p, 1);
  return p;
}

}  // namespace

int cuda_sm_count() { return kernels::current_device_sm_count(); }

bool cuda_decode_supported(const ModelConfig& c, torch::ScalarType dtype, int64_t selective_topk) {
  if (dtype != torch::kBFloat16 && dtype != torch::kHalf) return false;
  if (selective_topk > kernels::kMaxSelectiveTopK) return false;
  const kernels::DecodeAttentionParams p = shape_params(c, dtype);
  if (!kernels::validate_decode_params(p, /*need_pointers=*/false).empty()) return false;
  // The planner knows the head dims and group sizes the kernels take (it needs no data).
  try {
    kernels::plan_decode_attention(p, 1, 1);
    if (selective_topk > 0) kernels::plan_selective_v(p, 1);
  } catch (const std::invalid_argument&) {
    return false;
  }
  return true;
}

void check_decode_overrides(const ModelConfig& c, torch::ScalarType dtype, const DecodeOverrides& overrides) {
  if (overrides.q_heads <= 0) return;
  kernels::DecodePlanOptions options;
  options.q_heads_per_block = overrides.q_heads;
  try {
    kernels::plan_decode_attention(shape_params(c, dtype), 1, 1, options);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("decode Q heads {} do not fit this model's heads ({} Q, {} K): {}", overrides.q_heads,
                                 c.num_q_heads, c.num_k_heads, e.what()));
  }
}

namespace {

kernels::DecodePlanOptions plan_options_for(const DecodeOverrides& overrides) {
  kernels::DecodePlanOptions o;
  o.chunk_tokens = overrides.chunk_tokens;
  o.pdl = overrides.pdl ? -1 : 0;
  o.q_heads_per_block = overrides.q_heads;
  o.chunk_scale = overrides.chunk_scale;
  return o;
}

}  // namespace

std::string cuda_decode_plan_summary(const ModelConfig& c, torch::ScalarType dtype, int64_t batch, int64_t capacity,
                                     int64_t selective_topk, int sm_count, const DecodeOverrides& overrides) {
  if (selective_topk > 0) return fmt::format("selective V fetching, top-k {}", selective_topk);
  kernels::DecodeAttentionParams p = shape_params(c, dtype);
  p.batch = static_cast<int>(batch);
  const auto plan = kernels::plan_decode_attention(p, static_cast<int>(capacity), sm_count, plan_options_for(overrides));
  kernels::SplitSummary s;
  s.batch = batch;
  s.n_q = p.n_q, s.q_per_k = p.n_q / p.n_k;
  s.q_heads_per_block = plan.q_heads_per_block;
  s.splits = plan.splits, s.chunk_tokens = plan.chunk_tokens;
  s.tensor_cores = plan.tensor_cores, s.warp_units = plan.warp_units, s.interleaved = plan.interleaved;
  return kernels::describe_decode_split(s);
}

torch::Tensor cuda_decode_attention(const torch::Tensor& q, const torch::Tensor& k_cache, const torch::Tensor& v_cache,
                                    const torch::Tensor& context_lens, const torch::Tensor& slots,
                                    const torch::Tensor& block_table, int64_t max_context, double scale,
                                    int64_t selective_topk, int sm_count, const DecodeOverrides& overrides) {
  torch::Tensor out = torch::empty({q.size(0), q.size(1), v_cache.size(3)}, q.options());
  const auto p = params_for(q, k_cache, v_cache, context_lens, slots, block_table, out, scale);
  const int capacity = static_cast<int>(max_context);
  cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  if (selective_topk > 0) {
    const auto plan = kernels::plan_selective_v(p, capacity);
    torch::Tensor workspace =
        torch::empty({static_cast<int64_t>(plan.workspace_bytes)}, q.options().dtype(torch::kByte));
    kernels::selective_v(p, static_cast<int>(selective_topk), plan, workspace.data_ptr(), nullptr, stream);
    return out;
  }
  const auto plan = kernels::plan_decode_attention(p, capacity, sm_count, plan_options_for(overrides));
  torch::Tensor workspace;
  if (plan.workspace_bytes > 0)
    workspace = torch::empty({static_cast<int64_t>(plan.workspace_bytes)}, q.options().dtype(torch::kByte));
  kernels::decode_attention(p, plan, plan.workspace_bytes > 0 ? workspace.data_ptr() : nullptr, stream);
  return out;
}

}  // namespace aimicius::runtime
