// How a batch of prompts of different lengths is prefilled: in groups, each one padded forward
// (Model::prefill). Longest prompts first, so that each group pads to its first prompt's length
// and neighbours in length share a group.
//
// Invariants of a plan: every prompt is in exactly one group; a group's padded size (its members
// times its longest length) stays within the token budget, and its padding within the allowed
// share of that size, except for a group of one prompt (a prompt is never refused for its length:
// alone it has no padding, and its size is what a per-prompt prefill costs anyway).
// With `held` (tokens each prompt's cache slot already holds: a reused shared prefix, see
// runtime/prefix_plan.h), lengths are the tokens still to prefill, and a group's attention reads
// each member's held + new rows: members times the longest held + length stays within the same
// budget too, so a group of suffixes never reads more K/V than a group of whole prompts would
// (unless the model reads held rows in place: PrefillLimits::held_read_in_place).
#pragma once

#include <cstdint>
#include <vector>

namespace aimicius::runtime {

struct PrefillLimits {
  int64_t max_padded_tokens = 65536;  // members x longest length, per group
  double max_padding = 0.25;          // padding tokens / padded tokens, per group
  // The model's prefill reads held rows where they lie in the cache (Model::
  // prefill_reads_cache_in_place): then held rows cost a group nothing to gather, and only the
  // padded new tokens count against max_padded_tokens.
  bool held_read_in_place = false;
};

// Groups of prompt indices (into `lengths`), each group longest first, groups longest first.
// `held`: empty (nothing held), or one per prompt.
std::vector<std::vector<int64_t>> plan_prefill_groups(const std::vector<int64_t>& lengths, const PrefillLimits& limits,
                                                      const std::vector<int64_t>& held = {});

}  // namespace aimicius::runtime
