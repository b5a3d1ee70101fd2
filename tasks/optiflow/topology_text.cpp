// topology_text: rendering of a topology for prompts (see topology_text.h).
#include "tasks/optiflow/topology_text.h"

#include <fmt/format.h>

namespace aimicius::optiflow {

std::string topology_text(const topology::Topology& topology) {
  const int gpus = topology.gpu_count();
  const int others = topology.node_count() - gpus;
  std::string out = fmt::format("Topology \"{}\": {} GPUs (ids 0..{}), {} other node{}.\n", topology.name(), gpus,
                                gpus - 1, others, others == 1 ? "" : "s");
  out += "Nodes (id name kind host):\n";
  for (const topology::Node& node : topology.nodes())
    out += fmt::format("  {} {} {} host {}\n", node.id, node.name, topology::to_string(node.kind), node.host);
  out += "Links (<-> two independent directions, each with the bandwidth shown; -> one direction only):\n";
  for (const topology::Link& link : topology.links()) {
    const std::string bandwidth =
        link.count == 1 ? fmt::format("{} GB/s", link.bandwidth_gbps)
                        : fmt::format("{} x {} GB/s = {} GB/s", link.count, link.bandwidth_gbps,
                                      link.count * link.bandwidth_gbps);
    out += fmt::format("  {} {} {} {} {} {} us\n", link.src, link.directed ? "->" : "<->", link.dst,
                       topology::to_string(link.type), bandwidth, link.latency_us);
  }
  return out;
}

}  // namespace aimicius::optiflow
