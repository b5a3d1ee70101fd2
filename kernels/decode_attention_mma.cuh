// The tensor-core split pass of decode_attention.h (the default kernel). Included by one .cu per
// storage type after decode_attention_impl.cuh (DecodeArgs, sequence_chunk, the combine pass).
//
// A unit is the QB Q heads h0 .. h0 + QB - 1 (h0 = qb * QB) that share K head h0 / qk, or (KB = 2,
// QB = 2 qk) the Q heads of the two adjacent K heads h0 / qk and h0 / qk + 1, whose rows of a token
// are then read by the same copies (256 contiguous bytes for d 64, not two 128-byte pieces read
// apart); split s of
// sequence b reads tokens [s * chunk, min((s + 1) * chunk, len)) of it, cut into slices of
// kStepTokens = 16 tokens, or (DecodeArgs::interleaved) the sequence's slices s, s + splits, ...,
// so that all splits' blocks sweep the context together. Two ways to give a block's warps work
// (DecodeArgs::warp_units):
// - one unit a block (block (qb, s)): warp w takes slices w, w + kMmaWarps, ... of the unit's
//   chunk, and the warps' states are merged at the end;
// - one unit a warp (block (group, s)): warp w takes unit group * kMmaWarps + w, every slice of the
//   chunk, and writes its own heads' output; no merge, no block barrier. Adjacent units' heads are
//   adjacent in a token's cache row, so the block reads kMmaWarps heads' rows of each token
//   together (512 contiguous bytes for d 64 instead of 128).
// Either way each warp works alone until the end:
// - Loads: each warp streams its slices' rows of the unit's KB K heads and of the VB = QB / QVB V heads the
//   block needs (slot j serves Q heads h0 + j*QVB .. + QVB - 1, which share V head
//   (h0 + j*QVB) / qv) into its own ring of mma_stages() slices in shared memory, with 16-byte
//   asynchronous copies (cp.async, L1 bypassed), the whole ring in flight: a slice's buffer is
//   refilled as soon as every lane has read it, before the wait for the next. Rows are stored with
//   their 16-byte pieces XOR-swizzled by the row index, so that ldmatrix reads 8 rows without bank
//   conflicts. Tokens past the chunk are zero-filled (no read): their scores are masked to -inf
//   and their V rows are exact zeros.
// - Scores: mma.m16n8k16 with the Q heads as the 16 rows (rows QB..15 are zero), the slice's 16
//   tokens as two n8 tiles, K read by ldmatrix; fp32 accumulators, scaled by scale * log2(e). With
//   two K slots, each slot's mma takes only its own heads' rows of q, into the same accumulators.
// - Online softmax per Q head in registers (the 4 lanes of a row group share a head; running max
//   by two shuffles, per-lane partial sums), then p (bf16/fp16) is the A operand of
//   O += p V (mma, V read by ldmatrix.trans); with several V slots, slot j's mma sees only its own
//   heads' rows of p. O lives in registers for the whole chunk.
// - End: the warps' (max, sum, O) are merged through shared memory (the ring is free by then);
//   the normalised output goes to `out` when there is one split, else the partial output and
//   log2-sum-exp go to the workspace for the combine pass. (Combining the splits in the last block
//   to finish, or in a thread-block cluster through distributed shared memory, was measured slower
//   on the H200: docs/PERFORMANCE.md, decode kernels, "What was tried" 3 and 4.)
// Barriers: two __syncwarp per slice (the buffer is free; the slice has landed); two block
// barriers at the end (one unit a block only).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/decode_attention_impl.cuh"

namespace aimicius::kernels::detail {

constexpr int kMmaWarps = 4;
constexpr int kMmaThreads = kMmaWarps * 32;
constexpr int kStepTokens = kMmaSliceTokens;  // tokens per slice: one k16 step of p V
constexpr int kMmaGranule = 16;  // chunks are whole multiples of this many tokens
constexpr int kMmaMinChunk = 64;

// A slice: KB K heads' rows [KB][16][DK], then VB V heads' rows [VB][16][DV].
__host__ __device__ constexpr int mma_slice_elems(int dk, int dv, int vb, int kb = 1) {
  return kStepTokens * (kb * dk + vb * dv);
}
// Slices per warp ring (all in flight while a warp waits): as many as keep a block's rings within 110 KB, so
// that two blocks share an SM, between 2 and 4 (DiffQKV's 10 KB slices: 2; GQA d64's 4 KB: 4).
__host__ __device__ constexpr int mma_stages(int dk, int dv, int vb, int kb = 1) {
  const int per_stage = kMmaWarps * mma_slice_elems(dk, dv, vb, kb) * 2;
  const int stages = 110 * 1024 / per_stage;
  return stages < 2 ? 2 : stages > 4 ? 4 : stages;
}
// Dynamic shared memory: the warps' rings, or the merge scratch if larger (they share the space).
// The scratch: [warp][QB][DV] outputs, then [warp][QB] maxima and sums.
__host__ __device__ constexpr size_t mma_smem_bytes(int dk, int dv, int qb, int qvb, int kb = 1) {
  const int vb = qb / qvb;
  const size_t ring =
      static_cast<size_t>(kMmaWarps) * mma_stages(dk, dv, vb, kb) * mma_slice_elems(dk, dv, vb, kb) * 2;
  const size_t merge = static_cast<size_t>(kMmaWarps) * qb * (dv + 2) * sizeof(float);
  return ring > merge ? ring : merge;
}

// Element offset of 16-byte piece `chunk` of row `row` in a tile of rows of ROW_CHUNKS pieces.
template <int ROW_CHUNKS>
__device__ __forceinline__ int swizzled(int row, int chunk) {
  static_assert(ROW_CHUNKS >= 8, "the swizzle permutes 8 pieces");
  return row * ROW_CHUNKS * 8 + ((chunk ^ (row & 7)) * 8);
}

__device__ __forceinline__ unsigned smem_address(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(smem_address(smem)), "l"(gmem),
               "r"(valid ? 16 : 0)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
}
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_address(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_address(p)));
}

// c += A B for one m16n8k16 tile whose A rows 8..15 are zero (a1 = a3 = 0): a0 holds row g's
// columns 2t, 2t+1 and a2 its columns 2t+8, 2t+9 (g = lane / 4, t = lane % 4).
template <typename T>
__device__ __forceinline__ void mma_rows8(float (&c)[4], uint32_t a0, uint32_t a2, uint32_t b0, uint32_t b1) {
  const uint32_t zero = 0;
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(zero), "r"(a2), "r"(zero), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(zero), "r"(a2), "r"(zero), "r"(b0), "r"(b1));
  }
}

template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  uint32_t r;
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    memcpy(&r, &v, 4);
  } else {
    const __half2 v = __floats2half2_rn(lo, hi);
    memcpy(&r, &v, 4);
  }
  return r;
}

// Issues the copies of one slice (the 16 tokens whose rows start at k_rows and v_rows, rows after
// the first `valid` zero-filled) into `slice`: the KB K heads' rows [KB][16][DK] (head kb's at
// k_rows + kb * k_hs), then V rows [VB][16][DV], each row swizzled. A slice never straddles two
// pages (attention_params.h), so its rows are token_stride apart.
template <typename T, int DK, int DV, int VB, int KB>
__device__ __forceinline__ void load_slice(T* slice, const T* k_rows, int64_t k_hs, int64_t k_ts, const T* v_rows,
                                           const int64_t* v_head_offset, int64_t v_ts, int valid, int lane) {
  constexpr int LK = DK / 8, LV = DV / 8;
#pragma unroll
  for (int kb = 0; kb < KB; ++kb) {
    const T* k_head = k_rows + kb * k_hs;
    T* dst = slice + kb * kStepTokens * DK;
#pragma unroll
    for (int u = 0; u < kStepTokens * LK / 32; ++u) {
      const int c = lane + 32 * u, row = c / LK, piece = c % LK;
      const bool ok = row < valid;
      cp_async16(dst + swizzled<LK>(row, piece), k_head + (ok ? static_cast<int64_t>(row) * k_ts : 0) + piece * 8, ok);
    }
  }
#pragma unroll
  for (int j = 0; j < VB; ++j) {
    const T* v_head = v_rows + v_head_offset[j];
    T* dst = slice + KB * kStepTokens * DK + j * kStepTokens * DV;
#pragma unroll
    for (int u = 0; u < kStepTokens * LV / 32; ++u) {
      const int c = lane + 32 * u, row = c / LV, piece = c % LV;
      const bool ok = row < valid;
      cp_async16(dst + swizzled<LV>(row, piece), v_head + (ok ? static_cast<int64_t>(row) * v_ts : 0) + piece * 8, ok);
    }
  }
}

template <typename T, int DK, int DV, int QB, int QVB, int KB>
__global__ void __launch_bounds__(kMmaThreads) decode_split_mma_kernel(DecodeArgs a) {
  static_assert(QB % KB == 0 && QB <= 8, "a unit's QB Q heads are KB K heads' equal shares, at most 8 rows");
  constexpr int VB = QB / QVB;
  constexpr int QK = QB / KB;  // Q heads a K slot serves (= qk when KB > 1)
  constexpr int SLICE = mma_slice_elems(DK, DV, VB, KB);
  constexpr int STAGES = mma_stages(DK, DV, VB, KB);
  constexpr int LK = DK / 8, LV = DV / 8, KSTEPS = DK / 16, NTILES = DV / 8;
  extern __shared__ __align__(128) unsigned char smem[];

  // Before the wait (kernels/pdl.cuh) the block reads only what no kernel of the step writes: its
  // length, slot and block table (the step's inputs) and the cache rows of earlier tokens. q and the
  // row at len - 1 are this step's (RoPE/append, the kernel before this one, writes them).
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const bool per_warp = a.warp_units != 0;  // uniform over the grid
  const int groups = per_warp ? a.n_qb / kMmaWarps : a.n_qb;
  const int qb = per_warp ? (blockIdx.x % groups) * kMmaWarps + warp : blockIdx.x % groups;
  const int s = blockIdx.x / groups;
  const int b = blockIdx.y;
  // The length and the cache slot are read together: both come from memory (DRAM when the step
  // begins cold), and reading the slot after the length's branches put a second round trip before
  // the block's first K/V copy.
  const int len = a.lens[b];
  const int slot = a.slots ? a.slots[b] : b;
  const int h0 = qb * QB;
  const bool single = a.splits == 1;
  auto wait_and_release = [] {
    wait_for_previous_grid();
    let_next_grid_launch();  // the combine pass may be scheduled now; it waits for this grid's results
  };
  if (len > a.splits * a.chunk) {
    // Longer than planned: say so loudly (NaN) rather than attend to a truncated context.
    wait_and_release();  // every block waits, even one that writes nothing: the waits chain
    if (single)
      for (int i = per_warp ? lane : threadIdx.x; i < QB * DV; i += per_warp ? 32 : kMmaThreads)
        static_cast<T*>(a.out)[b * a.out_bs + (h0 + i / DV) * a.out_hs + i % DV] = from_float<T>(NAN);
    return;  // else the combine pass writes NaN
  }
  // This split's slices: one run [t0, t1) of the sequence, or (interleaved) every splits-th 16-token
  // slice from slice s, t0 = 0 and t1 = len. An empty split: the combine pass skips it (one split of
  // an empty context writes zeros).
  const bool inter = a.interleaved != 0;
  const int chunk = sequence_chunk(a, len);
  const int t0 = inter ? 0 : s * chunk;
  const int t1 = inter ? len : min(len, t0 + chunk);
  const int sequence_slices = (len + kStepTokens - 1) / kStepTokens;
  const int slices = inter ? (s < sequence_slices ? (sequence_slices - s + a.splits - 1) / a.splits : 0)
                           : (max(t1 - t0, 0) + kStepTokens - 1) / kStepTokens;
  if (slices == 0 && !single) {
    wait_and_release();  // every block waits, even one that reads nothing: the waits chain
    return;
  }
  // Each thread computes the VB offsets itself (registers: the loops over j are unrolled), so no
  // barrier precedes the stream.
  int64_t v_head_offset[VB];
#pragma unroll
  for (int j = 0; j < VB; ++j) v_head_offset[j] = ((h0 + j * QVB) / a.qv) * a.v_hs;

  const int g = lane / 4, t = lane % 4;  // fragment row (Q head) and column pair
  // This warp's slices: all of them (one unit a warp), or every kMmaWarps-th from its index.
  const int first = per_warp ? 0 : warp, stride = per_warp ? 1 : kMmaWarps;
  const int mine = slices > first ? (slices - first + stride - 1) / stride : 0;
  const T* k_head = static_cast<const T*>(a.k) + (h0 / a.qk) * a.k_hs;
  const T* v_base = static_cast<const T*>(a.v);
  const SlotRows k_rows = slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.k_bs, a.k_ts);
  const SlotRows v_rows = slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.v_bs, a.v_ts);
  T* ring = reinterpret_cast<T*>(smem) + warp * STAGES * SLICE;
  auto slice_start = [&](int i) {
    const int k = first + i * stride;  // the k-th slice of this split
    return (inter ? s + k * a.splits : t0 / kStepTokens + k) * kStepTokens;
  };
  // Slice i's copies; its first token is a multiple of 16 (chunks are whole 16-token granules).
  auto load = [&](int i) {
    const int ts = slice_start(i);
    load_slice<T, DK, DV, VB, KB>(ring + (i % STAGES) * SLICE, k_head + k_rows.offset(ts), a.k_hs, a.k_ts,
                                  v_base + v_rows.offset(ts), v_head_offset, a.v_ts, t1 - ts, lane);
  };
  auto prologue = [&] {
#pragma unroll
    for (int st = 0; st < STAGES - 1; ++st) {
      if (st < mine) load(st);
      cp_async_commit();
    }
  };
  // The ring's first slices are issued before the wait, overlapping the end of the kernel before
  // this one, unless they reach the token it appends (the last slice of the sequence).
  const int pro = min(STAGES - 1, mine);
  const bool before_wait = pro == 0 || t1 < len || slice_start(pro - 1) + kStepTokens < len;
  if (before_wait) prologue();
  wait_and_release();
  if (!before_wait) prologue();

  // Q as the A operand: row g (Q head h0 + g) for g < QB, zero rows otherwise. Raw values: the
  // scale is applied to the fp32 scores.
  uint32_t qa0[KSTEPS], qa2[KSTEPS];
  {
    const T* q_row = static_cast<const T*>(a.q) + b * a.q_bs + (h0 + min(g, QB - 1)) * a.q_hs;
#pragma unroll
    for (int k = 0; k < KSTEPS; ++k) {
      qa0[k] = g < QB ? *reinterpret_cast<const uint32_t*>(q_row + 16 * k + 2 * t) : 0u;
      qa2[k] = g < QB ? *reinterpret_cast<const uint32_t*>(q_row + 16 * k + 8 + 2 * t) : 0u;
    }
  }
  float o[NTILES][4];
#pragma unroll
  for (int j = 0; j < NTILES; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.0f;
  float m_run = -INFINITY, l_run = 0.0f;  // head g's running max (log2 domain) and this lane's partial sum

  for (int i = 0; i < mine; ++i) {
    // Slice i - 1's buffer is free once every lane has read it: refill it with slice
    // i + STAGES - 1 before waiting for slice i, so that the whole ring is in flight during the
    // wait (waiting first left one buffer idle: DiffQKV's two-slice ring had one slice in flight).
    __syncwarp();
    if (i + STAGES - 1 < mine) load(i + STAGES - 1);
    cp_async_commit();
    cp_async_wait<STAGES - 1>();  // groups 0..i done: slice i is in this lane's part of the ring
    __syncwarp();                 // ... and in every lane's
    const T* ks = ring + (i % STAGES) * SLICE;
    const T* vs = ks + KB * kStepTokens * DK;
    const int base = slice_start(i);

    // Scores of the 16 tokens: two n8 tiles, K rows through ldmatrix (4 pieces = 2 k-steps a load).
    // With several K slots, slot kb's mma sees only its own heads' rows of q (the others zero), so
    // the slots' products sum to each row's own scores.
    float sc[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
#pragma unroll
    for (int kslot = 0; kslot < KB; ++kslot) {
      const bool mine_k = KB == 1 || g / QK == kslot;
      const T* kt = ks + kslot * kStepTokens * DK;
#pragma unroll
      for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int k2 = 0; k2 < KSTEPS / 2; ++k2) {
          uint32_t kb[4];
          ldmatrix_x4(kb, kt + swizzled<LK>(nt * 8 + (lane & 7), 4 * k2 + (lane >> 3)));
          mma_rows8<T>(sc[nt], mine_k ? qa0[2 * k2] : 0u, mine_k ? qa2[2 * k2] : 0u, kb[0], kb[1]);
          mma_rows8<T>(sc[nt], mine_k ? qa0[2 * k2 + 1] : 0u, mine_k ? qa2[2 * k2 + 1] : 0u, kb[2], kb[3]);
        }
    }
    // Tokens base + 2t, +1 (tile 0) and base + 8 + 2t, +1 (tile 1).
    float sv[4] = {sc[0][0], sc[0][1], sc[1][0], sc[1][1]};
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int token = base + (e / 2) * 8 + 2 * t + (e % 2);
      sv[e] = token < t1 ? sv[e] * a.scale_log2 : -INFINITY;
    }
    float mt = fmaxf(fmaxf(sv[0], sv[1]), fmaxf(sv[2], sv[3]));
    mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 1));
    mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, 2));
    const float m_new = fmaxf(m_run, mt);  // finite: the slice holds at least one token
    const float alpha = exp2f(m_run - m_new);
    float p[4];
#pragma unroll
    for (int e = 0; e < 4; ++e) p[e] = exp2f(sv[e] - m_new);
    l_run = l_run * alpha + (p[0] + p[1]) + (p[2] + p[3]);
    m_run = m_new;
#pragma unroll
    for (int j = 0; j < NTILES; ++j) o[j][0] *= alpha, o[j][1] *= alpha;
    const uint32_t pa0 = pack2<T>(p[0], p[1]), pa2 = pack2<T>(p[2], p[3]);

    // O += p V, one V slot at a time (only its heads' rows of p), 2 n8 tiles a ldmatrix.
#pragma unroll
    for (int j = 0; j < VB; ++j) {
      const bool mine_row = VB == 1 || g / QVB == j;
      const uint32_t a0 = mine_row ? pa0 : 0u, a2 = mine_row ? pa2 : 0u;
      const T* vj = vs + j * kStepTokens * DV;
#pragma unroll
      for (int jp = 0; jp < NTILES / 2; ++jp) {
        uint32_t vb[4];
        ldmatrix_x4_trans(vb, vj + swizzled<LV>((lane & 7) + ((lane >> 3) & 1) * 8, 2 * jp + (lane >> 4)));
        mma_rows8<T>(o[2 * jp], a0, a2, vb[0], vb[1]);
        mma_rows8<T>(o[2 * jp + 1], a0, a2, vb[2], vb[3]);
      }
    }
  }
  cp_async_wait<0>();
  l_run += __shfl_xor_sync(0xffffffffu, l_run, 1);
  l_run += __shfl_xor_sync(0xffffffffu, l_run, 2);
  if (per_warp) {
    // The warp's state is its unit's whole chunk: row g (Q head h0 + g) is O / l, lanes of a row
    // holding columns 8j + 2t, +1.
    if (g < QB) {
      const int h = h0 + g;
      const float inv = l_run > 0.0f ? 1.0f / l_run : 0.0f;  // no tokens (one split, empty context): zeros
      if (single) {
        T* dst = static_cast<T*>(a.out) + b * a.out_bs + h * a.out_hs + 2 * t;
#pragma unroll
        for (int j = 0; j < NTILES; ++j)
          *reinterpret_cast<uint32_t*>(dst + 8 * j) = pack2<T>(o[j][0] * inv, o[j][1] * inv);
      } else {
        const int64_t r = (static_cast<int64_t>(b) * a.n_q + h) * a.splits + s;
        float* dst = a.partial_out + r * DV + 2 * t;
#pragma unroll
        for (int j = 0; j < NTILES; ++j) *reinterpret_cast<float2*>(dst + 8 * j) = make_float2(o[j][0] * inv, o[j][1] * inv);
        if (t == 0) a.partial_lse[r] = m_run + log2f(l_run);
      }
    }
    return;
  }
  __syncthreads();  // every warp is done with its ring: the space holds the merge scratch

  // Merge the warps: scratch [warp][QB][DV] of O, then [warp][QB] maxima and sums.
  float* mo = reinterpret_cast<float*>(smem);
  float* mm = mo + kMmaWarps * QB * DV;
  float* ml = mm + kMmaWarps * QB;
  if (g < QB) {
#pragma unroll
    for (int j = 0; j < NTILES; ++j) {
      mo[(warp * QB + g) * DV + 8 * j + 2 * t] = o[j][0];
      mo[(warp * QB + g) * DV + 8 * j + 2 * t + 1] = o[j][1];
    }
    if (t == 0) mm[warp * QB + g] = m_run, ml[warp * QB + g] = l_run;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < QB * DV; i += kMmaThreads) {
    const int h = i / DV, d = i % DV;
    float m = -INFINITY;
#pragma unroll
    for (int w = 0; w < kMmaWarps; ++w) m = fmaxf(m, mm[w * QB + h]);
    float l = 0.0f, acc = 0.0f;
    if (m != -INFINITY) {
#pragma unroll
      for (int w = 0; w < kMmaWarps; ++w) {
        const float wgt = exp2f(mm[w * QB + h] - m);  // 0 for a warp that had no tokens
        l += ml[w * QB + h] * wgt;
        acc += mo[(w * QB + h) * DV + d] * wgt;
      }
    }
    const float value = l > 0.0f ? acc / l : 0.0f;
    if (single) {
      static_cast<T*>(a.out)[b * a.out_bs + (h0 + h) * a.out_hs + d] = from_float<T>(value);
    } else {
      const int64_t r = (static_cast<int64_t>(b) * a.n_q + h0 + h) * a.splits + s;
      a.partial_out[r * DV + d] = value;
      if (d == 0) a.partial_lse[r] = m + log2f(l);
    }
  }
}

}  // namespace aimicius::kernels::detail
