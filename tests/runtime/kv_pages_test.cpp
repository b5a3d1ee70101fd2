// runtime/kv_pages.h: the paged KV cache's block table. Its invariants (top of the header) are
// checked after every operation of a random workload, and placement and refusals on hand cases.
#include "runtime/kv_pages.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace aimicius::runtime {
namespace {

// Every invariant of kv_pages.h; empty when they hold.
std::string broken_invariant(const KvPages& kv) {
  std::set<int32_t> seen;
  int64_t held = 0;
  for (int64_t s = 0; s < kv.slots(); ++s) {
    const int64_t n = kv.reserved(s) / kv.page_tokens();
    if (kv.reserved(s) % kv.page_tokens()) return "reserved not whole pages";
    for (int64_t i = 0; i < kv.table_stride(); ++i) {
      const int32_t page = kv.table()[s * kv.table_stride() + i];
      if (i < n) {
        if (page < 0 || page >= kv.pages()) return "page out of range";
        if (!seen.insert(page).second) return "a page held twice";
        for (int64_t t : {i * kv.page_tokens(), (i + 1) * kv.page_tokens() - 1})
          if (kv.row(s, t) != page * kv.page_tokens() + t % kv.page_tokens()) return "row disagrees with the table";
      } else if (page != -1) {
        return "entry past the slot's pages is not -1";
      }
    }
    held += n;
  }
  if (held + kv.free_pages() != kv.pages()) return "held + free != pages";
  return "";
}

TEST(KvPages, RandomWorkloadKeepsTheInvariants) {
  std::mt19937 rng(7);
  KvPages kv(8, 40, 16, 300);
  std::vector<int64_t> length(8, 0);
  int refusals = 0, split = 0;
  for (int step = 0; step < 5000; ++step) {
    const int64_t s = rng() % 8;
    if (rng() % 4 == 0) {
      kv.release(s);
      length[s] = 0;
    } else {
      const int64_t want = std::min<int64_t>(300, length[s] + 1 + rng() % 64);
      const int64_t free_before = kv.free_pages(), reserved_before = kv.reserved(s);
      const uint64_t version = kv.version();
      const bool ok = kv.reserve(s, want);
      const int64_t extra = kv.pages_for(want) - reserved_before / 16;
      refusals += !ok;
      if (ok) {
        length[s] = want;
        split += !kv.contiguous_rows(s, want).has_value();
        EXPECT_GE(kv.reserved(s), want);
        EXPECT_EQ(kv.free_pages(), free_before - std::max<int64_t>(extra, 0));
      } else {
        EXPECT_GT(extra, free_before) << "refused though the pool had room";
        EXPECT_EQ(kv.reserved(s), reserved_before) << "a refusal changed the slot";
        EXPECT_EQ(kv.version(), version) << "a refusal changed the table";
      }
    }
    const std::string broken = broken_invariant(kv);
    ASSERT_EQ(broken, "") << "step " << step;
  }
  EXPECT_GT(refusals, 100) << "the workload must run the pool dry";
  EXPECT_GT(split, 100) << "and leave sequences in several runs";
}

TEST(KvPages, RowsAlreadyHeldNeverMove) {
  KvPages kv(3, 12, 16, 64);
  ASSERT_TRUE(kv.reserve(0, 20));   // pages 0, 1
  ASSERT_TRUE(kv.reserve(1, 16));   // page 2
  const int64_t row_17 = kv.row(0, 17);
  ASSERT_TRUE(kv.reserve(0, 60));   // two more: page 2 is slot 1's, so the first free run (3-4)
  EXPECT_EQ(kv.row(0, 17), row_17);
  EXPECT_EQ(kv.reserve(0, 10), true) << "less than held: nothing to do";
  EXPECT_EQ(kv.reserved(0), 64);
}

TEST(KvPages, NewPagesContinueTheSlotsRunWhereTheyCan) {
  KvPages kv(3, 10, 16, 160);
  ASSERT_TRUE(kv.reserve(0, 32));  // pages 0-1
  ASSERT_TRUE(kv.reserve(1, 16));  // page 2
  EXPECT_EQ(kv.contiguous_rows(0, 32), 0);
  ASSERT_TRUE(kv.reserve(0, 48));  // page 2 is slot 1's: the first free run, page 3
  EXPECT_EQ(kv.row(0, 32), 3 * 16);
  EXPECT_FALSE(kv.contiguous_rows(0, 48)) << "pages 0, 1, 3";
  EXPECT_EQ(kv.contiguous_rows(0, 32), 0) << "its first 32 tokens are still one run";
  ASSERT_TRUE(kv.reserve(1, 32));  // page 3 is taken: continues nowhere, first free run is page 4
  EXPECT_EQ(kv.row(1, 16), 4 * 16);
  ASSERT_TRUE(kv.reserve(2, 5 * 16));  // pages 5-9: one run
  EXPECT_EQ(kv.contiguous_rows(2, 80), 5 * 16);
  EXPECT_EQ(kv.free_pages(), 0);
}

TEST(KvPages, AFragmentedPoolStillGivesItsFreePages) {
  KvPages kv(4, 6, 16, 96);
  for (int64_t s = 0; s < 3; ++s) ASSERT_TRUE(kv.reserve(s, 32));  // pages 0-5, two a slot
  kv.release(0);  // pages 0, 1 free
  kv.release(2);  // pages 4, 5 free: no run of 3
  ASSERT_TRUE(kv.reserve(3, 48));
  EXPECT_EQ(kv.row(3, 0), 0);
  EXPECT_EQ(kv.row(3, 16), 16);
  EXPECT_EQ(kv.row(3, 32), 4 * 16);
  EXPECT_FALSE(kv.contiguous_rows(3, 48));
  EXPECT_FALSE(kv.reserve(0, 48)) << "one page left";
  EXPECT_EQ(kv.reserved(0), 0);
  EXPECT_TRUE(kv.reserve(0, 16));
}

TEST(KvPages, RefusesWhatItCannotHold) {
  EXPECT_THROW(KvPages(0, 4, 16, 64), std::invalid_argument);
  EXPECT_THROW(KvPages(2, 4, 0, 64), std::invalid_argument);
  KvPages kv(2, 4, 16, 64);
  EXPECT_THROW(kv.reserve(0, 65), std::out_of_range) << "past the most one slot may hold";
  EXPECT_THROW(kv.reserve(2, 16), std::out_of_range) << "no slot 2";
  ASSERT_TRUE(kv.reserve(0, 10));
  EXPECT_THROW(kv.row(0, 16), std::out_of_range) << "past the slot's room";
  EXPECT_EQ(kv.table_stride(), 4);
  EXPECT_EQ(kv.table().size(), 8u);
}

}  // namespace
}  // namespace aimicius::runtime
