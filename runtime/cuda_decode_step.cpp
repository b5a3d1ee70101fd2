#include "runtime/cuda_decode_step.h"

#include <ATen/cuda/CUDAContext.h>

#include <fmt/format.h>

#include <stdexcept>

#include "kernels/gemv.h"
#include "kernels/rope_append.h"

namespace aimicius::runtime {
namespace {

kernels::DType kernel_dtype(torch::ScalarType t) {
  if (t == torch::kBFloat16) return kernels::DType::kBF16;
  if (t == torch::kHalf) return kernels::DType::kFP16;
  throw std::invalid_argument("fused decode step: weights must be bf16 or fp16");
}

void require_contiguous(const torch::Tensor& t, const char* what) {
  if (!t.is_cuda() || !t.is_contiguous())
    throw std::invalid_argument(fmt::format("fused decode step: {} must be a contiguous CUDA tensor", what));
}

}  // namespace

bool cuda_fused_decode_supported(std::initializer_list<int64_t> widths, int64_t batch, torch::ScalarType dtype) {
  if (dtype != torch::kBFloat16 && dtype != torch::kHalf) return false;
  if (batch < 1 || batch > kernels::kMaxGemvBatch) return false;
  kernels::GemvParams p;
  p.dtype = kernel_dtype(dtype);
  p.batch = static_cast<int>(batch);
  p.n_segments = 1;
  p.segments[0].rows = 1;
  for (int64_t k : widths) {
    p.k = static_cast<int>(k);
    if (!kernels::validate_gemv_params(p, /*need_pointers=*/false).empty()) return false;
  }
  return true;
}

void cuda_project(const torch::Tensor& x, ProjectionInput input, const torch::Tensor& norm_gain, double eps,
                  ProjectionOutput output, std::initializer_list<Projection> projections, int sm_count) {
  require_contiguous(x, "x");
  kernels::GemvParams p;
  p.dtype = kernel_dtype(x.scalar_type());
  p.batch = static_cast<int>(x.size(0));
  p.k = static_cast<int>(x.size(1));
  p.x = x.data_ptr();
  if (input == ProjectionInput::kRmsNorm) {
    require_contiguous(norm_gain, "norm gain");
    p.input = kernels::GemvInput::kRmsNorm;
    p.norm_gain = norm_gain.data_ptr();
    p.norm_eps = static_cast<float>(eps);
  }
  switch (output) {
    case ProjectionOutput::kStore: p.output = kernels::GemvOutput::kStore; break;
    case ProjectionOutput::kAddInto: p.output = kernels::GemvOutput::kAddInto; break;
    case ProjectionOutput::kSiluGate: p.output = kernels::GemvOutput::kSiluGate; break;
    case ProjectionOutput::kStoreFloat: p.output = kernels::GemvOutput::kStoreFloat; break;
  }
  if (projections.size() > kernels::kMaxGemvSegments)
    throw std::invalid_argument("fused decode step: too many projections");
  for (const Projection& proj : projections) {
    require_contiguous(proj.weight, "weight");
    if (proj.weight.size(1) != x.size(1) || proj.weight.scalar_type() != x.scalar_type())
      throw std::invalid_argument(fmt::format("fused decode step: weight [{}, {}] for x of width {}", proj.weight.size(0),
                                              proj.weight.size(1), x.size(1)));
    kernels::GemvSegment& s = p.segments[p.n_segments++];
    s.weight = proj.weight.data_ptr();
    s.bias = proj.bias.defined() ? proj.bias.data_ptr() : nullptr;
    s.rows = static_cast<int>(proj.weight.size(0));
    if (proj.out.defined()) {
      require_contiguous(proj.out, "output");
      if (proj.out.numel() != x.size(0) * proj.weight.size(0))
        throw std::invalid_argument("fused decode step: output size is not batch x rows");
      s.out = proj.out.data_ptr();
    }
  }
  p.sm_count = sm_count;
  kernels::gemv(p, at::cuda::getCurrentCUDAStream().stream());
}

void cuda_rope_append(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& q_out,
                      const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slots,
                      const torch::Tensor& context_lens, const torch::Tensor& block_table,
                      const torch::Tensor& inv_freq, bool launch_next_early) {
  for (const auto* t : {&q, &k, &v, &q_out, &k_cache, &v_cache, &slots, &context_lens, &inv_freq})
    require_contiguous(*t, "a rope/append tensor");
  if (block_table.defined()) {
    require_contiguous(block_table, "the block table");
    if (block_table.scalar_type() != torch::kInt) throw std::invalid_argument("fused decode step: block table must be int32");
  }
  if (slots.scalar_type() != torch::kInt || context_lens.scalar_type() != torch::kInt ||
      inv_freq.scalar_type() != torch::kDouble)
    throw std::invalid_argument("fused decode step: slots/context_lens must be int32 and inv_freq float64");
  kernels::RopeAppendParams p;
  p.dtype = kernel_dtype(q.scalar_type());
  p.batch = static_cast<int>(q.size(0));
  p.n_k = static_cast<int>(k_cache.size(2));
  p.d_k = static_cast<int>(k_cache.size(3));
  p.n_v = static_cast<int>(v_cache.size(2));
  p.d_v = static_cast<int>(v_cache.size(3));
  p.n_q = static_cast<int>(q_out.size(1));
  p.capacity = k_cache.size(1);
  p.launch_next_early = launch_next_early;
  p.q = q.data_ptr();
  p.k = k.data_ptr();
  p.v = v.data_ptr();
  p.q_out = q_out.data_ptr();
  p.k_cache = k_cache.data_ptr();
  p.v_cache = v_cache.data_ptr();
  p.slots = slots.data_ptr<int32_t>();
  p.context_lens = context_lens.data_ptr<int32_t>();
  if (block_table.defined()) {
    p.block_table = block_table.data_ptr<int32_t>();
    p.block_table_stride = static_cast<int>(block_table.size(1));
  }
  p.inv_freq = inv_freq.data_ptr<double>();
  kernels::rope_append(p, at::cuda::getCurrentCUDAStream().stream());
}

}  // namespace aimicius::runtime
