// relay_schedules: all-gather schedules that work on any topology whose GPUs are connected
// through relays (no ring, no full reachability needed). Both use default routes only.
//
// naive_schedule: one transfer per step. For chunk c = 0..G-1 in turn, the GPUs are visited in
// breadth-first order from GPU c over the "has a default route" relation (neighbours in
// ascending id), and each newly visited GPU receives c from the GPU that discovered it.
// G*(G-1) steps; the slow baseline of the Plan Improvement subtask and the tests.
//
// greedy_relay_schedule(max_sends_per_gpu): steps are built one at a time until every GPU holds
// every chunk. In step k, receivers are visited starting at GPU k mod G; each receiver that
// still lacks chunks gets at most one transfer: among its missing chunks, rarest first (fewest
// holders, then lowest id), the first one with an eligible sender: a GPU that holds it at the
// start of step k, has a default route to the receiver and has sent fewer than
// max_sends_per_gpu transfers in this step. Among eligible senders the one with the smallest
// estimated time (route latency + shard / bottleneck share counting the transfers already
// placed in the step) wins, ties to the lowest id. Returns nullopt when the GPUs are not
// connected (no progress possible) or after G*G steps.
#pragma once

#include <optional>

#include "scorers/topology/routing.h"
#include "scorers/topology/schedule.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

std::optional<Schedule> naive_schedule(const Topology& topology, const RouteTable& routes);
std::optional<Schedule> naive_schedule(const Topology& topology);

std::optional<Schedule> greedy_relay_schedule(const Topology& topology, const RouteTable& routes,
                                              double shard_bytes, int max_sends_per_gpu);

}  // namespace aimicius::topology
