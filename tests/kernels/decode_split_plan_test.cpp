// The tensor-core decode pass's split planner (kernels/decode_split_plan.h), on the H200's 132 SMs
// and the occupancies its kernels have there (DiffQKV 2 blocks per SM, GQA d64 3, GQA d128 2): the
// plans the 2026-12-05 sweep found best (bench/results/h200-2026-12-05-s37-sweep.jsonl), and the
// invariants every plan keeps. Plain arithmetic: runs without a GPU.
#include <gtest/gtest.h>

#include <stdexcept>

#include "kernels/decode_split_plan.h"

namespace aimicius::kernels {
namespace {

constexpr int kH200Sms = 132;

int chunk_for(int64_t context, int64_t units, int occupancy, int sms = kH200Sms) {
  SplitPlanInput in;
  in.context_tokens = context, in.units = units, in.sm_count = sms, in.blocks_per_sm = occupancy;
  return choose_decode_chunk(in);
}

int64_t splits_of(int64_t context, int chunk) { return (context + chunk - 1) / chunk; }

TEST(DecodeSplitPlan, TakesThePlansTheH200SweepFoundFastest) {
  // GQA d64 (32 Q heads, QB 2: 16 blocks a split per sequence), batch 8 at 4k: one split, one
  // block per SM (36.5 us; filling every resident slot with 3 splits took 41.1 us).
  EXPECT_EQ(chunk_for(4096, 8 * 16, 3), 4096);
  // DiffQKV (QB 8: 4 blocks a split), batch 1 at 4k: 32 splits of 128 (11.0-11.3 us; 64 of 64, 11.8).
  EXPECT_EQ(chunk_for(4096, 4, 2), 128);
  // DiffQKV batch 1 at 128k: one block per SM (85.4 us; 66 splits filling both slots, 88.8).
  EXPECT_EQ(splits_of(131072, chunk_for(131072, 4, 2)), 33);
  // GQA d128 (QB 4: 8 blocks a split), batch 1 at 32k: 16 splits of 2,048 (40.5 us; 33 of 1,008, 42.3).
  EXPECT_EQ(chunk_for(32768, 8, 2), 2048);
  // GQA d128 batch 8 at 4k: 2 splits (40.2 us; 4 splits, 41.7).
  EXPECT_EQ(chunk_for(4096, 8 * 8, 2), 2048);
  // Batch 64 at 128k, GQA d64: 17 splits, whole rounds of resident blocks (7,778 us; one split's
  // 1,024 blocks over 396 slots leave a ragged last round, 8,214 us).
  EXPECT_EQ(splits_of(131072, chunk_for(131072, 64 * 16, 3)), 17);
}

TEST(DecodeSplitPlan, EveryPlanCoversTheContextInWholeGranulesWithoutARaggedLastRound) {
  for (const int sms : {78, 114, 132, 144})
    for (const int occupancy : {1, 2, 3, 4})
      for (const int64_t units : {1, 4, 8, 16, 32, 128, 256, 1024, 4096})
        for (const int64_t context : {1, 17, 64, 100, 1000, 4096, 32768, 131072, 1000003}) {
          SCOPED_TRACE(::testing::Message() << sms << " SMs, occupancy " << occupancy << ", " << units
                                            << " units, context " << context);
          const int chunk = chunk_for(context, units, occupancy, sms);
          ASSERT_GT(chunk, 0);
          EXPECT_EQ(chunk % 16, 0);
          const int64_t splits = splits_of(context, chunk);
          EXPECT_GE(splits * chunk, context);
          if (splits > 1) {
            EXPECT_GE(chunk, 64) << "split chunks are at least the kernel's minimum";
          }
          const int64_t blocks = units * splits, resident = static_cast<int64_t>(sms) * occupancy;
          const int64_t tail = blocks % resident;
          if (splits > 1 && blocks > resident && tail != 0) {
            EXPECT_GE(tail * 10, resident * 9) << "a split plan leaves a last round under 90% full";
          }
          // Never more work on the busiest SM than one split, the plan that always exists.
          const auto cost = [&](int64_t b, int64_t c) { return (b + sms - 1) / sms * (c + kBlockCostTokens); };
          EXPECT_LE(cost(blocks, chunk), cost(units, (context + 15) / 16 * 16));
        }
}

TEST(DecodeSplitPlan, RefusesCountsBelowOne) {
  EXPECT_THROW(chunk_for(0, 1, 1), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 1, 0), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 1, 1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::kernels
