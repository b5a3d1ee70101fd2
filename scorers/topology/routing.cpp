// routing: least-latency default routes and explicit path checks (rules in routing.h).
#include "scorers/topology/routing.h"

#include <limits>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace aimicius::topology {
namespace {

// Label of a node in the Dijkstra search: compared by (latency, hops, node list).
struct Label {
  double latency_us = std::numeric_limits<double>::infinity();
  std::vector<int> nodes;
  std::vector<int> channels;
  bool operator<(const Label& other) const {
    return std::forward_as_tuple(latency_us, nodes.size(), nodes) <
           std::forward_as_tuple(other.latency_us, other.nodes.size(), other.nodes);
  }
};

}  // namespace

std::optional<Route> shortest_latency_route(const Topology& topology, int src_gpu, int dst_gpu) {
  if (!topology.is_gpu(src_gpu) || !topology.is_gpu(dst_gpu) || src_gpu == dst_gpu)
    return std::nullopt;
  const int n = topology.node_count();
  std::vector<Label> best(n);
  std::vector<bool> settled(n, false);
  best[src_gpu].latency_us = 0.0;
  best[src_gpu].nodes = {src_gpu};
  for (;;) {
    int current = -1;
    for (int v = 0; v < n; ++v) {
      if (settled[v] || best[v].nodes.empty()) continue;
      if (current < 0 || best[v] < best[current]) current = v;
    }
    if (current < 0) return std::nullopt;
    if (current == dst_gpu) break;
    settled[current] = true;
    // GPUs other than the source do not forward.
    if (current != src_gpu && topology.is_gpu(current)) continue;
    for (int c : topology.out_channels(current)) {
      const Channel& channel = topology.channels()[c];
      if (settled[channel.to]) continue;
      Label candidate = best[current];
      candidate.latency_us += channel.latency_us;
      candidate.nodes.push_back(channel.to);
      candidate.channels.push_back(c);
      if (best[channel.to].nodes.empty() || candidate < best[channel.to])
        best[channel.to] = std::move(candidate);
    }
  }
  Route route;
  route.nodes = best[dst_gpu].nodes;
  route.channels = best[dst_gpu].channels;
  route.latency_us = best[dst_gpu].latency_us;
  return route;
}

std::optional<Route> route_from_path(const Topology& topology, int src_gpu, int dst_gpu,
                                     const std::vector<int>& path, std::string* error) {
  auto reject = [&](const std::string& message) -> std::optional<Route> {
    if (error != nullptr) *error = message;
    return std::nullopt;
  };
  if (path.size() < 2) return reject("path must list at least src and dst");
  if (path.front() != src_gpu)
    return reject(fmt::format("path starts at node {}, not at src {}", path.front(), src_gpu));
  if (path.back() != dst_gpu)
    return reject(fmt::format("path ends at node {}, not at dst {}", path.back(), dst_gpu));
  std::set<int> seen;
  Route route;
  for (size_t i = 0; i < path.size(); ++i) {
    const int node = path[i];
    if (!topology.has_node(node)) return reject(fmt::format("path node {} does not exist", node));
    if (!seen.insert(node).second) return reject(fmt::format("path visits node {} twice", node));
    if (i > 0 && i + 1 < path.size() && topology.is_gpu(node))
      return reject(fmt::format("path passes through GPU {} (GPUs do not forward; relay the "
                                "chunk in a later step)",
                                node));
    if (i > 0) {
      auto channel = topology.find_channel(path[i - 1], node);
      if (!channel)
        return reject(fmt::format("path hop {} -> {}: no link in that direction", path[i - 1],
                                  node));
      route.channels.push_back(*channel);
      route.latency_us += topology.channels()[*channel].latency_us;
    }
  }
  route.nodes = path;
  return route;
}

RouteTable::RouteTable(const Topology& topology) : gpu_count_(topology.gpu_count()) {
  routes_.resize(static_cast<size_t>(gpu_count_) * gpu_count_);
  for (int s = 0; s < gpu_count_; ++s)
    for (int d = 0; d < gpu_count_; ++d)
      if (s != d) routes_[static_cast<size_t>(s) * gpu_count_ + d] = shortest_latency_route(topology, s, d);
}

}  // namespace aimicius::topology
