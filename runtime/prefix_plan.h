// Which token prefixes the prompts of one generate() call share, so that each shared prefix's
// K/V is computed once and copied into the slot of every prompt that begins with it
// (LocalModel's prefix reuse). Pure and LibTorch-free: token ids in, a plan out.
//
// The prompts are sorted (lexicographically by token id, ties by index): prompts that share a
// prefix are then neighbours, and the longest common prefixes of neighbours (the LCP array) form
// a tree of intervals (each interval: a run of sorted prompts and the prefix they all share). A
// node of that tree becomes a SharedPrefix when it pays: it is at least `min_tokens` longer than
// its nearest chosen ancestor (or the empty prefix), and it lies at most `max_levels` chosen
// prefixes deep (deeper nodes are left out; their prompts use the deepest kept ancestor). Every
// node covers at least two prompts. O(n log n) comparisons for the sort (each as long as the
// prompts' common prefix) and O(n) for the tree.
//
// Invariants of a plan: prefixes are in preorder (a parent before its children, siblings in
// sorted order), so walking `order` meets each prefix's prompts as one contiguous run, after its
// parent's first prompt; a prefix's tokens are the first `length` tokens of prompt
// `representative` and of every prompt whose prefix_of is it or a descendant; a child is longer
// than its parent by at least min_tokens; its level (1 for a top prefix) is at most max_levels.
#pragma once

#include <cstdint>
#include <vector>

namespace aimicius::runtime {

struct PrefixLimits {
  int64_t min_tokens = 32;  // a prefix must add at least this many tokens over its parent
  int64_t max_levels = 4;   // prefixes nested at most this deep (the store holds one per level)
};

struct SharedPrefix {
  int64_t length = 0;          // tokens
  int64_t parent = -1;         // index into PrefixPlan::prefixes, or -1
  int64_t level = 1;           // 1 + the parent's level
  int64_t representative = 0;  // a prompt that begins with it
  int64_t prompts = 0;         // prompts that begin with it
};

struct PrefixPlan {
  std::vector<SharedPrefix> prefixes;  // preorder
  std::vector<int64_t> prefix_of;      // per prompt: its deepest prefix, or -1
  std::vector<int64_t> order;          // the prompts sorted: each prefix's prompts contiguous
};

PrefixPlan plan_shared_prefixes(const std::vector<std::vector<int32_t>>& prompts, const PrefixLimits& limits);

}  // namespace aimicius::runtime
