// The CPU references and the host half-precision conversions on hand-checkable cases. No GPU
// needed: these run wherever the GPU test executable is built (CI included).
#include "kernels/reference/attention_reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/reference/half_bits.h"

namespace aimicius::kernels::reference {
namespace {

TEST(HalfBits, RoundTripsAndRoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(float_to_bf16(1.0f + 1.0f / 256), 0x3f80);  // tie: to even
  EXPECT_EQ(float_to_bf16(1.0f + 3.0f / 256), 0x3f82);  // tie: to even (up)
  EXPECT_EQ(float_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(float_to_fp16(-2.5f), 0xc100);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_fp16(70000.0f), 0x7c00);
  EXPECT_EQ(float_to_fp16(5.9604644775390625e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(fp16_to_float(0x0001), 5.9604644775390625e-08f);
  EXPECT_EQ(fp16_to_float(0xc100), -2.5f);
  for (int k = -255; k <= 255; ++k) {
    const float x = k / 256.0f;
    EXPECT_EQ(bf16_to_float(float_to_bf16(x)), x);
    EXPECT_EQ(fp16_to_float(float_to_fp16(x)), x);
  }
}

// Two Q heads sharing one K head; V heads per Q head; equal scores average V, a dominant score
// picks its row, and top-1 selective V picks the largest score.
TEST(AttentionReference, HandCheckedCase) {
  DecodeAttentionParams p;
  p.dtype = DType::kF32;
  p.batch = 1, p.n_q = 2, p.n_k = 1, p.n_v = 2, p.d_k = 2, p.d_v = 1;
  p.scale = 1.0f;
  set_contiguous_strides(p, 3);
  const std::vector<float> q = {0, 0, 10, 0};            // head 0: all scores 0; head 1: scores 10 * k[0]
  const std::vector<float> k = {1, 0, 2, 0, 0, 5};       // 3 tokens, one K head
  const std::vector<float> v = {1, 10, 2, 20, 3, 30};    // 3 tokens x 2 V heads
  const std::vector<int32_t> lens = {3};
  std::vector<float> out(2, -1.0f);
  p.q = q.data(), p.k_cache = k.data(), p.v_cache = v.data(), p.context_lens = lens.data(), p.out = out.data();
  decode_attention(p);
  EXPECT_FLOAT_EQ(out[0], 2.0f);  // mean of 1, 2, 3
  const double w0 = std::exp(10.0 - 20.0), w2 = std::exp(0.0 - 20.0);
  EXPECT_NEAR(out[1], (10 * w0 + 20 + 30 * w2) / (w0 + 1 + w2), 1e-4);
  selective_v(p, 1);
  EXPECT_FLOAT_EQ(out[0], 1.0f);   // tie among all: the lowest position
  EXPECT_FLOAT_EQ(out[1], 20.0f);  // the largest score alone
  selective_v(p, 3);
  EXPECT_FLOAT_EQ(out[0], 2.0f);
  const std::vector<int32_t> top = top_positions(p, 0, 1, 2);
  EXPECT_EQ(top, (std::vector<int32_t>{1, 0}));

  // A row writes its own output only: head 1 alone leaves head 0's value as it was.
  out = {-1.0f, -1.0f};
  decode_attention_row(p, 0, 1);
  EXPECT_FLOAT_EQ(out[0], -1.0f);
  EXPECT_NEAR(out[1], (10 * w0 + 20 + 30 * w2) / (w0 + 1 + w2), 1e-4);
  EXPECT_THROW(decode_attention_row(p, 0, 2), std::invalid_argument);
  EXPECT_THROW(decode_attention_row(p, 1, 0), std::invalid_argument);
}

// The block-table rule (attention_params.h) on a hand-checkable cache of four 16-token pages whose
// V rows are page x 100 + row: slot 1 holds pages 2 then 0, so its 20 tokens are V 200..215 then
// 0..3; slot 0's pages (1, 3) are not read.
TEST(AttentionReference, PagedCacheReadsTheTablesPages) {
  DecodeAttentionParams p;
  p.dtype = DType::kF32;
  p.batch = 1, p.n_q = 1, p.n_k = 1, p.n_v = 1, p.d_k = 1, p.d_v = 1;
  p.scale = 1.0f;
  set_contiguous_strides(p, /*capacity=*/16);  // one page's stride
  const std::vector<float> q = {0};            // equal scores: the output is the mean of the V rows read
  const std::vector<float> k(64, 1.0f);
  std::vector<float> v(64);
  for (int i = 0; i < 64; ++i) v[i] = static_cast<float>(i / 16 * 100 + i % 16);
  const std::vector<int32_t> table = {1, 3, 2, 0}, lens = {20}, slots = {1};
  std::vector<float> out(1, -1.0f);
  p.q = q.data(), p.k_cache = k.data(), p.v_cache = v.data(), p.context_lens = lens.data(), p.out = out.data();
  p.cache_slots = slots.data(), p.block_table = table.data(), p.block_table_stride = 2, p.page_tokens = 16;
  EXPECT_EQ(cache_token_offset(p, 1, 17, 16, 1), 1);   // token 17 of slot 1: page 0, row 1
  EXPECT_EQ(cache_token_offset(p, 0, 16, 16, 1), 48);  // token 16 of slot 0: page 3, row 0
  decode_attention(p);
  double sum = 0;
  for (int r = 0; r < 16; ++r) sum += 200 + r;
  for (int r = 0; r < 4; ++r) sum += r;
  EXPECT_NEAR(out[0], sum / 20, 1e-4);
  p.page_tokens = 24;
  EXPECT_NE(validate_decode_params(p), "") << "not a power of two";
  p.page_tokens = 8;
  EXPECT_NE(validate_decode_params(p), "") << "under 16: a kernel's 16-token tile would straddle pages";
}

TEST(AttentionReference, RejectsInvalidShapes) {
  DecodeAttentionParams p;
  p.dtype = DType::kF32;
  p.batch = 1, p.n_q = 3, p.n_k = 2, p.n_v = 1, p.d_k = 2, p.d_v = 1;
  EXPECT_THROW(decode_attention(p), std::invalid_argument);
  EXPECT_NE(validate_decode_params(p), "");
}

}  // namespace
}  // namespace aimicius::kernels::reference
