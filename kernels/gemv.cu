// Kernels of gemv.h. Block layout: kThreads = 256 threads (8 warps); warp w of block i computes
// output rows i * 8 + w, then + 8 x blocks, ... over the stacked segments (kSiluGate: gate row r
// and up row r together). Lane l reads 16-byte pieces l, l + 32, ... of its weight row, 8 pieces
// in flight (4 of each of a pair), the next group - of this row or the next - loaded while the
// current one is summed; the batch rows of x sit in shared memory (normed
// there for kRmsNorm, once per block: x is a few KB, so each block recomputing the norm costs less
// than a kernel of its own). Sums are fp32; lane b writes batch row b's result.
#include "kernels/gemv.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/attention_device.cuh"
#include "kernels/pdl.cuh"

namespace aimicius::kernels {
namespace {

using detail::from_float;
using detail::load16;
using detail::to_float8;

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kUnroll = 4;       // 16-byte loads in flight per lane and row (8 for a single row)
constexpr int kBlocksPerSm = 2;  // blocks resident per SM (registers allow it: launch bounds)
constexpr size_t kMaxSmem = 200 * 1024;  // x rows in shared memory; H100/H200 give 227 KB a block

struct GemvArgs {
  const void* x;
  const void* gain;  // null: plain input
  float eps;
  int batch, k8;     // k8 = k / 8: 16-byte pieces per row
  GemvOutput output;
  const void* weight[kMaxGemvSegments];
  const void* bias[kMaxGemvSegments];
  void* out[kMaxGemvSegments];
  int rows[kMaxGemvSegments];
  int n_segments;
  int total_rows;  // warps with work: the sum of rows (kSiluGate: the gate's rows)
};

// a[i] for i < kMaxGemvSegments without a dynamic index into the kernel's parameters (which would
// copy them to the stack).
template <typename V>
__device__ __forceinline__ V seg_at(const V (&a)[kMaxGemvSegments], int i) {
  static_assert(kMaxGemvSegments == 3, "seg_at selects among three");
  return i == 0 ? a[0] : i == 1 ? a[1] : a[2];
}

__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
template <typename T>
__device__ __forceinline__ float round_to(float v) { return to_f(from_float<T>(v)); }

template <typename T>
__device__ __forceinline__ uint4 pack8(const float (&f)[8]) {
  union {
    uint4 u;
    T h[8];
  } pack;
#pragma unroll
  for (int e = 0; e < 8; ++e) pack.h[e] = from_float<T>(f[e]);
  return pack.u;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// x (batch rows, zeros up to NB) into shared memory, normed for kRmsNorm as LibTorch's op-by-op
// RMSNorm rounds it: n = round(x * rsqrt(mean(x^2) + eps)), then round(gain * n). At batch 1 and 2
// with k <= 2 pieces per thread (k <= 4096) the pieces stay in registers between the sum of
// squares and the normalisation: one round trip to memory instead of two.
template <typename T, int NB>
__device__ void stage_x(const GemvArgs& a, uint4* xs) {
  const uint4* x = static_cast<const uint4*>(a.x);
  const int k8 = a.k8;
  if (a.gain == nullptr) {
    for (int i = threadIdx.x; i < NB * k8; i += kThreads) xs[i] = i / k8 < a.batch ? x[i] : make_uint4(0, 0, 0, 0);
    __syncthreads();
    return;
  }
  constexpr int kHeld = NB <= 2 ? 2 : 0;  // pieces per thread kept in registers (beside the prefetch)
  const bool hold = k8 <= kHeld * kThreads;
  const uint4* gain = static_cast<const uint4*>(a.gain);
  uint4 held_x[NB][kHeld > 0 ? kHeld : 1], held_g[kHeld > 0 ? kHeld : 1];
  __shared__ float partial[kWarps][NB];
  __shared__ float inv_rms[NB];
  float ss[NB];
#pragma unroll
  for (int b = 0; b < NB; ++b) ss[b] = 0.0f;
  if (hold) {
#pragma unroll
    for (int h = 0; h < kHeld; ++h) {
      const int i = threadIdx.x + h * kThreads;
      held_g[h] = i < k8 ? gain[i] : make_uint4(0, 0, 0, 0);
#pragma unroll
      for (int b = 0; b < NB; ++b) held_x[b][h] = i < k8 && b < a.batch ? x[b * k8 + i] : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int h = 0; h < kHeld; ++h)
#pragma unroll
      for (int b = 0; b < NB; ++b) {
        float f[8];
        to_float8<T>(held_x[b][h], f);
#pragma unroll
        for (int e = 0; e < 8; ++e) ss[b] = fmaf(f[e], f[e], ss[b]);
      }
  } else {
    for (int i = threadIdx.x; i < k8; i += kThreads) {
#pragma unroll
      for (int b = 0; b < NB; ++b) {
        if (b >= a.batch) break;
        float f[8];
        to_float8<T>(x[b * k8 + i], f);
#pragma unroll
        for (int e = 0; e < 8; ++e) ss[b] = fmaf(f[e], f[e], ss[b]);
      }
    }
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int b = 0; b < NB; ++b) {
    const float s = warp_sum(ss[b]);
    if (lane == 0) partial[warp][b] = s;
  }
  __syncthreads();
  if (threadIdx.x < NB) {
    float s = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) s += partial[w][threadIdx.x];
    inv_rms[threadIdx.x] = rsqrtf(s / static_cast<float>(k8 * 8) + a.eps);
  }
  __syncthreads();
  auto normed = [&](const uint4& raw_x, const uint4& raw_g, int b) {
    float f[8], g[8];
    to_float8<T>(raw_x, f);
    to_float8<T>(raw_g, g);
#pragma unroll
    for (int e = 0; e < 8; ++e) f[e] = __fmul_rn(g[e], round_to<T>(__fmul_rn(f[e], inv_rms[b])));
    return pack8<T>(f);
  };
  if (hold) {
#pragma unroll
    for (int h = 0; h < kHeld; ++h) {
      const int i = threadIdx.x + h * kThreads;
      if (i >= k8) break;
#pragma unroll
      for (int b = 0; b < NB; ++b) xs[b * k8 + i] = b < a.batch ? normed(held_x[b][h], held_g[h], b) : make_uint4(0, 0, 0, 0);
    }
  } else {
    for (int i = threadIdx.x; i < NB * k8; i += kThreads) {
      const int b = i / k8;
      xs[i] = b < a.batch ? normed(x[i], gain[i - b * k8], b) : make_uint4(0, 0, 0, 0);
    }
  }
  __syncthreads();
}

template <int U>
__device__ __forceinline__ void load_group(uint4 (&w)[U], const uint4* row, int first, int k8) {
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int i = first + u * 32;
    w[u] = i < k8 ? load16(row + i) : make_uint4(0, 0, 0, 0);
  }
}

template <typename T, int NB, int U>
__device__ __forceinline__ void sum_group(float (&acc)[NB], const uint4 (&w)[U], const uint4* xs, int first, int k8) {
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int i = first + u * 32;
    if (i >= k8) break;
    float wf[8];
    to_float8<T>(w[u], wf);
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      float xf[8];
      to_float8<T>(xs[b * k8 + i], xf);
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[b] = fmaf(wf[e], xf[e], acc[b]);
    }
  }
}

template <typename T>
__device__ __forceinline__ void write_result(const GemvArgs& a, int seg, int r, int b, float acc, float acc_up) {
  const int rows = seg_at(a.rows, seg);
  const size_t at = static_cast<size_t>(b) * rows + r;
  const T* bias = static_cast<const T*>(seg_at(a.bias, seg));
  void* out = seg_at(a.out, seg);
  const float v = acc + (bias ? to_f(bias[r]) : 0.0f);
  switch (a.output) {
    case GemvOutput::kStore:
      static_cast<T*>(out)[at] = from_float<T>(v);
      break;
    case GemvOutput::kAddInto: {
      T* p = static_cast<T*>(out) + at;
      *p = from_float<T>(to_f(*p) + round_to<T>(v));
      break;
    }
    case GemvOutput::kSiluGate: {
      const float g = round_to<T>(acc);
      const float s = round_to<T>(g / (1.0f + expf(-g)));
      static_cast<T*>(a.out[0])[at] = from_float<T>(__fmul_rn(s, round_to<T>(acc_up)));
      break;
    }
    case GemvOutput::kStoreFloat:
      static_cast<float*>(out)[at] = round_to<T>(v);
      break;
  }
}

// Where output row `row` (over the stacked segments) lives: its segment and row within it, and the
// weight rows it reads (the up row too for kSiluGate).
struct RowRef {
  int seg, r;
  const uint4 *w0, *w1;
};

template <bool kPair>
__device__ __forceinline__ RowRef locate(const GemvArgs& a, int row) {
  RowRef ref{0, row, nullptr, nullptr};
  while (!kPair && ref.seg + 1 < a.n_segments && ref.r >= seg_at(a.rows, ref.seg)) ref.r -= seg_at(a.rows, ref.seg++);
  ref.w0 = static_cast<const uint4*>(seg_at(a.weight, ref.seg)) + static_cast<size_t>(ref.r) * a.k8;
  ref.w1 = kPair ? static_cast<const uint4*>(a.weight[1]) + static_cast<size_t>(ref.r) * a.k8 : ref.w0;
  return ref;
}

// Each warp walks its rows (row0, row0 + stride, ...) group by group (32 x U pieces of a row), and
// loads the next group - of this row or of its next row - while it sums the current one, so the
// loads of consecutive rows overlap and a block's x staging is paid once for all its rows.
template <typename T, int NB, bool kPair>
__global__ void __launch_bounds__(kThreads, kBlocksPerSm) gemv_kernel(GemvArgs a) {
  constexpr int U = kPair ? kUnroll : 2 * kUnroll;  // the same bytes in flight per warp either way
  extern __shared__ uint4 xs[];                    // [NB][k8]
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int stride = gridDim.x * kWarps, k8 = a.k8, groups = (k8 + 32 * U - 1) / (32 * U);
  int row = blockIdx.x * kWarps + warp;
  const bool active = row < a.total_rows;

  // Weights are written by no kernel: the first group is loaded before waiting for the previous one.
  RowRef at{};
  uint4 cur0[U], cur1[U];
  if (active) {
    at = locate<kPair>(a, row);
    load_group<U>(cur0, at.w0, lane, k8);
    if constexpr (kPair) load_group<U>(cur1, at.w1, lane, k8);
  }
  detail::let_next_grid_launch();
  detail::wait_for_previous_grid();
  stage_x<T, NB>(a, xs);
  if (!active) return;

  float acc0[NB], acc1[NB];
#pragma unroll
  for (int b = 0; b < NB; ++b) acc0[b] = acc1[b] = 0.0f;
  for (int g = 0;;) {
    const bool row_ends = g + 1 == groups;
    const int next_row = row_ends ? row + stride : row, next_g = row_ends ? 0 : g + 1;
    const bool more = next_row < a.total_rows;
    const RowRef next_at = more && row_ends ? locate<kPair>(a, next_row) : at;
    uint4 next0[U], next1[U];
    if (more) {
      load_group<U>(next0, next_at.w0, next_g * 32 * U + lane, k8);
      if constexpr (kPair) load_group<U>(next1, next_at.w1, next_g * 32 * U + lane, k8);
    }
    sum_group<T, NB, U>(acc0, cur0, xs, g * 32 * U + lane, k8);
    if constexpr (kPair) sum_group<T, NB, U>(acc1, cur1, xs, g * 32 * U + lane, k8);
    if (row_ends) {
#pragma unroll
      for (int b = 0; b < NB; ++b) {
        const float s0 = warp_sum(acc0[b]);
        const float s1 = kPair ? warp_sum(acc1[b]) : 0.0f;
        if (lane == b && b < a.batch) write_result<T>(a, at.seg, at.r, b, s0, s1);
        acc0[b] = acc1[b] = 0.0f;
      }
    }
    if (!more) break;
    row = next_row, g = next_g, at = next_at;
#pragma unroll
    for (int u = 0; u < U; ++u) {
      cur0[u] = next0[u];
      if constexpr (kPair) cur1[u] = next1[u];
    }
  }
}

using GemvKernel = void (*)(GemvArgs);

template <typename T, bool kPair>
GemvKernel pick(int nb) {
  switch (nb) {
    case 1: return gemv_kernel<T, 1, kPair>;
    case 2: return gemv_kernel<T, 2, kPair>;
    case 4: return gemv_kernel<T, 4, kPair>;
    default: return gemv_kernel<T, 8, kPair>;
  }
}

int batch_bucket(int batch) { return batch <= 1 ? 1 : batch <= 2 ? 2 : batch <= 4 ? 4 : 8; }

size_t smem_bytes(const GemvParams& p) { return static_cast<size_t>(batch_bucket(p.batch)) * p.k * 2; }

}  // namespace

std::string validate_gemv_params(const GemvParams& p, bool need_pointers) {
  if (p.dtype != DType::kBF16 && p.dtype != DType::kFP16) return "dtype must be bf16 or fp16";
  if (p.batch < 1 || p.batch > kMaxGemvBatch) return "batch " + std::to_string(p.batch) + " is not in 1.." + std::to_string(kMaxGemvBatch);
  if (p.k <= 0 || p.k % 8 != 0) return "k = " + std::to_string(p.k) + " is not a positive multiple of 8";
  if (smem_bytes(p) > kMaxSmem) return "k = " + std::to_string(p.k) + " at batch " + std::to_string(p.batch) + " does not fit shared memory";
  const int need = p.output == GemvOutput::kSiluGate ? 2 : 1;
  if (p.n_segments < need || p.n_segments > kMaxGemvSegments) return std::to_string(p.n_segments) + " segments for this output";
  if (p.output == GemvOutput::kSiluGate &&
      (p.n_segments != 2 || p.segments[0].rows != p.segments[1].rows || p.segments[0].bias || p.segments[1].bias))
    return "kSiluGate needs two segments (gate, up) of equal rows and no bias";
  int64_t total = 0;
  for (int s = 0; s < p.n_segments; ++s) {
    if (p.segments[s].rows <= 0) return "segment " + std::to_string(s) + " has no rows";
    total += p.segments[s].rows;
  }
  if (total > (int64_t{1} << 30)) return "too many rows";
  if ((p.input == GemvInput::kRmsNorm) != (p.norm_gain != nullptr) && need_pointers)
    return "norm_gain is required by kRmsNorm and only by it";
  if (!need_pointers) return {};
  auto misaligned = [](const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 != 0; };
  if (!p.x || misaligned(p.x)) return "x is null or not 16-byte aligned";
  if (p.norm_gain && misaligned(p.norm_gain)) return "norm_gain is not 16-byte aligned";
  for (int s = 0; s < p.n_segments; ++s) {
    const bool needs_out = s == 0 || p.output != GemvOutput::kSiluGate;  // kSiluGate writes segment 0's out
    if (!p.segments[s].weight || misaligned(p.segments[s].weight) || (needs_out && !p.segments[s].out))
      return "segment " + std::to_string(s) + ": weight null or not 16-byte aligned, or no output";
  }
  return {};
}

void gemv(const GemvParams& p, cudaStream_t stream) {
  if (const std::string error = validate_gemv_params(p); !error.empty())
    throw std::invalid_argument("gemv: " + error);
  const bool pair = p.output == GemvOutput::kSiluGate;
  const int nb = batch_bucket(p.batch);
  const GemvKernel kernel = p.dtype == DType::kBF16
                                ? (pair ? pick<__nv_bfloat16, true>(nb) : pick<__nv_bfloat16, false>(nb))
                                : (pair ? pick<__half, true>(nb) : pick<__half, false>(nb));
  const size_t smem = smem_bytes(p);
  // With the kernel's static shared memory, above the 48 KB default from here on. A function attribute, not stream
  // work: legal while a graph is captured.
  if (smem > 32 * 1024)
    detail::cuda_check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
                       "gemv: cudaFuncSetAttribute");
  GemvArgs a{};
  a.x = p.x;
  a.gain = p.input == GemvInput::kRmsNorm ? p.norm_gain : nullptr;
  a.eps = p.norm_eps;
  a.batch = p.batch;
  a.k8 = p.k / 8;
  a.output = p.output;
  a.n_segments = p.n_segments;
  a.total_rows = 0;
  for (int s = 0; s < p.n_segments; ++s) {
    a.weight[s] = p.segments[s].weight;
    a.bias[s] = p.segments[s].bias;
    a.out[s] = p.segments[s].out;
    a.rows[s] = p.segments[s].rows;
    a.total_rows += p.segments[s].rows;
  }
  if (pair) a.total_rows = p.segments[0].rows;
  int64_t blocks = (a.total_rows + kWarps - 1) / kWarps;
  if (p.sm_count > 0) blocks = std::min<int64_t>(blocks, int64_t{p.sm_count} * kBlocksPerSm);
  detail::launch_kernel(kernel, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), smem, p.pdl, stream, "gemv: kernel launch", a);
}

}  // namespace aimicius::kernels
