// collective_schedules: constructions of all-gather schedules from GPU orders. Pure functions of
// their arguments: they never look at a topology, so they may produce transfers that have no
// route (the solver simulates every candidate and drops invalid ones).
//
// Group all-gather. A "group" is an ordered list of distinct GPUs; bundle_of[g] lists the chunks
// GPU g holds at the start and must share with the rest of its group. Several groups may run at
// once (their transfers are merged step by step; groups are expected to be disjoint). Methods,
// for a group of size n, positions i taken modulo n:
//   ring                n-1 steps; step s: group[i] -> group[i+1] sends bundle_of[group[i-s]].
//   bidirectional_ring  ceil((n-1)/2) steps; step s: group[i] -> group[i+1] sends
//                       bundle_of[group[i-s]] while s < ceil((n-1)/2), and group[i] -> group[i-1]
//                       sends bundle_of[group[i+s]] while s < floor((n-1)/2). Each bundle travels
//                       half the ring each way (links are full duplex in the model).
//   direct              1 step; every member sends its bundle to every other member.
//   direct_shifted      n-1 steps; step s (1-based): group[i] -> group[i+s] sends its bundle.
// Every chunk of a bundle is its own transfer.
//
// recursive_doubling(order): order.size() must be a power of two (else empty result); log2(n)
// steps; step k: position p exchanges with p XOR 2^k every chunk it holds, i.e. the chunks of
// order[q] for all q with q >> k == p >> k.
#pragma once

#include <vector>

#include "scorers/topology/schedule.h"

namespace aimicius::topology {

enum class GroupMethod { ring, bidirectional_ring, direct, direct_shifted };

const char* to_string(GroupMethod method);

std::vector<Step> group_all_gather(const std::vector<std::vector<int>>& groups,
                                   const std::vector<std::vector<int>>& bundle_of,
                                   GroupMethod method);

// One flat group of all GPUs in `order`, each holding its own chunk.
Schedule flat_all_gather(const std::vector<int>& order, GroupMethod method);

Schedule recursive_doubling(const std::vector<int>& order);

}  // namespace aimicius::topology
