#include "runtime/prefill_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {

std::vector<std::vector<int64_t>> plan_prefill_groups(const std::vector<int64_t>& lengths,
                                                      const PrefillLimits& limits) {
  if (limits.max_padded_tokens < 1 || limits.max_padding < 0.0 || limits.max_padding >= 1.0)
    throw std::invalid_argument(fmt::format("prefill limits: {} padded tokens, padding share {} (need >= 1, [0, 1))",
                                            limits.max_padded_tokens, limits.max_padding));
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  // Stable: prompts of equal length keep their order, so a plan is a function of the lengths.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });

  std::vector<std::vector<int64_t>> groups;
  int64_t longest = 0, real = 0;  // of the open group
  for (int64_t i : order) {
    if (!groups.empty()) {
      const int64_t padded = static_cast<int64_t>(groups.back().size() + 1) * longest;
      const int64_t padding = padded - (real + lengths[i]);
      if (padded <= limits.max_padded_tokens && padding <= limits.max_padding * static_cast<double>(padded)) {
        groups.back().push_back(i);
        real += lengths[i];
        continue;
      }
    }
    groups.push_back({i});
    longest = real = lengths[i];
  }
  return groups;
}

}  // namespace aimicius::runtime
