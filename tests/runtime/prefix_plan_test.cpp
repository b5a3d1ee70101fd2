// Shared-prefix planning (runtime/prefix_plan.h), prefill groups of prompts that hold a prefix
// already, and the slot budget of max_active=auto (runtime/slot_budget.h): LibTorch-free.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "runtime/prefill_plan.h"
#include "runtime/prefix_plan.h"
#include "runtime/slot_budget.h"

namespace aimicius::runtime {
namespace {

std::vector<int32_t> run_of(int64_t n, int32_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::vector<int32_t> out(n);
  for (auto& t : out) t = static_cast<int32_t>(rng() % 1000);
  return out;
}

std::vector<int32_t> cat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A suite's shape: one long shared block, two subgroups sharing more, one prompt equal to the
// block, one prompt sharing nothing, and a pair sharing too little (10 tokens) to count.
TEST(PrefixPlan, FindsNestedSharedPrefixesAndTheirPrompts) {
  const auto block = run_of(100, 1), sub = run_of(40, 2), tiny = run_of(10, 3);
  const std::vector<std::vector<int32_t>> prompts = {
      cat(block, run_of(5, 10)),                 // 0: block only
      cat(cat(block, sub), run_of(7, 11)),       // 1: block + sub
      run_of(50, 12),                            // 2: nothing shared
      cat(cat(block, sub), run_of(3, 13)),       // 3: block + sub
      block,                                     // 4: equal to the block
      cat(tiny, run_of(60, 14)),                 // 5: shares 10 tokens with 6
      cat(tiny, run_of(60, 15)),                 // 6
      cat(block, run_of(9, 16)),                 // 7: block only
  };
  const PrefixPlan plan = plan_shared_prefixes(prompts, {32, 4});
  ASSERT_EQ(plan.prefixes.size(), 2u);
  EXPECT_EQ(plan.prefixes[0].length, 100);
  EXPECT_EQ(plan.prefixes[0].parent, -1);
  EXPECT_EQ(plan.prefixes[0].level, 1);
  EXPECT_EQ(plan.prefixes[0].prompts, 5);
  EXPECT_EQ(plan.prefixes[1].length, 140);
  EXPECT_EQ(plan.prefixes[1].parent, 0);
  EXPECT_EQ(plan.prefixes[1].level, 2);
  EXPECT_EQ(plan.prefixes[1].prompts, 2);
  EXPECT_EQ(plan.prefix_of, (std::vector<int64_t>{0, 1, -1, 1, 0, -1, -1, 0}));
  for (const auto& p : plan.prefixes) {
    const auto& rep = prompts[p.representative];
    for (size_t i = 0; i < prompts.size(); ++i) {
      int64_t x = plan.prefix_of[i];
      while (x >= 0 && &plan.prefixes[x] != &p) x = plan.prefixes[x].parent;
      if (x < 0) continue;  // p is not this prompt's prefix or an ancestor of it
      EXPECT_TRUE(std::equal(rep.begin(), rep.begin() + p.length, prompts[i].begin())) << i;
    }
  }
  // The order is sorted, so each prefix's prompts are one run of it.
  std::vector<int64_t> sorted_order = plan.order;
  for (size_t k = 1; k < plan.order.size(); ++k) EXPECT_LE(prompts[plan.order[k - 1]], prompts[plan.order[k]]);
  std::sort(sorted_order.begin(), sorted_order.end());
  for (size_t i = 0; i < sorted_order.size(); ++i) EXPECT_EQ(sorted_order[i], static_cast<int64_t>(i));
  for (int64_t x : {0, 1}) {
    std::vector<int64_t> positions;
    for (size_t k = 0; k < plan.order.size(); ++k) {
      int64_t y = plan.prefix_of[plan.order[k]];
      while (y >= 0 && y != x) y = plan.prefixes[y].parent;
      if (y == x) positions.push_back(static_cast<int64_t>(k));
    }
    ASSERT_FALSE(positions.empty());
    EXPECT_EQ(positions.back() - positions.front() + 1, static_cast<int64_t>(positions.size())) << x;
  }
}

TEST(PrefixPlan, LevelsAreCappedAndSharingNothingPlansNothing) {
  // Five nested levels of 40 tokens each; prompts branch off at every level.
  std::vector<std::vector<int32_t>> prompts;
  std::vector<int32_t> stem;
  for (int32_t level = 0; level < 5; ++level) {
    stem = cat(stem, run_of(40, 100 + level));
    prompts.push_back(cat(stem, run_of(5, 200 + level)));
    prompts.push_back(cat(stem, run_of(5, 300 + level)));
  }
  const PrefixPlan all = plan_shared_prefixes(prompts, {32, 10});
  EXPECT_EQ(all.prefixes.size(), 5u);
  const PrefixPlan capped = plan_shared_prefixes(prompts, {32, 2});
  ASSERT_EQ(capped.prefixes.size(), 2u);
  EXPECT_EQ(capped.prefixes[1].length, 80);
  EXPECT_EQ(capped.prefix_of.back(), 1) << "the deepest prompts use the deepest kept prefix";
  EXPECT_TRUE(plan_shared_prefixes(prompts, {32, 0}).prefixes.empty());
  EXPECT_TRUE(plan_shared_prefixes(prompts, {201, 4}).prefixes.empty());
  EXPECT_TRUE(plan_shared_prefixes({run_of(50, 1), run_of(50, 2)}, {32, 4}).prefixes.empty());
  EXPECT_TRUE(plan_shared_prefixes({run_of(50, 1)}, {32, 4}).prefixes.empty());
  EXPECT_THROW(plan_shared_prefixes(prompts, {0, 4}), std::invalid_argument);
}

// A suite-sized call is planned in time linear in its tokens (a quadratic plan would not finish
// within the test's timeout; this is not a timing assertion).
TEST(PrefixPlan, ManyPromptsShareOneBlock) {
  const auto block = run_of(2000, 7);
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t i = 0; i < 2000; ++i) prompts.push_back(cat(block, run_of(20, 1000 + i)));
  const PrefixPlan plan = plan_shared_prefixes(prompts, {});
  ASSERT_EQ(plan.prefixes.size(), 1u);
  EXPECT_EQ(plan.prefixes[0].length, 2000);
  EXPECT_EQ(plan.prefixes[0].prompts, 2000);
}

// Suffixes after a held prefix: the budget bounds the context a group reads, not only its padding.
TEST(PrefillPlan, HeldRowsCountAgainstTheBudget) {
  const std::vector<int64_t> lengths(8, 10), held(8, 90);
  const auto without = plan_prefill_groups(lengths, {400, 0.25});
  EXPECT_EQ(without.size(), 1u);
  const auto with = plan_prefill_groups(lengths, {400, 0.25}, held);
  ASSERT_EQ(with.size(), 2u);  // 4 x (90 + 10) = 400 rows read per group
  EXPECT_EQ(with[0].size(), 4u);
  EXPECT_EQ(plan_prefill_groups(lengths, {400, 0.25}, std::vector<int64_t>(8, 0)), without);
  EXPECT_THROW(plan_prefill_groups(lengths, {400, 0.25}, {1, 2}), std::invalid_argument);
}

// A model that reads held rows in place (one varlen FlashAttention call) pays nothing per held row:
// only the padded new tokens count.
TEST(PrefillPlan, HeldRowsReadInPlaceCountNothing) {
  const std::vector<int64_t> lengths(8, 10), held(8, 90);
  PrefillLimits in_place{400, 0.25};
  in_place.held_read_in_place = true;
  EXPECT_EQ(plan_prefill_groups(lengths, in_place, held), plan_prefill_groups(lengths, {400, 0.25}));
  in_place.max_padded_tokens = 40;  // the new tokens still do
  EXPECT_EQ(plan_prefill_groups(lengths, in_place, held).size(), 2u);
}

// 1,000 prompts of up to 4,096 + 64 tokens at 100 KiB of K/V a token, on a device with 100 GiB free
// (10 GiB of it for activations, a 10% margin).
SlotBudgetInput thousand_prompts_on_100_gib() {
  SlotBudgetInput in;
  in.free_bytes = int64_t{100} << 30;
  in.margin = 0.10;
  in.activation_bytes = int64_t{10} << 30;
  in.kv_bytes_per_token = 100 * 1024;
  in.capacity_tokens = 4096 + 64;
  in.longest_prompt = 4096;
  in.prompts = 1000;
  return in;
}

// Paged: the pool is every free byte's tokens, slots its share per average sequence; the longest
// sequence's capacity no longer sets every slot's size.
TEST(SlotBudget, APagedPoolHoldsSequencesOfTheirOwnLength) {
  SlotBudgetInput in = thousand_prompts_on_100_gib();
  const int64_t unpaged = choose_slot_budget(in).slots;
  in.page_tokens = 64;
  in.mean_tokens = 1000 + 64;  // most prompts far shorter than the longest
  in.total_tokens = 1000 * 1088;
  SlotBudget b = choose_slot_budget(in);
  // 80 GiB / 100 KiB = 838,860.8 tokens -> 838,848 in whole pages; over 1,064 -> 1,088 in pages: 771.
  EXPECT_EQ(b.pool_tokens, 838848);
  EXPECT_EQ(b.slots, 771);
  EXPECT_GT(b.slots, 3 * unpaged);
  EXPECT_NE(b.reason.find("max_active 771 (paged KV cache)"), std::string::npos) << b.reason;
  EXPECT_NE(b.reason.find("a pool of 838,848 tokens"), std::string::npos) << b.reason;
  in.extra_slots = 2;  // the prefix store at full capacity (4,160: 65 pages) each
  EXPECT_EQ(choose_slot_budget(in).slots, (838848 - 2 * 4160) / 1088);
  in.free_bytes = int64_t{11} << 30;  // under one longest sequence's worth after activations
  in.extra_slots = 0;
  b = choose_slot_budget(in);
  EXPECT_EQ(b.slots, 1);
  EXPECT_EQ(b.pool_tokens, 4160);
  EXPECT_NE(b.reason.find("less than one longest sequence fits"), std::string::npos) << b.reason;
  in.free_bytes = int64_t{100} << 30;
  in.prompts = 10, in.total_tokens = 10 * 1088;  // a small call: the pool holds them all, no more
  b = choose_slot_budget(in);
  EXPECT_EQ(b.pool_tokens, 10 * 1088);
  EXPECT_EQ(b.slots, 10);
  in.mean_tokens = 0;
  EXPECT_THROW(choose_slot_budget(in), std::invalid_argument);
}

// max_active=N: N slots at full capacity while they fit; past the free memory, a paged pool of what
// fits, still N slots (sequences wait for pages); unpaged, N as asked.
TEST(SlotBudget, FixedSlotsBecomeAPagedPoolOnlyWhenTheyDoNotFit) {
  SlotBudgetInput in = thousand_prompts_on_100_gib();
  in.page_tokens = 64;
  in.mean_tokens = 1000 + 64;
  in.total_tokens = 1000 * 1088;
  // 201 slots of 4,160 tokens fit the 80 GiB (choose_slot_budget's unpaged answer above).
  SlotBudget b = fixed_slot_budget(in, 201);
  EXPECT_EQ(b.slots, 201);
  EXPECT_EQ(b.pool_tokens, 0);
  EXPECT_TRUE(b.reason.empty()) << b.reason;
  b = fixed_slot_budget(in, 202);
  EXPECT_EQ(b.slots, 202);
  EXPECT_EQ(b.pool_tokens, 838848);  // every usable byte, as max_active=auto's pool
  EXPECT_NE(b.reason.find("max_active 202 (paged KV cache): 202 slots of 4,160 tokens would need 80.14 GiB"),
            std::string::npos) << b.reason;
  EXPECT_NE(b.reason.find("so a pool of 838,848 tokens"), std::string::npos) << b.reason;
  in.extra_slots = 4;  // the prefix store counts too
  EXPECT_EQ(fixed_slot_budget(in, 197).pool_tokens, 0);
  EXPECT_GT(fixed_slot_budget(in, 198).pool_tokens, 0);
  in.page_tokens = 0;  // unpaged: as asked
  b = fixed_slot_budget(in, 500);
  EXPECT_EQ(b.slots, 500);
  EXPECT_EQ(b.pool_tokens, 0);
  EXPECT_THROW(fixed_slot_budget(in, 0), std::invalid_argument);
  in.prompts = 0;
  EXPECT_THROW(fixed_slot_budget(in, 4), std::invalid_argument);
}

TEST(SlotBudget, FreeMemoryOverPerSequenceBytes) {
  SlotBudgetInput in = thousand_prompts_on_100_gib();
  // (90 - 10) GiB / (4160 x 100 KiB) = 201.6 -> 201 slots.
  SlotBudget b = choose_slot_budget(in);
  EXPECT_EQ(b.slots, 201);
  EXPECT_NE(b.reason.find("max_active 201: 100.0 GiB free"), std::string::npos) << b.reason;
  EXPECT_NE(b.reason.find("(4,096 + 64 tokens), 10% margin"), std::string::npos) << b.reason;
  in.extra_slots = 4;
  EXPECT_EQ(choose_slot_budget(in).slots, 197);
  in.prompts = 50;
  EXPECT_EQ(choose_slot_budget(in).slots, 50) << "never more than the prompts";
  in.cap = 8;
  EXPECT_EQ(choose_slot_budget(in).slots, 8);
  in.cap = 0;
  in.free_bytes = int64_t{1} << 30;  // less than the activations: still one
  b = choose_slot_budget(in);
  EXPECT_EQ(b.slots, 1);
  EXPECT_NE(b.reason.find("less than one fits"), std::string::npos) << b.reason;
  in.margin = 1.0;
  EXPECT_THROW(choose_slot_budget(in), std::invalid_argument);
  in.margin = 0.1;
  in.prompts = 0;
  EXPECT_THROW(choose_slot_budget(in), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::runtime
