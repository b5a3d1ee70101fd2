// order_search: ring orders of all GPUs for the best-known plan search (best_known.h), wider than
// ring_search.h's single search: several starting orders, each improved by local search, under
// two objectives.
//
// Objectives (both computed with default routes and the simulator's link sharing):
//   ring           (n-1) x the time of one step of the n concurrent hops g(i) -> g(i+1)
//                  (ring_search.h's ring_step_time), i.e. a ring all-gather's latency;
//   bidirectional  the latency of collective_schedules.h's bidirectional ring over the order:
//                  floor((n-1)/2) steps of both directions at once plus, for even n, one step of
//                  the forward direction alone.
// Starts: the id order; ring_search.h's best order; a greedy nearest-neighbour order from every
// GPU (next = cheapest single hop from the last GPU, ties to the lower id); the GPUs grouped by
// host (ascending host, ids ascending within). Infeasible starts (a hop without a route) are
// skipped.
// Local search: first improvement over segment reversals (2-opt), position swaps and moves of one
// GPU to another position, until no move helps; then, for n > kExhaustiveRingLimit, iterated:
// a deterministic double-bridge kick (positions from a fixed-seed mt19937_64) and local search
// again, keeping the best, kOrderKicks times. Every search stops at kOrderEvaluations cost
// evaluations. For n <= kExhaustiveRingLimit every order starting with GPU 0 is tried as well.
// Deterministic; returns distinct orders, best first within each objective (ring, then
// bidirectional), each starting with GPU 0.
#pragma once

#include <vector>

#include "scorers/topology/routing.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

inline constexpr int kOrderKicks = 12;
inline constexpr long kOrderEvaluations = 40'000;

enum class RingObjective { ring, bidirectional };

// Latency of the ring (or bidirectional ring) all-gather over `order` on default routes;
// +infinity when some hop has no route.
double ring_objective(const Topology& topology, const RouteTable& routes, const std::vector<int>& order,
                      double shard_bytes, RingObjective objective);

// The greedy nearest-neighbour order from `start` (empty when it gets stuck).
std::vector<int> nearest_neighbour_order(const Topology& topology, const RouteTable& routes, int start,
                                         double shard_bytes);

// Good orders for each objective: at most `per_objective` distinct orders per objective.
std::vector<std::vector<int>> searched_ring_orders(const Topology& topology, const RouteTable& routes,
                                                   double shard_bytes, int per_objective);

}  // namespace aimicius::topology
