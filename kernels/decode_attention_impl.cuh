// Kernel templates of decode_attention.h (split pass and combine pass). Instantiated by
// decode_attention_instances.cu, compiled once per storage type and head-dim pair so that nvcc
// builds them in parallel; decode_attention.cu plans and launches them.
//
// Block layout of the split pass (kThreads = 256 threads, 8 warps), block (qb, s) of sequence b:
// - Q heads h0 .. h0 + QB - 1 (h0 = qb * QB) share K head h0 / qk; the block reads tokens
//   [s * chunk, min((s + 1) * chunk, len)) of it (chunk = sequence_chunk(len) <= the plan's), DK / 8 lanes per token row, U rows per thread in
//   flight, and stores QB scores per token (log2 domain: q is prescaled by scale * log2(e)) in
//   shared memory, rows of the plan's chunk + 4 floats so that neither pass has bank conflicts.
// - One warp per Q head turns the chunk's scores into exp2(s - max) and their sum.
// - V pass: VB = QB / QVB row slots, slot j serving Q heads h0 + j*QVB .. + QVB - 1, which share
//   V head (h0 + j*QVB) / qv (QVB = gcd(QB, qv), so they do). Threads keep their slot and d-slice
//   for the whole chunk, so the fp32 accumulators stay in registers; the threads of a slot are
//   summed through shared memory at the end.
// - Output: normalised partial output and log2-sum-exp per (b, h, s) into the workspace, or the
//   final output directly when there is one split.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/attention_device.cuh"
#include "kernels/pdl.cuh"

namespace aimicius::kernels::detail {

constexpr int kDecodeThreads = 256;
constexpr int kDecodeUnroll = 4;  // rows per thread in flight (the selective score pass too)

// Deep variant: 8 rows per thread in flight in a pass whose registers allow it (QB <= 2 for the
// K pass, QVB <= 2 for the V pass). The blocks of QB = 8 hold 128 registers per thread (q of 8
// heads), so only 2 blocks fit an SM and 4 rows each leave too few bytes in flight.
template <int QB>
constexpr int deep_k_unroll() { return QB <= 2 ? 8 : 4; }
template <int QVB>
constexpr int deep_v_unroll() { return QVB <= 2 ? 8 : 4; }
// The score buffer (QB rows of chunk + 4 floats) is dynamic shared memory sized by the plan.
// Blocks of QB = 8 get twice the room (chunks up to 2048 tokens): they hold two blocks per SM
// (registers), and with 1024-token chunks batch 1 needed two waves of short blocks whose fixed
// costs (q load, softmax, reduction, combine rows) showed at 128k; 2 x 74 KB still fits an SM.
constexpr int max_score_floats(int qb) { return qb >= 8 ? 16384 : 8192; }
inline size_t score_buffer_bytes(int qb, int chunk) { return static_cast<size_t>(qb) * (chunk + 4) * sizeof(float); }
constexpr int kChunkGranule = 64;  // chunks are whole multiples of this many tokens
constexpr int kMmaSliceTokens = 16;  // the tensor-core pass's slice (decode_attention_mma.cuh), which
                                     // its interleaved splits deal out one at a time
constexpr int kMinChunk = 256;     // below this a block's fixed costs outweigh its reads

// Everything a launch needs, by value (the kernels read no host state).
struct DecodeArgs {
  const void* q;
  int64_t q_bs, q_hs;
  const void* k;
  int64_t k_bs, k_ts, k_hs;
  const void* v;
  int64_t v_bs, v_ts, v_hs;
  const int32_t* lens;
  const int32_t* slots;
  const int32_t* table;  // block table [slots, table_stride] or null (attention_params.h)
  int table_stride, page_tokens;
  void* out;
  int64_t out_bs, out_hs;
  int n_q, qk, qv, n_qb;
  int warp_units;          // tensor-core pass: 1 when each warp takes a unit (QB heads), 0 when a block does
  int interleaved;         // tensor-core pass: 1 when split s takes 16-token slices s, s + splits, ...
  int chunk, splits;
  int min_chunk, granule;  // the kernel's chunk rules (sequence_chunk): kMinChunk/kChunkGranule or
                           // kMmaMinChunk/kMmaGranule
  float scale_log2;       // scale * log2(e)
  float* partial_out;     // [batch, n_q, splits, DV]
  float* partial_lse;     // [batch, n_q, splits], log2 domain
};

// Tokens per split for a sequence of `len` tokens. The plan's chunk is for the longest context it
// allows, and a CUDA graph replays one plan at every length: a shorter sequence spreads over the
// same splits in smaller chunks (whole granules, at least min_chunk, at most the plan's chunk), so
// that a step early in a long generation still fills the GPU instead of leaving a few blocks to
// walk long chunks.
__device__ __forceinline__ int sequence_chunk(const DecodeArgs& a, int len) {
  const int per_split = (len + a.splits - 1) / a.splits;
  const int granules = (per_split + a.granule - 1) / a.granule * a.granule;
  return min(a.chunk, max(granules, min(a.min_chunk, a.chunk)));
}

template <typename T>
__device__ __forceinline__ void store8(T* dst, const float (&f)[8]) {
  union {
    T h[8];
    uint4 u;
  } pack;
#pragma unroll
  for (int e = 0; e < 8; ++e) pack.h[e] = from_float<T>(f[e]);
  *reinterpret_cast<uint4*>(dst) = pack.u;
}


template <typename T, int DK, int DV, int QB, int QVB, int UK, int UV>
__global__ void __launch_bounds__(kDecodeThreads, 2) decode_split_kernel(DecodeArgs a) {
  constexpr int NT = kDecodeThreads;
  extern __shared__ float sc[];  // [QB][chunk + 4]: score_buffer_bytes(QB, chunk)
  __shared__ float red[NT * 8];
  __shared__ float warp_m[NT / 32], warp_l[NT / 32], stat_m[QB], stat_l[QB];

  wait_for_previous_grid();  // q and the cache rows are written by the kernels before this one
  let_next_grid_launch();    // the combine pass may be scheduled now; it waits for this grid's results
  const int qb = blockIdx.x % a.n_qb, s = blockIdx.x / a.n_qb, b = blockIdx.y;
  const int len = a.lens[b];
  const int slot = a.slots ? a.slots[b] : b;  // read beside the length: one round trip, not two
  const int h0 = qb * QB;
  const bool single = a.splits == 1;
  const int chunk = sequence_chunk(a, len);
  const int t0 = s * chunk;
  const int t1 = min(len, t0 + chunk);
  if (len > a.splits * a.chunk) {
    // Longer than planned: say so loudly (NaN) rather than attend to a truncated context.
    if (single)
      for (int i = threadIdx.x; i < QB * DV; i += NT)
        static_cast<T*>(a.out)[b * a.out_bs + (h0 + i / DV) * a.out_hs + i % DV] = from_float<T>(NAN);
    return;  // the combine pass writes NaN when there are several splits
  }
  if (t0 >= t1 && !single) return;  // empty chunk: the combine pass skips it
  const int ld = a.chunk + 4;  // the buffer's row length (the plan's chunk), whatever this sequence's
  const int n = max(t1 - t0, 0);

  {
    float q[QB][8];
    load_q<T, DK, QB>(static_cast<const T*>(a.q) + b * a.q_bs + h0 * a.q_hs, a.q_hs, a.scale_log2, q);
    const T* k_head = static_cast<const T*>(a.k) + (h0 / a.qk) * a.k_hs;
    score_pass<T, DK, QB, NT, UK>(k_head, slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.k_bs, a.k_ts), q,
                                  t0, t1, sc, ld);
  }
  __syncthreads();

  // Softmax statistics: WPH warps per Q head, each over an interleaved part of the chunk.
  {
    constexpr int WPH = (NT / 32) / QB;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int hw = warp % QB, part = warp / QB;
    float* row = sc + hw * ld;
    float m = -INFINITY;
    for (int i = part * 32 + lane; i < n; i += 32 * WPH) m = fmaxf(m, row[i]);
#pragma unroll
    for (int o = 16; o >= 1; o /= 2) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    if (lane == 0) warp_m[warp] = m;
    __syncthreads();
    m = warp_m[hw];
#pragma unroll
    for (int p = 1; p < WPH; ++p) m = fmaxf(m, warp_m[hw + p * QB]);
    float l = 0.0f;
    for (int i = part * 32 + lane; i < n; i += 32 * WPH) {
      const float p = exp2f(row[i] - m);
      row[i] = p;
      l += p;
    }
#pragma unroll
    for (int o = 16; o >= 1; o /= 2) l += __shfl_xor_sync(0xffffffffu, l, o);
    if (lane == 0) warp_l[warp] = l;
    __syncthreads();
    if (threadIdx.x < QB) {
      float total = 0.0f, mh = -INFINITY;
      for (int p = 0; p < WPH; ++p) {
        total += warp_l[threadIdx.x + p * QB];
        mh = fmaxf(mh, warp_m[threadIdx.x + p * QB]);
      }
      stat_m[threadIdx.x] = mh;
      stat_l[threadIdx.x] = total;
    }
    __syncthreads();
  }

  constexpr int LPRV = DV / 8, RPPV = NT / LPRV, VB = QB / QVB, TPP = RPPV / VB;
  static_assert(RPPV % VB == 0, "V row slots must tile a pass");
  const int lv = threadIdx.x % LPRV, r = threadIdx.x / LPRV;
  const int j = r % VB, tt = r / VB;
  const T* v_row0 = static_cast<const T*>(a.v) + ((h0 + j * QVB) / a.qv) * a.v_hs + lv * 8;
  const SlotRows v_rows = slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.v_bs, a.v_ts);
  const float* p_row = sc + (j * QVB) * ld;
  float acc[QVB][8];
#pragma unroll
  for (int i = 0; i < QVB; ++i)
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[i][e] = 0.0f;
  for (int base = t0; base < t1; base += TPP * UV) {
    uint4 raw[UV];
#pragma unroll
    for (int u = 0; u < UV; ++u) {
      const int t = base + tt + u * TPP;
      raw[u] = t < t1 ? load16(v_row0 + v_rows.offset(t)) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < UV; ++u) {
      const int t = base + tt + u * TPP;
      if (t < t1) {
        float vf[8];
        to_float8<T>(raw[u], vf);
#pragma unroll
        for (int i = 0; i < QVB; ++i) {
          const float p = p_row[i * ld + (t - t0)];
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[i][e] = fmaf(p, vf[e], acc[i][e]);
        }
      }
    }
  }

  // Sum the TPP threads of each (slot, d-slice); thread (jj, l2) < VB * LPRV writes the result.
#pragma unroll  // constant indices keep acc[][] in registers
  for (int i = 0; i < QVB; ++i) {
#pragma unroll
    for (int e = 0; e < 8; ++e) red[threadIdx.x * 8 + e] = acc[i][e];
    __syncthreads();
    if (threadIdx.x < VB * LPRV) {
      const int jj = threadIdx.x / LPRV, l2 = threadIdx.x % LPRV;
      const int hl = jj * QVB + i;  // Q head within the block
      float sum[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) sum[e] = 0.0f;
      for (int t2 = 0; t2 < TPP; ++t2) {
        const float* src = red + ((t2 * VB + jj) * LPRV + l2) * 8;
#pragma unroll
        for (int e = 0; e < 8; ++e) sum[e] += src[e];
      }
      const float l = stat_l[hl];
      const float inv = n > 0 ? 1.0f / l : 0.0f;
#pragma unroll
      for (int e = 0; e < 8; ++e) sum[e] *= inv;
      const int h = h0 + hl;
      if (single) {
        store8<T>(static_cast<T*>(a.out) + b * a.out_bs + h * a.out_hs + l2 * 8, sum);
      } else {
        float* dst = a.partial_out + ((static_cast<int64_t>(b) * a.n_q + h) * a.splits + s) * DV + l2 * 8;
#pragma unroll
        for (int e = 0; e < 8; ++e) dst[e] = sum[e];
        if (l2 == 0) a.partial_lse[(static_cast<int64_t>(b) * a.n_q + h) * a.splits + s] = stat_m[hl] + log2f(l);
      }
    }
    __syncthreads();
  }
}

// One block of kCombineThreads per (h, b): out = sum_s 2^(lse_s - M) o_s / sum_s 2^(lse_s - M) over
// the chunks that hold tokens. The splits are summed in parallel (DV / 4 lanes of float4 per
// partial row, NT / (DV / 4) split lanes): one split per loop iteration serialised an L2 round trip
// per split (16 us at 64 splits, ncu on an H200). Each split lane keeps a running log-sum-exp
// over its splits, so a split's lse and its partial row are read together (one round trip, no
// block-wide maximum first), and the lanes are merged once through shared memory.
constexpr int kCombineThreads = 128;

template <typename T, int DV>
__global__ void __launch_bounds__(kCombineThreads) decode_combine_kernel(DecodeArgs a) {
  constexpr int NT = kCombineThreads, L = DV / 4, SL = NT / L;
  __shared__ float lane_max[SL], lane_weight[SL];
  __shared__ float4 lane_sum[SL][L];
  const int h = blockIdx.x, b = blockIdx.y;
  const int len = a.lens[b];  // staged before the step: read before the wait (kernels/pdl.cuh)
  // The kernel after this one (o_proj's gemv, which loads its weights before its own wait) may be
  // scheduled before this block waits, so its weights stream while the split pass ends: decode
  // steps 1.1-1.3% faster on an H100, except STD at 32k, 1.3% slower (docs/PERFORMANCE.md,
  // session 49). It orders nothing: that kernel still waits for this grid's output.
  let_next_grid_launch();
  wait_for_previous_grid();   // the split pass's partial outputs
  T* out = static_cast<T*>(a.out) + b * a.out_bs + h * a.out_hs;
  const int64_t row = static_cast<int64_t>(b) * a.n_q + h;
  if (len > a.splits * a.chunk) {
    for (int d = threadIdx.x; d < DV; d += NT) out[d] = from_float<T>(NAN);
    return;
  }
  // The splits that hold tokens: the first ceil(len / 16) when they are interleaved 16-token
  // slices (decode_attention_mma.cuh), else the first ceil(len / chunk).
  const int chunk = sequence_chunk(a, len);
  const int valid = a.interleaved ? min(a.splits, (len + kMmaSliceTokens - 1) / kMmaSliceTokens)
                                  : len > 0 ? (len + chunk - 1) / chunk : 0;
  const float* lse = a.partial_lse + row * a.splits;
  const int l4 = threadIdx.x % L, sl = threadIdx.x / L;
  const float* part = a.partial_out + row * a.splits * DV + l4 * 4;

  // This lane's splits sl, sl + SL, ...: m its largest lse so far, weight and acc scaled by 2^-m.
  float m = -INFINITY, weight = 0.0f;
  float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
  for (int s = sl; s < valid; s += SL) {
    const float ls = lse[s];
    const float4 v = *reinterpret_cast<const float4*>(part + static_cast<int64_t>(s) * DV);
    const float m_new = fmaxf(m, ls);  // finite: a split with tokens has a finite lse
    const float keep = exp2f(m - m_new), w = exp2f(ls - m_new);
    weight = fmaf(weight, keep, w);
    acc.x = fmaf(acc.x, keep, w * v.x), acc.y = fmaf(acc.y, keep, w * v.y);
    acc.z = fmaf(acc.z, keep, w * v.z), acc.w = fmaf(acc.w, keep, w * v.w);
    m = m_new;
  }
  lane_sum[sl][l4] = acc;
  if (l4 == 0) lane_max[sl] = m, lane_weight[sl] = weight;
  __syncthreads();
  if (threadIdx.x < L) {
    float mx = -INFINITY;
#pragma unroll
    for (int i = 0; i < SL; ++i) mx = fmaxf(mx, lane_max[i]);
    float wsum = 0.0f;
    float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (mx != -INFINITY) {  // else no split holds a token: zeros
#pragma unroll
      for (int i = 0; i < SL; ++i) {
        const float f = exp2f(lane_max[i] - mx);  // 0 for a lane without splits
        const float4 v = lane_sum[i][threadIdx.x];
        wsum = fmaf(lane_weight[i], f, wsum);
        sum.x = fmaf(v.x, f, sum.x), sum.y = fmaf(v.y, f, sum.y), sum.z = fmaf(v.z, f, sum.z), sum.w = fmaf(v.w, f, sum.w);
      }
    }
    const float inv = wsum > 0.0f ? 1.0f / wsum : 0.0f;
    T* o = out + threadIdx.x * 4;
    o[0] = from_float<T>(sum.x * inv), o[1] = from_float<T>(sum.y * inv);
    o[2] = from_float<T>(sum.z * inv), o[3] = from_float<T>(sum.w * inv);
  }
}

}  // namespace aimicius::kernels::detail
