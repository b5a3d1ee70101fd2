// The fused decode step's kernels (kernels/gemv.h, kernels/rope_append.h) for LibTorch tensors.
// Compiled only with AIMICIUS_RUNTIME_CUDA_KERNELS; model.cpp's fused step calls them.
//
// Invariants: everything runs on LibTorch's current CUDA stream with no host synchronisation and
// no allocation (the caller allocates outputs), so a step can be captured in a CUDA graph; every
// kernel is launched with programmatic dependent launch and waits for the one before it.
#pragma once

#include <torch/torch.h>

#include <initializer_list>

namespace aimicius::runtime {

// A projection's weight [rows, k], optional bias [rows] and output [batch, rows].
struct Projection {
  const torch::Tensor& weight;
  const torch::Tensor& bias;  // undefined: none
  const torch::Tensor& out;
};

enum class ProjectionInput { kPlain, kRmsNorm };
enum class ProjectionOutput { kStore, kAddInto, kSiluGate, kStoreFloat };

// Whether the fused step takes these widths (multiples of 8) at this batch size and dtype.
bool cuda_fused_decode_supported(std::initializer_list<int64_t> widths, int64_t batch, torch::ScalarType dtype);

// outs = f(W norm?(x)) for up to three stacked projections of one x [B, k] (see kernels/gemv.h:
// kSiluGate takes {gate, up} and writes the gate's out; kAddInto adds into out). sm_count: the
// GPU's, so that the kernel launches as many blocks as stay resident.
void cuda_project(const torch::Tensor& x, ProjectionInput input, const torch::Tensor& norm_gain, double eps,
                  ProjectionOutput output, std::initializer_list<Projection> projections, int sm_count);

// RoPE of q [B, n_q * d_k] into q_out [B, n_q, d_k] and of k, and K/V rows appended to the layer's
// caches ([pages, page_tokens, heads, d]) at context_lens[b] - 1 of slots[b] (int32 [B] each), in
// the page the block table names (int32 [slots, width]; undefined: slot s is page s).
// inv_freq: float64 [d_k / 2]. launch_next_early: kernels::RopeAppendParams::launch_next_early.
void cuda_rope_append(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& q_out,
                      const torch::Tensor& k_cache, const torch::Tensor& v_cache, const torch::Tensor& slots,
                      const torch::Tensor& context_lens, const torch::Tensor& block_table,
                      const torch::Tensor& inv_freq, bool launch_next_early = false);

}  // namespace aimicius::runtime
