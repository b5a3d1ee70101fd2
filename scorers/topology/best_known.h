// best_known: the best-known all-gather plan of a topology and shard size, the reference of the
// optiflow suite and the bar of its plan_optimal headline. Slower than solver.h (it is run by the
// dataset generator, never by a scorer) and at least as good as each of these, by construction:
//   - every candidate of solve_all_gather (solver.h): rings over ring_search's order,
//     bidirectional ring, direct, direct shifted, recursive doubling, hierarchical, greedy relay;
//   - the trivial programs: direct (one step, every GPU to every other), the ring in id order,
//     the ring over the greedy nearest-neighbour order from GPU 0 (order_search.h);
//   - ring and bidirectional ring over every order order_search.h finds (multi-start local
//     search with 2-opt, swap and move, kicks, exhaustive for small n);
//   - each of the above after schedule_polish.h (explicit paths over parallel links, merged steps).
// The best is the candidate of least simulated latency (ties: the earlier in the list above, a
// polished one right after its source). Every candidate is simulated (simulator.h); invalid ones
// are dropped. Deterministic. Throws like solve_all_gather when nothing is valid.
#pragma once

#include <string>
#include <vector>

#include "scorers/topology/solver.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

inline constexpr int kOrdersPerObjective = 3;

struct BestKnownResult {
  SolvedPlan best;
  SolvedPlan solver_best;               // solve_all_gather's plan, for comparison
  std::vector<SolvedPlan> candidates;   // every valid candidate, in the order above
};

BestKnownResult best_known_all_gather(const Topology& topology, double shard_bytes);

// Programs that need no planning: direct (one step) and direct shifted in id order, the ring and
// the bidirectional ring in id order, the ring over the greedy nearest-neighbour order from each
// GPU and the bidirectional ring over the one from GPU 0 (order_search.h). Returns the least
// simulated latency among the valid ones (+infinity when none is valid). The dataset generator
// uses it to keep examples on which such a program is already (near) optimal rare.
double best_fixed_program_latency(const Topology& topology, double shard_bytes);

}  // namespace aimicius::topology
