// The source of every CPU kernel (runtime/cpu/kernels.h), compiled once per ISA: kernels_scalar.cpp
// (no flags), kernels_avx2.cpp (-mavx2 -mfma -mf16c), kernels_avx512.cpp (plus AVX-512 F/BW/VL/VNNI),
// kernels_amx.cpp (plus AMX-TILE/INT8/BF16: the same kernels, matmul_q4_1_tiles, matmul_q8_0_tiles
// and the tile attention of prefill).
// The compiler's ISA macros pick the vector code; the scalar code under it is the reference and the
// fallback for shapes the vector code does not take (head dims not a multiple of 8).
//
// Invariant: this file includes no standard header with inline functions (only <immintrin.h> and
// C types), and everything it defines is in an anonymous namespace inside AIMICIUS_CPU_KERNEL_NS
// (but table(), named by that per-ISA namespace), so no inline function compiled for AVX-512 can be
// merged into code that runs on a CPU without it.
#ifndef AIMICIUS_CPU_KERNEL_NS
#error "define AIMICIUS_CPU_KERNEL_NS before including kernels_impl.h"
#endif

#include <stdint.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "runtime/cpu/kernels.h"

namespace aimicius::runtime::cpu {
float f16_value(uint16_t h);  // kernels.cpp: the portable conversion (gguf::f16_to_float)
uint16_t f16_bits(float x);    // kernels.cpp: the nearest float16, ties to even (runtime::float_to_f16)

namespace AIMICIUS_CPU_KERNEL_NS {
namespace {

inline float half_at(const uint8_t* p) {
  const uint16_t h = static_cast<uint16_t>(p[0] | (p[1] << 8));
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return f16_value(h);
#endif
}

inline float max_f(float a, float b) { return a > b ? a : b; }
inline float abs_f(float a) { return a < 0 ? -a : a; }

// GELU's tanh approximation, 0.5 x (1 + tanh(y)) with y = sqrt(2/pi) (x + 0.044715 x^3), written
// as x sigmoid(2y) (the same function; an overflowing exp gives the right limit 0).
constexpr float kSqrt2OverPi = 0.7978845608028654f, kGeluCubic = 0.044715f;
inline float gelu_tanh_scalar(float x) {
  const float y = kSqrt2OverPi * (x + kGeluCubic * x * x * x);
  return x / (1.0f + __builtin_expf(-2.0f * y));
}

// ---- scalar parts (the reference) ----------------------------------------------------------------

[[maybe_unused]] void quantize_row_scalar(const float* x, int64_t cols, QBlock8* out) {
  for (int64_t b = 0; b < cols / kBlock; ++b) {
    const float* v = x + b * kBlock;
    float amax = 0;
    for (int j = 0; j < kBlock; ++j) amax = max_f(amax, abs_f(v[j]));
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < kBlock; ++j) {
      const int q = static_cast<int>(__builtin_nearbyintf(v[j] * id));  // ties to even, as the vector code
      out[b].q[j] = static_cast<int8_t>(q);
      sum += q;
    }
    out[b].d = d;
    out[b].s = d * static_cast<float>(sum);
  }
}

// The products of kernels.h's contract, one output at a time: every build's kernels give these floats.
[[maybe_unused]] float row_q8_0_scalar(const uint8_t* row, int64_t blocks, const QBlock8* a) {
  float acc = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * 34;
    const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
    int isum = 0;
    for (int j = 0; j < kBlock; ++j) isum += q[j] * a[b].q[j];
    acc = __builtin_fmaf(static_cast<float>(isum), half_at(blk) * a[b].d, acc);
  }
  return acc;
}

[[maybe_unused]] float row_q4_1_scalar(const uint8_t* row, int64_t blocks, const QBlock8* a) {
  float acc = 0, accm = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * 20;
    const uint8_t* qs = blk + 4;
    int isum = 0;
    for (int j = 0; j < 16; ++j) isum += (qs[j] & 0xF) * a[b].q[j] + (qs[j] >> 4) * a[b].q[j + 16];
    acc = __builtin_fmaf(static_cast<float>(isum), half_at(blk) * a[b].d, acc);
    accm = __builtin_fmaf(half_at(blk + 2), a[b].s, accm);
  }
  return acc + accm;
}

[[maybe_unused]] float dot_scalar(const float* a, const float* b, int64_t n) {
  float acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

// s = cap * tanh(s / cap) over a row of scores (Gemma 2's attention softcap).
inline void softcap_row(float* p, int64_t n, float cap) {
  for (int64_t j = 0; j < n; ++j) p[j] = cap * __builtin_tanhf(p[j] / cap);
}

// A K or V value of the CPU path's cache (kernels.h: float32, or float16 beside quantised
// products) as float. The attention kernels below are templates on the cache's element type KV.
inline float kv_value(const float* p) { return *p; }
inline float kv_value(const uint16_t* p) { return half_at(reinterpret_cast<const uint8_t*>(p)); }

template <typename KV>
[[maybe_unused]] void attend_scalar(const float* q, const KV* k, int64_t ks, const KV* v, int64_t vs, int64_t keys,
                                    int64_t dk, int64_t dv, float scale, float softcap, float* p, float* out) {
  float mx = -__builtin_inff();
  for (int64_t j = 0; j < keys; ++j) {
    float acc = 0;
    for (int64_t c = 0; c < dk; ++c) acc += q[c] * kv_value(k + j * ks + c);
    p[j] = scale * acc;
  }
  if (softcap > 0) softcap_row(p, keys, softcap);
  for (int64_t j = 0; j < keys; ++j) mx = max_f(mx, p[j]);
  float sum = 0;
  for (int64_t j = 0; j < keys; ++j) sum += (p[j] = __builtin_expf(p[j] - mx));
  for (int64_t c = 0; c < dv; ++c) out[c] = 0;
  for (int64_t j = 0; j < keys; ++j)
    for (int64_t c = 0; c < dv; ++c) out[c] += p[j] * kv_value(v + j * vs + c);
  const float inv = 1.0f / sum;
  for (int64_t c = 0; c < dv; ++c) out[c] *= inv;
}

// ---- vector parts ----------------------------------------------------------------------------------
#if defined(__AVX2__)

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The four sums of a0..a3's lanes.
inline __m128 hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// Unsigned x signed bytes, summed in fours to int32 lanes.
inline __m256i dot_u8s8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

// e^x for x <= 0 (softmax after subtracting the maximum): 2^n * p(r), x = n ln2 + r, |r| <= ln2/2,
// p of degree 6 (relative error ~2e-7); x below -87 gives 0.
inline __m256 exp_nonpositive(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(tiny, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

void quantize_row_avx(const float* x, int64_t cols, QBlock8* out) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < cols / kBlock; ++b) {
    const float* v = x + b * kBlock;
    __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16),
           v3 = _mm256_loadu_ps(v + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float d = _mm_cvtss_f32(m4) / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    const __m256 mul = _mm256_set1_ps(id);
    // cvtps rounds to nearest even (the default MXCSR mode), as the scalar code's nearbyint.
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, mul)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul)),
                  i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul));
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_hadd_epi32(s4, s4);
    s4 = _mm_hadd_epi32(s4, s4);
    // packs works within 128-bit lanes: the permute puts the 32 bytes back in order.
    const __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].q),
                        _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    out[b].d = d;
    out[b].s = d * static_cast<float>(_mm_cvtsi128_si32(s4));
  }
}

// Lane k of the result = the sum of all of i[k]'s int32 lanes: hadd pairs within 128-bit halves,
// then add the halves.
inline __m256i lane_sums8(const __m256i (&i)[8]) {
  const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(i[0], i[1]), _mm256_hadd_epi32(i[2], i[3]));
  const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(i[4], i[5]), _mm256_hadd_epi32(i[6], i[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20), _mm256_permute2x128_si256(h0, h1, 0x31));
}

// The two half floats at p + offset[k] (lane k), as floats: *first the halves at that byte, *second
// the ones after them (Q4_1's d and m; Q8_0's d and its first two weight bytes, unused).
inline void half_pairs8(const uint8_t* p, __m256i offset, __m256* first, __m256* second) {
  const __m256i v = _mm256_i32gather_epi32(reinterpret_cast<const int*>(p), offset, 1);
  // packus keeps 128-bit halves: [first 0-3, second 0-3 | first 4-7, second 4-7]; the permute
  // puts the four 64-bit runs in the order 0, 2, 1, 3.
  const __m256i halves = _mm256_permute4x64_epi64(
      _mm256_packus_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)), _mm256_srli_epi32(v, 16)), 0xD8);
  *first = _mm256_cvtph_ps(_mm256_castsi256_si128(halves));
  *second = _mm256_cvtph_ps(_mm256_extracti128_si256(halves, 1));
}

// Eight weight rows from w (row_bytes apart; lanes past n repeat row n - 1): their pointers, and their
// byte offsets from the first as one vector (for half_pairs8's gather).
struct Rows8 {
  const uint8_t* row[8];
  __m256i offset;
};
inline Rows8 rows8(const uint8_t* w, int64_t row_bytes, int64_t n) {
  Rows8 r;
  alignas(32) int32_t off[8];
  for (int64_t k = 0; k < 8; ++k) {
    off[k] = static_cast<int32_t>((k < n ? k : n - 1) * row_bytes);
    r.row[k] = w + off[k];
  }
  r.offset = _mm256_load_si256(reinterpret_cast<const __m256i*>(off));
  return r;
}

// The first n lanes of each of NT result vectors into y[i * ldy + k].
template <int NT>
void store_rows8(const __m256 (&out)[NT], int64_t n, float* y, int64_t ldy) {
  for (int i = 0; i < NT; ++i) {
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, out[i]);
    for (int64_t k = 0; k < n; ++k) y[i * ldy + k] = lanes[k];
  }
}

// The products of fewer activation rows than the group kernels take (decode): weight rows 0..n-1
// from w (n <= 8, one per lane; lanes past n repeat the last row and are not stored) against NT
// activation rows (`blocks` apart), into y[i * ldy + k]. Each block's exact int sums of the 8 rows
// are reduced to one lane per row (lane_sums8) and scaled per lane in block order, as the x8 kernel
// does with activation rows in its lanes: kernels.h's floats, whatever kernel or batch a row meets.
template <int NT>
void rows8_q8_0_avx(const uint8_t* w, int64_t row_bytes, int64_t n, int64_t blocks, const QBlock8* a, float* y,
                    int64_t ldy) {
  const Rows8 rows = rows8(w, row_bytes, n);
  __m256 acc[NT];
  for (int i = 0; i < NT; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i wq[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) wq[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows.row[k] + b * 34 + 2));
    __m256 dw, unused;
    half_pairs8(w + b * 34, rows.offset, &dw, &unused);
#pragma GCC unroll 4
    for (int i = 0; i < NT; ++i) {
      const QBlock8& x = a[i * blocks + b];
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q));
      // Signed by signed as unsigned |w| by q with w's sign (exact: |q| <= 127).
      __m256i p[8];
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) p[k] = dot_u8s8(_mm256_sign_epi8(wq[k], wq[k]), _mm256_sign_epi8(q, wq[k]));
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lane_sums8(p)), _mm256_mul_ps(dw, _mm256_set1_ps(x.d)), acc[i]);
    }
  }
  store_rows8<NT>(acc, n, y, ldy);
}

template <int NT>
void rows8_q4_1_avx(const uint8_t* w, int64_t row_bytes, int64_t n, int64_t blocks, const QBlock8* a, float* y,
                    int64_t ldy) {
  const Rows8 rows = rows8(w, row_bytes, n);
  const __m128i low = _mm_set1_epi8(0xF);
  __m256 acc[NT], accm[NT];
  for (int i = 0; i < NT; ++i) acc[i] = _mm256_setzero_ps(), accm[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i wq[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.row[k] + b * 20 + 4));
      wq[k] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low), _mm_and_si128(raw, low));
    }
    __m256 dw, mw;
    half_pairs8(w + b * 20, rows.offset, &dw, &mw);
#pragma GCC unroll 4
    for (int i = 0; i < NT; ++i) {
      const QBlock8& x = a[i * blocks + b];
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q));
      __m256i p[8];
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) p[k] = dot_u8s8(wq[k], q);
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lane_sums8(p)), _mm256_mul_ps(dw, _mm256_set1_ps(x.d)), acc[i]);
      accm[i] = _mm256_fmadd_ps(mw, _mm256_set1_ps(x.s), accm[i]);
    }
  }
  __m256 out[NT];
  for (int i = 0; i < NT; ++i) out[i] = _mm256_add_ps(acc[i], accm[i]);
  store_rows8<NT>(out, n, y, ldy);
}

void matmul_q4_1_x8_avx(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                        const QBlock8* a, const float* ds, float* y, int64_t ldy) {
  const __m128i low = _mm_set1_epi8(0xF);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = row + b * 20;
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 4));
      const __m256i wq = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low), _mm_and_si128(raw, low));
      __m256i i[8];
      for (int k = 0; k < 8; ++k)
        i[k] = dot_u8s8(wq, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[k * blocks + b].q)));
      const __m256i sum = lane_sums8(i);  // lane k = activation row k's block sum
      const float* d = ds + b * 16;
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(_mm256_set1_ps(half_at(blk)), _mm256_loadu_ps(d)), acc);
      accm = _mm256_fmadd_ps(_mm256_set1_ps(half_at(blk + 2)), _mm256_loadu_ps(d + 8), accm);
    }
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(acc, accm));
    for (int k = 0; k < 8; ++k) y[k * ldy + r] = out[k];
  }
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define AIMICIUS_CPU_HAS_X16 1
void matmul_q4_1_x16_avx512(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                            const int32_t* aq, const float* ds, float* y, int64_t ldy) {
  const __m128i low = _mm_set1_epi8(0xF);
  __m512i quad[8];
  for (int c = 0; c < 8; ++c) quad[c] = _mm512_set1_epi32(c);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = row + b * 20;
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 4));
      // The block's 32 weights as bytes 0..31 (low nibbles: weights 0-15, high: 16-31), quad c =
      // 32-bit element c, broadcast to every lane by permutexvar.
      const __m256i wq = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low), _mm_and_si128(raw, low));
      const __m512i wz = _mm512_castsi256_si512(wq);
      const int32_t* a = aq + b * 128;
      // Four independent chains (a multiply-add waits ~5 cycles for the one before on its chain);
      // int32 sums, so the order does not change the result.
      __m512i part[4];
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c)
        part[c] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_permutexvar_epi32(quad[c], wz),
                                      _mm512_loadu_si512(a + c * 16));
#pragma GCC unroll 4
      for (int c = 4; c < 8; ++c)
        part[c - 4] = _mm512_dpbusd_epi32(part[c - 4], _mm512_permutexvar_epi32(quad[c], wz),
                                          _mm512_loadu_si512(a + c * 16));
      const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(part[0], part[1]), _mm512_add_epi32(part[2], part[3]));
      const float* d = ds + b * 32;
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(_mm512_set1_ps(half_at(blk)), _mm512_loadu_ps(d)), acc);
      accm = _mm512_fmadd_ps(_mm512_set1_ps(half_at(blk + 2)), _mm512_loadu_ps(d + 16), accm);
    }
    float out[16];
    _mm512_storeu_ps(out, _mm512_add_ps(acc, accm));
    for (int k = 0; k < 16; ++k) y[k * ldy + r] = out[k];
  }
}

// Q8_0 against 16 activation rows (kernels.h, matmul_q8_0_x16). VNNI multiplies unsigned by signed
// bytes: the activations come as q + 128 (unsigned), the weight quad broadcast as stored (signed),
// so a lane's int sum is sum((q + 128) w) = sum(q w) + 128 sum(w), and 128 sum(w) (one per weight row
// and block, from a sum of absolute differences) is taken off: the exact int sum of the tile kernel,
// scaled in the same order, so the same floats.
void matmul_q8_0_x16_avx512(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                            const int32_t* aq, const float* ds, float* y, int64_t ldy) {
  __m512i quad[8];
  for (int c = 0; c < 8; ++c) quad[c] = _mm512_set1_epi32(c);
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = row + b * 34;
      const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
      const __m512i wz = _mm512_castsi256_si512(wq);
      const int32_t* a = aq + b * 128;
      __m512i part[4];
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c)
        part[c] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512(a + c * 16),
                                      _mm512_permutexvar_epi32(quad[c], wz));
#pragma GCC unroll 4
      for (int c = 4; c < 8; ++c)
        part[c - 4] = _mm512_dpbusd_epi32(part[c - 4], _mm512_loadu_si512(a + c * 16),
                                          _mm512_permutexvar_epi32(quad[c], wz));
      // sum(w + 128) over the block's 32 bytes, in four partial sums of eight.
      const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(wq, bias), _mm256_setzero_si256());
      const __m128i sad2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
      const int w_sum = _mm_cvtsi128_si32(_mm_add_epi64(sad2, _mm_unpackhi_epi64(sad2, sad2))) - 32 * 128;
      const __m512i sum = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(part[0], part[1]),
                                                            _mm512_add_epi32(part[2], part[3])),
                                           _mm512_set1_epi32(128 * w_sum));
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(_mm512_set1_ps(half_at(blk)), _mm512_loadu_ps(ds + b * 32)),
                            acc);
    }
    float out[16];
    _mm512_storeu_ps(out, acc);
    for (int k = 0; k < 16; ++k) y[k * ldy + r] = out[k];
  }
}
#endif

#if defined(__AVX2__) && !defined(AIMICIUS_CPU_HAS_X16)
// Q4_1 against 16 activation rows on AVX2 (kernels.h, matmul_q4_1_x16's layout and floats): each
// weight quad broadcast (a permute) against the same quad of the rows, two 8-lane halves of 16,
// with VPMADDUBSW (unsigned nibble x signed activation, pairs summed to int16) accumulated over the
// block's 8 quads in int16, which cannot wrap (8 x 2 x 15 x 128 = 30,720 < 32,768), then one
// VPMADDWD to the exact int32 sums: no horizontal reduction, about a third fewer operations a block
// than the x8 kernel's, and the same sums scaled in the same order.
void matmul_q4_1_x16_avx2(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                          const int32_t* aq, const float* ds, float* y, int64_t ldy) {
  const __m128i low = _mm_set1_epi8(0xF);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 accm0 = _mm256_setzero_ps(), accm1 = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = row + b * 20;
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 4));
      const __m256i wq = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low), _mm_and_si128(raw, low));
      const int32_t* a = aq + b * 128;
      __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int c = 0; c < 8; ++c) {
        const __m256i quad = _mm256_permutevar8x32_epi32(wq, _mm256_set1_epi32(c));
        s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(quad, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + c * 16))));
        s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(quad, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + c * 16 + 8))));
      }
      const float* d = ds + b * 32;
      const __m256 dw = _mm256_set1_ps(half_at(blk)), mw = _mm256_set1_ps(half_at(blk + 2));
      acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(s0, ones)), _mm256_mul_ps(dw, _mm256_loadu_ps(d)), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(s1, ones)), _mm256_mul_ps(dw, _mm256_loadu_ps(d + 8)), acc1);
      accm0 = _mm256_fmadd_ps(mw, _mm256_loadu_ps(d + 16), accm0);
      accm1 = _mm256_fmadd_ps(mw, _mm256_loadu_ps(d + 24), accm1);
    }
    alignas(32) float out[16];
    _mm256_store_ps(out, _mm256_add_ps(acc0, accm0));
    _mm256_store_ps(out + 8, _mm256_add_ps(acc1, accm1));
    for (int k = 0; k < 16; ++k) y[k * ldy + r] = out[k];
  }
}
#endif

#if defined(AIMICIUS_CPU_HAS_X16) && defined(__AMX_TILE__) && defined(__AMX_INT8__)
#define AIMICIUS_CPU_HAS_TILES 1
// AMX-INT8 (kernels.h, matmul_q4_1_tiles). One TDPBSUD multiplies a tile of 16 activation rows x
// one block's 32 int8 values (A, signed) by the block's 32 weights of 16 weight rows (B, unsigned
// nibbles, "VNNI" layout: B[c][r] = weights 4c..4c+3 of row r) into 16 x 16 exact int32 sums
// (C[token][row]); the vector units then do per lane what the x8/x16 kernels do per row and block:
// acc = fma(float(sum), d_w * d_a, acc), accm = fma(m_w, s_a, accm), y = acc + accm, the same
// floats in the same order.
//
// Tile registers: 0 and 1 take C (two blocks a step), 4 and 5 A, 6 and 7 B.
struct TileConfig {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

inline void load_tile_config() {
  TileConfig cfg{};
  cfg.palette = 1;
  cfg.rows[0] = cfg.rows[1] = 16, cfg.colsb[0] = cfg.colsb[1] = 64;  // C: 16 x 16 int32
  cfg.rows[4] = cfg.rows[5] = 16, cfg.colsb[4] = cfg.colsb[5] = 32;  // A: 16 x 32 int8
  cfg.rows[6] = cfg.rows[7] = 8, cfg.colsb[6] = cfg.colsb[7] = 64;   // B: 8 x (16 x 4) uint8
  _tile_loadconfig(&cfg);
}

// Rows [r, r + n) (n <= 16) of the Q4_1 matrix into `pack`: per block (kTilePackPerBlock bytes), B
// (8 x 16 int32 = 512 bytes), then d_w and m_w as 16 floats each; rows past n are zero weights with
// zero scales.
constexpr int64_t kTilePackPerBlock = 640;
// One block's 32 weight bytes of 16 rows (rows[i] = row i's bytes) as a B tile: 8 x 16 int32,
// B[c][i] = bytes 4c..4c+3 of row i.
void store_b_tile(const int32_t (&rows)[16][8], int32_t* bt) {
  const __m512i rows_of = _mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120);
  for (int c = 0; c < 8; ++c)
    _mm512_store_si512(bt + c * 16, _mm512_i32gather_epi32(_mm512_add_epi32(rows_of, _mm512_set1_epi32(c)), &rows[0][0], 4));
}

void pack_q4_1_tile(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, uint8_t* pack) {
  const __m128i low = _mm_set1_epi8(0xF);
  for (int64_t b = 0; b < blocks; ++b) {
    alignas(64) int32_t unpacked[16][8];
    float* d = reinterpret_cast<float*>(pack + b * kTilePackPerBlock + 512);
    for (int64_t i = 0; i < 16; ++i) {
      if (i < n) {
        const uint8_t* blk = w + (r + i) * row_bytes + b * 20;
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 4));
        _mm256_store_si256(reinterpret_cast<__m256i*>(unpacked[i]),
                           _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), low), _mm_and_si128(raw, low)));
        d[i] = half_at(blk), d[16 + i] = half_at(blk + 2);
      } else {
        _mm256_store_si256(reinterpret_cast<__m256i*>(unpacked[i]), _mm256_setzero_si256());
        d[i] = 0, d[16 + i] = 0;
      }
    }
    store_b_tile(unpacked, reinterpret_cast<int32_t*>(pack + b * kTilePackPerBlock));
  }
}

// Every block's 16 x 16 exact int sums of one packed weight tile against one tile of activations,
// into `sums` (blocks x 256 int32): signed activations by unsigned (Q4_1's nibbles, TDPBSUD) or
// signed (Q8_0, TDPBSSD) weights.
template <bool kSignedWeights>
void tile_block_sums(const uint8_t* pack, int64_t blocks, const int8_t* aq, int32_t* sums) {
  int64_t b = 0;  // two blocks a step, into two C tiles
  for (; b + 2 <= blocks; b += 2) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_loadd(4, aq + b * 512, 32);
    _tile_loadd(6, pack + b * kTilePackPerBlock, 64);
    _tile_loadd(5, aq + (b + 1) * 512, 32);
    _tile_loadd(7, pack + (b + 1) * kTilePackPerBlock, 64);
    if constexpr (kSignedWeights) {
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(1, 5, 7);
    } else {
      _tile_dpbsud(0, 4, 6);
      _tile_dpbsud(1, 5, 7);
    }
    _tile_stored(0, sums + b * 256, 64);
    _tile_stored(1, sums + (b + 1) * 256, 64);
  }
  if (b < blocks) {
    _tile_zero(0);
    _tile_loadd(4, aq + b * 512, 32);
    _tile_loadd(6, pack + b * kTilePackPerBlock, 64);
    if constexpr (kSignedWeights) {
      _tile_dpbssd(0, 4, 6);
    } else {
      _tile_dpbsud(0, 4, 6);
    }
    _tile_stored(0, sums + b * 256, 64);
  }
}

// One 16-row tile of packed weights against one tile of 16 activation rows (aq, ds: kernels.h's
// layout for matmul_q4_1_tiles), of which the first nt are stored: y[t * ldy + i] for i < n.
// `sums` takes blocks x 16 x 16 int32.
//
// Why two passes (all the blocks' products, then all the scaling): the vector loads of a C tile's
// sums are not forwarded from the tile store, so they wait until it has retired and reached L1;
// scaling each block right after its product serialised product, store and scaling (a third of
// the speed, measured). Interleaving the next tile's products with this tile's scaling, and 2 x 2
// tiles a step, measured no faster on a Xeon (Emerald Rapids, 2 cores), so the simple form stays.
void tile_q4_1_amx(const uint8_t* pack, int64_t blocks, const int8_t* aq, const float* ds, int64_t nt, int64_t n,
                   int32_t* sums, float* y, int64_t ldy) {
  tile_block_sums<false>(pack, blocks, aq, sums);
  int64_t b = 0;
  __m512 acc[16];
  for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
  for (b = 0; b < blocks; ++b) {
    const __m512 dw = _mm512_load_ps(reinterpret_cast<const float*>(pack + b * kTilePackPerBlock + 512));
    const float* da = ds + b * 32;
#pragma GCC unroll 16
    for (int t = 0; t < 16; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(sums + b * 256 + t * 16)),
                               _mm512_mul_ps(dw, _mm512_set1_ps(da[t])), acc[t]);
  }
  // The offsets' sums in a pass of their own (32 accumulators would leave no registers to work in).
  __m512 accm[16];
  for (int t = 0; t < 16; ++t) accm[t] = _mm512_setzero_ps();
  for (b = 0; b < blocks; ++b) {
    const __m512 mw = _mm512_load_ps(reinterpret_cast<const float*>(pack + b * kTilePackPerBlock + 576));
    const float* sa = ds + b * 32 + 16;
#pragma GCC unroll 16
    for (int t = 0; t < 16; ++t) accm[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(sa[t]), accm[t]);
  }
  const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1);
  for (int64_t t = 0; t < nt; ++t) _mm512_mask_storeu_ps(y + t * ldy, lanes, _mm512_add_ps(acc[t], accm[t]));
}

// Rows [r0, r1) against `tokens` activation rows by tiles (kernels.h's matmul_*_tiles): each 16-row
// weight tile packed once (PackTile), then multiplied by every tile of activations (Tile).
template <auto PackTile, auto Tile>
void matmul_tiles_amx(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const int8_t* aq,
                      const float* ds, int64_t tokens, float* y, int64_t ldy, uint8_t* scratch) {
  load_tile_config();
  // scratch (kernels.h): the packed weight tile, then the tile's sums.
  uint8_t* pack = scratch;
  int32_t* sums = reinterpret_cast<int32_t*>(scratch + blocks * kTilePackPerBlock);
  for (int64_t r = r0; r < r1; r += 16) {
    const int64_t n = r1 - r < 16 ? r1 - r : 16;
    PackTile(w, row_bytes, r, n, blocks, pack);
    for (int64_t t = 0; t < tokens; t += 16)
      Tile(pack, blocks, aq + t / 16 * blocks * 512, ds + t / 16 * blocks * 32, tokens - t < 16 ? tokens - t : 16, n,
           sums, y + t * ldy + r, ldy);
  }
  _tile_release();
}

// Q8_0 (kernels.h, matmul_q8_0_tiles): rows [r, r + n) into `pack` as pack_q4_1_tile lays it out,
// B from the signed bytes as stored (B[c][i] = weights 4c..4c+3 of row i), then d_w; the 16 floats
// after d_w are unused (Q8_0 has no offset). Rows past n are zero weights with zero scales.
void pack_q8_0_tile(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, uint8_t* pack) {
  for (int64_t b = 0; b < blocks; ++b) {
    alignas(64) int32_t rows[16][8];
    float* d = reinterpret_cast<float*>(pack + b * kTilePackPerBlock + 512);
    for (int64_t i = 0; i < 16; ++i) {
      if (i < n) {
        const uint8_t* blk = w + (r + i) * row_bytes + b * 34;
        _mm256_store_si256(reinterpret_cast<__m256i*>(rows[i]),
                           _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2)));
        d[i] = half_at(blk);
      } else {
        _mm256_store_si256(reinterpret_cast<__m256i*>(rows[i]), _mm256_setzero_si256());
        d[i] = 0;
      }
    }
    store_b_tile(rows, reinterpret_cast<int32_t*>(pack + b * kTilePackPerBlock));
  }
}

// As tile_q4_1_amx with signed weights (TDPBSSD) and no offsets: per lane and block
// acc = fma(float(sum), d_w * d_a, acc), in block order (the floats kernels.h promises).
void tile_q8_0_amx(const uint8_t* pack, int64_t blocks, const int8_t* aq, const float* ds, int64_t nt, int64_t n,
                   int32_t* sums, float* y, int64_t ldy) {
  tile_block_sums<true>(pack, blocks, aq, sums);
  __m512 acc[16];
  for (int t = 0; t < 16; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const __m512 dw = _mm512_load_ps(reinterpret_cast<const float*>(pack + b * kTilePackPerBlock + 512));
    const float* da = ds + b * 32;
#pragma GCC unroll 16
    for (int t = 0; t < 16; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(sums + b * 256 + t * 16)),
                               _mm512_mul_ps(dw, _mm512_set1_ps(da[t])), acc[t]);
  }
  const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1);
  for (int64_t t = 0; t < nt; ++t) _mm512_mask_storeu_ps(y + t * ldy, lanes, acc[t]);
}
#endif

float dot_avx(const float* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float s = hsum(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// 8 K or V values as floats (float16 widened by F16C).
inline __m256 load8kv(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 load8kv(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// The attention reads one head's K (then V) rows a token row apart (384 bytes for SmolLM2's three
// K/V heads of float16), a stride the hardware prefetchers follow late: perf put ~40% of a 2k-key
// decode's attention samples on the instructions that wait for those loads. So the kernels below
// ask for the rows kPrefetchKeys keys ahead themselves. A prefetch changes no value, and one past
// the cache's end does not fault (the address is integer arithmetic, never a pointer past it).
constexpr int64_t kPrefetchKeys = 32;
template <typename KV>
inline void prefetch_row(const KV* base, int64_t offset, int64_t elems) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(offset) * sizeof(KV);
  const uintptr_t end = begin + static_cast<uintptr_t>(elems) * sizeof(KV);
  for (uintptr_t line = begin & ~uintptr_t{63}; line < end; line += 64)
    _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
}

// dot_avx of a float row and a K row.
template <typename KV>
float dot_kv_avx(const float* a, const KV* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load8kv(b + i), acc);
  float s = hsum(acc);
  for (; i < n; ++i) s += a[i] * kv_value(b + i);
  return s;
}

// Scores of keys [j0, j1) (j0 a multiple of 4) into p[j0..j1): eight then four keys at a time (each
// key its own accumulator, reduced four keys at a time); keys past the last group of four one by one.
template <typename KV>
void scores_avx(const float* q, const KV* k, int64_t ks, int64_t j0, int64_t j1, int64_t dk, float scale, float* p) {
  int64_t j = j0;
  const __m128 sc4 = _mm_set1_ps(scale);
  for (; j + 8 <= j1; j += 8) {
    const KV* k0 = k + j * ks;
    for (int r = 0; r < 8; ++r) prefetch_row(k0, (kPrefetchKeys + r) * ks, dk);
    // The r loops are unrolled by pragma: at -O2 GCC keeps a[] in memory otherwise, and each
    // FMA then waits on the store of the one before.
    __m256 a[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) a[r] = _mm256_setzero_ps();
    for (int64_t c = 0; c < dk; c += 8) {
      const __m256 qv = _mm256_loadu_ps(q + c);
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) a[r] = _mm256_fmadd_ps(qv, load8kv(k0 + r * ks + c), a[r]);
    }
    _mm_storeu_ps(p + j, _mm_mul_ps(sc4, hsum4(a[0], a[1], a[2], a[3])));
    _mm_storeu_ps(p + j + 4, _mm_mul_ps(sc4, hsum4(a[4], a[5], a[6], a[7])));
  }
  for (; j + 4 <= j1; j += 4) {
    const KV *k0 = k + j * ks, *k1 = k0 + ks, *k2 = k1 + ks, *k3 = k2 + ks;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t c = 0; c < dk; c += 8) {
      const __m256 qv = _mm256_loadu_ps(q + c);
      a0 = _mm256_fmadd_ps(qv, load8kv(k0 + c), a0);
      a1 = _mm256_fmadd_ps(qv, load8kv(k1 + c), a1);
      a2 = _mm256_fmadd_ps(qv, load8kv(k2 + c), a2);
      a3 = _mm256_fmadd_ps(qv, load8kv(k3 + c), a3);
    }
    _mm_storeu_ps(p + j, _mm_mul_ps(sc4, hsum4(a0, a1, a2, a3)));
  }
  for (; j < j1; ++j) p[j] = scale * dot_kv_avx(q, k + j * ks, dk);
}

// p[0..keys) to e^(p - max) in place; returns their sum.
float exp_row_avx(float* p, int64_t keys) {
  // The maximum, 32 lanes a step (a scalar chain of maxss waits ~3 cycles an element: it was 14%
  // of a long prefill's attention); a maximum does not depend on the order it is taken in.
  __m256 m0 = _mm256_set1_ps(-__builtin_inff()), m1 = m0, m2 = m0, m3 = m0;
  int64_t j = 0;
  for (; j + 32 <= keys; j += 32) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(p + j));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(p + j + 8));
    m2 = _mm256_max_ps(m2, _mm256_loadu_ps(p + j + 16));
    m3 = _mm256_max_ps(m3, _mm256_loadu_ps(p + j + 24));
  }
  const __m256 m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  float mx = _mm_cvtss_f32(m4);
  for (; j < keys; ++j) mx = max_f(mx, p[j]);
  const __m256 mxv = _mm256_set1_ps(mx);
  __m256 sumv = _mm256_setzero_ps();
  for (j = 0; j + 8 <= keys; j += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(p + j), mxv));
    _mm256_storeu_ps(p + j, e);
    sumv = _mm256_add_ps(sumv, e);
  }
  float sum = hsum(sumv);
  for (; j < keys; ++j) sum += (p[j] = __builtin_expf(p[j] - mx));
  return sum;
}

// out[c0 .. c0 + 8 N) += p[j] * v_j for j in [j0, j1), in key order, the N x 8 outputs held in
// registers (independent accumulators: the adds of one key do not wait on each other).
template <int N, typename KV>
void weighted_values_n(const float* p, const KV* v, int64_t vs, int64_t j0, int64_t j1, float* out) {
  __m256 o[N];  // in registers only if the r loops are unrolled (see scores_avx)
#pragma GCC unroll 8
  for (int r = 0; r < N; ++r) o[r] = _mm256_loadu_ps(out + 8 * r);
  for (int64_t j = j0; j < j1; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const KV* vj = v + j * vs;
    prefetch_row(vj, kPrefetchKeys * vs, 8 * N);
#pragma GCC unroll 8
    for (int r = 0; r < N; ++r) o[r] = _mm256_fmadd_ps(pj, load8kv(vj + 8 * r), o[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < N; ++r) _mm256_storeu_ps(out + 8 * r, o[r]);
}

// out[dv] += p[j] * v_j for j in [j0, j1) (dv a multiple of 8), 64 outputs at a time.
template <typename KV>
void weighted_values_avx(const float* p, const KV* v, int64_t vs, int64_t j0, int64_t j1, int64_t dv, float* out) {
  int64_t c = 0;
  for (; c + 64 <= dv; c += 64) weighted_values_n<8>(p, v + c, vs, j0, j1, out + c);
  switch ((dv - c) / 8) {
    case 7: weighted_values_n<7>(p, v + c, vs, j0, j1, out + c); break;
    case 6: weighted_values_n<6>(p, v + c, vs, j0, j1, out + c); break;
    case 5: weighted_values_n<5>(p, v + c, vs, j0, j1, out + c); break;
    case 4: weighted_values_n<4>(p, v + c, vs, j0, j1, out + c); break;
    case 3: weighted_values_n<3>(p, v + c, vs, j0, j1, out + c); break;
    case 2: weighted_values_n<2>(p, v + c, vs, j0, j1, out + c); break;
    case 1: weighted_values_n<1>(p, v + c, vs, j0, j1, out + c); break;
    default: break;
  }
}

// Queries sharing one K/V stream walk it together, kKeyBlock keys at a time: a block's K (then V)
// rows are read from memory once and stay in L1 while every query that sees them uses them. Each
// query's result is the same, bit for bit, as attending alone (the same sums in the same order).
constexpr int64_t kKeyBlock = 64;

// Up to how many queries with the same keys share each K and V load in registers (grouped_*
// below): 3 with AVX-512VL's 32 vector registers (3 x 8 accumulators, 3 broadcasts or query rows,
// one load), 1 with AVX2's 16.
#if defined(__AVX512VL__)
constexpr int kGroup = 3;
#else
constexpr int kGroup = 1;
#endif

// scores_avx's eight-key step for G queries at once: each K row is loaded once for all G (instead
// of once per query: the single-query loop issues more loads than FMAs). Each (query, key) sum is
// accumulated and reduced as scores_avx does, so the scores are bit for bit its scores. Keys
// [j0, j1) (j0 a multiple of 8); returns the first key not done (the caller finishes each query).
template <int G, typename KV>
int64_t grouped_scores_avx(const float* const* q, const KV* k, int64_t ks, int64_t j0, int64_t j1, int64_t dk,
                           float scale, float* const* p) {
  const __m128 sc4 = _mm_set1_ps(scale);
  int64_t j = j0;
  for (; j + 8 <= j1; j += 8) {
    const KV* k0 = k + j * ks;
    for (int r = 0; r < 8; ++r) prefetch_row(k0, (kPrefetchKeys + r) * ks, dk);
    __m256 a[G][8];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g)
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) a[g][r] = _mm256_setzero_ps();
    for (int64_t c = 0; c < dk; c += 8) {
      __m256 qv[G];
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) qv[g] = _mm256_loadu_ps(q[g] + c);
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) {
        const __m256 kv = load8kv(k0 + r * ks + c);
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g) a[g][r] = _mm256_fmadd_ps(qv[g], kv, a[g][r]);
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      _mm_storeu_ps(p[g] + j, _mm_mul_ps(sc4, hsum4(a[g][0], a[g][1], a[g][2], a[g][3])));
      _mm_storeu_ps(p[g] + j + 4, _mm_mul_ps(sc4, hsum4(a[g][4], a[g][5], a[g][6], a[g][7])));
    }
  }
  return j;
}

// weighted_values_n<8> for G queries at once: each V row's 64 values loaded once for all G; each
// query's sums in weighted_values_n's order (so bit for bit its result).
template <int G, typename KV>
void grouped_values_64(const float* const* p, const KV* v, int64_t vs, int64_t j0, int64_t j1, float* const* out) {
  __m256 o[G][8];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g)
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) o[g][r] = _mm256_loadu_ps(out[g] + 8 * r);
  for (int64_t j = j0; j < j1; ++j) {
    __m256 pj[G];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) pj[g] = _mm256_set1_ps(p[g][j]);
    const KV* vj = v + j * vs;
    prefetch_row(vj, kPrefetchKeys * vs, 64);
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) {
      const __m256 vv = load8kv(vj + 8 * r);
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) o[g][r] = _mm256_fmadd_ps(pj[g], vv, o[g][r]);
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g)
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) _mm256_storeu_ps(out[g] + 8 * r, o[g][r]);
}

// How many queries from i on (at most kGroup) see the same keys, so can share loads.
inline int same_keys_run(int64_t queries, const int64_t* keys, int64_t i) {
  int n = 1;
  while (n < kGroup && i + n < queries && keys[i + n] == keys[i]) ++n;
  return n;
}

template <typename KV>
void attend_avx(int64_t queries, const float* const* q, const int64_t* keys, const KV* k, int64_t ks,
                const KV* v, int64_t vs, int64_t dk, int64_t dv, float scale, float softcap, float* p, int64_t ps,
                float* const* out) {
  int64_t most = 0;
  for (int64_t i = 0; i < queries; ++i) most = keys[i] > most ? keys[i] : most;
  for (int64_t j0 = 0; j0 < most; j0 += kKeyBlock)
    for (int64_t i = 0; i < queries;) {
      const int n = same_keys_run(queries, keys, i);
      const int64_t j1 = j0 + kKeyBlock < keys[i] ? j0 + kKeyBlock : keys[i];
      int64_t done = j0;  // the keys the group's shared loads covered; each query finishes alone
      if (keys[i] > j0 && n > 1) {
        float* rows[kGroup];
        for (int g = 0; g < n; ++g) rows[g] = p + (i + g) * ps;
        done = n == 3 ? grouped_scores_avx<3>(q + i, k, ks, j0, j1, dk, scale, rows)
                      : grouped_scores_avx<2>(q + i, k, ks, j0, j1, dk, scale, rows);
      }
      for (int g = 0; g < n; ++g)
        if (keys[i + g] > done) scores_avx(q[i + g], k, ks, done, j1, dk, scale, p + (i + g) * ps);
      i += n;
    }
  if (softcap > 0)
    for (int64_t i = 0; i < queries; ++i) softcap_row(p + i * ps, keys[i], softcap);
  float sums[kMaxQueries];
  for (int64_t i = 0; i < queries; ++i) {
    sums[i] = exp_row_avx(p + i * ps, keys[i]);
    for (int64_t c = 0; c < dv; ++c) out[i][c] = 0;
  }
  for (int64_t j0 = 0; j0 < most; j0 += kKeyBlock)
    for (int64_t i = 0; i < queries;) {
      const int n = same_keys_run(queries, keys, i);
      const int64_t j1 = j0 + kKeyBlock < keys[i] ? j0 + kKeyBlock : keys[i];
      if (keys[i] > j0 && n > 1 && dv % 64 == 0) {
        const float* rows[kGroup];
        for (int g = 0; g < n; ++g) rows[g] = p + (i + g) * ps;
        for (int64_t c = 0; c < dv; c += 64) {
          float* outs[kGroup];
          for (int g = 0; g < n; ++g) outs[g] = out[i + g] + c;
          if (n == 3) grouped_values_64<3>(rows, v + c, vs, j0, j1, outs);
          else grouped_values_64<2>(rows, v + c, vs, j0, j1, outs);
        }
      } else {
        for (int g = 0; g < n; ++g)
          if (keys[i + g] > j0) weighted_values_avx(p + (i + g) * ps, v, vs, j0, j1, dv, out[i + g]);
      }
      i += n;
    }
  for (int64_t i = 0; i < queries; ++i) {
    const __m256 inv = _mm256_set1_ps(1.0f / sums[i]);
    for (int64_t c = 0; c < dv; c += 8) _mm256_storeu_ps(out[i] + c, _mm256_mul_ps(inv, _mm256_loadu_ps(out[i] + c)));
  }
}

// sigmoid(z) from e = exp(-|z|) <= 1: 1 / (1 + e) for z >= 0, e / (1 + e) below.
inline __m256 sigmoid_avx(__m256 z) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_nonpositive(_mm256_or_ps(z, _mm256_set1_ps(-0.0f)));
  const __m256 num = _mm256_blendv_ps(one, e, z);  // blendv picks e where z's sign bit is set
  return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

void silu_mul_avx(const float* g, const float* u, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(gv, sigmoid_avx(gv)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) out[i] = g[i] / (1.0f + __builtin_expf(-g[i])) * u[i];
}

void gelu_tanh_mul_avx(const float* g, const float* u, int64_t n, float* out) {
  // 0.5 x (1 + tanh(y)) = x sigmoid(2y), y = sqrt(2/pi) (x + 0.044715 x^3).
  const __m256 a = _mm256_set1_ps(2.0f * kSqrt2OverPi), b = _mm256_set1_ps(2.0f * kSqrt2OverPi * kGeluCubic);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    const __m256 z = _mm256_mul_ps(x, _mm256_fmadd_ps(_mm256_mul_ps(x, x), b, a));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(x, sigmoid_avx(z)), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) out[i] = gelu_tanh_scalar(g[i]) * u[i];
}

#endif  // __AVX2__

[[maybe_unused]] void silu_mul_scalar(const float* g, const float* u, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] / (1.0f + __builtin_expf(-g[i])) * u[i];
}

[[maybe_unused]] void gelu_tanh_mul_scalar(const float* g, const float* u, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gelu_tanh_scalar(g[i]) * u[i];
}

#if defined(AIMICIUS_CPU_HAS_TILES) && defined(__AMX_BF16__)
#define AIMICIUS_CPU_HAS_BF16_TILES 1
// Attention on AMX-BF16 tiles (kernels.h: pack_k_tiles, pack_v_tiles, attend_tiles), in one of
// two precisions. Plain: q, k, the softmax weights and v rounded to bfloat16 (nearest, ties to
// even), their products summed in float32 by TDPBF16PS. Pairs: each float32 operand x split into
// hi = bf16(x) and lo = bf16(x - hi) (x - hi is exact in float32), so x = hi + lo to ~2^-18
// relatively, and a product x.y taken as hi.hi + hi.lo + lo.hi (lo.lo, ~2^-16 of it, dropped):
// three TDPBF16PS into one float32 tile. The softmax is float32 in both. Every output row depends
// only on its own query row (a tile product's row m reads only row m of A), and a key past a row's
// last is a zero weight on a finite value (exact zeros added), so a query's result does not depend
// on the other rows of its tile or on how many keys they see.
//
// Tile registers: all eight 16 rows x 64 bytes (attend_tiles says which holds what).
inline void load_bf16_tile_config() {
  TileConfig cfg{};
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) cfg.rows[t] = 16, cfg.colsb[t] = 64;
  _tile_loadconfig(&cfg);
}

// The bfloat16 nearest each lane (ties to even), as int32 lanes holding it in their upper half.
inline __m512i bf16_bits(__m512 x) {
  const __m512i b = _mm512_castps_si512(x);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  return _mm512_and_si512(_mm512_add_epi32(b, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))),
                          _mm512_set1_epi32(static_cast<int>(0xFFFF0000u)));
}

// 32 bfloat16 in order from the upper halves of a's lanes (values 0-15) and b's (16-31).
inline __m512i bf16_words(__m512i a, __m512i b) {
  // Word w of the result is word 2w + 1 of a:b (the upper half of lane w).
  const __m512i odd_words = _mm512_add_epi32(_mm512_set1_epi32(0x00030001),
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(0x00040004)));
  return _mm512_permutex2var_epi16(a, odd_words, b);
}

inline void split_bf16(__m512 x, __m512i& hi, __m512i& lo) {
  hi = bf16_bits(x);
  lo = bf16_bits(_mm512_sub_ps(x, _mm512_castsi512_ps(hi)));
}

// Pairs of bfloat16 (a's lane n low, b's lane n high) as one int32 lane each: a B tile's row.
inline __m512i bf16_pairs(__m512i a, __m512i b) { return _mm512_or_si512(_mm512_srli_epi32(a, 16), b); }

// A mask of the first n of 16 lanes (all for n >= 16, none for n <= 0).
inline __mmask16 first_lanes(int64_t n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1); }

// 32 floats (n valid, the rest zero) to a row of 32 bfloat16 (`hi`), and where `lo` is given, the
// row of their remainders.
inline void round_row32(const float* x, int64_t n, uint16_t* hi, uint16_t* lo) {
  __m512i h0, l0, h1, l1;
  split_bf16(_mm512_maskz_loadu_ps(first_lanes(n), x), h0, l0);
  split_bf16(_mm512_maskz_loadu_ps(first_lanes(n - 16), x + 16), h1, l1);
  _mm512_storeu_si512(hi, bf16_words(h0, h1));
  if (lo) _mm512_storeu_si512(lo, bf16_words(l0, l1));
}

// One B-tile row of bfloat16 pairs (x0's lanes low, x1's high) at `row`, and with pairs the
// remainders' row 512 uint16 after it (the tile of lo parts follows the tile of hi parts).
inline void store_pair_row(__m512 x0, __m512 x1, bool pairs, uint16_t* row) {
  __m512i h0, l0, h1, l1;
  split_bf16(x0, h0, l0);
  split_bf16(x1, h1, l1);
  _mm512_storeu_si512(row, bf16_pairs(h0, h1));
  if (pairs) _mm512_storeu_si512(row + 512, bf16_pairs(l0, l1));
}

// Values d[0] and d[1] of 16 K rows (row i at rows_of[i] values from d; rows not `valid` zeros).
inline void gather_dim_pair(const float* d, __m512i rows_of, __mmask16 valid, __m512& x0, __m512& x1) {
  x0 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, rows_of, d, 4);
  x1 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, rows_of, d + 1, 4);
}
inline void gather_dim_pair(const uint16_t* d, __m512i rows_of, __mmask16 valid, __m512& x0, __m512& x1) {
  const __m512i both = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, rows_of, d, 2);  // one word a row
  x0 = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(both));
  x1 = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(both, 16)));
}
// 16 V values as floats.
inline __m512 load16kv(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 load16kv(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }

template <typename KV>
void pack_k_tiles_kv(const KV* k, int64_t ks, int64_t keys, int64_t dk, int64_t c0, int64_t c1, bool pairs,
                     uint16_t* pack) {
  const int64_t chunks = dk / 32, unit = pairs ? 1024 : 512;
  const __m512i rows_of = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(static_cast<int>(ks)));
  for (int64_t g = c0 * 2; g < c1 * 2; ++g) {  // 16-key groups
    const __mmask16 valid = first_lanes(keys - g * 16);
    const KV* kg = k + g * 16 * ks;
    for (int64_t c = 0; c < chunks; ++c) {
      uint16_t* tile = pack + (g * chunks + c) * unit;
      for (int p = 0; p < 16; ++p) {  // row p: dims 2p, 2p + 1 of the chunk, one lane per key
        __m512 x0, x1;
        gather_dim_pair(kg + c * 32 + 2 * p, rows_of, valid, x0, x1);
        store_pair_row(x0, x1, pairs, tile + p * 32);
      }
    }
  }
}

template <typename KV>
void pack_v_tiles_kv(const KV* v, int64_t vs, int64_t keys, int64_t dv, int64_t c0, int64_t c1, bool pairs,
                     uint16_t* pack) {
  const int64_t blocks = dv / 16, unit = pairs ? 1024 : 512;
  for (int64_t kc = c0; kc < c1; ++kc)
    for (int64_t nb = 0; nb < blocks; ++nb) {
      uint16_t* tile = pack + (kc * blocks + nb) * unit;
      for (int p = 0; p < 16; ++p) {  // row p: keys 2p, 2p + 1 of the chunk, one lane per value
        const int64_t j = kc * 32 + 2 * p;
        const auto row16 = [&](int64_t jj) { return jj < keys ? load16kv(v + jj * vs + nb * 16) : _mm512_setzero_ps(); };
        store_pair_row(row16(j), row16(j + 1), pairs, tile + p * 32);
      }
    }
}

void pack_k_tiles(const float* k, int64_t ks, int64_t keys, int64_t dk, int64_t c0, int64_t c1, bool pairs, uint16_t* pack) {
  pack_k_tiles_kv(k, ks, keys, dk, c0, c1, pairs, pack);
}
void pack_k_tiles_f16(const uint16_t* k, int64_t ks, int64_t keys, int64_t dk, int64_t c0, int64_t c1, bool pairs,
                      uint16_t* pack) {
  pack_k_tiles_kv(k, ks, keys, dk, c0, c1, pairs, pack);
}
void pack_v_tiles(const float* v, int64_t vs, int64_t keys, int64_t dv, int64_t c0, int64_t c1, bool pairs, uint16_t* pack) {
  pack_v_tiles_kv(v, vs, keys, dv, c0, c1, pairs, pack);
}
void pack_v_tiles_f16(const uint16_t* v, int64_t vs, int64_t keys, int64_t dv, int64_t c0, int64_t c1, bool pairs,
                      uint16_t* pack) {
  pack_v_tiles_kv(v, vs, keys, dv, c0, c1, pairs, pack);
}

// e^x for x <= 0 in 16 lanes, as exp_nonpositive (the same polynomial and reduction). A copy in
// 512-bit intrinsics: exp_nonpositive on the two halves made the tile attention 20% slower (one
// head's 2k prefill, bench/cpu_matmul_bench.cpp: 2.7 against 2.2 ms).
inline __m512 exp_nonpositive512(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~tiny), p, _mm512_castsi512_ps(e));
}

// One row of scores: scaled, softcapped, to e^(s - max) over its n keys and zero past them up to
// `padded`; returns the sum of the exponentials.
float softmax_row_tiles(float* row, int64_t n, int64_t padded, float scale, float softcap) {
  const __m512 sc = _mm512_set1_ps(scale);
  __m512 mx = _mm512_set1_ps(-__builtin_inff());
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 m = first_lanes(n - j);
    __m512 v = _mm512_mul_ps(sc, _mm512_maskz_loadu_ps(m, row + j));
    _mm512_mask_storeu_ps(row + j, m, v);
    mx = _mm512_mask_max_ps(mx, m, mx, v);
  }
  if (softcap > 0) {  // tanh is increasing: the maximum is taken again after it
    softcap_row(row, n, softcap);
    mx = _mm512_set1_ps(-__builtin_inff());
    for (int64_t j = 0; j < n; j += 16) mx = _mm512_mask_max_ps(mx, first_lanes(n - j), mx, _mm512_loadu_ps(row + j));
  }
  const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < padded; j += 16) {
    const __mmask16 m = first_lanes(n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, exp_nonpositive512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), top)));
    _mm512_storeu_ps(row + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

// One step of both passes: C tiles 0 and 1 += A . B0 and A . B1 (A: 16 rows of 32 bfloat16 at `a`,
// `stride` bytes apart, into tile 2; B0, B1: packed tiles into 4 and 6); with pairs also A's
// remainders (`a_lo`, tile 3) and the B tiles' (512 uint16 after each, 5 and 7), as hi.hi + hi.lo
// + lo.hi in that order.
// Why two accumulator tiles a step: a tile product waits for the one before it on the same C tile,
// so one chain leaves the tile unit idle most of the time; two chains (two 16-key groups of scores,
// two 16-value blocks of outputs) interleave.
inline void two_chain_step(const uint16_t* a, const uint16_t* a_lo, int64_t stride, const uint16_t* b0,
                           const uint16_t* b1, bool pairs) {
  _tile_loadd(2, a, stride);
  _tile_loadd(4, b0, 64);
  _tile_loadd(6, b1, 64);
  _tile_dpbf16ps(0, 2, 4);
  _tile_dpbf16ps(1, 2, 6);
  if (pairs) {
    _tile_loadd(3, a_lo, stride);
    _tile_loadd(5, b0 + 512, 64);
    _tile_loadd(7, b1 + 512, 64);
    _tile_dpbf16ps(0, 2, 5);
    _tile_dpbf16ps(1, 2, 7);
    _tile_dpbf16ps(0, 3, 4);
    _tile_dpbf16ps(1, 3, 6);
  }
}

void attend_tiles(const float* q, int64_t qs, int64_t rows, int64_t keys0, const uint16_t* kpack, const uint16_t* vpack,
                  int64_t dk, int64_t dv, float scale, float softcap, bool pairs, float* scratch, float* out, int64_t os) {
  const int64_t most = keys0 + rows - 1, padded = (most + 31) / 32 * 32, chunks = dk / 32, blocks = dv / 16;
  const int64_t unit = pairs ? 1024 : 512;  // uint16 a packed K or V tile (kernels.h)
  // scratch (kernels.h): q hi and lo [16][dk] bfloat16 each, scores [16][padded] float32, p hi and
  // lo [16][padded] bfloat16 each, outputs [16][dv] (the lo parts used with pairs only).
  uint16_t* qh = reinterpret_cast<uint16_t*>(scratch);
  uint16_t* ql = qh + 16 * dk;
  float* p = scratch + 16 * dk;
  uint16_t* ph = reinterpret_cast<uint16_t*>(p + 16 * padded);
  uint16_t* pl = ph + 16 * padded;
  float* o = p + 32 * padded;
  load_bf16_tile_config();
  for (int64_t i = 0; i < 16; ++i)
    for (int64_t c = 0; c < dk; c += 32)
      round_row32(q + i * qs + c, i < rows ? 32 : 0, qh + i * dk + c, pairs ? ql + i * dk + c : nullptr);
  // Scores, 32 keys (two 16-key groups) a step: C tiles 0 and 1, q 2 (lo 3), k of the groups 4
  // and 6 (lo 5 and 7).
  for (int64_t g = 0; g < padded / 16; g += 2) {
    _tile_zero(0);
    _tile_zero(1);
    for (int64_t c = 0; c < chunks; ++c) {
      two_chain_step(qh + c * 32, ql + c * 32, dk * 2, kpack + (g * chunks + c) * unit,
                     kpack + ((g + 1) * chunks + c) * unit, pairs);
    }
    _tile_stored(0, p + g * 16, padded * 4);
    _tile_stored(1, p + g * 16 + 16, padded * 4);
  }
  float sums[16];
  for (int64_t i = 0; i < 16; ++i) {
    float* row = p + i * padded;
    const int64_t n = i < rows ? keys0 + i : 0;
    sums[i] = softmax_row_tiles(row, n, padded, scale, softcap);
    for (int64_t j = 0; j < padded; j += 32)
      round_row32(row + j, 32, ph + i * padded + j, pairs ? pl + i * padded + j : nullptr);
  }
  // p x V, two 16-value blocks a step (C tiles 0 and 1; p 2 (lo 3); v of the blocks 4 and 6 (lo 5
  // and 7)); a last odd block pairs with itself (stored once).
  for (int64_t b0 = 0; b0 < blocks; b0 += 2) {
    const int64_t b1 = b0 + 1 < blocks ? b0 + 1 : b0;
    _tile_zero(0);
    _tile_zero(1);
    for (int64_t kc = 0; kc < padded / 32; ++kc) {
      two_chain_step(ph + kc * 32, pl + kc * 32, padded * 2, vpack + (kc * blocks + b0) * unit,
                     vpack + (kc * blocks + b1) * unit, pairs);
    }
    _tile_stored(0, o + b0 * 16, dv * 4);
    if (b1 != b0) _tile_stored(1, o + b1 * 16, dv * 4);
  }
  _tile_release();
  for (int64_t i = 0; i < rows; ++i) {
    const __m512 inv = _mm512_set1_ps(1.0f / sums[i]);
    for (int64_t c = 0; c < dv; c += 16) _mm512_storeu_ps(out + i * os + c, _mm512_mul_ps(inv, _mm512_loadu_ps(o + i * dv + c)));
  }
}

// Prompt products on AMX-BF16 tiles (kernels.h: pack_bf16_rows, pack_bf16_q4_1, pack_bf16_q8_0,
// matmul_bf16_tiles). Activations and weights are rounded to bfloat16 once; a TDPBF16PS adds a
// block's 32 products into float32 sums that stay in the tile across all the blocks, so there is
// no per-block scaling pass (the int8 tiles' cost: their sums go through memory every block).

// Groups [g0, g1) of 16 activation rows (x: `tokens` rows of `cols` floats) as A tiles: per group
// and block of 32 columns, 16 rows x 32 bfloat16 (1,024 bytes); rows past `tokens` are zeros.
void pack_bf16_rows(const float* x, int64_t cols, int64_t tokens, int64_t g0, int64_t g1, uint16_t* a) {
  const int64_t blocks = cols / 32;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t i = 0; i < 16; ++i) {
      const int64_t t = g * 16 + i;
      for (int64_t b = 0; b < blocks; ++b) {
        uint16_t* dst = a + ((g * blocks + b) * 16 + i) * 32;
        if (t >= tokens) {
          _mm512_storeu_si512(dst, _mm512_setzero_si512());
          continue;
        }
        const float* src = x + t * cols + b * 32;
        round_row32(src, 32, dst, nullptr);
      }
    }
}

// Rows [r, r + n) (n <= 16) of a Q4_1 or Q8_0 matrix as B tiles, one a block (256 int32): B[p][i] =
// the bfloat16 pair (w_i[2p], w_i[2p + 1]) of row i, each w the nearest bfloat16 to the dequantised
// float (Q4_1: d * q + m, one rounding as d * q is exact; Q8_0: d * q, exact). Rows past n are zeros.
template <bool kQ4_1>
void pack_bf16_weights(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, int32_t* pack) {
  const __m512i transpose = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(16));
  for (int64_t b = 0; b < blocks; ++b) {
    alignas(64) int32_t pairs[16][16];  // [row][pair]
    for (int64_t i = 0; i < 16; ++i) {
      if (i >= n) {
        _mm512_store_si512(pairs[i], _mm512_setzero_si512());
        continue;
      }
      __m512 lo, hi;  // values 0-15 and 16-31 of the block
      if constexpr (kQ4_1) {
        const uint8_t* blk = w + (r + i) * row_bytes + b * 20;
        const __m512 d = _mm512_set1_ps(half_at(blk)), m = _mm512_set1_ps(half_at(blk + 2));
        const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 4)));
        lo = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_and_si512(bytes, _mm512_set1_epi32(0xF))), m);
        hi = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_srli_epi32(bytes, 4)), m);
      } else {
        const uint8_t* blk = w + (r + i) * row_bytes + b * 34;
        const __m512 d = _mm512_set1_ps(half_at(blk));
        lo = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2)))));
        hi = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 18)))));
      }
      _mm512_store_si512(pairs[i], bf16_words(bf16_bits(lo), bf16_bits(hi)));
    }
    for (int p = 0; p < 16; ++p)
      _mm512_store_si512(pack + b * 256 + p * 16, _mm512_i32gather_epi32(_mm512_add_epi32(transpose, _mm512_set1_epi32(p)), &pairs[0][0], 4));
  }
}

// Rows [0, rows) of packed weights (pack_bf16_q4_1 / _q8_0: tiles of 16 rows, each `blocks` B tiles)
// against `tokens` activation rows (A tiles from pack_bf16_rows, groups padded to an even count):
// 32 weight rows (two B tiles) x 32 tokens (two A tiles) a step into four C tiles (0-3; A 4-5, B
// 6-7), every block's product added before the sums leave the tiles.
void matmul_bf16_tiles(const int32_t* w, int64_t rows, int64_t blocks, const uint16_t* a, int64_t tokens, float* y,
                       int64_t ldy) {
  load_bf16_tile_config();
  alignas(64) float part[16][16];
  // C tile `c` (tokens t.., rows r..) into y: straight when whole, else its real part.
  const auto store = [&](int c, int64_t t, int64_t r) {
    const int64_t nt = tokens - t < 16 ? tokens - t : 16, nr = rows - r < 16 ? rows - r : 16;
    if (nt <= 0 || nr <= 0) return;
    const bool whole = nt == 16 && nr == 16;
    float* dst = whole ? y + t * ldy + r : &part[0][0];
    const int64_t stride = whole ? ldy * 4 : 64;
    switch (c) {  // a tile register is an immediate
      case 0: _tile_stored(0, dst, stride); break;
      case 1: _tile_stored(1, dst, stride); break;
      case 2: _tile_stored(2, dst, stride); break;
      default: _tile_stored(3, dst, stride); break;
    }
    if (!whole)
      for (int64_t i = 0; i < nt; ++i) _mm512_mask_storeu_ps(y + (t + i) * ldy + r, first_lanes(nr), _mm512_load_ps(part[i]));
  };
  for (int64_t r = 0; r < rows; r += 32) {
    const int32_t* w0 = w + r / 16 * blocks * 256;
    // A last odd tile pairs with itself (its second C tiles are not stored).
    const int32_t* w1 = r + 16 < rows ? w0 + blocks * 256 : w0;
    for (int64_t t = 0; t < tokens; t += 32) {
      const uint16_t* a0 = a + t / 16 * blocks * 512;
      const uint16_t* a1 = a0 + blocks * 512;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t b = 0; b < blocks; ++b) {
        _tile_loadd(4, a0 + b * 512, 64);
        _tile_loadd(6, w0 + b * 256, 64);
        _tile_loadd(5, a1 + b * 512, 64);
        _tile_loadd(7, w1 + b * 256, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      store(0, t, r);
      store(2, t + 16, r);
      if (w1 != w0) {
        store(1, t, r + 16);
        store(3, t + 16, r + 16);
      }
    }
  }
  _tile_release();
}

void pack_bf16_q4_1(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, int32_t* pack) {
  pack_bf16_weights<true>(w, row_bytes, r, n, blocks, pack);
}

void pack_bf16_q8_0(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, int32_t* pack) {
  pack_bf16_weights<false>(w, row_bytes, r, n, blocks, pack);
}
#endif  // AMX-BF16

// ---- the table's entries -----------------------------------------------------------------------------

void quantize_row(const float* x, int64_t cols, QBlock8* out) {
#if defined(__AVX2__)
  quantize_row_avx(x, cols, out);
#else
  quantize_row_scalar(x, cols, out);
#endif
}

// Rows outer within each group of up to four activation rows: the weight rows of [r0, r1) are read
// once per group (the caller keeps r1 - r0 small enough for them to stay in cache). Vector builds
// take the weight rows eight at a time (one per lane), the scalar build one at a time.
#if defined(__AVX2__)
template <void (*Rows1)(const uint8_t*, int64_t, int64_t, int64_t, const QBlock8*, float*, int64_t),
          void (*Rows2)(const uint8_t*, int64_t, int64_t, int64_t, const QBlock8*, float*, int64_t),
          void (*Rows3)(const uint8_t*, int64_t, int64_t, int64_t, const QBlock8*, float*, int64_t),
          void (*Rows4)(const uint8_t*, int64_t, int64_t, int64_t, const QBlock8*, float*, int64_t)>
void matmul_rows8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const QBlock8* a,
                  int64_t tokens, float* y, int64_t ldy) {
  for (int64_t t = 0; t < tokens; t += 4) {
    const int64_t nt = tokens - t < 4 ? tokens - t : 4;
    const QBlock8* at = a + t * blocks;
    for (int64_t r = r0; r < r1; r += 8) {
      const uint8_t* rows = w + r * row_bytes;
      const int64_t n = r1 - r < 8 ? r1 - r : 8;
      float* yt = y + t * ldy + r;
      if (nt == 4) Rows4(rows, row_bytes, n, blocks, at, yt, ldy);
      else if (nt == 3) Rows3(rows, row_bytes, n, blocks, at, yt, ldy);
      else if (nt == 2) Rows2(rows, row_bytes, n, blocks, at, yt, ldy);
      else Rows1(rows, row_bytes, n, blocks, at, yt, ldy);
    }
  }
}
#else
template <float (*Row)(const uint8_t*, int64_t, const QBlock8*)>
void matmul_rows_scalar(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const QBlock8* a,
                        int64_t tokens, float* y, int64_t ldy) {
  for (int64_t t = 0; t < tokens; t += 4) {
    const int64_t nt = tokens - t < 4 ? tokens - t : 4;
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < nt; ++i) y[(t + i) * ldy + r] = Row(w + r * row_bytes, blocks, a + (t + i) * blocks);
  }
}
#endif

void matmul_q8_0(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const QBlock8* a,
                 int64_t tokens, float* y, int64_t ldy) {
#if defined(__AVX2__)
  matmul_rows8<rows8_q8_0_avx<1>, rows8_q8_0_avx<2>, rows8_q8_0_avx<3>, rows8_q8_0_avx<4>>(w, row_bytes, r0, r1, blocks,
                                                                                         a, tokens, y, ldy);
#else
  matmul_rows_scalar<row_q8_0_scalar>(w, row_bytes, r0, r1, blocks, a, tokens, y, ldy);
#endif
}

void matmul_q4_1(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const QBlock8* a,
                 int64_t tokens, float* y, int64_t ldy) {
#if defined(__AVX2__)
  matmul_rows8<rows8_q4_1_avx<1>, rows8_q4_1_avx<2>, rows8_q4_1_avx<3>, rows8_q4_1_avx<4>>(w, row_bytes, r0, r1, blocks,
                                                                                         a, tokens, y, ldy);
#else
  matmul_rows_scalar<row_q4_1_scalar>(w, row_bytes, r0, r1, blocks, a, tokens, y, ldy);
#endif
}

void matmul_q4_1_x8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const QBlock8* a,
                    const float* ds, float* y, int64_t ldy) {
#if defined(__AVX2__)
  matmul_q4_1_x8_avx(w, row_bytes, r0, r1, blocks, a, ds, y, ldy);
#else
  (void)ds;  // the scalar rows read d and s from the blocks themselves
  matmul_q4_1(w, row_bytes, r0, r1, blocks, a, 8, y, ldy);
#endif
}

#if defined(AIMICIUS_CPU_HAS_TILES)
void matmul_q4_1_tiles(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const int8_t* aq,
                       const float* ds, int64_t tokens, float* y, int64_t ldy, uint8_t* scratch) {
  matmul_tiles_amx<pack_q4_1_tile, tile_q4_1_amx>(w, row_bytes, r0, r1, blocks, aq, ds, tokens, y, ldy, scratch);
}

void matmul_q8_0_tiles(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const int8_t* aq,
                       const float* ds, int64_t tokens, float* y, int64_t ldy, uint8_t* scratch) {
  matmul_tiles_amx<pack_q8_0_tile, tile_q8_0_amx>(w, row_bytes, r0, r1, blocks, aq, ds, tokens, y, ldy, scratch);
}
#endif

#if defined(__AVX2__)
void matmul_q4_1_x16(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const int32_t* aq,
                     const float* ds, float* y, int64_t ldy) {
#if defined(AIMICIUS_CPU_HAS_X16)
  matmul_q4_1_x16_avx512(w, row_bytes, r0, r1, blocks, aq, ds, y, ldy);
#else
  matmul_q4_1_x16_avx2(w, row_bytes, r0, r1, blocks, aq, ds, y, ldy);
#endif
}
#endif

#if defined(AIMICIUS_CPU_HAS_X16)

void matmul_q8_0_x16(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks, const int32_t* aq,
                     const float* ds, float* y, int64_t ldy) {
  matmul_q8_0_x16_avx512(w, row_bytes, r0, r1, blocks, aq, ds, y, ldy);
}
#endif

void matmul_f32(const float* w, int64_t cols, int64_t r0, int64_t r1, const float* x, int64_t tokens, float* y,
                int64_t ldy) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t r = r0; r < r1; ++r)
#if defined(__AVX2__)
      y[t * ldy + r] = dot_avx(w + r * cols, x + t * cols, cols);
#else
      y[t * ldy + r] = dot_scalar(w + r * cols, x + t * cols, cols);
#endif
}

template <typename KV>
void attend_kv(int64_t queries, const float* const* q, const int64_t* keys, const KV* k, int64_t ks, const KV* v,
            int64_t vs, int64_t dk, int64_t dv, float scale, float softcap, float* p, int64_t ps, float* const* out) {
#if defined(__AVX2__)
  if (dk % 8 == 0 && dv % 8 == 0) return attend_avx(queries, q, keys, k, ks, v, vs, dk, dv, scale, softcap, p, ps, out);
#endif
  for (int64_t i = 0; i < queries; ++i)
    attend_scalar(q[i], k, ks, v, vs, keys[i], dk, dv, scale, softcap, p + i * ps, out[i]);
}

void attend(int64_t queries, const float* const* q, const int64_t* keys, const float* k, int64_t ks, const float* v,
            int64_t vs, int64_t dk, int64_t dv, float scale, float softcap, float* p, int64_t ps, float* const* out) {
  attend_kv(queries, q, keys, k, ks, v, vs, dk, dv, scale, softcap, p, ps, out);
}

void attend_f16(int64_t queries, const float* const* q, const int64_t* keys, const uint16_t* k, int64_t ks,
                const uint16_t* v, int64_t vs, int64_t dk, int64_t dv, float scale, float softcap, float* p, int64_t ps,
                float* const* out) {
  attend_kv(queries, q, keys, k, ks, v, vs, dk, dv, scale, softcap, p, ps, out);
}

void to_half(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
  for (; i < n; ++i) out[i] = f16_bits(x[i]);
}

void silu_mul(const float* g, const float* u, int64_t n, float* out) {
#if defined(__AVX2__)
  silu_mul_avx(g, u, n, out);
#else
  silu_mul_scalar(g, u, n, out);
#endif
}

void gelu_tanh_mul(const float* g, const float* u, int64_t n, float* out) {
#if defined(__AVX2__)
  gelu_tanh_mul_avx(g, u, n, out);
#else
  gelu_tanh_mul_scalar(g, u, n, out);
#endif
}

}  // namespace

const KernelTable& table() {
  static constexpr KernelTable t{AIMICIUS_CPU_KERNEL_NAME, quantize_row, matmul_q8_0, matmul_q4_1, matmul_q4_1_x8,
#if defined(AIMICIUS_CPU_HAS_X16)
                                     matmul_q4_1_x16, matmul_q8_0_x16,
#elif defined(__AVX2__)
                                     matmul_q4_1_x16, nullptr,
#else
                                     nullptr, nullptr,
#endif
#if defined(AIMICIUS_CPU_HAS_TILES)
                                     matmul_q4_1_tiles, matmul_q8_0_tiles,
#else
                                     nullptr, nullptr,
#endif
                                     matmul_f32, attend, attend_f16,
#if defined(AIMICIUS_CPU_HAS_BF16_TILES)
                                     pack_k_tiles, pack_v_tiles, pack_k_tiles_f16, pack_v_tiles_f16, attend_tiles,
                                     pack_bf16_rows, pack_bf16_q4_1,
                                     pack_bf16_q8_0, matmul_bf16_tiles,
#else
                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
#endif
                                     to_half, silu_mul, gelu_tanh_mul};
  return t;
}

}  // namespace AIMICIUS_CPU_KERNEL_NS
}  // namespace aimicius::runtime::cpu
