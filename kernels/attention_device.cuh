// Device building blocks shared by the decode-attention kernels (decode_attention.cu,
// selective_v.cu): 16-byte vector loads of bf16/fp16 rows, and the score pass in which the Q heads
// that share a K head read each K row once.
//
// Invariants:
// - Every row (one token of one head) is contiguous and 16-byte aligned, with d a multiple of 8:
//   one thread holds 8 elements (16 bytes) of a row, and D / 8 adjacent lanes of a warp hold one
//   row, so a warp-wide load is a run of whole 128- or 256-byte rows (coalesced along d).
// - The score pass runs with all NT threads of the block (it uses warp shuffles with a full mask):
//   out-of-range tokens load nothing and are computed as zeros, but every lane takes part.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace aimicius::kernels::detail {

// Where one slot's tokens lie in a K or V cache (kernels/attention_params.h): offset(t) is the element
// offset of token t's row (head 0). Without a block table the slot is one page: slot x page_stride +
// t x token_stride. With one, the page of t is read from the slot's row of the table (a broadcast,
// L1-cached load; page_tokens is a power of two, so the division is a shift).
struct SlotRows {
  const int32_t* pages = nullptr;  // the slot's row of the block table, or null
  int64_t first = 0;               // without a table: the slot's offset
  int page_shift = 0;              // log2(page_tokens)
  int64_t page_stride = 0, token_stride = 0;

  __device__ __forceinline__ int64_t offset(int t) const {
    if (!pages) return first + static_cast<int64_t>(t) * token_stride;
    const int page = __ldg(pages + (t >> page_shift));
    return static_cast<int64_t>(page) * page_stride + static_cast<int64_t>(t & ((1 << page_shift) - 1)) * token_stride;
  }
};

__device__ __forceinline__ SlotRows slot_rows(const int32_t* block_table, int table_stride, int page_tokens, int slot,
                                              int64_t page_stride, int64_t token_stride) {
  SlotRows r;
  r.page_stride = page_stride, r.token_stride = token_stride;
  if (block_table) {
    r.pages = block_table + static_cast<int64_t>(slot) * table_stride;
    r.page_shift = __ffs(page_tokens) - 1;
  } else {
    r.first = static_cast<int64_t>(slot) * page_stride;
  }
  return r;
}

// 8 elements of T as floats. bf16 -> float is a shift, fp16 goes through half2.
template <typename T>
__device__ __forceinline__ void to_float8(const uint4& raw, float (&f)[8]);

template <>
__device__ __forceinline__ void to_float8<__nv_bfloat16>(const uint4& raw, float (&f)[8]) {
  const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    f[2 * i] = __uint_as_float(w[i] << 16);
    f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

template <>
__device__ __forceinline__ void to_float8<__half>(const uint4& raw, float (&f)[8]) {
  const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    __half2 h;
    memcpy(&h, &w[i], 4);
    const float2 v = __half22float2(h);
    f[2 * i] = v.x;
    f[2 * i + 1] = v.y;
  }
}

template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }

// Streaming 16-byte load through the read-only path: K/V rows are read once per step.
__device__ __forceinline__ uint4 load16(const void* p) { return __ldg(static_cast<const uint4*>(p)); }

// Reduce-scatter of N partial sums over the W lanes of a row group (W, N powers of two, N <= W):
// afterwards lane li of the group holds in v[0] the group-wide sum of v[li / (W / N)].
// Halving exchanges cost N - 1 shuffles instead of N * log2(W) for N separate reductions.
template <int N, int W>
__device__ __forceinline__ void reduce_scatter(float (&v)[N], int li) {
  int n = N;
#pragma unroll
  for (int o = W / 2; o >= 1; o /= 2) {
    if (n > 1) {
      const int half = n / 2;
      const bool upper = (li & o) != 0;
#pragma unroll
      for (int i = 0; i < N / 2; ++i) {
        if (i < half) {
          const float send = upper ? v[i] : v[i + half];
          const float keep = upper ? v[i + half] : v[i];
          v[i] = keep + __shfl_xor_sync(0xffffffffu, send, o);
        }
      }
      n = half;
    } else {
      v[0] += __shfl_xor_sync(0xffffffffu, v[0], o);
    }
  }
}

// Loads this thread's 8-element slice of QB consecutive Q heads' queries, times `factor`.
template <typename T, int DK, int QB>
__device__ __forceinline__ void load_q(const T* q_head0, int64_t q_head_stride, float factor, float (&q)[QB][8]) {
  constexpr int LPR = DK / 8;
  const int li = threadIdx.x % LPR;
#pragma unroll
  for (int i = 0; i < QB; ++i) {
    to_float8<T>(load16(q_head0 + i * q_head_stride + li * 8), q[i]);
#pragma unroll
    for (int j = 0; j < 8; ++j) q[i][j] *= factor;
  }
}

// Scores of tokens [t0, t1) for QB Q heads against one K head: out[i * ld + (t - t0)] = q_i . K[t]
// (q already scaled). `k_head` points at that head in the cache's first row; `rows` says where each
// token's row lies from there.
// NT threads, DK / 8 lanes per token row, U rows per thread in flight per iteration.
template <typename T, int DK, int QB, int NT, int U>
__device__ __forceinline__ void score_pass(const T* __restrict__ k_head, const SlotRows& rows,
                                           const float (&q)[QB][8], int t0, int t1, float* out, int ld) {
  constexpr int LPR = DK / 8;
  constexpr int RPP = NT / LPR;  // token rows per pass of the block
  const int li = threadIdx.x % LPR;
  const int row = threadIdx.x / LPR;
  for (int base = t0; base < t1; base += RPP * U) {
    uint4 raw[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int t = base + row + u * RPP;
      raw[u] = t < t1 ? load16(k_head + rows.offset(t) + li * 8) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      float k[8];
      to_float8<T>(raw[u], k);
      float dot[QB];
#pragma unroll
      for (int i = 0; i < QB; ++i) {
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < 8; ++j) s = fmaf(q[i][j], k[j], s);
        dot[i] = s;
      }
      reduce_scatter<QB, LPR>(dot, li);
      const int t = base + row + u * RPP;
      if (t < t1 && li % (LPR / QB) == 0) out[(li / (LPR / QB)) * ld + (t - t0)] = dot[0];
    }
  }
}

}  // namespace aimicius::kernels::detail
