// Selective V fetching: score pass, then per-(sequence, Q head) radix top-k select and V gather.
// Design and contract: selective_v.h.
#include "kernels/selective_v.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/attention_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/decode_attention_impl.cuh"  // store8
#include "kernels/shape_checks.h"

namespace aimicius::kernels {
namespace {

constexpr int kScoreThreads = 256;
constexpr int kScoreChunk = 1024;  // tokens per score block
constexpr int kSelectThreads = 512;

struct SelectiveArgs {
  const void* q;
  int64_t q_bs, q_hs;
  const void* k;
  int64_t k_bs, k_ts, k_hs;
  const void* v;
  int64_t v_bs, v_ts, v_hs;
  const int32_t* lens;
  const int32_t* slots;
  const int32_t* table;  // block table or null (attention_params.h)
  int table_stride, page_tokens;
  void* out;
  int64_t out_bs, out_hs;
  int n_q, qk, qv, n_qb;
  float scale;
  int topk;
  float* scores;  // [batch, n_q, ld]
  int ld;         // planned max context length
  int32_t* selected;
};

// Scores of tokens [c * kScoreChunk, ...) for QB Q heads sharing one K head, into the workspace.
template <typename T, int DK, int QB>
__global__ void __launch_bounds__(kScoreThreads) selective_score_kernel(SelectiveArgs a) {
  const int qb = blockIdx.x % a.n_qb, c = blockIdx.x / a.n_qb, b = blockIdx.y;
  const int len = a.lens[b];
  if (len > a.ld) return;  // longer than planned: the select kernel writes NaN
  const int t0 = c * kScoreChunk, t1 = min(len, t0 + kScoreChunk);
  if (t0 >= t1) return;
  const int h0 = qb * QB;
  const int slot = a.slots ? a.slots[b] : b;
  float q[QB][8];
  detail::load_q<T, DK, QB>(static_cast<const T*>(a.q) + b * a.q_bs + h0 * a.q_hs, a.q_hs, a.scale, q);
  const T* k_head = static_cast<const T*>(a.k) + (h0 / a.qk) * a.k_hs;
  float* out = a.scores + (static_cast<int64_t>(b) * a.n_q + h0) * a.ld + t0;
  detail::score_pass<T, DK, QB, kScoreThreads, detail::kDecodeUnroll>(
      k_head, detail::slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.k_bs, a.k_ts), q, t0, t1, out, a.ld);
}

// Order-preserving map of floats to unsigned integers: x < y  <=>  key(x) < key(y).
__device__ __forceinline__ unsigned order_key(float f) {
  const unsigned u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Block-wide reduction (max or sum) through `scratch` (kSelectThreads / 32 floats).
template <bool kMax>
__device__ float block_reduce(float x, float* scratch) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) {
    const float y = __shfl_xor_sync(0xffffffffu, x, o);
    x = kMax ? fmaxf(x, y) : x + y;
  }
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  x = scratch[0];
  for (int w = 1; w < kSelectThreads / 32; ++w) x = kMax ? fmaxf(x, scratch[w]) : x + scratch[w];
  return x;
}

template <typename T, int DV>
__global__ void __launch_bounds__(kSelectThreads) selective_gather_kernel(SelectiveArgs a) {
  constexpr int NT = kSelectThreads;
  __shared__ int32_t idx[kMaxSelectiveTopK];
  __shared__ float val[kMaxSelectiveTopK];
  __shared__ unsigned hist[256];
  __shared__ unsigned s_digit, s_remaining, cnt_gt, cnt_eq;
  __shared__ float scratch[NT / 32];
  __shared__ float red[NT * 8];

  const int h = blockIdx.x, b = blockIdx.y, tid = threadIdx.x;
  const int len = a.lens[b];
  T* out = static_cast<T*>(a.out) + b * a.out_bs + h * a.out_hs;
  int32_t* sel = a.selected ? a.selected + (static_cast<int64_t>(b) * a.n_q + h) * a.topk : nullptr;
  if (len > a.ld) {
    for (int d = tid; d < DV; d += NT) out[d] = detail::from_float<T>(NAN);
    if (sel)
      for (int i = tid; i < a.topk; i += NT) sel[i] = -1;
    return;
  }
  const int k = min(a.topk, len);
  const float* sc = a.scores + (static_cast<int64_t>(b) * a.n_q + h) * a.ld;

  if (k == len) {
    for (int i = tid; i < len; i += NT) {
      idx[i] = i;
      val[i] = sc[i];
    }
  } else {
    // Radix select of the k-th largest key, 8 bits per pass from the top.
    unsigned prefix = 0, mask = 0, remaining = static_cast<unsigned>(k);
    for (int shift = 24; shift >= 0; shift -= 8) {
      for (int i = tid; i < 256; i += NT) hist[i] = 0;
      __syncthreads();
      for (int i = tid; i < len; i += NT) {
        const unsigned u = order_key(sc[i]);
        if ((u & mask) == prefix) atomicAdd(&hist[(u >> shift) & 255u], 1u);
      }
      __syncthreads();
      if (tid == 0) {
        unsigned above = 0;
        int d = 255;
        for (; d > 0; --d) {
          if (above + hist[d] >= remaining) break;
          above += hist[d];
        }
        s_digit = static_cast<unsigned>(d);
        s_remaining = remaining - above;
      }
      __syncthreads();
      prefix |= s_digit << shift;
      mask |= 0xffu << shift;
      remaining = s_remaining;
    }
    // prefix is the k-th largest key: take every key above it, then `remaining` keys equal to it.
    const unsigned n_gt = static_cast<unsigned>(k) - remaining;
    if (tid == 0) cnt_gt = cnt_eq = 0;
    __syncthreads();
    for (int i = tid; i < len; i += NT) {
      const float s = sc[i];
      const unsigned u = order_key(s);
      if (u > prefix) {
        const unsigned p = atomicAdd(&cnt_gt, 1u);
        idx[p] = i;
        val[p] = s;
      } else if (u == prefix) {
        const unsigned e = atomicAdd(&cnt_eq, 1u);
        if (e < remaining) {
          idx[n_gt + e] = i;
          val[n_gt + e] = s;
        }
      }
    }
  }
  __syncthreads();
  if (sel)
    for (int i = tid; i < a.topk; i += NT) sel[i] = i < k ? idx[i] : -1;

  // Softmax over the kept scores only (the runtime's semantics).
  float m = -INFINITY;
  for (int i = tid; i < k; i += NT) m = fmaxf(m, val[i]);
  m = block_reduce<true>(m, scratch);
  float l = 0.0f;
  for (int i = tid; i < k; i += NT) l += expf(val[i] - m);
  l = block_reduce<false>(l, scratch);
  const float inv_l = k > 0 ? 1.0f / l : 0.0f;
  for (int i = tid; i < k; i += NT) val[i] = expf(val[i] - m) * inv_l;
  __syncthreads();

  // Gather: DV / 8 lanes per kept V row, NT / (DV / 8) rows at a time.
  constexpr int LPRV = DV / 8, RP = NT / LPRV;
  const int lv = tid % LPRV, r = tid / LPRV;
  const int slot = a.slots ? a.slots[b] : b;
  const T* v_head = static_cast<const T*>(a.v) + (h / a.qv) * a.v_hs + lv * 8;
  const detail::SlotRows v_rows = detail::slot_rows(a.table, a.table_stride, a.page_tokens, slot, a.v_bs, a.v_ts);
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#pragma unroll 4
  for (int i = r; i < k; i += RP) {
    float vf[8];
    detail::to_float8<T>(detail::load16(v_head + v_rows.offset(idx[i])), vf);
    const float w = val[i];
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[e] = fmaf(w, vf[e], acc[e]);
  }
#pragma unroll
  for (int e = 0; e < 8; ++e) red[tid * 8 + e] = acc[e];
  __syncthreads();
  if (tid < LPRV) {
    float sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int r2 = 0; r2 < RP; ++r2)
#pragma unroll
      for (int e = 0; e < 8; ++e) sum[e] += red[(r2 * LPRV + tid) * 8 + e];
    detail::store8<T>(out + tid * 8, sum);
  }
}

using SelectiveKernel = void (*)(SelectiveArgs);

template <typename T, int DK>
SelectiveKernel pick_score(int qb) {
  switch (qb) {
    case 1: return &selective_score_kernel<T, DK, 1>;
    case 2: return &selective_score_kernel<T, DK, 2>;
    case 4: return &selective_score_kernel<T, DK, 4>;
    case 8: return &selective_score_kernel<T, DK, 8>;
  }
  return nullptr;
}

template <typename T>
void launch(const DecodeAttentionParams& p, const SelectiveArgs& a, int qb, int score_blocks, cudaStream_t stream) {
  const SelectiveKernel score = p.d_k == 64 ? pick_score<T, 64>(qb) : pick_score<T, 128>(qb);
  const SelectiveKernel gather =
      p.d_v == 64 ? &selective_gather_kernel<T, 64> : &selective_gather_kernel<T, 128>;
  if (!score) throw std::logic_error("selective_v: no kernel instantiated for this shape");
  score<<<dim3(score_blocks, p.batch), kScoreThreads, 0, stream>>>(a);
  detail::cuda_check(cudaGetLastError(), "selective_v: score kernel launch");
  gather<<<dim3(p.n_q, p.batch), kSelectThreads, 0, stream>>>(a);
  detail::cuda_check(cudaGetLastError(), "selective_v: select/gather kernel launch");
}

}  // namespace

SelectivePlan plan_selective_v(const DecodeAttentionParams& p, int max_context_len) {
  detail::check_supported(p, "plan_selective_v", /*need_pointers=*/false);
  if (max_context_len < 0) throw std::invalid_argument("plan_selective_v: max_context_len < 0");
  SelectivePlan plan;
  plan.q_heads_per_block = detail::q_heads_per_block(p);
  plan.max_context_len = max_context_len;
  plan.workspace_bytes = static_cast<size_t>(p.batch) * p.n_q * max_context_len * sizeof(float);
  return plan;
}

void selective_v(const DecodeAttentionParams& p, int topk, const SelectivePlan& plan, void* workspace,
                 int32_t* selected, cudaStream_t stream) {
  detail::check_supported(p, "selective_v");
  if (topk < 1 || topk > kMaxSelectiveTopK)
    throw std::invalid_argument("selective_v: topk must be in [1, " + std::to_string(kMaxSelectiveTopK) + "], got " +
                                std::to_string(topk));
  if (p.batch == 0) return;
  detail::check_aligned(p, "selective_v");
  if (plan.q_heads_per_block != detail::q_heads_per_block(p))
    throw std::invalid_argument("selective_v: the plan was not made for this shape");
  if (plan.max_context_len > 0 && !workspace) throw std::invalid_argument("selective_v: the plan needs a workspace");
  SelectiveArgs a{};
  a.q = p.q, a.q_bs = p.q_batch_stride, a.q_hs = p.q_head_stride;
  a.k = p.k_cache, a.k_bs = p.k_batch_stride, a.k_ts = p.k_token_stride, a.k_hs = p.k_head_stride;
  a.v = p.v_cache, a.v_bs = p.v_batch_stride, a.v_ts = p.v_token_stride, a.v_hs = p.v_head_stride;
  a.lens = p.context_lens, a.slots = p.cache_slots;
  a.table = p.block_table, a.table_stride = p.block_table_stride, a.page_tokens = p.page_tokens;
  a.out = p.out, a.out_bs = p.out_batch_stride, a.out_hs = p.out_head_stride;
  a.n_q = p.n_q, a.qk = p.n_q / p.n_k, a.qv = p.n_q / p.n_v, a.n_qb = p.n_q / plan.q_heads_per_block;
  a.scale = p.scale;
  a.topk = topk;
  a.scores = static_cast<float*>(workspace);
  a.ld = plan.max_context_len;
  a.selected = selected;
  const int64_t chunks = (static_cast<int64_t>(plan.max_context_len) + kScoreChunk - 1) / kScoreChunk;
  const int64_t score_blocks = std::max<int64_t>(chunks, 1) * a.n_qb;
  if (score_blocks > 0x7fffffff) throw std::invalid_argument("selective_v: grid too large");
  if (p.dtype == DType::kBF16)
    launch<__nv_bfloat16>(p, a, plan.q_heads_per_block, static_cast<int>(score_blocks), stream);
  else
    launch<__half>(p, a, plan.q_heads_per_block, static_cast<int>(score_blocks), stream);
}

}  // namespace aimicius::kernels
