// Implementation of collective_model.h. The numbers are a model, not measurements: per-pair
// bandwidths come from the profile's link labels (NVLink count x per-link speed, XGMI links from
// the rocm-smi weight, PCIe generation x width), scaled by a fixed efficiency.
#include "hostsim/collective_model.h"

#include <algorithm>
#include <cctype>

#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

constexpr double kNvlinkEfficiency = 0.82;
constexpr double kXgmiLinkGbps = 50.0;  // one MI200 XGMI link, per direction
constexpr double kXgmiEfficiency = 0.78;
constexpr double kLocalCopyGbps = 1200.0;  // a single GPU copying in its own memory

double pcie_lane_gbps(int gen) {
  switch (gen) {
    case 1: return 0.25;
    case 2: return 0.5;
    case 3: return 0.985;
    case 4: return 1.969;
    case 5: return 3.938;
    default: return gen > 5 ? 7.563 : 0.985;
  }
}

double pcie_gbps(const Gpu& a, const Gpu& b, const std::string& label) {
  const auto lanes = [](const Gpu& g) {
    return pcie_lane_gbps(g.pcie_gen_current > 0 ? g.pcie_gen_current : 4) *
           (g.pcie_width_current > 0 ? g.pcie_width_current : 16);
  };
  const double raw = std::min(lanes(a), lanes(b));
  // Through a PCIe switch (PIX/PXB) traffic stays below the CPU; PHB/NODE cross a host bridge;
  // SYS also crosses the inter-socket link.
  const double efficiency = (label == "PIX" || label == "PXB") ? 0.8 : (label == "SYS") ? 0.5 : 0.7;
  return raw * efficiency;
}

double nvlink_gpu_gbps(const Gpu& g) {
  double total = 0;
  int count = 0;
  for (const auto& link : g.nvlinks)
    if (link.active) {
      total += link.speed_gbps;
      ++count;
    }
  return count ? total / count : 25.0;  // average per-link speed
}

struct Pair {
  double gbps;
  std::string fabric;
};

Pair pair_model(const Profile& p, int a, int b) {
  const auto& t = p.topology;
  const Gpu &ga = p.gpus[a], &gb = p.gpus[b];
  if (!t.link_type.empty()) {
    const std::string& type = t.link_type[a][b];
    if (type == "XGMI") {
      const int weight = t.weight.empty() ? 15 : std::max(1, t.weight[a][b]);
      const int links = std::max(1, 60 / weight);  // rocm-smi weight 15: 4 links, 30: 2, 45+: 1
      return {links * kXgmiLinkGbps * kXgmiEfficiency, "XGMI"};
    }
    return {pcie_gbps(ga, gb, "PHB"), "PCIe"};
  }
  if (!t.gpu_gpu.empty()) {
    const std::string& label = t.gpu_gpu[a][b];
    if (starts_with(label, "NV")) {
      const auto links = parse_long(label.substr(2)).value_or(1);
      const double per_link = std::min(nvlink_gpu_gbps(ga), nvlink_gpu_gbps(gb));
      return {static_cast<double>(links) * per_link * kNvlinkEfficiency, "NVLink"};
    }
    return {pcie_gbps(ga, gb, label), "PCIe"};
  }
  return {pcie_gbps(ga, gb, "SYS"), "PCIe"};
}

}  // namespace

const std::array<CollectiveKind, kCollectiveKindCount>& collective_kinds() {
  static const std::array<CollectiveKind, kCollectiveKindCount> kinds = {{
      {"all_reduce_perf", "AllReduce", true, false, CountRule::kWhole, 0, 0},
      {"all_gather_perf", "AllGather", false, false, CountRule::kPerRank, 1, 1},
      {"broadcast_perf", "Broadcast", false, true, CountRule::kWhole, 2, 1},
      {"reduce_perf", "Reduce", true, true, CountRule::kWhole, 2, 1},
      {"reduce_scatter_perf", "ReduceScatter", true, false, CountRule::kPerRank, 1, 1},
      {"alltoall_perf", "AllToAll", false, false, CountRule::kPerRank, 1, 1},
      {"sendrecv_perf", "SendRecv", false, false, CountRule::kWhole, 2, 2},
      {"scatter_perf", "Scatter", false, true, CountRule::kPerRank, 1, 1},
      {"gather_perf", "Gather", false, true, CountRule::kPerRank, 1, 1},
      {"hypercube_perf", "HyperCube", false, false, CountRule::kPerRank, 1, 1},
  }};
  return kinds;
}

const CollectiveKind* find_collective(const std::string& tool) {
  for (const auto& kind : collective_kinds())
    if (tool == kind.tool) return &kind;
  return nullptr;
}

double bus_bandwidth_factor(const CollectiveKind& kind, int nranks) {
  const double n = nranks;
  switch (kind.bus_factor_kind) {
    case 0: return 2.0 * (n - 1) / n;
    case 1: return (n - 1) / n;
    default: return 1.0;
  }
}

RowSize row_size(const CollectiveKind& kind, std::uint64_t requested_bytes, int type_size, int nranks) {
  const std::uint64_t count = requested_bytes / static_cast<std::uint64_t>(type_size);
  if (kind.counts == CountRule::kWhole) return {count * type_size, count};
  const std::uint64_t per_rank = count / static_cast<std::uint64_t>(nranks);
  return {per_rank * nranks * type_size, per_rank};
}

LinkModel link_model(const Profile& profile, const std::vector<int>& gpus) {
  LinkModel model;
  if (gpus.size() < 2) {
    model = {kLocalCopyGbps, 4.0, 0.0, "local"};
    return model;
  }
  double slowest = 1e18;
  std::string fabric;
  for (std::size_t i = 0; i < gpus.size(); ++i)
    for (std::size_t j = i + 1; j < gpus.size(); ++j) {
      const Pair pair = pair_model(profile, gpus[i], gpus[j]);
      if (pair.gbps < slowest) {
        slowest = pair.gbps;
        fabric = pair.fabric;
      }
    }
  model.bus_gbps = slowest;
  model.fabric = fabric;
  if (fabric == "NVLink") {
    model.base_latency_us = 7.5;
    model.step_latency_us = 1.1;
  } else if (fabric == "XGMI") {
    model.base_latency_us = 9.0;
    model.step_latency_us = 2.4;
  } else {
    model.base_latency_us = 11.0;
    model.step_latency_us = 4.5;
  }
  return model;
}

double collective_time_us(const CollectiveKind& kind, std::uint64_t bytes, int nranks, const LinkModel& link,
                          const TimingOptions& options, bool in_place) {
  const int steps = kind.steps_kind == 0 ? 2 * (nranks - 1) : kind.steps_kind == 1 ? nranks - 1 : 1;
  double latency = link.base_latency_us + link.step_latency_us * std::max(steps, 0);
  if (options.cuda_graph) latency *= 0.75;
  if (options.blocking) latency += 3.0;
  if (options.cputime) latency += 1.5;
  const double factor = bus_bandwidth_factor(kind, nranks);
  const double moved = factor > 0 ? static_cast<double>(bytes) * factor : static_cast<double>(bytes);
  const double gbps = factor > 0 ? link.bus_gbps : kLocalCopyGbps;
  double time = latency + moved / (gbps * 1e3);  // GB/s = 1e3 bytes per microsecond
  if (in_place) time = time * 0.995 + 0.05;      // no separate output buffer: marginally faster
  return time;
}

Profile with_visible_gpus(const Profile& profile, const std::string& spec) {
  std::vector<int> chosen;
  for (const auto& raw : split(spec, ',')) {
    const auto index = parse_long(trim(raw));
    if (!index || *index < 0 || *index >= static_cast<long>(profile.gpus.size())) break;
    if (std::find(chosen.begin(), chosen.end(), static_cast<int>(*index)) != chosen.end()) break;
    chosen.push_back(static_cast<int>(*index));
  }
  Profile view = profile;
  view.gpus.clear();
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    view.gpus.push_back(profile.gpus[chosen[i]]);
    view.gpus.back().index = static_cast<int>(i);
  }
  const auto cut = [&](auto matrix) {
    if (matrix.empty()) return matrix;
    decltype(matrix) out;
    for (int a : chosen) {
      out.emplace_back();
      for (int b : chosen) out.back().push_back(matrix[a][b]);
    }
    return out;
  };
  view.topology.gpu_gpu = cut(profile.topology.gpu_gpu);
  view.topology.weight = cut(profile.topology.weight);
  view.topology.hops = cut(profile.topology.hops);
  view.topology.link_type = cut(profile.topology.link_type);
  view.topology.gpu_nic.clear();
  if (!profile.topology.gpu_nic.empty())
    for (int a : chosen) view.topology.gpu_nic.push_back(profile.topology.gpu_nic[a]);
  view.processes.clear();
  return view;
}

}  // namespace aimicius::hostsim
