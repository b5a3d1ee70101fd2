// order_search: multi-start local search over ring orders (see order_search.h).
#include "scorers/topology/order_search.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <utility>

#include "scorers/topology/ring_search.h"

namespace aimicius::topology {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr uint64_t kKickSeed = 0x6f70746966ULL;

double hop_cost(const Topology& topology, const RouteTable& routes, int src, int dst, double shard_bytes) {
  const auto& route = routes.route(src, dst);
  if (!route) return kInfinity;
  return pairs_step_time(topology, routes, {{src, dst}}, shard_bytes);
}

// Rotates a ring so that its smallest GPU comes first (rings are equal up to rotation).
std::vector<int> normalised(std::vector<int> order) {
  std::rotate(order.begin(), std::min_element(order.begin(), order.end()), order.end());
  return order;
}

class LocalSearch {
 public:
  LocalSearch(const Topology& topology, const RouteTable& routes, double shard_bytes, RingObjective objective)
      : topology_(topology), routes_(routes), shard_bytes_(shard_bytes), objective_(objective) {}

  double cost(const std::vector<int>& order) {
    ++evaluations_;
    return ring_objective(topology_, routes_, order, shard_bytes_, objective_);
  }
  bool exhausted() const { return evaluations_ >= kOrderEvaluations; }

  // First-improvement descent; position 0 stays fixed (rotations are the same ring).
  void descend(std::vector<int>& order, double& best) {
    const int n = static_cast<int>(order.size());
    bool improved = true;
    while (improved && !exhausted()) {
      improved = false;
      for (int i = 1; i < n && !improved && !exhausted(); ++i)
        for (int j = i + 1; j < n && !improved && !exhausted(); ++j)
          for (int move = 0; move < 4 && !improved; ++move) {
            std::vector<int> candidate = order;
            if (move == 0) std::reverse(candidate.begin() + i, candidate.begin() + j + 1);
            else if (move == 1) std::swap(candidate[i], candidate[j]);
            else if (move == 2) std::rotate(candidate.begin() + i, candidate.begin() + i + 1, candidate.begin() + j + 1);
            else std::rotate(candidate.begin() + i, candidate.begin() + j, candidate.begin() + j + 1);
            const double c = cost(candidate);
            if (c < best) {
              order = std::move(candidate);
              best = c;
              improved = true;
            }
          }
    }
  }

  // Descent, then kOrderKicks double-bridge kicks each followed by descent; keeps the best.
  std::pair<double, std::vector<int>> improve(std::vector<int> order, bool kicks) {
    double best = cost(order);
    descend(order, best);
    const int n = static_cast<int>(order.size());
    if (!kicks || n < 5) return {best, order};
    std::mt19937_64 engine(kKickSeed);
    for (int k = 0; k < kOrderKicks && !exhausted(); ++k) {
      std::vector<int> cuts = {1 + static_cast<int>(engine() % (n - 1)), 1 + static_cast<int>(engine() % (n - 1)),
                               1 + static_cast<int>(engine() % (n - 1))};
      std::sort(cuts.begin(), cuts.end());
      if (cuts[0] == cuts[1] || cuts[1] == cuts[2]) continue;
      std::vector<int> kicked(order.begin(), order.begin() + cuts[0]);
      kicked.insert(kicked.end(), order.begin() + cuts[1], order.begin() + cuts[2]);
      kicked.insert(kicked.end(), order.begin() + cuts[0], order.begin() + cuts[1]);
      kicked.insert(kicked.end(), order.begin() + cuts[2], order.end());
      double c = cost(kicked);
      descend(kicked, c);
      if (c < best) {
        best = c;
        order = std::move(kicked);
      }
    }
    return {best, order};
  }

 private:
  const Topology& topology_;
  const RouteTable& routes_;
  double shard_bytes_;
  RingObjective objective_;
  long evaluations_ = 0;
};

std::vector<std::vector<int>> starting_orders(const Topology& topology, const RouteTable& routes,
                                              double shard_bytes) {
  const int n = topology.gpu_count();
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<std::vector<int>> starts = {ids};
  if (auto ring = best_ring_order(topology, routes, ids, shard_bytes)) starts.push_back(ring->order);
  for (int g = 0; g < n; ++g) {
    std::vector<int> order = nearest_neighbour_order(topology, routes, g, shard_bytes);
    if (!order.empty()) starts.push_back(normalised(order));
  }
  std::vector<int> by_host = ids;
  std::stable_sort(by_host.begin(), by_host.end(),
                   [&](int a, int b) { return topology.nodes()[a].host < topology.nodes()[b].host; });
  starts.push_back(normalised(by_host));
  return starts;
}

}  // namespace

double ring_objective(const Topology& topology, const RouteTable& routes, const std::vector<int>& order,
                      double shard_bytes, RingObjective objective) {
  const int n = static_cast<int>(order.size());
  if (n < 2) return kInfinity;
  std::vector<std::pair<int, int>> forward, both;
  for (int i = 0; i < n; ++i) forward.emplace_back(order[i], order[(i + 1) % n]);
  if (objective == RingObjective::ring)
    return (n - 1) * pairs_step_time(topology, routes, forward, shard_bytes);
  both = forward;
  for (int i = 0; i < n; ++i) both.emplace_back(order[i], order[(i + n - 1) % n]);
  const int two_way_steps = (n - 1) / 2;
  double total = two_way_steps > 0 ? two_way_steps * pairs_step_time(topology, routes, both, shard_bytes) : 0.0;
  if (n % 2 == 0) total += pairs_step_time(topology, routes, forward, shard_bytes);
  return total;
}

std::vector<int> nearest_neighbour_order(const Topology& topology, const RouteTable& routes, int start,
                                         double shard_bytes) {
  const int n = topology.gpu_count();
  std::vector<bool> used(n, false);
  std::vector<int> order = {start};
  used[start] = true;
  while (static_cast<int>(order.size()) < n) {
    int next = -1;
    double best = kInfinity;
    for (int g = 0; g < n; ++g) {
      if (used[g]) continue;
      const double c = hop_cost(topology, routes, order.back(), g, shard_bytes);
      if (c < best) {
        best = c;
        next = g;
      }
    }
    if (next < 0) return {};
    used[next] = true;
    order.push_back(next);
  }
  return order;
}

std::vector<std::vector<int>> searched_ring_orders(const Topology& topology, const RouteTable& routes,
                                                   double shard_bytes, int per_objective) {
  const int n = topology.gpu_count();
  const std::vector<std::vector<int>> starts = starting_orders(topology, routes, shard_bytes);
  std::vector<std::vector<int>> out;
  std::set<std::vector<int>> emitted;
  for (RingObjective objective : {RingObjective::ring, RingObjective::bidirectional}) {
    std::map<std::pair<double, std::vector<int>>, bool> found;  // sorted by (cost, order)
    for (const std::vector<int>& start : starts) {
      LocalSearch search(topology, routes, shard_bytes, objective);
      auto [cost, order] = search.improve(start, n > kExhaustiveRingLimit);
      if (cost < kInfinity) found[{cost, order}] = true;
    }
    if (n <= kExhaustiveRingLimit) {
      std::vector<int> order(n);
      std::iota(order.begin(), order.end(), 0);
      do {
        const double cost = ring_objective(topology, routes, order, shard_bytes, objective);
        if (cost < kInfinity) {
          found[{cost, order}] = true;
          if (static_cast<int>(found.size()) > 4 * per_objective) found.erase(std::prev(found.end()));
        }
      } while (std::next_permutation(order.begin() + 1, order.end()));
    }
    int taken = 0;
    for (const auto& [key, unused] : found) {
      (void)unused;
      if (taken >= per_objective) break;
      if (emitted.insert(key.second).second) out.push_back(key.second);
      ++taken;
    }
  }
  return out;
}

}  // namespace aimicius::topology
