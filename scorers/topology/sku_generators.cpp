// sku_generators: builders of the SKUs described in sku_generators.h.
#include "scorers/topology/sku_generators.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "scorers/topology/routing.h"

namespace aimicius::topology {
namespace {

// Accumulates nodes and links; GPUs must all be added before other nodes.
class Builder {
 public:
  int add_gpu(int host = 0) {
    if (!others_.empty()) throw std::logic_error("Builder: GPUs must be added first");
    Node node;
    node.id = static_cast<int>(gpus_.size());
    node.kind = NodeKind::gpu;
    node.host = host;
    node.name = fmt::format("GPU{}", node.id);
    gpus_.push_back(node);
    return node.id;
  }
  int add_node(NodeKind kind, int host = 0) {
    Node node;
    node.id = static_cast<int>(gpus_.size() + others_.size());
    node.kind = kind;
    node.host = host;
    others_.push_back(node);
    return node.id;
  }
  void link(int a, int b, LinkType type, double bandwidth, double latency, int count = 1) {
    Link l;
    l.src = a;
    l.dst = b;
    l.type = type;
    l.bandwidth_gbps = bandwidth;
    l.latency_us = latency;
    l.count = count;
    links_.push_back(l);
  }
  Topology build(std::string name) {
    std::vector<Node> nodes = gpus_;
    nodes.insert(nodes.end(), others_.begin(), others_.end());
    return Topology(std::move(name), std::move(nodes), std::move(links_));
  }

 private:
  std::vector<Node> gpus_;
  std::vector<Node> others_;
  std::vector<Link> links_;
};

// Portable integer draws from mt19937_64.
class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  // Uniform-enough integer in [lo, hi] (modulo bias is negligible for these tiny ranges).
  int between(int lo, int hi) {
    return lo + static_cast<int>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return between(0, 99) < percent; }
  template <typename T>
  T pick(const std::vector<T>& options) {
    return options[between(0, static_cast<int>(options.size()) - 1)];
  }
  double latency(int min_tenths, int max_tenths) { return between(min_tenths, max_tenths) / 10.0; }
  void shuffle(std::vector<int>& items) {
    for (int i = static_cast<int>(items.size()) - 1; i > 0; --i) std::swap(items[i], items[between(0, i)]);
  }

 private:
  std::mt19937_64 engine_;
};

void add_switched_gpus(Builder& b, const std::vector<int>& gpus, int host, double bandwidth,
                       double latency) {
  const int sw = b.add_node(NodeKind::nvswitch, host);
  for (int g : gpus) b.link(g, sw, LinkType::nvswitch, bandwidth, latency);
}

Topology random_switch(Draw& draw, uint64_t seed) {
  Builder b;
  const int n = draw.between(4, 16);
  std::vector<int> gpus;
  for (int i = 0; i < n; ++i) gpus.push_back(b.add_gpu());
  const int sw = b.add_node(NodeKind::nvswitch);
  const double base = draw.pick<double>({150, 300, 450, 600});
  const double latency = draw.latency(3, 10);
  for (int g : gpus) {
    // A few degraded links (fewer active NVLinks on this GPU).
    const double bandwidth = draw.chance(20) ? base / draw.between(2, 3) : base;
    b.link(g, sw, LinkType::nvswitch, bandwidth, latency);
  }
  return b.build(fmt::format("random-{}-switch-{}gpu", seed, n));
}

Topology random_mesh(Draw& draw, uint64_t seed) {
  Builder b;
  const int n = draw.between(4, 16);
  for (int i = 0; i < n; ++i) b.add_gpu();
  const LinkType type = draw.chance(50) ? LinkType::nvlink : LinkType::xgmi;
  const std::vector<double> per_link = type == LinkType::nvlink ? std::vector<double>{25, 50}
                                                                : std::vector<double>{32, 50, 64};
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  draw.shuffle(order);
  std::vector<std::vector<bool>> linked(n, std::vector<bool>(n, false));
  auto connect = [&](int a, int c) {
    linked[a][c] = linked[c][a] = true;
    b.link(a, c, type, draw.pick(per_link), draw.latency(5, 15), draw.between(1, 4));
  };
  for (int i = 0; i < n; ++i) connect(order[i], order[(i + 1) % n]);  // backbone ring
  const int density = draw.between(0, 60);
  for (int a = 0; a < n; ++a)
    for (int c = a + 1; c < n; ++c)
      if (!linked[a][c] && draw.chance(density)) connect(a, c);
  return b.build(fmt::format("random-{}-mesh-{}gpu", seed, n));
}

Topology random_pcie(Draw& draw, uint64_t seed) {
  Builder b;
  const int n = draw.between(4, 16);
  for (int i = 0; i < n; ++i) b.add_gpu();
  const int per_switch = draw.between(2, 4);
  const double gpu_bw = draw.pick<double>({16, 25, 32, 64});
  const double up_bw = draw.pick<double>({16, 32, 64});
  const int bridge = b.add_node(NodeKind::host_bridge);
  for (int first = 0; first < n; first += per_switch) {
    const int sw = b.add_node(NodeKind::pcie_switch);
    b.link(sw, bridge, LinkType::pcie, up_bw, draw.latency(10, 20));
    for (int g = first; g < std::min(n, first + per_switch); ++g)
      b.link(g, sw, LinkType::pcie, gpu_bw, draw.latency(5, 15));
  }
  if (draw.chance(40)) {  // NVLink bridges between pairs (2k, 2k+1)
    const double bridge_bw = draw.pick<double>({50, 100, 300});
    for (int g = 0; g + 1 < n; g += 2) b.link(g, g + 1, LinkType::nvlink, bridge_bw, 0.5);
  }
  return b.build(fmt::format("random-{}-pcie-{}gpu", seed, n));
}

Topology random_multi_host(Draw& draw, uint64_t seed) {
  Builder b;
  const int hosts = draw.between(2, 4);
  const int per_host = draw.between(2, 16 / hosts);
  const bool switched = draw.chance(60);
  const double intra_bw = switched ? draw.pick<double>({300, 450}) : draw.pick<double>({50, 64, 100});
  const double nic_bw = draw.pick<double>({12.5, 25, 50});
  const double pcie_bw = draw.pick<double>({32, 64});
  for (int h = 0; h < hosts; ++h)
    for (int i = 0; i < per_host; ++i) b.add_gpu(h);
  for (int h = 0; h < hosts; ++h) {
    std::vector<int> gpus;
    for (int i = 0; i < per_host; ++i) gpus.push_back(h * per_host + i);
    if (switched) {
      add_switched_gpus(b, gpus, h, intra_bw, 0.5);
    } else {
      for (size_t i = 0; i < gpus.size(); ++i)
        for (size_t j = i + 1; j < gpus.size(); ++j)
          b.link(gpus[i], gpus[j], LinkType::xgmi, intra_bw, 0.8);
    }
  }
  std::vector<int> nics;
  for (int g = 0; g < hosts * per_host; ++g) nics.push_back(b.add_node(NodeKind::nic, g / per_host));
  const int ib = b.add_node(NodeKind::ib_switch, hosts);
  for (int g = 0; g < hosts * per_host; ++g) {
    b.link(g, nics[g], LinkType::pcie, pcie_bw, 1.0);
    b.link(nics[g], ib, LinkType::ib, nic_bw, draw.latency(15, 30));
  }
  return b.build(fmt::format("random-{}-multihost-{}x{}gpu", seed, hosts, per_host));
}

}  // namespace

Topology dgx_h100_like() {
  Builder b;
  std::vector<int> gpus;
  for (int i = 0; i < 8; ++i) gpus.push_back(b.add_gpu());
  add_switched_gpus(b, gpus, 0, 450, 0.5);
  return b.build("dgx-h100-like");
}

Topology ndv4_a100_like() {
  Builder b;
  std::vector<int> gpus;
  for (int i = 0; i < 8; ++i) gpus.push_back(b.add_gpu());
  add_switched_gpus(b, gpus, 0, 300, 0.7);
  const int bridge = b.add_node(NodeKind::host_bridge);
  for (int pair = 0; pair < 4; ++pair) {
    const int sw = b.add_node(NodeKind::pcie_switch);
    b.link(sw, bridge, LinkType::pcie, 32, 1.0);
    b.link(2 * pair, sw, LinkType::pcie, 32, 1.0);
    b.link(2 * pair + 1, sw, LinkType::pcie, 32, 1.0);
  }
  return b.build("ndv4-a100-like");
}

Topology mi250x_like() {
  Builder b;
  for (int i = 0; i < 8; ++i) b.add_gpu();
  for (int p = 0; p < 8; p += 2) b.link(p, p + 1, LinkType::xgmi, 50, 0.8, 4);
  for (auto [x, y] : {std::pair{1, 2}, {3, 4}, {5, 6}, {7, 0}}) b.link(x, y, LinkType::xgmi, 50, 0.8, 2);
  for (int g = 0; g < 4; ++g) b.link(g, g + 4, LinkType::xgmi, 50, 0.8, 1);
  return b.build("mi250x-like");
}

Topology mi300x_like() {
  Builder b;
  for (int i = 0; i < 8; ++i) b.add_gpu();
  for (int x = 0; x < 8; ++x)
    for (int y = x + 1; y < 8; ++y) b.link(x, y, LinkType::xgmi, 64, 0.8);
  return b.build("mi300x-like");
}

Topology pcie_only(int gpus) {
  if (gpus < 2 || gpus > 16 || gpus % 2 != 0)
    throw std::invalid_argument(fmt::format("pcie_only: gpus must be even in 2..16, got {}", gpus));
  Builder b;
  for (int i = 0; i < gpus; ++i) b.add_gpu();
  const int bridge = b.add_node(NodeKind::host_bridge);
  for (int pair = 0; pair < gpus / 2; ++pair) {
    const int sw = b.add_node(NodeKind::pcie_switch);
    b.link(sw, bridge, LinkType::pcie, 32, 1.5);
    b.link(2 * pair, sw, LinkType::pcie, 32, 1.0);
    b.link(2 * pair + 1, sw, LinkType::pcie, 32, 1.0);
  }
  return b.build(fmt::format("pcie-only-{}gpu", gpus));
}

Topology two_node(int gpus_per_node, double nvswitch_gbps, double nic_gbps) {
  if (gpus_per_node < 2 || gpus_per_node > 8)
    throw std::invalid_argument(
        fmt::format("two_node: gpus_per_node must be in 2..8, got {}", gpus_per_node));
  Builder b;
  const int total = 2 * gpus_per_node;
  for (int g = 0; g < total; ++g) b.add_gpu(g / gpus_per_node);
  for (int h = 0; h < 2; ++h) {
    std::vector<int> gpus;
    for (int i = 0; i < gpus_per_node; ++i) gpus.push_back(h * gpus_per_node + i);
    add_switched_gpus(b, gpus, h, nvswitch_gbps, 0.5);
  }
  std::vector<int> nics;
  for (int g = 0; g < total; ++g) nics.push_back(b.add_node(NodeKind::nic, g / gpus_per_node));
  const int ib = b.add_node(NodeKind::ib_switch, 2);
  for (int g = 0; g < total; ++g) {
    b.link(g, nics[g], LinkType::pcie, 64, 1.0);
    b.link(nics[g], ib, LinkType::ib, nic_gbps, 2.0);
  }
  return b.build(fmt::format("two-node-{}x{}", 2, gpus_per_node));
}

Topology random_topology(uint64_t seed) {
  Draw draw(seed ^ 0x9e3779b97f4a7c15ULL);
  Topology topology = [&] {
    switch (draw.between(0, 3)) {
      case 0: return random_switch(draw, seed);
      case 1: return random_mesh(draw, seed);
      case 2: return random_pcie(draw, seed);
      default: return random_multi_host(draw, seed);
    }
  }();
  if (!gpus_connected(topology))
    throw std::logic_error(fmt::format("random_topology({}): generated a disconnected topology", seed));
  return topology;
}

bool gpus_connected(const Topology& topology) {
  const RouteTable routes(topology);
  const int n = topology.gpu_count();
  std::vector<bool> seen(n, false);
  std::vector<int> frontier = {0};
  seen[0] = true;
  while (!frontier.empty()) {
    const int g = frontier.back();
    frontier.pop_back();
    for (int h = 0; h < n; ++h)
      if (!seen[h] && routes.reachable(g, h)) {
        seen[h] = true;
        frontier.push_back(h);
      }
  }
  return std::all_of(seen.begin(), seen.end(), [](bool s) { return s; });
}

}  // namespace aimicius::topology
