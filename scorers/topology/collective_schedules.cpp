// collective_schedules: the constructions documented in collective_schedules.h.
#include "scorers/topology/collective_schedules.h"

#include <algorithm>

namespace aimicius::topology {
namespace {

int wrap(int i, int n) { return ((i % n) + n) % n; }

void send_bundle(Step& step, int src, int dst, const std::vector<int>& bundle) {
  for (int chunk : bundle) step.push_back(Transfer{src, dst, chunk, {}});
}

std::vector<Step> one_group(const std::vector<int>& group,
                            const std::vector<std::vector<int>>& bundle_of, GroupMethod method) {
  const int n = static_cast<int>(group.size());
  std::vector<Step> steps;
  if (n < 2) return steps;
  switch (method) {
    case GroupMethod::ring:
      steps.resize(n - 1);
      for (int s = 0; s < n - 1; ++s)
        for (int i = 0; i < n; ++i)
          send_bundle(steps[s], group[i], group[wrap(i + 1, n)], bundle_of[group[wrap(i - s, n)]]);
      break;
    case GroupMethod::bidirectional_ring: {
      const int clockwise = n / 2;         // ceil((n-1)/2)
      const int counter = (n - 1) / 2;     // floor((n-1)/2)
      steps.resize(clockwise);
      for (int s = 0; s < clockwise; ++s)
        for (int i = 0; i < n; ++i) {
          send_bundle(steps[s], group[i], group[wrap(i + 1, n)], bundle_of[group[wrap(i - s, n)]]);
          if (s < counter)
            send_bundle(steps[s], group[i], group[wrap(i - 1, n)], bundle_of[group[wrap(i + s, n)]]);
        }
      break;
    }
    case GroupMethod::direct:
      steps.resize(1);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j) send_bundle(steps[0], group[i], group[j], bundle_of[group[i]]);
      break;
    case GroupMethod::direct_shifted:
      steps.resize(n - 1);
      for (int s = 1; s < n; ++s)
        for (int i = 0; i < n; ++i)
          send_bundle(steps[s - 1], group[i], group[wrap(i + s, n)], bundle_of[group[i]]);
      break;
  }
  return steps;
}

}  // namespace

const char* to_string(GroupMethod method) {
  switch (method) {
    case GroupMethod::ring: return "ring";
    case GroupMethod::bidirectional_ring: return "bidirectional_ring";
    case GroupMethod::direct: return "direct";
    case GroupMethod::direct_shifted: return "direct_shifted";
  }
  return "unknown";
}

std::vector<Step> group_all_gather(const std::vector<std::vector<int>>& groups,
                                   const std::vector<std::vector<int>>& bundle_of,
                                   GroupMethod method) {
  std::vector<Step> merged;
  for (const auto& group : groups) {
    std::vector<Step> steps = one_group(group, bundle_of, method);
    if (merged.size() < steps.size()) merged.resize(steps.size());
    for (size_t s = 0; s < steps.size(); ++s)
      merged[s].insert(merged[s].end(), steps[s].begin(), steps[s].end());
  }
  return merged;
}

Schedule flat_all_gather(const std::vector<int>& order, GroupMethod method) {
  const int max_id = order.empty() ? 0 : *std::max_element(order.begin(), order.end());
  std::vector<std::vector<int>> bundle_of(max_id + 1);
  for (int g : order) bundle_of[g] = {g};
  return Schedule{group_all_gather({order}, bundle_of, method)};
}

Schedule recursive_doubling(const std::vector<int>& order) {
  const int n = static_cast<int>(order.size());
  Schedule schedule;
  if (n < 2 || (n & (n - 1)) != 0) return schedule;
  for (int span = 1; span < n; span *= 2) {
    Step step;
    for (int p = 0; p < n; ++p) {
      const int partner = p ^ span;
      const int block_start = (p / span) * span;  // positions whose chunks p holds
      for (int q = block_start; q < block_start + span; ++q)
        step.push_back(Transfer{order[p], order[partner], order[q], {}});
    }
    schedule.steps.push_back(std::move(step));
  }
  return schedule;
}

}  // namespace aimicius::topology
