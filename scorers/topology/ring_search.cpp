// ring_search: exhaustive and heuristic ring order search (see ring_search.h).
#include "scorers/topology/ring_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aimicius::topology {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Cost of one hop alone on its route (used to order the depth-first search).
double hop_cost(const Topology& topology, const Route& route, double shard_bytes) {
  double bottleneck = kInfinity;
  for (int c : route.channels) bottleneck = std::min(bottleneck, topology.channels()[c].bandwidth_gbps);
  return route.latency_us + shard_bytes / (bottleneck * 1e3);
}

class DepthFirst {
 public:
  DepthFirst(const Topology& topology, const RouteTable& routes, const std::vector<int>& gpus,
             double shard_bytes)
      : topology_(topology), routes_(routes), gpus_(gpus), shard_bytes_(shard_bytes) {}

  std::optional<std::vector<int>> run() {
    order_ = {gpus_.front()};
    used_.assign(topology_.gpu_count(), false);
    used_[gpus_.front()] = true;
    if (extend()) return order_;
    return std::nullopt;
  }

 private:
  bool extend() {
    if (++expansions_ > kRingSearchExpansions) return false;
    const int last = order_.back();
    if (order_.size() == gpus_.size()) return routes_.reachable(last, order_.front());
    std::vector<std::pair<double, int>> next;
    for (int g : gpus_)
      if (!used_[g] && routes_.reachable(last, g))
        next.emplace_back(hop_cost(topology_, *routes_.route(last, g), shard_bytes_), g);
    std::sort(next.begin(), next.end());
    for (const auto& [cost, g] : next) {
      (void)cost;
      used_[g] = true;
      order_.push_back(g);
      if (extend()) return true;
      order_.pop_back();
      used_[g] = false;
    }
    return false;
  }

  const Topology& topology_;
  const RouteTable& routes_;
  const std::vector<int>& gpus_;
  double shard_bytes_;
  std::vector<int> order_;
  std::vector<bool> used_;
  long expansions_ = 0;
};

}  // namespace

double pairs_step_time(const Topology& topology, const RouteTable& routes,
                       const std::vector<std::pair<int, int>>& pairs, double shard_bytes) {
  std::vector<int> load(topology.channels().size(), 0);
  std::vector<const Route*> hops;
  hops.reserve(pairs.size());
  for (const auto& [src, dst] : pairs) {
    const auto& route = routes.route(src, dst);
    if (!route) return kInfinity;
    hops.push_back(&*route);
    for (int c : route->channels) ++load[c];
  }
  double step = 0.0;
  for (const Route* route : hops) {
    double share = kInfinity;
    for (int c : route->channels) share = std::min(share, topology.channels()[c].bandwidth_gbps / load[c]);
    step = std::max(step, route->latency_us + shard_bytes / (share * 1e3));
  }
  return step;
}

double ring_step_time(const Topology& topology, const RouteTable& routes,
                      const std::vector<int>& order, double shard_bytes) {
  const int n = static_cast<int>(order.size());
  std::vector<std::pair<int, int>> hops;
  for (int i = 0; i < n; ++i) hops.emplace_back(order[i], order[(i + 1) % n]);
  return pairs_step_time(topology, routes, hops, shard_bytes);
}

std::optional<RingOrder> best_ring_order(const Topology& topology, const RouteTable& routes,
                                         std::vector<int> gpus, double shard_bytes) {
  std::sort(gpus.begin(), gpus.end());
  if (gpus.size() < 2) return std::nullopt;
  RingOrder best;
  best.step_time_us = kInfinity;
  if (static_cast<int>(gpus.size()) <= kExhaustiveRingLimit) {
    std::vector<int> order = gpus;
    do {
      const double cost = ring_step_time(topology, routes, order, shard_bytes);
      if (cost < best.step_time_us) best = RingOrder{order, cost};
    } while (std::next_permutation(order.begin() + 1, order.end()));
  } else {
    auto start = DepthFirst(topology, routes, gpus, shard_bytes).run();
    if (!start) return std::nullopt;
    best = RingOrder{*start, ring_step_time(topology, routes, *start, shard_bytes)};
    long evaluations = 0;
    const int n = static_cast<int>(gpus.size());
    bool improved = true;
    while (improved && evaluations < kRingSearchEvaluations) {
      improved = false;
      for (int i = 1; i < n && !improved && evaluations < kRingSearchEvaluations; ++i)
        for (int j = i + 1; j < n && !improved && evaluations < kRingSearchEvaluations; ++j) {
          for (int move = 0; move < 2 && !improved; ++move) {
            std::vector<int> candidate = best.order;
            if (move == 0)
              std::reverse(candidate.begin() + i, candidate.begin() + j + 1);
            else
              std::swap(candidate[i], candidate[j]);
            const double cost = ring_step_time(topology, routes, candidate, shard_bytes);
            ++evaluations;
            if (cost < best.step_time_us) {
              best = RingOrder{std::move(candidate), cost};
              improved = true;
            }
          }
        }
    }
  }
  if (!std::isfinite(best.step_time_us)) return std::nullopt;
  return best;
}

}  // namespace aimicius::topology
