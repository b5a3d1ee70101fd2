// The CPU kernels (runtime/cpu/kernels.h, weight_matrix.h): every ISA this machine has against the
// portable scalar build, and the quantised products against dequantise-then-multiply in float64.
//
// Tolerances: every build's quantised products are the floats of kernels.h's contract (exact int
// block sums, scaled and accumulated in block order), so they equal the scalar build's bit for bit,
// whatever kernel (4-row, x8, x16, tiles) takes a row. Against float64 with unrounded activations the
// error is the int8 rounding of the activations: each value moves by at most d_a / 2 (d_a = its
// block's max|x| / 127), so |y - exact| <= sum_j |w_j| d_a(j) / 2, which the test computes per output
// (plus 1e-4 of float32 accumulation slack).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/errors.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/weight_matrix.h"
#include "runtime/dtype.h"
#include "runtime/gguf/ggml_types.h"

namespace aimicius::runtime::cpu {
namespace {

using gguf::GgmlType;

std::vector<Isa> vector_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512, Isa::kAmx})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

// A random normal half-float in roughly [2^-9, 2^-5) (the size of real block scales).
uint16_t random_half(std::mt19937& rng, bool negative_too) {
  const uint16_t exp = static_cast<uint16_t>(6 + rng() % 4), mant = static_cast<uint16_t>(rng() % 1024);
  const uint16_t sign = negative_too && rng() % 2 ? 0x8000 : 0;
  return static_cast<uint16_t>(sign | (exp << 10) | mant);
}

void put_half(uint8_t* p, uint16_t h) {
  p[0] = static_cast<uint8_t>(h & 0xFF);
  p[1] = static_cast<uint8_t>(h >> 8);
}

// Random rows of a Q8_0 or Q4_1 tensor as the file stores them.
WeightMatrix random_matrix(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t block_bytes = type == GgmlType::kQ8_0 ? 34 : 20;
  std::vector<uint8_t> bytes(rows * cols / kBlock * block_bytes);
  for (size_t b = 0; b < bytes.size() / block_bytes; ++b) {
    uint8_t* blk = bytes.data() + b * block_bytes;
    put_half(blk, random_half(rng, false));
    if (type == GgmlType::kQ4_1) put_half(blk + 2, random_half(rng, true));
    for (int64_t i = type == GgmlType::kQ8_0 ? 2 : 4; i < block_bytes; ++i) blk[i] = static_cast<uint8_t>(rng());
  }
  return quantized_matrix(type, bytes.data(), rows, cols);
}

std::vector<float> random_floats(int64_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

// K or V values as the CPU path's cache holds them (float16), and back.
std::vector<uint16_t> halves(const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  kernels(Isa::kScalar).to_half(x.data(), static_cast<int64_t>(x.size()), out.data());
  return out;
}
double half_value(uint16_t h) { return gguf::f16_to_float(h); }
std::vector<float> widened(const std::vector<uint16_t>& h) {
  std::vector<float> out(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = gguf::f16_to_float(h[i]);
  return out;
}

// to_half: every build gives the bits of runtime::float_to_f16 (nearest, ties to even), across
// normal, subnormal, tie, overflowing and signed values, at every offset of an 8-wide vector.
TEST(CpuKernels, ToHalfIsTheNearestFloat16OnEveryIsa) {
  std::mt19937 rng(9);
  std::vector<float> x = random_floats(203, rng, 40.0f);
  const float special[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.0f, 65520.0f, -70000.0f, 6.1e-5f, 5.96e-8f, 2.98e-8f,
                           1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, -3.0e-6f, 1e-9f};
  for (float v : special) x.push_back(v);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (!isa_supported(isa)) continue;
    for (int64_t at : {0, 3}) {
      std::vector<uint16_t> got(x.size() - at);
      kernels(isa).to_half(x.data() + at, static_cast<int64_t>(got.size()), got.data());
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], float_to_f16(x[at + i])) << kernels(isa).name << " value " << x[at + i];
    }
  }
  EXPECT_EQ(float_to_f16(1.0f + 1.0f / 2048), 0x3C00);  // a tie rounds to the even neighbour
  EXPECT_EQ(float_to_f16(65520.0f), 0x7C00);            // past the largest half: infinity
}

TEST(CpuKernels, QuantizeRowIsTheSameOnEveryIsa) {
  std::mt19937 rng(1);
  std::vector<float> x = random_floats(256, rng, 3.0f);
  x[5] = 0.0f;
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block: d = 0, q = 0
  std::vector<QBlock8> ref(8), got(8);
  kernels(Isa::kScalar).quantize_row(x.data(), 256, ref.data());
  EXPECT_EQ(ref[1].d, 0.0f);
  for (int b = 0; b < 8; ++b) {
    int sum = 0;
    for (int j = 0; j < kBlock; ++j) {
      sum += ref[b].q[j];
      EXPECT_LE(std::abs(x[b * kBlock + j] - ref[b].d * ref[b].q[j]), ref[b].d / 2 * 1.0001f);
    }
    EXPECT_FLOAT_EQ(ref[b].s, ref[b].d * static_cast<float>(sum));
  }
  for (Isa isa : vector_isas()) {
    kernels(isa).quantize_row(x.data(), 256, got.data());
    for (int b = 0; b < 8; ++b) {
      EXPECT_EQ(got[b].d, ref[b].d) << kernels(isa).name;
      EXPECT_EQ(got[b].s, ref[b].s) << kernels(isa).name;
      EXPECT_EQ(0, std::memcmp(got[b].q, ref[b].q, kBlock)) << kernels(isa).name << " block " << b;
    }
  }
}

void check_product(GgmlType type) {
  std::mt19937 rng(static_cast<unsigned>(type) + 7);
  const int64_t rows = 37, cols = 192;  // rows not a multiple of any chunk
  const WeightMatrix w = random_matrix(type, rows, cols, rng);
  for (int64_t tokens : {1, 3, 5, 8, 16, 21, 70}) {  // 4-row groups and remainders, x8, x16, tiles, two tiles of 64
    const std::vector<float> x = random_floats(tokens * cols, rng);
    std::vector<QBlock8> scratch;
    std::vector<float> ref(tokens * rows);
    ThreadPool one(1), two(2);
    matmul(w, x.data(), tokens, ref.data(), one, kernels(Isa::kScalar), scratch);
    // Against dequantised weights . unrounded activations, in float64, within the rounding bound.
    std::vector<float> wrow(cols);
    for (int64_t r = 0; r < rows; ++r) {
      w.row(r, wrow.data());
      for (int64_t t = 0; t < tokens; ++t) {
        double exact = 0, bound = 0;
        for (int64_t b = 0; b < cols / kBlock; ++b) {
          double amax = 0;
          for (int64_t j = 0; j < kBlock; ++j) amax = std::max(amax, std::abs(double(x[t * cols + b * kBlock + j])));
          for (int64_t j = 0; j < kBlock; ++j) {
            const int64_t i = b * kBlock + j;
            exact += double(wrow[i]) * x[t * cols + i];
            bound += std::abs(double(wrow[i])) * amax / 127 / 2;
          }
        }
        EXPECT_LE(std::abs(ref[t * rows + r] - exact), bound * 1.0001 + 1e-4 * std::abs(exact) + 1e-6)
            << "row " << r << " token " << t;
      }
    }
    for (Isa isa : vector_isas())
      for (ThreadPool* pool : {&one, &two}) {
        std::vector<float> got(tokens * rows);
        matmul(w, x.data(), tokens, got.data(), *pool, kernels(isa), scratch);
        for (int64_t i = 0; i < tokens * rows; ++i)
          ASSERT_EQ(got[i], ref[i]) << kernels(isa).name << " tokens " << tokens << " at " << i;
      }
  }
}

// The products of a random Q4_1 matrix [rows, cols] and `tokens` random activation rows with the
// kernels of `a` and of `b`, on two threads, expected to be the same floats.
void expect_same_q4_1_products(const KernelTable& a, const KernelTable& b, int64_t rows, int64_t cols, int64_t tokens,
                               std::mt19937& rng) {
  const WeightMatrix w = random_matrix(GgmlType::kQ4_1, rows, cols, rng);
  const std::vector<float> x = random_floats(tokens * cols, rng);
  std::vector<QBlock8> scratch;
  ThreadPool two(2);
  std::vector<float> ya(tokens * rows), yb(tokens * rows);
  matmul(w, x.data(), tokens, ya.data(), two, a, scratch);
  matmul(w, x.data(), tokens, yb.data(), two, b, scratch);
  EXPECT_EQ(ya, yb) << a.name << " vs " << b.name << ", rows " << rows << " cols " << cols << " tokens " << tokens;
}

// The x16 kernel (512-bit VNNI, transposed activations) does per row the x8 kernel's arithmetic:
// with it and without it (the same table, its x16 entry cleared) the products are the same floats,
// for token counts that mix groups of 16, groups of 8 and a remainder, across tiles of 64.
TEST(CpuKernels, Q4_1SixteenRowKernelGivesTheEightRowKernelsFloats) {
  if (!isa_supported(Isa::kAvx512) || kernels(Isa::kAvx512).matmul_q4_1_x16 == nullptr)
    GTEST_SKIP() << "this CPU or build has no 512-bit VNNI: the x16 kernel is not used here";
  std::mt19937 rng(11);
  KernelTable without = kernels(Isa::kAvx512);
  without.matmul_q4_1_x16 = nullptr;
  for (int64_t tokens : {16, 40, 93, 160}) expect_same_q4_1_products(kernels(Isa::kAvx512), without, 45, 320, tokens, rng);
}

// The AMX tile kernel sums each block exactly in int32 and scales per lane as the x8 kernel does
// per row: against the same table without it (x16, x8 and, for a last partial group of 8, the
// 4-row kernels) the products are the same floats wherever that path uses x16 or x8, i.e. for
// token counts that are multiples of 8; weight rows not a multiple of 16 (a padded last tile),
// partial last tiles of 16 tokens, more tokens than one work item's span (512) and a matrix of
// 1,536 columns (48 blocks, as MLP down projections).
TEST(CpuKernels, Q4_1TileKernelGivesTheEightRowKernelsFloats) {
  if (!isa_supported(Isa::kAmx))
    GTEST_SKIP() << "this CPU, its kernel or this build has no AMX-INT8: the tile kernel is not used here";
  std::mt19937 rng(12);
  KernelTable without = kernels(Isa::kAmx);
  without.matmul_q4_1_tiles = nullptr;
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{45, 320}, {64, 1536}})
    for (int64_t tokens : {16, 24, 40, 96, 160, 600})
      expect_same_q4_1_products(kernels(Isa::kAmx), without, rows, cols, tokens, rng);
}

// Every build's quantised products are the floats kernels.h promises, computed here independently:
// per output acc = fma(float(int sum), d_w * d_a, acc) over the blocks in order, and for Q4_1 beside
// it accm = fma(m_w, s_a, accm), the output acc + accm; bit for bit, on every table this CPU runs
// (scalar, 4-row and x8 kernels, 512-bit VNNI x16 with Q8_0's activations shifted to unsigned and
// the shift taken off, AMX tiles), for token counts that take each of them (1-5: decode's 4-row
// kernels; 8, 16, 40: group kernels and padded groups; 600: more than one work item's span), weight
// rows not a multiple of 8 or 16, weights and activations of both signs.
TEST(CpuKernels, EveryKernelGivesTheBlockOrderFloats) {
  std::vector<Isa> isas = vector_isas();
  isas.insert(isas.begin(), Isa::kScalar);
  std::mt19937 rng(21);
  const int64_t rows = 45, cols = 320, blocks = cols / kBlock;
  ThreadPool two(2);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_1}) {
    const bool q8 = type == GgmlType::kQ8_0;
    const int64_t block_bytes = q8 ? 34 : 20;
    const WeightMatrix w = random_matrix(type, rows, cols, rng);
    for (int64_t tokens : {1, 2, 3, 5, 8, 16, 40, 600}) {
      const std::vector<float> x = random_floats(tokens * cols, rng);
      std::vector<QBlock8> acts(tokens * blocks);
      for (int64_t t = 0; t < tokens; ++t)  // the blocks every ISA makes (QuantizeRowIsTheSameOnEveryIsa)
        kernels(Isa::kScalar).quantize_row(x.data() + t * cols, cols, acts.data() + t * blocks);
      std::vector<float> expected(tokens * rows);
      for (int64_t t = 0; t < tokens; ++t)
        for (int64_t r = 0; r < rows; ++r) {
          float acc = 0, accm = 0;
          for (int64_t b = 0; b < blocks; ++b) {
            const uint8_t* blk = w.data.data() + r * w.row_bytes + b * block_bytes;
            const QBlock8& a = acts[t * blocks + b];
            int sum = 0;
            for (int64_t j = 0; j < kBlock; ++j) {
              const int wq = q8 ? static_cast<int8_t>(blk[2 + j]) : j < 16 ? blk[4 + j] & 0xF : blk[4 + j - 16] >> 4;
              sum += wq * a.q[j];
            }
            const float dw = gguf::f16_to_float(static_cast<uint16_t>(blk[0] | blk[1] << 8));
            acc = std::fma(static_cast<float>(sum), dw * a.d, acc);
            if (!q8) accm = std::fma(gguf::f16_to_float(static_cast<uint16_t>(blk[2] | blk[3] << 8)), a.s, accm);
          }
          expected[t * rows + r] = q8 ? acc : acc + accm;
        }
      for (Isa isa : isas) {
        const KernelTable& k = kernels(isa);
        std::vector<QBlock8> scratch;
        std::vector<float> got(tokens * rows);
        matmul(w, x.data(), tokens, got.data(), two, k, scratch);
        for (int64_t i = 0; i < tokens * rows; ++i)
          ASSERT_EQ(got[i], expected[i]) << k.name << (q8 ? " Q8_0" : " Q4_1") << " tokens " << tokens << " token "
                                         << i / rows << " row " << i % rows;
      }
    }
  }
}

// A forward stacks the rows of a batch (prompts being prefilled, one row per decoding sequence)
// into one matrix of activation rows. A sequence's rows get the same floats stacked with others as
// alone, on every build this CPU runs, whichever kernel the stack's size picks: single decode rows
// (4-row kernels alone, group kernels or tiles among many), short and long prompts, at offsets that
// are not multiples of 8.
TEST(CpuKernels, ASequencesRowsGetTheSameFloatsAloneAsStackedWithOthers) {
  std::mt19937 rng(33);
  const int64_t rows = 40, cols = 256;
  for (GgmlType type : {GgmlType::kQ4_1, GgmlType::kQ8_0}) {
    const WeightMatrix w = random_matrix(type, rows, cols, rng);
    const std::vector<int64_t> lengths{1, 19, 3, 1, 8, 45, 5, 1, 16, 11, 1, 1};
    int64_t total = 0;
    for (int64_t n : lengths) total += n;
    const std::vector<float> x = random_floats(total * cols, rng);
    for (Isa isa : vector_isas()) {
      const KernelTable& k = kernels(isa);
      std::vector<QBlock8> scratch;
      ThreadPool two(2);
      std::vector<float> stacked(total * rows);
      matmul(w, x.data(), total, stacked.data(), two, k, scratch);
      int64_t at = 0;
      for (int64_t n : lengths) {
        std::vector<float> alone(n * rows);
        matmul(w, x.data() + at * cols, n, alone.data(), two, k, scratch);
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), stacked.begin() + at * rows))
            << k.name << (type == GgmlType::kQ4_1 ? " Q4_1" : " Q8_0") << ", the prompt of " << n << " rows at row " << at;
        at += n;
      }
    }
  }
}

// The nearest bfloat16 to x (ties to even), as a float: the test's own rounding, from the bits.
float nearest_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&x, &u, 4);
  return x;
}

// The prompt path's products (kernels.h: pack_bf16_rows, pack_bf16_*, matmul_bf16_tiles; AMX-BF16
// only): each output is the float64 sum of the bfloat16-rounded activations times the bfloat16-
// rounded dequantised weights, up to float32 accumulation (at most n u = 192 x 2^-24 < 2^-16 of the
// sum of |terms|; the int8 path's rounding is ~2^-8 of it, so the bound tells the paths apart); and a prompt's rows get the same floats alone as stacked with others
// of any count (partial tiles of tokens and of weight rows included).
TEST(CpuKernels, Bf16TileProductsAreTheRoundedOperandsSumsAndDependOnlyOnTheirRow) {
  if (!isa_supported(Isa::kAmx) || !kernels(Isa::kAmx).matmul_bf16_tiles)
    GTEST_SKIP() << "this CPU (or build) has no AMX-BF16 tiles: the prompt path's bfloat16 products are not built";
  const KernelTable& k = kernels(Isa::kAmx);
  std::mt19937 rng(41);
  const int64_t cols = 192;
  for (GgmlType type : {GgmlType::kQ4_1, GgmlType::kQ8_0}) {
    for (int64_t rows : {7, 16, 37, 64}) {
      const WeightMatrix w = random_matrix(type, rows, cols, rng);
      const std::vector<int64_t> lengths{1, 19, 3, 45, 16, 33};
      int64_t total = 0;
      for (int64_t n : lengths) total += n;
      const std::vector<float> x = random_floats(total * cols, rng);
      ThreadPool two(2);
      std::vector<uint16_t> scratch;
      std::vector<float> stacked(total * rows);
      ASSERT_TRUE(matmul_bf16(w, x.data(), total, stacked.data(), two, k, scratch));
      std::vector<float> wrow(cols);
      for (int64_t r = 0; r < rows; ++r) {
        w.row(r, wrow.data());
        for (int64_t t = 0; t < total; ++t) {
          double exact = 0, magnitude = 0;
          for (int64_t i = 0; i < cols; ++i) {
            const double term = double(nearest_bf16(wrow[i])) * nearest_bf16(x[t * cols + i]);
            exact += term, magnitude += std::abs(term);
          }
          ASSERT_LE(std::abs(stacked[t * rows + r] - exact), magnitude * std::ldexp(1.0, -16) + 1e-30)
              << (type == GgmlType::kQ4_1 ? "Q4_1" : "Q8_0") << " row " << r << " token " << t << " of " << rows << " rows";
        }
      }
      int64_t at = 0;
      for (int64_t n : lengths) {
        std::vector<float> alone(n * rows);
        ASSERT_TRUE(matmul_bf16(w, x.data() + at * cols, n, alone.data(), two, k, scratch));
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), stacked.begin() + at * rows))
            << (type == GgmlType::kQ4_1 ? "Q4_1" : "Q8_0") << ", " << rows << " rows, the prompt of " << n << " at " << at;
        at += n;
      }
    }
  }
  // Where a table has no bfloat16 path (or the type is float32) nothing is done and false says so.
  const WeightMatrix f = float_matrix(random_floats(16 * 64, rng), 16, 64);
  std::vector<float> x = random_floats(64, rng), y(16, -1.0f);
  std::vector<uint16_t> scratch;
  ThreadPool one(1);
  EXPECT_FALSE(matmul_bf16(f, x.data(), 1, y.data(), one, k, scratch));
  EXPECT_FALSE(matmul_bf16(random_matrix(GgmlType::kQ4_1, 16, 64, rng), x.data(), 1, y.data(), one,
                           kernels(Isa::kAvx512), scratch));
  EXPECT_EQ(y[0], -1.0f);
}

// AIMICIUS_CPU_CAPABILITY's cap: never above the value, the best supported one at or below it,
// and a value it does not know is an error naming the variable (not silently the default).
TEST(CpuKernels, CapabilityCapsTheIsaAndRefusesUnknownValues) {
  EXPECT_EQ(isa_within("scalar"), Isa::kScalar);
  EXPECT_EQ(isa_within("avx2"), isa_supported(Isa::kAvx2) ? Isa::kAvx2 : Isa::kScalar);
  EXPECT_LE(static_cast<int>(isa_within("avx512")), static_cast<int>(Isa::kAvx512));
  EXPECT_EQ(isa_within(nullptr), isa_within("amx"));
  EXPECT_EQ(isa_within(""), isa_within("amx"));
  EXPECT_TRUE(isa_supported(isa_within(nullptr)));
  if (isa_supported(Isa::kAmx)) EXPECT_EQ(isa_within(nullptr), Isa::kAmx);
  try {
    isa_within("avx1024");
    FAIL() << "an unknown capability was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("AIMICIUS_CPU_CAPABILITY=avx1024"), std::string::npos) << e.what();
  }
}

TEST(CpuKernels, Q8_0ProductMatchesScalarAndDequantisedFloat) { check_product(GgmlType::kQ8_0); }
TEST(CpuKernels, Q4_1ProductMatchesScalarAndDequantisedFloat) { check_product(GgmlType::kQ4_1); }

TEST(CpuKernels, Float32ProductMatchesFloat64) {
  std::mt19937 rng(3);
  const int64_t rows = 9, cols = 100, tokens = 6;  // cols not a multiple of 8: the vector code's tail
  const std::vector<float> wv = random_floats(rows * cols, rng), x = random_floats(tokens * cols, rng);
  const WeightMatrix w = float_matrix(wv, rows, cols);
  std::vector<QBlock8> scratch;
  ThreadPool pool(2);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (!isa_supported(isa)) continue;
    std::vector<float> y(tokens * rows);
    matmul(w, x.data(), tokens, y.data(), pool, kernels(isa), scratch);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double exact = 0;
        for (int64_t i = 0; i < cols; ++i) exact += double(wv[r * cols + i]) * x[t * cols + i];
        EXPECT_NEAR(y[t * rows + r], exact, 1e-4) << kernels(isa).name;
      }
  }
}

TEST(CpuKernels, StackedRowsAreThePartsInOrder) {
  std::mt19937 rng(4);
  const WeightMatrix a = random_matrix(GgmlType::kQ4_1, 3, 64, rng), b = random_matrix(GgmlType::kQ4_1, 2, 64, rng),
                     c = random_matrix(GgmlType::kQ8_0, 2, 64, rng);
  const WeightMatrix same = stack_rows({&a, &b});
  EXPECT_EQ(same.type, GgmlType::kQ4_1);
  EXPECT_EQ(same.rows, 5);
  const WeightMatrix mixed = stack_rows({&a, &c});  // formats differ: float32
  EXPECT_EQ(mixed.type, GgmlType::kF32);
  std::vector<float> want(64), got(64);
  b.row(1, want.data());
  same.row(4, got.data());
  EXPECT_EQ(want, got);
  c.row(0, want.data());
  mixed.row(3, got.data());
  EXPECT_EQ(want, got);
}

// Several queries over one K/V stream, each with its own number of keys (a causal tile: 1 to 150
// keys, across the 64-key blocks the vector kernels walk together), against float64; and each
// query's result equal, bit for bit, to the same query attended alone.
TEST(CpuKernels, AttentionMatchesFloat64Softmax) {
  std::mt19937 rng(5);
  for (float softcap : {0.0f, 1.5f})  // 1.5: Gemma 2's cap * tanh(score / cap), near the scores' size
  for (int64_t dk : {64, 12}) {  // 12: the scalar fallback inside the vector builds
    const int64_t most = 150, stride = 3 * dk;  // rows of a [keys, 3 heads, dk] cache, head 1
    // Runs of equal counts (2, 3, 4) as the query heads of one token have: the 512-bit build
    // shares each K and V load among up to three of them (kernels_impl.h, grouped_*).
    const std::vector<int64_t> keys = {1, 37, 37, 64, 65, 65, 65, 130, 150, 150, 150, 150, 3};
    const int64_t queries = static_cast<int64_t>(keys.size());
    const std::vector<float> q = random_floats(queries * dk, rng);
    // K and V in float16, and the same values as float32: attend (float32 cache) and attend_f16
    // (float16 cache) must give the same floats.
    const std::vector<uint16_t> kv = halves(random_floats(most * stride, rng)), vv = halves(random_floats(most * stride, rng));
    const std::vector<float> kf = widened(kv), vf = widened(vv);
    const float scale = 1.0f / std::sqrt(float(dk));
    std::vector<std::vector<double>> want(queries, std::vector<double>(dk, 0.0));
    for (int64_t i = 0; i < queries; ++i) {
      std::vector<double> s(keys[i]);
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j < keys[i]; ++j) {
        for (int64_t c = 0; c < dk; ++c) s[j] += double(q[i * dk + c]) * half_value(kv[j * stride + dk + c]);
        s[j] *= scale;
        if (softcap > 0) s[j] = softcap * std::tanh(s[j] / softcap);
        mx = std::max(mx, s[j]);
      }
      for (int64_t j = 0; j < keys[i]; ++j) sum += (s[j] = std::exp(s[j] - mx));
      for (int64_t j = 0; j < keys[i]; ++j)
        for (int64_t c = 0; c < dk; ++c) want[i][c] += s[j] / sum * half_value(vv[j * stride + dk + c]);
    }
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
      if (!isa_supported(isa)) continue;
      std::vector<float> scores(queries * most), out(queries * dk), alone(dk);
      std::vector<const float*> qp;
      std::vector<float*> op;
      for (int64_t i = 0; i < queries; ++i) qp.push_back(q.data() + i * dk), op.push_back(out.data() + i * dk);
      kernels(isa).attend(queries, qp.data(), keys.data(), kf.data() + dk, stride, vf.data() + dk, stride, dk, dk, scale,
                          softcap, scores.data(), most, op.data());
      std::vector<float> out16(queries * dk);
      std::vector<float*> op16;
      for (int64_t i = 0; i < queries; ++i) op16.push_back(out16.data() + i * dk);
      kernels(isa).attend_f16(queries, qp.data(), keys.data(), kv.data() + dk, stride, vv.data() + dk, stride, dk, dk,
                              scale, softcap, scores.data(), most, op16.data());
      EXPECT_EQ(out, out16) << kernels(isa).name << " dk " << dk << ": the float16 cache's result differs";
      for (int64_t i = 0; i < queries; ++i) {
        for (int64_t c = 0; c < dk; ++c)
          EXPECT_NEAR(out[i * dk + c], want[i][c], 2e-5)
              << kernels(isa).name << " dk " << dk << " query " << i << " softcap " << softcap;
        float* one = alone.data();
        kernels(isa).attend(1, &qp[i], &keys[i], kf.data() + dk, stride, vf.data() + dk, stride, dk, dk, scale,
                            softcap, scores.data(), most, &one);
        for (int64_t c = 0; c < dk; ++c)
          ASSERT_EQ(out[i * dk + c], alone[c]) << kernels(isa).name << " dk " << dk << " query " << i << " alone";
      }
    }
  }
}

// The AMX-BF16 tile attention of a prompt (kernels.h: pack_k_tiles, pack_v_tiles, attend_tiles) in
// both precisions against float64, for a full tile of 16 causal queries near the end of 150 keys
// and a partial tile of 5 at the start (1..5 keys), head dims 64 and 128 (two passes of four
// 16-value blocks) and a V head of 80 (a last pass of one block), with and without Gemma 2's
// softcap; the packs written in two chunk ranges. Plain bfloat16: the reference takes the same
// bfloat16-rounded q, k and v, and rounds the softmax weights before they weight v (their sum not);
// bound 5e-6 for float32 sums and exp (measured <= 4.2e-7), plus, for a weight within 1e-5 of a
// bfloat16 midpoint (float32's exp may round it to either neighbour), the other neighbour's share of
// the output; leaving any operand unrounded misses it by 100x or more (measured 6e-4 to 8e-3).
// Pairs: the reference on the unrounded floats, bound 1e-4 (each product leaves up to ~3 x 2^-18 of
// |q_c k_c| out: measured worst 3e-5; plain bfloat16 misses it by far). Each query's output is, bit
// for bit, its output in a call of its own.
TEST(CpuKernels, TileAttentionMatchesFloat64AndDependsOnlyOnItsQuery) {
  if (!isa_supported(Isa::kAmx) || !kernels(Isa::kAmx).attend_tiles)
    GTEST_SKIP() << "this CPU, its kernel or this build has no AMX-BF16: the tile attention is not used here";
  const KernelTable& k = kernels(Isa::kAmx);
  std::mt19937 rng(21);
  for (bool pairs : {false, true})
    for (float softcap : {0.0f, 1.5f})
      for (const auto& [dk, dv] : {std::pair<int64_t, int64_t>{64, 64}, {128, 128}, {64, 80}}) {
        const auto rounded = [&](float x) { return pairs ? x : nearest_bf16(x); };
        const int64_t keys = 150, ks = 3 * dk, vs = 3 * dv;  // head 1 of [keys, 3 heads, d] caches
        const std::vector<uint16_t> kv = halves(random_floats(keys * ks, rng)), vv = halves(random_floats(keys * vs, rng));
        const std::vector<float> q = random_floats(16 * dk, rng);
        const float scale = 1.0f / std::sqrt(float(dk));
        const int64_t chunks = tile_keys(keys) / 32, per = pairs ? 2 : 1;
        std::vector<uint16_t> kp(tile_keys(keys) * dk * per), vp(tile_keys(keys) * dv * per);
        const std::vector<float> kf = widened(kv), vf = widened(vv);
        std::vector<uint16_t> kp16(kp.size()), vp16(vp.size());
        for (const auto& [c0, c1] : {std::pair<int64_t, int64_t>{0, 2}, {2, chunks}}) {
          k.pack_k_tiles(kf.data() + dk, ks, keys, dk, c0, c1, pairs, kp.data());
          k.pack_v_tiles(vf.data() + dv, vs, keys, dv, c0, c1, pairs, vp.data());
          k.pack_k_tiles_f16(kv.data() + dk, ks, keys, dk, c0, c1, pairs, kp16.data());
          k.pack_v_tiles_f16(vv.data() + dv, vs, keys, dv, c0, c1, pairs, vp16.data());
        }
        EXPECT_EQ(kp, kp16) << "K packed from the float16 cache";  // the same values: the same packs
        EXPECT_EQ(vp, vp16) << "V packed from the float16 cache";
        std::vector<float> scratch(attend_tiles_scratch(keys, dk, dv) + 16);
        float* sc = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64 / 4;
        const std::string what = std::string(pairs ? "pairs" : "plain") + " dk " + std::to_string(dk) + " dv " +
                                 std::to_string(dv) + " softcap " + std::to_string(softcap);
        for (const auto& [rows, keys0] : {std::pair<int64_t, int64_t>{16, 135}, {5, 1}}) {
          std::vector<float> out(rows * dv), alone(dv);
          k.attend_tiles(q.data(), dk, rows, keys0, kp.data(), vp.data(), dk, dv, scale, softcap, pairs, sc, out.data(), dv);
          for (int64_t i = 0; i < rows; ++i) {
            const int64_t n = keys0 + i;
            std::vector<double> s(n), want(dv, 0.0);
            double mx = -1e300, sum = 0;
            for (int64_t j = 0; j < n; ++j) {
              for (int64_t c = 0; c < dk; ++c)
                s[j] += double(rounded(q[i * dk + c])) * rounded(static_cast<float>(half_value(kv[j * ks + dk + c])));
              s[j] *= scale;
              if (softcap > 0) s[j] = softcap * std::tanh(s[j] / softcap);
              mx = std::max(mx, s[j]);
            }
            for (int64_t j = 0; j < n; ++j) sum += (s[j] = std::exp(s[j] - mx));
            std::vector<double> slack(dv, pairs ? 1e-4 : 5e-6);
            for (int64_t j = 0; j < n; ++j) {
              const double w = pairs ? s[j] : double(nearest_bf16(static_cast<float>(s[j])));
              double either = 0;  // plain: the other bfloat16 neighbour a near-midpoint weight may take
              if (!pairs) {
                const float up = nearest_bf16(static_cast<float>(s[j] * (1 + 1e-5)));
                const float down = nearest_bf16(static_cast<float>(s[j] * (1 - 1e-5)));
                either = std::max(std::abs(double(up) - w), std::abs(double(down) - w)) / sum;
              }
              for (int64_t c = 0; c < dv; ++c) {
                const double value = rounded(static_cast<float>(half_value(vv[j * vs + dv + c])));
                want[c] += w / sum * value;
                slack[c] += either * std::abs(value);
              }
            }
            for (int64_t c = 0; c < dv; ++c)
              EXPECT_NEAR(out[i * dv + c], want[c], slack[c]) << what << " query " << i << " of " << rows;
            k.attend_tiles(q.data() + i * dk, dk, 1, n, kp.data(), vp.data(), dk, dv, scale, softcap, pairs, sc,
                           alone.data(), dv);
            for (int64_t c = 0; c < dv; ++c) ASSERT_EQ(out[i * dv + c], alone[c]) << what << " query " << i << " alone";
          }
        }
      }
}

TEST(CpuKernels, SiluMulMatchesFloat64) {
  std::mt19937 rng(6);
  std::vector<float> g = random_floats(37, rng, 6.0f), u = random_floats(37, rng);
  g[0] = 0.0f, g[1] = -100.0f, g[2] = 100.0f;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (!isa_supported(isa)) continue;
    std::vector<float> out(37);
    kernels(isa).silu_mul(g.data(), u.data(), 37, out.data());
    for (int i = 0; i < 37; ++i) {
      const double want = double(g[i]) / (1 + std::exp(-double(g[i]))) * u[i];
      EXPECT_NEAR(out[i], want, 1e-6 * (std::abs(want) + 1)) << kernels(isa).name << " at " << i;
    }
  }
}

// GeGLU (Gemma): gelu's tanh form, as transformers' gelu_pytorch_tanh, times up.
TEST(CpuKernels, GeluTanhMulMatchesFloat64) {
  std::mt19937 rng(7);
  std::vector<float> g = random_floats(37, rng, 6.0f), u = random_floats(37, rng);
  g[0] = 0.0f, g[1] = -100.0f, g[2] = 100.0f, g[3] = -3.0f;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (!isa_supported(isa)) continue;
    std::vector<float> out(37);
    kernels(isa).gelu_tanh_mul(g.data(), u.data(), 37, out.data());
    for (int i = 0; i < 37; ++i) {
      const double x = g[i];
      const double want = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))) * u[i];
      EXPECT_NEAR(out[i], want, 1e-6 * (std::abs(want) + 1)) << kernels(isa).name << " at " << i;
    }
  }
}

TEST(CpuThreadPool, RunsEveryIndexOncePerJobAndSplitsRangesWhole) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.size(), 3);
  for (int round = 0; round < 200; ++round) {  // many short jobs, as a decode runs them
    std::vector<std::atomic<int>> hits(3);
    pool.run([&](int i) { hits[i].fetch_add(1); });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "round " << round;
  }
  std::vector<std::atomic<int>> covered(101);
  pool.parallel_for(101, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) covered[i].fetch_add(1);
  });
  for (auto& c : covered) EXPECT_EQ(c.load(), 1);
  std::thread::id caller = std::this_thread::get_id(), ran;
  pool.parallel_for(10, [&](int64_t, int64_t) { ran = std::this_thread::get_id(); }, 16);  // below the bound: serial
  EXPECT_EQ(ran, caller);
}

}  // namespace
}  // namespace aimicius::runtime::cpu
