// The tensor-core decode pass's split planner (kernels/decode_split_plan.h), on the H200's 132 SMs
// and the occupancies its kernels have there (DiffQKV 2 blocks per SM, GQA d64 3, GQA d128 2): the
// plans the 2026-12-05 sweep found best (bench/results/h200-2026-12-05-s37-sweep.jsonl), and the
// invariants every plan keeps. Plain arithmetic: runs without a GPU.
#include <gtest/gtest.h>

#include <stdexcept>
#include <tuple>

#include "kernels/decode_split_plan.h"

namespace aimicius::kernels {
namespace {

constexpr int kH200Sms = 132;

SplitPlanInput input(int64_t context, int64_t units, int occupancy, int sms = kH200Sms, int unit_weight = 1) {
  SplitPlanInput in;
  in.context_tokens = context, in.units = units, in.sm_count = sms, in.blocks_per_sm = occupancy;
  in.unit_weight = unit_weight;
  return in;
}

int chunk_for(int64_t context, int64_t units, int occupancy, int sms = kH200Sms, int unit_weight = 1) {
  return choose_decode_chunk(input(context, units, occupancy, sms, unit_weight));
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

// One unit a warp (4 units a block, unit_weight 4): GQA d64 at batch 1 has 4 blocks a split, so
// 33 splits give each of the 132 SMs one block.
TEST(DecodeSplitPlan, BlocksOfFourUnitsCountFourRowsAToken) {
  EXPECT_EQ(splits_of(131072, chunk_for(131072, 4, 3, kH200Sms, 4)), 33);
  // A block of four units streams four rows a token, so its fixed cost is a smaller share of its
  // work and more splits pay: 8 blocks a split at 32k take 16 splits at weight 1, 33 (one block an
  // SM) at weight 4.
  EXPECT_EQ(splits_of(32768, chunk_for(32768, 8, 2, kH200Sms, 1)), 16);
  EXPECT_EQ(splits_of(32768, chunk_for(32768, 8, 2, kH200Sms, 4)), 33);
  EXPECT_THROW(chunk_for(1, 1, 1, 1, 0), std::invalid_argument);
}

// A unit a warp where its blocks are about one an SM, or one split either way with every block
// resident, and never with more splits than a unit a block (the H100 A/Bs of 2026-12-06): on 132
// SMs, GQA d64 (16 units a sequence, 3 blocks an SM), d128 (8 units, 2) and DiffQKV (4 units, 2).
TEST(DecodeSplitPlan, TakesAUnitAWarpWhereTheH100AbFoundItFaster) {
  auto choose = [](int64_t context, int64_t units, int occupancy) {
    return choose_decode_split(input(context, units, occupancy), 4);
  };
  auto expect_warp_units = [&](int64_t context, int64_t units, int occupancy, int64_t splits) {
    SCOPED_TRACE(::testing::Message() << units << " units, context " << context);
    const SplitChoice c = choose(context, units, occupancy);
    EXPECT_TRUE(c.warp_units);
    EXPECT_EQ(splits_of(context, c.chunk), splits);
    EXPECT_EQ(c.chunk % 16, 0);
  };
  expect_warp_units(131072, 16, 3, 33);      // GQA d64 1 / 128k: 132 blocks (74 splits the other way)
  expect_warp_units(131072, 8 * 16, 3, 4);   // 8 / 128k: 128 blocks (34 splits)
  expect_warp_units(4096, 64 * 16, 3, 1);    // 64 / 4k: 256 blocks, all resident (one split either way)
  expect_warp_units(131072, 8 * 8, 2, 8);    // d128 8 / 128k: 128 blocks (33 splits)
  expect_warp_units(32768, 64 * 8, 2, 1);    // d128 64 / 32k: 128 blocks (17 splits)
  expect_warp_units(4096, 64 * 8, 2, 1);     // d128 64 / 4k
  // DiffQKV (QB 8: 4 units a sequence, 2 blocks an SM), timed in session 46: 8 / 128k -1.0%, 64 / 128k -0.4%.
  expect_warp_units(131072, 8 * 4, 2, 16);   // 8 / 128k: 128 blocks (33 splits the other way)
  expect_warp_units(131072, 64 * 4, 2, 2);   // 64 / 128k: 128 blocks (34 splits)
  // Slower measured, so not taken: more splits than a unit a block (GQA d64 1 / 4k, 1 / 32k, 8 / 4k;
  // DiffQKV 1 / 4k, 64 / 4k), two long blocks an SM against many short ones (GQA d64 64 / 32k, 64 / 128k).
  for (const auto& [context, units, occupancy] :
       {std::tuple<int64_t, int64_t, int>{4096, 16, 3}, {32768, 16, 3}, {4096, 8 * 16, 3}, {4096, 4, 2},
        {4096, 64 * 4, 2}, {32768, 64 * 16, 3}, {131072, 64 * 16, 3}}) {
    SCOPED_TRACE(::testing::Message() << units << " units, context " << context);
    const SplitChoice c = choose(context, units, occupancy);
    EXPECT_FALSE(c.warp_units);
    EXPECT_EQ(c.chunk, chunk_for(context, units, occupancy));
  }
  // Not allowed: the plan of a unit a block; units that are not whole blocks of warps: refused.
  EXPECT_EQ(choose_decode_split(input(131072, 16, 3), 1).chunk, chunk_for(131072, 16, 3));
  EXPECT_FALSE(choose_decode_split(input(131072, 16, 3), 1).warp_units);
  EXPECT_THROW(choose_decode_split(input(4096, 6, 3), 4), std::invalid_argument);
}

// The cells of session 46's interleave A/B (one H100): DiffQKV's units read 4 V heads each.
TEST(DecodeSplitPlan, InterleavesWhereTheH100AbFoundItFaster) {
  EXPECT_TRUE(choose_interleaved_splits(4, 33, 1008));   // DiffQKV 1 / 32k: -2.1%
  EXPECT_TRUE(choose_interleaved_splits(4, 4, 1024));    // 8 / 4k: -3.1%
  EXPECT_TRUE(choose_interleaved_splits(4, 33, 3984));   // 1 / 128k: -1.2%
  EXPECT_TRUE(choose_interleaved_splits(4, 4, 8192));    // 8 / 32k: -0.7%
  EXPECT_FALSE(choose_interleaved_splits(4, 32, 128));   // 1 / 4k: +1.4%
  EXPECT_FALSE(choose_interleaved_splits(4, 1, 4096));   // one split: nothing to interleave
  EXPECT_FALSE(choose_interleaved_splits(1, 8, 512));    // GQA d64 1 / 4k and the other GQA cells
  EXPECT_FALSE(choose_interleaved_splits(1, 33, 3984));  // GQA d64 1 / 128k: +0.8%
}

// The planner's split for GQA STD (32 Q heads, 2 a K head) with units of qb Q heads, at the
// occupancies its kernels have on 132-SM H100s and H200s (one K head a unit 3 blocks an SM, two K
// heads 2), as plan_decode_attention computes them.
SplitCut std_cut(int batch, int64_t context, int qb) {
  const int64_t units = int64_t{batch} * (32 / qb);
  const SplitChoice c = choose_decode_split(input(context, units, qb == 2 ? 3 : 2), (32 / qb) % 4 == 0 ? 4 : 1);
  const int64_t splits = splits_of(context, c.chunk);
  return {splits, split_blocks(batch, 32, qb, splits, c.warp_units, 4)};
}

bool std_takes_two_k_heads(int batch, int64_t context) {
  return choose_two_k_heads(std_cut(batch, context, 2), std_cut(batch, context, 4));
}

// Units of two K heads, where every decode-step timing found them faster (sessions 51-53, STD-1.5B
// on an H100; a step of C prompt tokens plans C + 128 rounded to 64): two K heads cutting no more
// splits than one K head, or more splits over more blocks.
TEST(DecodeSplitPlan, TakesTwoKHeadsAUnitWhereEveryStepTimingFoundItFaster) {
  EXPECT_TRUE(two_k_heads_shape(64 * 2, 2));    // GQA STD, bf16 / fp16
  EXPECT_FALSE(two_k_heads_shape(128 * 2, 4));  // GQA d128: up to 2.2% slower
  EXPECT_FALSE(two_k_heads_shape(64 * 2, 8));   // DiffQKV: two K heads would need 16 Q rows
  EXPECT_FALSE(two_k_heads_shape(64 * 2, 1));   // MHA: QB 2 is below the kernels' units of two K heads
  // Each step cell measured (device ms a step, two K heads against one) with the cut that decides
  // it: as many splits or fewer for two K heads, or more splits over more blocks, take them; more
  // splits over the same blocks do not.
  struct Cell {
    int batch;
    int64_t planned;  // tokens of capacity the step plans for
    bool two;
    const char* measured;
  };
  for (const Cell& c : {
           Cell{1, 131072, true, "33 splits either way: -3.4%"},
           Cell{16, 16512, true, "one split either way: -0.8%"},
           Cell{32, 4224, true, "one split either way: a tie"},
           Cell{64, 4224, true, "one split either way: -0.8%"},
           Cell{64, 8320, true, "1 split against 5: -2.0%"},
           Cell{1, 32896, true, "33 splits over 264 blocks against 8 over 128: -2.4%"},
           Cell{2, 131072, true, "33 splits over 132 blocks (every SM) against 16 over 128: -1.0%, -1.3%"},
           Cell{1, 4096, false, "16 splits against 8, 128 blocks either way: +7% in the attention-only graph"},
           Cell{1, 32768, false, "16 splits against 8, 128 blocks either way: +14% in the attention-only graph"},
           Cell{4, 32896, false, "4 splits against 2, 128 blocks either way: +1.0%"},
           Cell{8, 2176, false, "2 splits against 1, 128 blocks either way: +3.0%"},
           Cell{8, 32896, false, "2 splits against 1, 128 blocks either way: +6.3..+8.1%"},
       }) {
    EXPECT_EQ(std_takes_two_k_heads(c.batch, c.planned), c.two)
        << "batch " << c.batch << ", " << c.planned << " tokens: " << c.measured;
  }
  // The cuts those notes quote, as the planner computes them.
  EXPECT_EQ(std_cut(64, 8320, 4).splits, 1);
  EXPECT_EQ(std_cut(64, 8320, 2).splits, 5);
  EXPECT_EQ(std_cut(1, 32896, 4).blocks, 264);
  EXPECT_EQ(std_cut(1, 32896, 2).blocks, 128);
  EXPECT_EQ(std_cut(2, 131072, 4).blocks, 132);
  EXPECT_EQ(std_cut(2, 131072, 2).blocks, 128);
  EXPECT_EQ(std_cut(1, 32768, 4).blocks, 128);
  EXPECT_EQ(std_cut(8, 32896, 4).splits, 2);
  // The rule itself.
  EXPECT_TRUE(choose_two_k_heads({5, 5120}, {1, 128}));
  EXPECT_TRUE(choose_two_k_heads({33, 132}, {33, 264}));
  EXPECT_TRUE(choose_two_k_heads({8, 128}, {33, 129}));
  EXPECT_FALSE(choose_two_k_heads({8, 128}, {33, 128}));
  EXPECT_FALSE(choose_two_k_heads({1, 128}, {2, 128}));
}

// Whatever it takes, a unit a warp never has more splits, and covers the context in whole granules.
TEST(DecodeSplitPlan, AUnitAWarpNeverTakesMoreSplits) {
  for (const int sms : {78, 132, 144})
    for (const int occupancy : {1, 2, 3})
      for (const int64_t units : {4, 8, 16, 64, 128, 512, 1024, 4096})
        for (const int64_t context : {1, 17, 100, 4096, 32768, 131072, 1000003}) {
          const SplitPlanInput in = input(context, units, occupancy, sms);
          const SplitChoice c = choose_decode_split(in, 4);
          ASSERT_GT(c.chunk, 0);
          EXPECT_EQ(c.chunk % 16, 0);
          EXPECT_LE(splits_of(context, c.chunk), splits_of(context, choose_decode_chunk(in)))
              << sms << " SMs, occupancy " << occupancy << ", " << units << " units, context " << context;
        }
}

TEST(DecodeSplitPlan, EveryPlanCoversTheContextInWholeGranulesWithoutARaggedLastRound) {
  for (const int weight : {1, 4})
  for (const int sms : {78, 114, 132, 144})
    for (const int occupancy : {1, 2, 3, 4})
      for (const int64_t units : {1, 4, 8, 16, 32, 128, 256, 1024, 4096})
        for (const int64_t context : {1, 17, 64, 100, 1000, 4096, 32768, 131072, 1000003}) {
          SCOPED_TRACE(::testing::Message() << sms << " SMs, occupancy " << occupancy << ", " << units
                                            << " units of weight " << weight << ", context " << context);
          const SplitPlanInput in = input(context, units, occupancy, sms, weight);
          const int chunk = choose_decode_chunk(in);
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
          const auto cost = [&](int64_t b, int64_t c) { return (b + sms - 1) / sms * (c * weight + kBlockCostTokens); };
          EXPECT_LE(cost(blocks, chunk), cost(units, (context + 15) / 16 * 16));
        }
}

// The line `bench generate` prints to match a step with an attention-bench cell: its counts are
// the plan's (blocks = batch x units a sequence x splits, over the warps when a warp takes a unit).
TEST(DecodeSplitPlan, DescribesTheCutOfAStep) {
  SplitSummary two;  // STD at batch 1, 32,896 tokens of capacity, two K heads a unit
  two.n_q = 32, two.q_per_k = 2, two.q_heads_per_block = 4, two.splits = 33, two.chunk_tokens = 1008;
  EXPECT_EQ(describe_decode_split(two), "units of 4 Q heads (2 K heads), 33 splits of 1008 tokens, 264 blocks");
  SplitSummary one = two;
  one.batch = 8, one.q_heads_per_block = 2, one.splits = 1, one.chunk_tokens = 2176, one.warp_units = true;
  EXPECT_EQ(describe_decode_split(one), "units of 2 Q heads (1 K head), 1 split of 2176 tokens, 32 blocks, a unit a warp");
  SplitSummary part = two;
  part.q_per_k = 8, part.q_heads_per_block = 4, part.splits = 2, part.chunk_tokens = 256, part.tensor_cores = false,
  part.interleaved = true;
  EXPECT_EQ(describe_decode_split(part),
            "units of 4 Q heads (part of 1 K head), 2 splits of 256 tokens, 16 blocks, two-pass kernel, interleaved");
  part.splits = 0;
  EXPECT_THROW(describe_decode_split(part), std::invalid_argument);
}

TEST(DecodeSplitPlan, RefusesCountsBelowOne) {
  EXPECT_THROW(chunk_for(0, 1, 1), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 0, 1), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 1, 0), std::invalid_argument);
  EXPECT_THROW(chunk_for(1, 1, 1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::kernels
