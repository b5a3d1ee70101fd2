// schedule_polish: local improvements of a valid all-gather schedule that keep it valid, used by
// the best-known plan search (best_known.h). Each never makes the schedule slower.
//
// Route choice (polish_routes): for each step, each transfer may take any of the
// kRouteAlternatives lowest-latency simple paths between its GPUs (ties: fewer hops, then the
// smaller node list) whose inner nodes are non-GPU nodes (routing.h's rules), found by a depth-
// first walk of at most kRouteWalkNodes inner nodes. Passes over the transfers move one transfer
// to another path when that lowers the step's (slowest transfer, then sum of transfer times),
// until a pass changes nothing or kRoutePasses passes ran. A transfer whose chosen path is its
// default route keeps no explicit "path"; any other gets one.
// Step merging (merge_steps): adjacent steps k, k+1 are merged when every transfer of k+1 sends a
// chunk its source holds at the start of k and the merged step (routes re-polished) is faster than
// the two apart; repeated until no merge helps.
// polish = merge_steps(polish_routes(schedule)). Deterministic. Preconditions: the schedule is
// valid on the topology (simulator.h); the result is valid and its latency is <= the input's.
#pragma once

#include "scorers/topology/routing.h"
#include "scorers/topology/schedule.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

inline constexpr int kRouteAlternatives = 6;
inline constexpr int kRouteWalkNodes = 6;
inline constexpr int kRoutePasses = 6;

Schedule polish_routes(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes);
Schedule merge_steps(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes);
Schedule polish(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes);

}  // namespace aimicius::topology
