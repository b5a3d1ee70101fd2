// ring_search: the best ring order of a set of GPUs for a ring all-gather.
//
// Cost of an order [g0, ..., g(n-1)]: the simulated time (simulator.h model) of one ring step,
// i.e. the n concurrent transfers g(i) -> g(i+1 mod n) on their default routes, with link
// sharing. Every ring step uses the same pairs, so the ring all-gather takes (n-1) x this cost.
// An order is feasible when every such pair has a default route (GPUs do not forward).
//
// Search: orders start with the smallest GPU of the set. n <= kExhaustiveRingLimit: every order
// is tried (ties: the lexicographically smallest order). Larger n: a depth-first search (next
// GPU by cheapest single hop first, at most kRingSearchExpansions expansions) finds a feasible
// order, then first-improvement local search (segment reversals, then position swaps) runs
// until no move helps or kRingSearchEvaluations costs were computed. Deterministic.
// Returns nullopt when no feasible order was found (e.g. no Hamiltonian cycle exists).
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "scorers/topology/routing.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

inline constexpr int kExhaustiveRingLimit = 8;
inline constexpr long kRingSearchExpansions = 200'000;
inline constexpr long kRingSearchEvaluations = 20'000;

struct RingOrder {
  std::vector<int> order;
  double step_time_us = 0.0;
};

// Time of one step made of the concurrent transfers src -> dst in `pairs`, on default routes,
// with the simulator's link sharing; +infinity when some pair has no route.
double pairs_step_time(const Topology& topology, const RouteTable& routes,
                       const std::vector<std::pair<int, int>>& pairs, double shard_bytes);

// Time of one ring step for `order`; +infinity when some hop has no route.
double ring_step_time(const Topology& topology, const RouteTable& routes,
                      const std::vector<int>& order, double shard_bytes);

std::optional<RingOrder> best_ring_order(const Topology& topology, const RouteTable& routes,
                                         std::vector<int> gpus, double shard_bytes);

}  // namespace aimicius::topology
