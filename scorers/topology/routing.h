// routing: which channels a GPU-to-GPU transfer traverses.
//
// Rules (shared by the simulator, the solver and the tests):
//   - A path is a list of node ids [src, n1, ..., dst] with src != dst, both GPUs; consecutive
//     nodes must be joined by a channel (a link in that direction); no node may repeat.
//   - GPUs do not forward: every intermediate node must be a non-GPU node (switch, host bridge,
//     NIC). A chunk that must pass a GPU is relayed explicitly: the GPU receives it in one step
//     and sends it on in a later one.
//   - Default route (a transfer without "path"): the path of least total link latency; ties are
//     broken by fewer hops, then by the lexicographically smallest list of node ids. Deterministic.
//   - No route (no such path exists) is reported as std::nullopt, never as an exception.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scorers/topology/topology.h"

namespace aimicius::topology {

struct Route {
  std::vector<int> nodes;     // [src, ..., dst]
  std::vector<int> channels;  // nodes.size() - 1 channel indices, in order
  double latency_us = 0.0;    // sum of channel latencies
};

// The default route between two distinct GPUs, or nullopt when none exists.
std::optional<Route> shortest_latency_route(const Topology& topology, int src_gpu, int dst_gpu);

// Checks an explicit path against the rules above for a transfer src_gpu -> dst_gpu. On failure
// returns nullopt and sets *error to a sentence such as "path node 9 -> 3: no link".
std::optional<Route> route_from_path(const Topology& topology, int src_gpu, int dst_gpu,
                                     const std::vector<int>& path, std::string* error);

// Default routes of all ordered GPU pairs, computed once.
class RouteTable {
 public:
  explicit RouteTable(const Topology& topology);
  const std::optional<Route>& route(int src_gpu, int dst_gpu) const {
    return routes_.at(static_cast<size_t>(src_gpu) * gpu_count_ + dst_gpu);
  }
  bool reachable(int src_gpu, int dst_gpu) const { return route(src_gpu, dst_gpu).has_value(); }
  int gpu_count() const { return gpu_count_; }

 private:
  int gpu_count_;
  std::vector<std::optional<Route>> routes_;  // src * gpu_count + dst; nullopt on the diagonal
};

}  // namespace aimicius::topology
