// selective_v (top-k selective V fetching) against the references: with k >= the context it must
// equal full decode attention; with k < the context the kernel's kept positions must be a top-k of
// the reference scores (up to fp32 rounding among near-ties) and its output must equal the
// reference's over those positions. Skips without a CUDA device.
#include "kernels/selective_v.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "kernels/reference/attention_reference.h"
#include "tests/kernels/attention_problem.h"

namespace aimicius::kernels {
namespace {

using testing::compare_outputs;
using testing::DeviceBuffer;
using testing::have_cuda_device;
using testing::kAtol;
using testing::Problem;
using testing::rtol_for;
using testing::Shape;

#define REQUIRE_GPU() \
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped"

// Runs the kernel; returns the kept positions [batch, n_q, topk].
std::vector<int32_t> run(Problem& pr, int topk) {
  const int max_len = *std::max_element(pr.lens.begin(), pr.lens.end());
  const SelectivePlan plan = plan_selective_v(pr.device, max_len);
  DeviceBuffer ws(plan.workspace_bytes);
  DeviceBuffer sel(static_cast<size_t>(pr.host.batch) * pr.host.n_q * topk * 4);
  testing::cuda_ok(cudaMemset(pr.dout.get(), 0xff, pr.out_elems * 2), "cudaMemset(out)");
  selective_v(pr.device, topk, plan, ws.get(), static_cast<int32_t*>(sel.get()), nullptr);
  testing::cuda_ok(cudaDeviceSynchronize(), "selective_v");
  return sel.download<int32_t>(static_cast<size_t>(pr.host.batch) * pr.host.n_q * topk);
}

// Empty when every (b, h) kept min(topk, len) distinct positions whose reference scores are all
// >= every dropped score (less a rounding allowance).
std::string check_selection(const Problem& pr, const std::vector<int32_t>& sel, int topk) {
  const DecodeAttentionParams& p = pr.host;
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < p.n_q; ++h) {
      const std::vector<float> scores = reference::attention_scores(p, b, h);
      const int len = static_cast<int>(scores.size()), keep = std::min(topk, len);
      const int32_t* row = sel.data() + (static_cast<size_t>(b) * p.n_q + h) * topk;
      std::set<int32_t> kept;
      for (int i = 0; i < topk; ++i) {
        if (i >= keep) {
          if (row[i] != -1) return "padding not -1";
          continue;
        }
        if (row[i] < 0 || row[i] >= len) return "position out of range: " + std::to_string(row[i]);
        kept.insert(row[i]);
      }
      const std::string at = " at b " + std::to_string(b) + " h " + std::to_string(h);
      if (static_cast<int>(kept.size()) != keep) return "duplicate positions" + at;
      float min_kept = INFINITY, max_dropped = -INFINITY;
      for (int t = 0; t < len; ++t) {
        if (kept.count(t))
          min_kept = std::min(min_kept, scores[t]);
        else
          max_dropped = std::max(max_dropped, scores[t]);
      }
      if (min_kept < max_dropped - 1e-5f * (1.0f + std::abs(max_dropped)))
        return "not a top-k" + at + ": kept " + std::to_string(min_kept) + " < dropped " + std::to_string(max_dropped);
    }
  return "";
}

const Shape kShapes[] = {
    {32, 4, 16, 64, 64},   {32, 16, 16, 64, 64}, {32, 8, 8, 128, 128},
    {32, 4, 8, 64, 128},   {16, 2, 4, 128, 64},  {12, 4, 3, 64, 64},
};

TEST(SelectiveV, KAtLeastContextEqualsFullAttention) {
  REQUIRE_GPU();
  for (DType dtype : {DType::kBF16, DType::kFP16})
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + testing::shape_name(s));
      Problem pr;
      testing::make_problem(pr, dtype, s, {1, 99, 100, 37}, {}, 4, 128);
      run(pr, 100);
      reference::decode_attention(pr.host);
      EXPECT_EQ(compare_outputs(pr, pr.device_output(), pr.out, rtol_for(dtype), kAtol), "");
    }
}

TEST(SelectiveV, TopKMatchesReferenceOnKeptPositions) {
  REQUIRE_GPU();
  for (DType dtype : {DType::kBF16, DType::kFP16})
    for (const Shape& s : kShapes) {
      Problem pr;
      testing::make_problem(pr, dtype, s, {1, 2500, 50, 1300, 1025}, {}, 5, 2600);
      for (int topk : {1, 37, 100, 1024}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + testing::shape_name(s) + " k " + std::to_string(topk));
        const std::vector<int32_t> sel = run(pr, topk);
        const std::string bad = check_selection(pr, sel, topk);
        ASSERT_EQ(bad, "") << "seed " << pr.seed;
        reference::selective_v(pr.host, topk, sel.data(), topk);
        EXPECT_EQ(compare_outputs(pr, pr.device_output(), pr.out, rtol_for(dtype), kAtol), "");
      }
    }
}

// A paged cache (shuffled 64-token pages): scores and the kept V rows read through the block table.
TEST(SelectiveV, PagedCacheMatchesReference) {
  REQUIRE_GPU();
  for (const Shape& s : {Shape{32, 4, 16, 64, 64}, Shape{32, 8, 8, 128, 128}}) {
    SCOPED_TRACE(testing::shape_name(s));
    Problem pr;
    testing::make_paged_problem(pr, DType::kBF16, s, {2500, 1, 700}, {1, 2, 0}, 3, 64, 40);
    for (int topk : {37, 1024}) {
      const std::vector<int32_t> sel = run(pr, topk);
      ASSERT_EQ(check_selection(pr, sel, topk), "") << "seed " << pr.seed;
      reference::selective_v(pr.host, topk, sel.data(), topk);
      EXPECT_EQ(compare_outputs(pr, pr.device_output(), pr.out, rtol_for(DType::kBF16), kAtol), "") << "k " << topk;
    }
  }
}

TEST(SelectiveV, UsuallyKeepsExactlyTheReferenceTopK) {
  REQUIRE_GPU();
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {4000, 3000}, {1, 0}, 2, 4096);
  const std::vector<int32_t> sel = run(pr, 100);
  int same = 0;
  for (int b = 0; b < 2; ++b)
    for (int h = 0; h < 32; ++h) {
      std::vector<int32_t> want = reference::top_positions(pr.host, b, h, 100);
      std::vector<int32_t> got(sel.begin() + (b * 32 + h) * 100, sel.begin() + (b * 32 + h + 1) * 100);
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      same += got == want;
    }
  EXPECT_GE(same, 60) << "of 64 (b, h): near-ties may differ, most must not";
  reference::selective_v(pr.host, 100);
  // The reference's own choice: bounds loose enough for a rare near-tie swap at the boundary.
  EXPECT_EQ(compare_outputs(pr, pr.device_output(), pr.out, 0.05, 5e-3), "");
}

TEST(SelectiveV, RejectsBadTopK) {
  REQUIRE_GPU();
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {10}, {}, 1, 16);
  const SelectivePlan plan = plan_selective_v(pr.device, 10);
  DeviceBuffer ws(plan.workspace_bytes);
  EXPECT_THROW(selective_v(pr.device, 0, plan, ws.get(), nullptr, nullptr), std::invalid_argument);
  EXPECT_THROW(selective_v(pr.device, kMaxSelectiveTopK + 1, plan, ws.get(), nullptr, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::kernels
