// relay_schedules: naive and greedy relay all-gather schedules (see relay_schedules.h).
#include "scorers/topology/relay_schedules.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <vector>

namespace aimicius::topology {

std::optional<Schedule> naive_schedule(const Topology& topology, const RouteTable& routes) {
  const int n = topology.gpu_count();
  Schedule schedule;
  for (int chunk = 0; chunk < n; ++chunk) {
    std::vector<bool> visited(n, false);
    std::deque<int> queue = {chunk};
    visited[chunk] = true;
    int reached = 1;
    while (!queue.empty()) {
      const int from = queue.front();
      queue.pop_front();
      for (int to = 0; to < n; ++to) {
        if (visited[to] || !routes.reachable(from, to)) continue;
        visited[to] = true;
        ++reached;
        schedule.steps.push_back({Transfer{from, to, chunk, {}}});
        queue.push_back(to);
      }
    }
    if (reached != n) return std::nullopt;
  }
  return schedule;
}

std::optional<Schedule> naive_schedule(const Topology& topology) {
  return naive_schedule(topology, RouteTable(topology));
}

std::optional<Schedule> greedy_relay_schedule(const Topology& topology, const RouteTable& routes,
                                              double shard_bytes, int max_sends_per_gpu) {
  const int n = topology.gpu_count();
  std::vector<std::vector<bool>> holds(n, std::vector<bool>(n, false));
  std::vector<int> holders(n, 1);
  for (int g = 0; g < n; ++g) holds[g][g] = true;
  int missing_total = n * (n - 1);
  Schedule schedule;
  std::vector<int> load(topology.channels().size(), 0);
  for (int k = 0; missing_total > 0; ++k) {
    if (k >= n * n) return std::nullopt;
    std::fill(load.begin(), load.end(), 0);
    std::vector<int> sends(n, 0);
    Step step;
    for (int r = 0; r < n; ++r) {
      const int dst = (k + r) % n;
      std::vector<int> missing;
      for (int c = 0; c < n; ++c)
        if (!holds[dst][c]) missing.push_back(c);
      std::stable_sort(missing.begin(), missing.end(),
                       [&](int a, int b) { return holders[a] < holders[b]; });
      for (int chunk : missing) {
        int best_src = -1;
        double best_time = std::numeric_limits<double>::infinity();
        for (int src = 0; src < n; ++src) {
          if (!holds[src][chunk] || sends[src] >= max_sends_per_gpu) continue;
          const auto& route = routes.route(src, dst);
          if (!route) continue;
          double share = std::numeric_limits<double>::infinity();
          for (int c : route->channels)
            share = std::min(share, topology.channels()[c].bandwidth_gbps / (load[c] + 1));
          const double time = route->latency_us + shard_bytes / (share * 1e3);
          if (time < best_time) {
            best_time = time;
            best_src = src;
          }
        }
        if (best_src < 0) continue;
        ++sends[best_src];
        for (int c : routes.route(best_src, dst)->channels) ++load[c];
        step.push_back(Transfer{best_src, dst, chunk, {}});
        break;
      }
    }
    if (step.empty()) return std::nullopt;
    // Receipts count from the next step on.
    for (const Transfer& t : step) {
      holds[t.dst][t.chunk] = true;
      ++holders[t.chunk];
      --missing_total;
    }
    schedule.steps.push_back(std::move(step));
  }
  return schedule;
}

}  // namespace aimicius::topology
