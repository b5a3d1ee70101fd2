// Kernel of rope_append.h: blocks (i, b) of sequence b: the first ones rotate the (n_q + n_k) x
// d_k / 2 pairs, a thread each; the others copy the V row.
#include "kernels/rope_append.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <stdexcept>

#include "kernels/attention_device.cuh"
#include "kernels/pdl.cuh"

namespace aimicius::kernels {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }

// Blocks [0, rope_blocks) of row b: one thread per rotated pair; the rest: V in 16-byte pieces.
// Threads compute their own angle (no shared table, no barrier): the kernel is a few dependent
// loads long, and a barrier would add to that.
template <typename T>
__global__ void __launch_bounds__(kThreads) rope_append_kernel(RopeAppendParams p, int rope_blocks) {
  const int b = blockIdx.y, half = p.d_k / 2;
  if (p.launch_next_early) detail::let_next_grid_launch();
  detail::wait_for_previous_grid();
  if (!p.launch_next_early) detail::let_next_grid_launch();
  const int64_t pos = p.context_lens[b] - 1;
  const int64_t slot = p.slots[b];
  // The new row's index in the cache seen as rows of `capacity`-token pages.
  const int64_t row = p.block_table ? static_cast<int64_t>(p.block_table[slot * p.block_table_stride + pos / p.capacity]) *
                                              p.capacity + pos % p.capacity
                                    : slot * p.capacity + pos;
  if (static_cast<int>(blockIdx.x) < rope_blocks) {
    const int i = blockIdx.x * kThreads + threadIdx.x;
    if (i >= (p.n_q + p.n_k) * half) return;
    const int head = i / half, j = i % half;
    const bool is_q = head < p.n_q;
    const int64_t at = static_cast<int64_t>(is_q ? head : head - p.n_q) * p.d_k + j;
    const T* src = is_q ? static_cast<const T*>(p.q) + static_cast<int64_t>(b) * p.n_q * p.d_k
                        : static_cast<const T*>(p.k) + static_cast<int64_t>(b) * p.n_k * p.d_k;
    T* dst = is_q ? static_cast<T*>(p.q_out) + static_cast<int64_t>(b) * p.n_q * p.d_k
                  : static_cast<T*>(p.k_cache) + row * p.n_k * p.d_k;
    const float a = to_f(src[at]), c = to_f(src[at + half]);
    const double angle = static_cast<double>(pos) * p.inv_freq[j];
    const float cs = static_cast<float>(cos(angle)), sn = static_cast<float>(sin(angle));
    // Separately rounded products and sums, as the op-by-op path computes them (no fma).
    dst[at] = detail::from_float<T>(__fsub_rn(__fmul_rn(a, cs), __fmul_rn(c, sn)));
    dst[at + half] = detail::from_float<T>(__fadd_rn(__fmul_rn(c, cs), __fmul_rn(a, sn)));
    return;
  }
  const int pieces = p.n_v * p.d_v / 8;  // d_v is a multiple of 8 (checked)
  const int i = (blockIdx.x - rope_blocks) * kThreads + threadIdx.x;
  if (i >= pieces) return;
  const uint4* v = static_cast<const uint4*>(p.v) + static_cast<int64_t>(b) * pieces;
  uint4* v_row = static_cast<uint4*>(p.v_cache) + row * pieces;
  v_row[i] = v[i];
}

}  // namespace

std::string validate_rope_append_params(const RopeAppendParams& p) {
  if (p.dtype != DType::kBF16 && p.dtype != DType::kFP16) return "dtype must be bf16 or fp16";
  if (p.batch <= 0 || p.n_q <= 0 || p.n_k <= 0 || p.n_v <= 0 || p.d_v <= 0) return "empty shape";
  if (p.d_k <= 0 || p.d_k % 2 != 0) return "d_k must be even";
  if (p.d_v % 8 != 0) return "d_v must be a multiple of 8 (V rows are copied in 16-byte pieces)";
  if (p.capacity <= 0) return "capacity must be positive";
  if (p.block_table && p.block_table_stride <= 0) return "block_table_stride must be positive";
  if (!p.q || !p.k || !p.v || !p.q_out || !p.k_cache || !p.v_cache || !p.slots || !p.context_lens || !p.inv_freq)
    return "a pointer is null";
  return {};
}

void rope_append(const RopeAppendParams& p, cudaStream_t stream) {
  if (const std::string error = validate_rope_append_params(p); !error.empty())
    throw std::invalid_argument("rope_append: " + error);
  auto kernel = p.dtype == DType::kBF16 ? rope_append_kernel<__nv_bfloat16> : rope_append_kernel<__half>;
  const int rope_blocks = ((p.n_q + p.n_k) * (p.d_k / 2) + kThreads - 1) / kThreads;
  const int v_blocks = (p.n_v * p.d_v / 8 + kThreads - 1) / kThreads;
  detail::launch_kernel(kernel, dim3(rope_blocks + v_blocks, p.batch), dim3(kThreads), 0, p.pdl, stream,
                        "rope_append: kernel launch", p, rope_blocks);
}

}  // namespace aimicius::kernels
