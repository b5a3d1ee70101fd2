#include "runtime/prefix_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {
namespace {

// An interval of the sorted prompts [lb, rb] whose members all share `depth` tokens (and no
// strictly larger interval does at that depth); children are its maximal sub-intervals sharing more.
struct Interval {
  int64_t depth = 0, lb = 0, rb = -1;
  std::vector<int64_t> children;  // left to right
};

int64_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const auto n = std::min(a.size(), b.size());
  return static_cast<int64_t>(std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin()).first -
                              a.begin());
}

// The LCP-interval tree of the sorted prompts (node 0: the root, depth 0, every prompt), built
// with one stack pass over the LCP array of neighbours.
std::vector<Interval> interval_tree(const std::vector<int64_t>& lcp, int64_t n) {
  std::vector<Interval> nodes{{0, 0, n - 1, {}}};
  std::vector<int64_t> stack{0};
  for (int64_t k = 1; k <= n; ++k) {
    const int64_t cur = k < n ? lcp[k] : 0;  // the end closes every interval but the root
    int64_t lb = k - 1, last = -1;
    while (cur < nodes[stack.back()].depth) {
      last = stack.back();
      stack.pop_back();
      nodes[last].rb = k - 1;
      lb = nodes[last].lb;
      if (cur <= nodes[stack.back()].depth) {
        nodes[stack.back()].children.push_back(last);
        last = -1;
      }
    }
    if (cur > nodes[stack.back()].depth) {
      nodes.push_back({cur, lb, -1, {}});
      if (last >= 0) nodes.back().children.push_back(last);
      stack.push_back(static_cast<int64_t>(nodes.size()) - 1);
    }
  }
  return nodes;
}

}  // namespace

PrefixPlan plan_shared_prefixes(const std::vector<std::vector<int32_t>>& prompts, const PrefixLimits& limits) {
  if (limits.min_tokens < 1 || limits.max_levels < 0)
    throw std::invalid_argument(fmt::format("prefix limits: min_tokens {} (need >= 1), max_levels {} (need >= 0)",
                                            limits.min_tokens, limits.max_levels));
  const int64_t n = static_cast<int64_t>(prompts.size());
  PrefixPlan plan;
  plan.prefix_of.assign(n, -1);
  plan.order.resize(n);
  std::iota(plan.order.begin(), plan.order.end(), 0);
  std::stable_sort(plan.order.begin(), plan.order.end(), [&](int64_t a, int64_t b) { return prompts[a] < prompts[b]; });
  if (n < 2 || limits.max_levels == 0) return plan;
  std::vector<int64_t> lcp(n, 0);
  for (int64_t k = 1; k < n; ++k) lcp[k] = common_prefix(prompts[plan.order[k - 1]], prompts[plan.order[k]]);
  const std::vector<Interval> nodes = interval_tree(lcp, n);

  // Preorder walk; each entry carries the prefix its interval's prompts use so far (-1: none).
  struct Visit {
    int64_t node, inherited;
  };
  std::vector<Visit> todo{{0, -1}};
  while (!todo.empty()) {
    const auto [v, inherited] = todo.back();
    todo.pop_back();
    const Interval& iv = nodes[v];
    const int64_t parent_length = inherited < 0 ? 0 : plan.prefixes[inherited].length;
    const int64_t parent_level = inherited < 0 ? 0 : plan.prefixes[inherited].level;
    int64_t used = inherited;
    if (iv.depth - parent_length >= limits.min_tokens && parent_level < limits.max_levels) {
      used = static_cast<int64_t>(plan.prefixes.size());
      plan.prefixes.push_back({iv.depth, inherited, parent_level + 1, plan.order[iv.lb], iv.rb - iv.lb + 1});
    }
    // The prompts of this interval outside every child: this is their deepest interval.
    int64_t k = iv.lb;
    for (int64_t c : iv.children) {
      for (; k < nodes[c].lb; ++k) plan.prefix_of[plan.order[k]] = used;
      k = nodes[c].rb + 1;
    }
    for (; k <= iv.rb; ++k) plan.prefix_of[plan.order[k]] = used;
    for (auto c = iv.children.rbegin(); c != iv.children.rend(); ++c) todo.push_back({*c, used});
  }
  return plan;
}

}  // namespace aimicius::runtime
