// topology: validation, JSON parsing and printing of the SKU model declared in topology.h.
#include "scorers/topology/topology.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace aimicius::topology {
namespace {

const std::vector<std::pair<NodeKind, std::string>>& node_kind_names() {
  static const std::vector<std::pair<NodeKind, std::string>> names = {
      {NodeKind::gpu, "gpu"},           {NodeKind::nvswitch, "nvswitch"},
      {NodeKind::pcie_switch, "pcie_switch"}, {NodeKind::host_bridge, "host_bridge"},
      {NodeKind::nic, "nic"},           {NodeKind::ib_switch, "ib_switch"}};
  return names;
}

const std::vector<std::pair<LinkType, std::string>>& link_type_names() {
  static const std::vector<std::pair<LinkType, std::string>> names = {
      {LinkType::nvlink, "nvlink"}, {LinkType::nvswitch, "nvswitch"}, {LinkType::pcie, "pcie"},
      {LinkType::xgmi, "xgmi"},     {LinkType::ib, "ib"}};
  return names;
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw TopologyError(path + ": " + message);
}

void check_keys(const nlohmann::json& object, const std::string& path,
                const std::set<std::string>& allowed) {
  if (!object.is_object()) fail(path, "must be an object");
  for (const auto& item : object.items()) {
    if (allowed.count(item.key()) == 0) fail(path + "." + item.key(), "unknown key");
  }
}

const nlohmann::json& required(const nlohmann::json& object, const std::string& path,
                               const std::string& key) {
  auto it = object.find(key);
  if (it == object.end()) fail(path + "." + key, "missing");
  return *it;
}

int as_int(const nlohmann::json& value, const std::string& path) {
  if (!value.is_number_integer()) fail(path, "must be an integer");
  auto wide = value.get<int64_t>();
  if (wide < 0 || wide > 1'000'000) fail(path, fmt::format("{} is out of range [0, 1000000]", wide));
  return static_cast<int>(wide);
}

double as_number(const nlohmann::json& value, const std::string& path) {
  if (!value.is_number()) fail(path, "must be a number");
  double number = value.get<double>();
  if (!std::isfinite(number)) fail(path, "must be finite");
  return number;
}

std::string as_string(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) fail(path, "must be a string");
  return value.get<std::string>();
}

}  // namespace

std::string to_string(NodeKind kind) {
  for (const auto& [k, name] : node_kind_names())
    if (k == kind) return name;
  return "unknown";
}

std::string to_string(LinkType type) {
  for (const auto& [t, name] : link_type_names())
    if (t == type) return name;
  return "unknown";
}

std::optional<NodeKind> node_kind_from_string(const std::string& text) {
  for (const auto& [k, name] : node_kind_names())
    if (name == text) return k;
  return std::nullopt;
}

std::optional<LinkType> link_type_from_string(const std::string& text) {
  for (const auto& [t, name] : link_type_names())
    if (name == text) return t;
  return std::nullopt;
}

Topology::Topology(std::string name, std::vector<Node> nodes, std::vector<Link> links)
    : name_(std::move(name)), links_(std::move(links)) {
  // Nodes: dense ids, GPUs first.
  const int node_total = static_cast<int>(nodes.size());
  std::vector<int> position_of_id(nodes.size(), -1);
  for (int i = 0; i < node_total; ++i) {
    const std::string path = fmt::format("$.nodes[{}]", i);
    const int id = nodes[i].id;
    if (id < 0 || id >= node_total)
      fail(path + ".id", fmt::format("{} is not in 0..{} (ids must be dense)", id, node_total - 1));
    if (position_of_id[id] >= 0)
      fail(path + ".id", fmt::format("duplicate id {} (also $.nodes[{}])", id, position_of_id[id]));
    if (nodes[i].host < 0) fail(path + ".host", "must be >= 0");
    position_of_id[id] = i;
  }
  nodes_.resize(nodes.size());
  for (int i = 0; i < node_total; ++i) nodes_[nodes[i].id] = nodes[i];
  for (Node& node : nodes_) {
    if (node.name.empty()) node.name = fmt::format("{}{}", to_string(node.kind), node.id);
  }
  gpu_count_ = static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                              [](const Node& n) { return n.kind == NodeKind::gpu; }));
  for (int id = 0; id < node_total; ++id) {
    const bool gpu = nodes_[id].kind == NodeKind::gpu;
    if (gpu != (id < gpu_count_))
      fail(fmt::format("$.nodes[{}].id", position_of_id[id]),
           fmt::format("GPUs must have the ids 0..{} and other nodes higher ids; node {} is a {}",
                       gpu_count_ - 1, id, to_string(nodes_[id].kind)));
  }
  if (gpu_count_ < 2) fail("$.nodes", fmt::format("needs at least 2 GPUs, has {}", gpu_count_));

  // Links -> channels.
  out_channels_.assign(nodes_.size(), {});
  std::map<std::pair<int, int>, int> link_of_direction;
  for (int i = 0; i < static_cast<int>(links_.size()); ++i) {
    const Link& link = links_[i];
    const std::string path = fmt::format("$.links[{}]", i);
    if (!has_node(link.src)) fail(path + ".src", fmt::format("unknown node {}", link.src));
    if (!has_node(link.dst)) fail(path + ".dst", fmt::format("unknown node {}", link.dst));
    if (link.src == link.dst) fail(path, fmt::format("links node {} to itself", link.src));
    if (!(link.bandwidth_gbps > 0.0) || !std::isfinite(link.bandwidth_gbps))
      fail(path + ".bandwidth_GBps", "must be a finite number > 0");
    if (!(link.latency_us >= 0.0) || !std::isfinite(link.latency_us))
      fail(path + ".latency_us", "must be a finite number >= 0");
    if (link.count < 1) fail(path + ".count", "must be >= 1");
    std::vector<std::pair<int, int>> directions = {{link.src, link.dst}};
    if (!link.directed) directions.emplace_back(link.dst, link.src);
    for (const auto& direction : directions) {
      auto [it, inserted] = link_of_direction.emplace(direction, i);
      if (!inserted)
        fail(path, fmt::format("duplicate link {} -> {} (also $.links[{}]; use \"count\" for "
                               "parallel links)",
                               direction.first, direction.second, it->second));
      Channel channel;
      channel.from = direction.first;
      channel.to = direction.second;
      channel.link_index = i;
      channel.bandwidth_gbps = link.bandwidth_gbps * link.count;
      channel.latency_us = link.latency_us;
      channels_.push_back(channel);
    }
  }
  for (int c = 0; c < static_cast<int>(channels_.size()); ++c)
    out_channels_[channels_[c].from].push_back(c);
  for (auto& out : out_channels_) {
    std::sort(out.begin(), out.end(),
              [&](int a, int b) { return channels_[a].to < channels_[b].to; });
  }
}

std::optional<int> Topology::find_channel(int from, int to) const {
  if (!has_node(from)) return std::nullopt;
  for (int c : out_channels_[from])
    if (channels_[c].to == to) return c;
  return std::nullopt;
}

std::vector<int> Topology::gpu_hosts() const {
  std::set<int> hosts;
  for (int g = 0; g < gpu_count_; ++g) hosts.insert(nodes_[g].host);
  return {hosts.begin(), hosts.end()};
}

Topology parse_topology(const nlohmann::json& document) {
  check_keys(document, "$", {"name", "nodes", "links"});
  std::string name;
  if (document.contains("name")) name = as_string(document["name"], "$.name");
  const auto& nodes_json = required(document, "$", "nodes");
  if (!nodes_json.is_array()) fail("$.nodes", "must be an array");
  const auto& links_json = required(document, "$", "links");
  if (!links_json.is_array()) fail("$.links", "must be an array");

  std::vector<Node> nodes;
  for (size_t i = 0; i < nodes_json.size(); ++i) {
    const std::string path = fmt::format("$.nodes[{}]", i);
    const auto& item = nodes_json[i];
    check_keys(item, path, {"id", "kind", "host", "name"});
    Node node;
    node.id = as_int(required(item, path, "id"), path + ".id");
    const std::string kind = as_string(required(item, path, "kind"), path + ".kind");
    auto parsed_kind = node_kind_from_string(kind);
    if (!parsed_kind) fail(path + ".kind", fmt::format("unknown node kind \"{}\"", kind));
    node.kind = *parsed_kind;
    if (item.contains("host")) node.host = as_int(item["host"], path + ".host");
    if (item.contains("name")) node.name = as_string(item["name"], path + ".name");
    nodes.push_back(node);
  }
  std::vector<Link> links;
  for (size_t i = 0; i < links_json.size(); ++i) {
    const std::string path = fmt::format("$.links[{}]", i);
    const auto& item = links_json[i];
    check_keys(item, path,
               {"src", "dst", "type", "bandwidth_GBps", "latency_us", "count", "directed"});
    Link link;
    link.src = as_int(required(item, path, "src"), path + ".src");
    link.dst = as_int(required(item, path, "dst"), path + ".dst");
    const std::string type = as_string(required(item, path, "type"), path + ".type");
    auto parsed_type = link_type_from_string(type);
    if (!parsed_type) fail(path + ".type", fmt::format("unknown link type \"{}\"", type));
    link.type = *parsed_type;
    link.bandwidth_gbps =
        as_number(required(item, path, "bandwidth_GBps"), path + ".bandwidth_GBps");
    link.latency_us = as_number(required(item, path, "latency_us"), path + ".latency_us");
    if (item.contains("count")) link.count = as_int(item["count"], path + ".count");
    if (item.contains("directed")) {
      if (!item["directed"].is_boolean()) fail(path + ".directed", "must be true or false");
      link.directed = item["directed"].get<bool>();
    }
    links.push_back(link);
  }
  return Topology(std::move(name), std::move(nodes), std::move(links));
}

nlohmann::json to_json(const Topology& topology) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const Node& node : topology.nodes()) {
    nodes.push_back({{"id", node.id}, {"kind", to_string(node.kind)}, {"host", node.host},
                     {"name", node.name}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const Link& link : topology.links()) {
    nlohmann::json item = {{"src", link.src},
                           {"dst", link.dst},
                           {"type", to_string(link.type)},
                           {"bandwidth_GBps", link.bandwidth_gbps},
                           {"latency_us", link.latency_us}};
    if (link.count != 1) item["count"] = link.count;
    if (link.directed) item["directed"] = true;
    links.push_back(std::move(item));
  }
  return {{"name", topology.name()}, {"nodes", std::move(nodes)}, {"links", std::move(links)}};
}

}  // namespace aimicius::topology
