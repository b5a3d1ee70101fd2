// How a batch of prompts of different lengths is prefilled: in groups, each one padded forward
// (Model::prefill). Longest prompts first, so that each group pads to its first prompt's length
// and neighbours in length share a group.
//
// Invariants of a plan: every prompt is in exactly one group; a group's padded size (its members
// times its longest length) stays within the token budget, and its padding within the allowed
// share of that size, except for a group of one prompt (a prompt is never refused for its length:
// alone it has no padding, and its size is what a per-prompt prefill costs anyway).
#pragma once

#include <cstdint>
#include <vector>

namespace aimicius::runtime {

struct PrefillLimits {
  int64_t max_padded_tokens = 65536;  // members x longest length, per group
  double max_padding = 0.25;          // padding tokens / padded tokens, per group
};

// Groups of prompt indices (into `lengths`), each group longest first, groups longest first.
std::vector<std::vector<int64_t>> plan_prefill_groups(const std::vector<int64_t>& lengths, const PrefillLimits& limits);

}  // namespace aimicius::runtime
