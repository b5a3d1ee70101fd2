// The GPU tests' host side, which runs without a device: the value stream's law and the threaded
// float reference (tests/kernels/attention_problem.h), checked against the plain reference.
#include "tests/kernels/attention_problem.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace aimicius::kernels::testing {
namespace {

// Every value is a nonzero k / 256 with |k| <= 255, each of the 510 values turns up, and the stream
// depends on the seed: another seed gives other values.
TEST(AttentionProblem, ValueStreamHasTheDocumentedLaw) {
  std::array<int, 511> seen{};
  int differ = 0;
  for (uint64_t i = 0; i < 200000; ++i) {
    const float x = problem_value(7, i);
    const float k = x * 256.0f;
    ASSERT_EQ(k, std::round(k)) << "index " << i;
    ASSERT_GE(std::abs(k), 1.0f) << "index " << i;
    ASSERT_LE(std::abs(k), 255.0f) << "index " << i;
    ++seen[static_cast<int>(k) + 255];
    differ += x != problem_value(8, i);
  }
  for (int k = -255; k <= 255; ++k) {
    if (k == 0) continue;
    EXPECT_GT(seen[k + 255], 0) << "k " << k;
  }
  EXPECT_GT(differ, 190000);
}

// full_attention_reference's threaded rows equal the plain reference's loop bit for bit, and its
// magnitude is the attention over |V|, on a batch of three sequences of different lengths.
TEST(AttentionProblem, ThreadedReferenceEqualsThePlainOne) {
  Problem pr;
  DecodeAttentionParams& p = pr.host;
  p.dtype = DType::kF32;
  p.batch = 3, p.n_q = 8, p.n_k = 2, p.n_v = 4, p.d_k = 16, p.d_v = 8;
  p.scale = 0.5f;
  constexpr int kCapacity = 300;
  set_contiguous_strides(p, kCapacity);
  auto fill = [](std::vector<float>& a, size_t n, uint64_t first) {
    a.resize(n);
    for (size_t i = 0; i < n; ++i) a[i] = problem_value(11, first + i);
  };
  fill(pr.q, static_cast<size_t>(p.batch) * p.q_batch_stride, 0);
  fill(pr.k, static_cast<size_t>(p.batch) * p.k_batch_stride, 1000000);
  fill(pr.v, static_cast<size_t>(p.batch) * p.v_batch_stride, 2000000);
  pr.lens = {300, 1, 137};
  pr.out.assign(static_cast<size_t>(p.batch) * p.out_batch_stride, 0.0f);
  p.q = pr.q.data(), p.k_cache = pr.k.data(), p.v_cache = pr.v.data(), p.out = pr.out.data();
  p.context_lens = pr.lens.data();

  full_attention_reference(pr);
  reference::decode_attention(p);
  EXPECT_EQ(pr.want, pr.out);

  std::vector<float> abs_v(pr.v.size());
  for (size_t i = 0; i < pr.v.size(); ++i) abs_v[i] = std::abs(pr.v[i]);
  DecodeAttentionParams m = p;
  m.v_cache = abs_v.data();
  reference::decode_attention(m);
  EXPECT_EQ(pr.magnitude, pr.out);
  for (size_t i = 0; i < pr.want.size(); ++i) EXPECT_LE(std::abs(pr.want[i]), pr.magnitude[i] + 1e-6f) << i;
}

TEST(AttentionProblem, ParallelChunksCoversEveryIndexOnceAndRethrows) {
  std::vector<std::atomic<int>> hits(100003);
  parallel_chunks(hits.size(), 1000, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) ++hits[i];
  });
  for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i].load(), 1) << i;
  EXPECT_THROW(parallel_chunks(50, 1,
                               [](size_t b, size_t) {
                                 if (b == 37) throw std::invalid_argument("chunk 37");
                               }),
               std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::kernels::testing
