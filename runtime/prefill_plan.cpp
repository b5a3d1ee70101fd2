#include "runtime/prefill_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {

std::vector<std::vector<int64_t>> plan_prefill_groups(const std::vector<int64_t>& lengths,
                                                      const PrefillLimits& limits, const std::vector<int64_t>& held) {
  if (limits.max_padded_tokens < 1 || limits.max_padding < 0.0 || limits.max_padding >= 1.0)
    throw std::invalid_argument(fmt::format("prefill limits: {} padded tokens, padding share {} (need >= 1, [0, 1))",
                                            limits.max_padded_tokens, limits.max_padding));
  if (!held.empty() && held.size() != lengths.size())
    throw std::invalid_argument(fmt::format("prefill plan: {} held counts for {} prompts", held.size(), lengths.size()));
  auto context = [&](int64_t i) { return lengths[i] + (held.empty() ? 0 : held[i]); };
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  // Stable: prompts of equal length keep their order, so a plan is a function of the lengths.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });

  std::vector<std::vector<int64_t>> groups;
  int64_t longest = 0, real = 0, widest = 0;  // of the open group: longest length, real tokens, longest context
  for (int64_t i : order) {
    if (!groups.empty()) {
      const int64_t members = static_cast<int64_t>(groups.back().size() + 1);
      const int64_t padded = members * longest;
      const int64_t padding = padded - (real + lengths[i]);
      const int64_t read = members * std::max(widest, context(i));
      if (padded <= limits.max_padded_tokens && (limits.held_read_in_place || read <= limits.max_padded_tokens) &&
          padding <= limits.max_padding * static_cast<double>(padded)) {
        groups.back().push_back(i);
        real += lengths[i];
        widest = std::max(widest, context(i));
        continue;
      }
    }
    groups.push_back({i});
    longest = real = lengths[i];
    widest = context(i);
  }
  return groups;
}

}  // namespace aimicius::runtime
