// solver: the project's reference all-gather plans for a topology.
//
// solve_all_gather builds every applicable candidate, simulates each (simulator.h) and returns
// the fastest valid one (ties: the earlier candidate in this list):
//   ring                    flat ring over the best ring order (ring_search.h)
//   bidirectional_ring      the same order, half the ring each way
//   direct                  one step, every GPU sends its shard to every other GPU (needs a
//                           route between every pair: switch-based or fully meshed SKUs)
//   direct_shifted          the same in G-1 steps, GPU g sending to g+s in step s
//   recursive_doubling      G a power of two, GPU id order
//   recursive_doubling_ring recursive doubling over the best ring order
//   hierarchical(inter=A,intra=B)  two or more hosts with the same number of GPUs each: first
//                           the GPUs of equal local rank (ascending id within a host) all-gather
//                           across hosts with method A in {ring, direct}, then each host
//                           all-gathers the gathered rails with method B in {ring,
//                           bidirectional_ring, direct}, intra-host ring orders from ring_search
//   greedy_relay            relay_schedules.h, one send per GPU per step
//   greedy_relay_multi      relay_schedules.h, up to G-1 sends per GPU per step
// Candidates whose construction fails or whose simulation is invalid are skipped (they are
// listed in SolverResult::rejected with the reason). Deterministic.
// Throws std::runtime_error naming the topology when no candidate is valid (the GPUs are not
// connected), std::invalid_argument when shard_bytes <= 0.
#pragma once

#include <string>
#include <vector>

#include "scorers/topology/schedule.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

struct SolvedPlan {
  std::string strategy;
  Schedule schedule;
  double latency_us = 0.0;
};

struct SolverResult {
  SolvedPlan best;
  std::vector<SolvedPlan> candidates;  // every valid candidate, in the order above
  std::vector<std::pair<std::string, std::string>> rejected;  // (strategy, reason)
};

SolverResult solve_all_gather(const Topology& topology, double shard_bytes);

}  // namespace aimicius::topology
