// topology: the model of a multi-GPU SKU (GPUs, switches, NICs and the links between them) and its
// JSON format.
//
// JSON format of a topology (all keys other than those listed are rejected):
//   {
//     "name":  "dgx-h100",                       // optional, free text
//     "nodes": [ {"id": 0, "kind": "gpu", "host": 0, "name": "GPU0"}, ...,
//                {"id": 8, "kind": "nvswitch"}, ... ],
//     "links": [ {"src": 0, "dst": 8, "type": "nvswitch", "bandwidth_GBps": 450,
//                 "latency_us": 0.7, "count": 1, "directed": false}, ... ]
//   }
//   nodes[].id       integer; ids are exactly 0..N-1 (any order in the list). GPUs have the ids
//                    0..G-1 and every other node an id >= G, so a GPU id is also the id of the
//                    shard (chunk) that GPU owns in an all-gather.
//   nodes[].kind     "gpu" | "nvswitch" | "pcie_switch" | "host_bridge" | "nic" | "ib_switch".
//   nodes[].host     optional integer >= 0 (default 0): the machine a node sits in; used only by
//                    the hierarchical solver strategy and by reports.
//   nodes[].name     optional string (default "<kind><id>").
//   links[].src/dst  node ids, src != dst.
//   links[].type     "nvlink" | "nvswitch" | "pcie" | "xgmi" | "ib".
//   links[].bandwidth_GBps  > 0, in GB/s (1 GB = 1e9 bytes), PER DIRECTION, of one physical link.
//   links[].count    optional integer >= 1 (default 1): parallel physical links bundled into this
//                    one (e.g. XGMI link counts per GPU pair); the link carries
//                    count * bandwidth_GBps per direction.
//   links[].latency_us      >= 0, microseconds, added once per traversal of the link.
//   links[].directed optional bool (default false). An undirected link is two independent
//                    channels (src->dst and dst->src), each with the full bandwidth; a directed
//                    link is the single channel src->dst.
//
// Invariants of a constructed Topology: ids are dense as above; at least 2 GPUs; bandwidths > 0
// and finite, latencies >= 0 and finite; between two nodes there is at most one channel per
// direction (a second link covering the same direction is rejected as a duplicate). Connectivity
// is NOT required here (the simulator reports unreachable pairs; the generators guarantee it).
// A Topology is immutable after construction.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius::topology {

// A topology that breaks the format or the invariants above. The message starts with the JSON
// path at fault, e.g. "$.links[3].bandwidth_GBps: must be > 0".
class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class NodeKind { gpu, nvswitch, pcie_switch, host_bridge, nic, ib_switch };
enum class LinkType { nvlink, nvswitch, pcie, xgmi, ib };

std::string to_string(NodeKind kind);
std::string to_string(LinkType type);
std::optional<NodeKind> node_kind_from_string(const std::string& text);
std::optional<LinkType> link_type_from_string(const std::string& text);

struct Node {
  int id = 0;
  NodeKind kind = NodeKind::gpu;
  int host = 0;
  std::string name;  // filled with "<kind><id>" when empty
};

struct Link {
  int src = 0;
  int dst = 0;
  LinkType type = LinkType::nvlink;
  double bandwidth_gbps = 0.0;  // GB/s per direction of ONE physical link
  int count = 1;                // parallel physical links
  double latency_us = 0.0;
  bool directed = false;
};

// One direction of a link: what the simulator shares among concurrent transfers.
struct Channel {
  int from = 0;
  int to = 0;
  int link_index = 0;
  double bandwidth_gbps = 0.0;  // count * bandwidth of the link
  double latency_us = 0.0;
};

class Topology {
 public:
  // Validates; throws TopologyError with a "$.nodes[i]..." / "$.links[i]..." path on violation.
  Topology(std::string name, std::vector<Node> nodes, std::vector<Link> links);

  const std::string& name() const { return name_; }
  const std::vector<Node>& nodes() const { return nodes_; }  // indexed by id
  const std::vector<Link>& links() const { return links_; }
  const std::vector<Channel>& channels() const { return channels_; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  int gpu_count() const { return gpu_count_; }
  bool is_gpu(int node_id) const { return node_id >= 0 && node_id < gpu_count_; }
  bool has_node(int node_id) const { return node_id >= 0 && node_id < node_count(); }
  // Channel indices leaving a node, in ascending order of their target node id.
  const std::vector<int>& out_channels(int node_id) const { return out_channels_.at(node_id); }
  // The channel from -> to, if a link provides one.
  std::optional<int> find_channel(int from, int to) const;
  // Distinct host numbers of the GPUs, ascending.
  std::vector<int> gpu_hosts() const;

 private:
  std::string name_;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::vector<Channel> channels_;
  std::vector<std::vector<int>> out_channels_;
  int gpu_count_ = 0;
};

Topology parse_topology(const nlohmann::json& document);
nlohmann::json to_json(const Topology& topology);

}  // namespace aimicius::topology
