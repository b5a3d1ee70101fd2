// CPU kernels for GGUF weights kept quantised: matrix x (vector | small matrix) products with the
// activations quantised per block of 32 to int8 (the int8 path, below), float32 products for the
// other weight types, a prompt's products on bfloat16 tiles where the CPU has AMX-BF16 (the bfloat16
// path: KernelTable::matmul_bf16_tiles), and one query's attention over a cached context. No LibTorch, no threads: callers split rows and
// queries over threads (runtime/cpu/weight_matrix.h, cpu_transformer.h).
//
// Activation blocks (the format is llama.cpp's Q8_1 idea, held here in float32): 32 values x as
// int8 q = round_half_even(x / d) with d = max|x| / 127, and s = d * sum(q), so that a weight
// block's offset (Q4_1's m) multiplies s instead of every value.
//   Q8_0 weight block . activation block = d_w * d_a * sum(q_w * q_a)
//   Q4_1 weight block . activation block = d_w * d_a * sum(nibble * q_a) + m_w * s_a
// The floats every kernel of every build gives (the contract the tests check bit for bit): per
// output, acc = fma(float(the block's exact int sum), d_w * d_a, acc) over the blocks in order, and
// for Q4_1 beside it accm = fma(m_w, s_a, accm), the output acc + accm. So a row's product depends
// only on the row and its activations, never on which kernel, ISA or batch size took it. Against a
// float product with unrounded activations the error is the activation rounding: per value at most
// d_a / 2, i.e. max|x| / 254 of its block.
//
// Every kernel exists in four builds of one source (kernels_impl.h): the portable scalar one (the
// reference the tests compare against), AVX2+FMA+F16C, AVX-512 (F/BW/VL/VNNI: int8 dots by
// VPDPBUSD on 256-bit vectors), and AVX-512 with AMX-INT8/BF16 (the AVX-512 kernels plus tile
// kernels: int8 ones for Q4_1/Q8_0 products of 16 rows or more, and bfloat16 ones for a prompt's
// products and attention). best_kernels() picks by __builtin_cpu_supports at run time (AMX
// also needs the kernel's permission to use tile data: tiles_permitted() in kernels.cpp).
#pragma once

#include <cstdint>

namespace aimicius::runtime::cpu {

constexpr int64_t kBlock = 32;
// The most queries one attend() call takes (a tile of tokens times the query heads of a K/V head).
constexpr int64_t kMaxQueries = 256;
// Scratch bytes per block that matmul_q4_1_tiles and matmul_q8_0_tiles need (a 16-row weight tile unpacked with its
// scales: 640; a 16 x 16 tile of int32 sums: 1,024), times the matrix's blocks per row.
constexpr int64_t kTileScratchPerBlock = 1664;
// The most queries one attend_tiles call takes (a tile's rows), and the fewest real tokens of a
// sequence in one forward for which its attention takes tiles (cpu_transformer.cpp).
constexpr int64_t kTileQueries = 16;

struct QBlock8 {
  float d;  // scale
  float s;  // d * sum(q)
  int8_t q[kBlock];
};

struct KernelTable {
  const char* name;
  // One row of `cols` floats (a multiple of kBlock) to cols / kBlock blocks.
  void (*quantize_row)(const float* x, int64_t cols, QBlock8* out);
  // y[t * ldy + r] = row r of the quantised matrix (row_bytes apart) . activation row t, for rows
  // [r0, r1) and `tokens` activation rows of `blocks` blocks each (contiguous).
  void (*matmul_q8_0)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                      const QBlock8* a, int64_t tokens, float* y, int64_t ldy);
  void (*matmul_q4_1)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                      const QBlock8* a, int64_t tokens, float* y, int64_t ldy);
  // Q4_1 against exactly 8 activation rows (prefill): the 8 rows' int sums of a block go into one
  // vector (lane = row), so scales and offsets apply once per block for all 8. `ds` holds, per block,
  // the 8 rows' d then their s (16 floats); y as matmul_q4_1's.
  void (*matmul_q4_1_x8)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                         const QBlock8* a, const float* ds, float* y, int64_t ldy);
  // Q4_1 against exactly 16 activation rows (prefill), in the AVX2 and AVX-512 builds (nullptr in
  // the scalar one): the activations transposed so that one multiply-add takes one weight quad
  // (4 bytes, broadcast) against the same quad of the rows (a lane per row: one 512-bit VNNI
  // vector, or two 256-bit halves with VPMADDUBSW on AVX2), and a block's sums need no horizontal
  // reduction. `aq` holds, per block, 8 quads x 16 rows of int32 (row k's bytes
  // 4c..4c+3 of the block at [c][k]); `ds` per block the 16 rows' d then their s (32 floats).
  // Per row the arithmetic of matmul_q4_1_x8 (same products, same order): the same floats.
  void (*matmul_q4_1_x16)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                          const int32_t* aq, const float* ds, float* y, int64_t ldy);
  // Q8_0 against exactly 16 activation rows where the ISA has 512-bit VNNI (nullptr elsewhere):
  // matmul_q4_1_x16's layout with each activation byte stored as q + 128 (unsigned: VNNI takes one
  // unsigned operand) and ds's s unused; per row the floats of matmul_q8_0_tiles.
  void (*matmul_q8_0_x16)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                          const int32_t* aq, const float* ds, float* y, int64_t ldy);
  // Q4_1 by AMX tiles, where the CPU has AMX-INT8 (nullptr elsewhere): rows [r0, r1) against
  // `tokens` activation rows, 16 x 16 outputs a tile, each output the floats of matmul_q4_1_x8
  // (same int sums, same float order). The activations come in tiles of 16 rows (the last
  // padded with zero rows): `aq` per tile and block 16 rows x 32 int8 (512 bytes, 64-byte
  // aligned), `ds` per tile and block the 16 rows' d then their s (as matmul_q4_1_x16's).
  // `scratch` holds kTileScratchPerBlock * blocks bytes, 64-byte aligned. y as matmul_q4_1's.
  void (*matmul_q4_1_tiles)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                            const int8_t* aq, const float* ds, int64_t tokens, float* y, int64_t ldy,
                            uint8_t* scratch);
  // Q8_0 by AMX tiles, where the CPU has AMX-INT8 (nullptr elsewhere): matmul_q4_1_tiles' layout of
  // aq, ds (s unused), scratch and y, signed weights, each output the floats of
  // acc = fma(float(int sum), d_w * d_a, acc) over the blocks in order (the contract above).
  void (*matmul_q8_0_tiles)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t blocks,
                            const int8_t* aq, const float* ds, int64_t tokens, float* y, int64_t ldy,
                            uint8_t* scratch);
  // matmul_q4_1's product for float32 weights [rows, cols] and float activations [tokens, cols].
  void (*matmul_f32)(const float* w, int64_t cols, int64_t r0, int64_t r1, const float* x, int64_t tokens, float* y,
                     int64_t ldy);
  // For each of `queries` (at most kMaxQueries) queries sharing one K/V stream (the query heads of
  // one K/V head, for one token or a few of one sequence): out[i][dv] = softmax(s_ij, j < keys[i])
  // . v_j with s_ij = scale * q[i] . k_j, or softcap * tanh(that / softcap) when softcap > 0 (Gemma
  // 2), k_j = k + j * k_stride (dk floats) and v_j likewise. `scores` holds queries rows of
  // `scores_stride` (>= every keys[i]) floats of scratch. attend_f16: the same on a float16 cache
  // (IEEE half, to_half's; cpu_transformer.h says which models keep one), each value widened to
  // float32 as it is read, the same sums in the same order.
  void (*attend)(int64_t queries, const float* const* q, const int64_t* keys, const float* k, int64_t k_stride,
                 const float* v, int64_t v_stride, int64_t dk, int64_t dv, float scale, float softcap, float* scores,
                 int64_t scores_stride, float* const* out);
  void (*attend_f16)(int64_t queries, const float* const* q, const int64_t* keys, const uint16_t* k, int64_t k_stride,
                     const uint16_t* v, int64_t v_stride, int64_t dk, int64_t dv, float scale, float softcap,
                     float* scores, int64_t scores_stride, float* const* out);
  // Prefill attention on AMX-BF16 tiles, where the CPU has them (nullptr elsewhere; dk a multiple
  // of 32, dv of 16). The K (V) rows of one K (V) head are packed once per layer, 32 keys a chunk,
  // chunks [c0, c1) a call (keys past `keys`, up to the chunk's end, packed as zeros); a pack holds
  // tile_keys(keys) * dk (dv) uint16, twice that with `pairs`. Then attend_tiles gives up to
  // kTileQueries queries of one head (rows q_stride floats apart) the attention of `attend`, query i
  // over keys [0, keys0 + i) (a causal run of consecutive tokens), out rows out_stride apart, its
  // packs written with the same `pairs`: without, q, k, the softmax weights and v rounded to
  // bfloat16 (the precision of the bfloat16 products), float32 sums and softmax; with, each operand
  // a pair of bfloat16 (hi + lo, ~2^-18 of it left out: kernels_impl.h), so a score is off by up to
  // ~3 x 2^-18 of sum_c |q_c k_c| (attend()'s by float32 rounding only), at 3x the tile products.
  // A query's result depends on nothing else in its call. `scratch`: attend_tiles_scratch(keys0 + rows - 1, dk, dv) floats,
  // 64-byte aligned.
  void (*pack_k_tiles)(const float* k, int64_t k_stride, int64_t keys, int64_t dk, int64_t c0, int64_t c1, bool pairs,
                       uint16_t* pack);
  void (*pack_v_tiles)(const float* v, int64_t v_stride, int64_t keys, int64_t dv, int64_t c0, int64_t c1, bool pairs,
                       uint16_t* pack);
  // The same packs from a float16 cache.
  void (*pack_k_tiles_f16)(const uint16_t* k, int64_t k_stride, int64_t keys, int64_t dk, int64_t c0, int64_t c1,
                           bool pairs, uint16_t* pack);
  void (*pack_v_tiles_f16)(const uint16_t* v, int64_t v_stride, int64_t keys, int64_t dv, int64_t c0, int64_t c1,
                           bool pairs, uint16_t* pack);
  void (*attend_tiles)(const float* q, int64_t q_stride, int64_t rows, int64_t keys0, const uint16_t* k_pack,
                       const uint16_t* v_pack, int64_t dk, int64_t dv, float scale, float softcap, bool pairs,
                       float* scratch, float* out, int64_t out_stride);
  // A prompt's products on AMX-BF16 tiles, where the CPU has them (nullptr elsewhere): the second
  // numeric path beside the int8 one above (cpu_transformer.h says which rows take which).
  // pack_bf16_rows rounds groups [g0, g1) of 16 activation rows (of `tokens`; rows past it zeros)
  // to A tiles: per group and block of 32 columns 16 x 32 bfloat16 (uint16), 64-byte aligned.
  // pack_bf16_q4_1 / _q8_0 give weight rows [r, r + n) (n <= 16; rows past n zeros) as one tile of
  // `blocks` B tiles (256 int32 each: the bfloat16 pairs of 2 values x 16 rows), each weight the
  // bfloat16 nearest its dequantised float (exact in float32: d * q, + m for Q4_1). Then
  // matmul_bf16_tiles gives y[t * ldy + r] for rows [0, rows) of the packed tiles (consecutive,
  // blocks * 256 int32 apart) and `tokens` activation rows (`a` holding their groups rounded up to
  // an even count): per output the blocks' bfloat16 products added in block order into one float32
  // sum in the tile unit (TDPBF16PS), so an output depends only on its activation row and weight
  // row, never on `tokens` or the other rows. Against the int8 path: each operand rounded to 8
  // significant bits (relative error <= 2^-9 of the value, where an int8 block rounds each value by
  // up to max|x| / 254 of its block), float32 sums, no per-block scaling pass.
  void (*pack_bf16_rows)(const float* x, int64_t cols, int64_t tokens, int64_t g0, int64_t g1, uint16_t* a);
  void (*pack_bf16_q4_1)(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, int32_t* pack);
  void (*pack_bf16_q8_0)(const uint8_t* w, int64_t row_bytes, int64_t r, int64_t n, int64_t blocks, int32_t* pack);
  void (*matmul_bf16_tiles)(const int32_t* w, int64_t rows, int64_t blocks, const uint16_t* a, int64_t tokens,
                            float* y, int64_t ldy);
  // out[i] = the float16 nearest x[i] (ties to even; beyond its range, infinity), i < n: K and V
  // rows into the CPU path's cache. The same bits in every build.
  void (*to_half)(const float* x, int64_t n, uint16_t* out);
  // out[i] = silu(gate[i]) * up[i], i < n (SwiGLU).
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
  // out[i] = gelu(gate[i]) * up[i] with GELU's tanh approximation (GeGLU: Gemma).
  void (*gelu_tanh_mul)(const float* gate, const float* up, int64_t n, float* out);
};

// Keys rounded up to whole 32-key chunks (the tile attention's packs), and the floats of
// attend_tiles' scratch for a tile whose last query sees `keys` keys.
int64_t tile_keys(int64_t keys);
int64_t attend_tiles_scratch(int64_t keys, int64_t dk, int64_t dv);

// In order of capability (isa_within caps by this order).
enum class Isa { kScalar, kAvx2, kAvx512, kAmx };

// The kernels of `isa`, or the scalar ones where this CPU (or build) lacks it.
const KernelTable& kernels(Isa isa);
// The fastest ISA this CPU runs (and this build has), at most the environment's
// AIMICIUS_CPU_CAPABILITY (read once; as LibTorch's ATEN_CPU_CAPABILITY: to compare kernel builds
// on one machine, or to step around one).
Isa best_isa();
// The fastest ISA this CPU runs at most `capability` ("scalar", "avx2", "avx512", "amx"; null or
// empty: no cap); another value is an InputError naming the variable.
Isa isa_within(const char* capability);
bool isa_supported(Isa isa);
inline const KernelTable& best_kernels() { return kernels(best_isa()); }

}  // namespace aimicius::runtime::cpu
