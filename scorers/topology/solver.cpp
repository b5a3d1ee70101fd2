// solver: candidate generation and selection for the reference plan (see solver.h).
#include "scorers/topology/solver.h"

#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/relay_schedules.h"
#include "scorers/topology/ring_search.h"
#include "scorers/topology/routing.h"
#include "scorers/topology/simulator.h"

namespace aimicius::topology {
namespace {

struct NamedSchedule {
  std::string strategy;
  std::optional<Schedule> schedule;  // nullopt: construction not applicable
  std::string why_not;
};

// GPUs per host in ascending id, when there are >= 2 hosts of equal size.
std::optional<std::vector<std::vector<int>>> equal_hosts(const Topology& topology) {
  std::map<int, std::vector<int>> by_host;
  for (int g = 0; g < topology.gpu_count(); ++g) by_host[topology.nodes()[g].host].push_back(g);
  if (by_host.size() < 2) return std::nullopt;
  std::vector<std::vector<int>> hosts;
  for (auto& [host, gpus] : by_host) {
    (void)host;
    if (!hosts.empty() && hosts.front().size() != gpus.size()) return std::nullopt;
    hosts.push_back(gpus);
  }
  return hosts;
}

std::vector<NamedSchedule> hierarchical_candidates(const Topology& topology,
                                                   const RouteTable& routes, double shard_bytes) {
  std::vector<NamedSchedule> out;
  auto hosts = equal_hosts(topology);
  if (!hosts) return out;
  const size_t local = hosts->front().size();
  std::vector<std::vector<int>> rails(local);
  for (const auto& host : *hosts)
    for (size_t r = 0; r < local; ++r) rails[r].push_back(host[r]);
  std::vector<std::vector<int>> host_rings;
  for (const auto& host : *hosts) {
    auto ring = best_ring_order(topology, routes, host, shard_bytes);
    host_rings.push_back(ring ? ring->order : host);
  }
  const int n = topology.gpu_count();
  std::vector<std::vector<int>> own(n), rail_chunks(n);
  for (int g = 0; g < n; ++g) own[g] = {g};
  for (const auto& rail : rails)
    for (int g : rail) rail_chunks[g] = rail;
  for (GroupMethod inter : {GroupMethod::ring, GroupMethod::direct}) {
    for (GroupMethod intra :
         {GroupMethod::ring, GroupMethod::bidirectional_ring, GroupMethod::direct}) {
      Schedule schedule{group_all_gather(rails, own, inter)};
      auto second = group_all_gather(host_rings, rail_chunks, intra);
      schedule.steps.insert(schedule.steps.end(), second.begin(), second.end());
      out.push_back({fmt::format("hierarchical(inter={},intra={})", to_string(inter), to_string(intra)),
                     std::move(schedule), ""});
    }
  }
  return out;
}

std::vector<NamedSchedule> candidates(const Topology& topology, const RouteTable& routes,
                                      double shard_bytes) {
  const int n = topology.gpu_count();
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<NamedSchedule> out;
  auto ring = best_ring_order(topology, routes, ids, shard_bytes);
  const std::string no_ring = "no ring order with a route for every hop";
  out.push_back({"ring", ring ? std::optional(flat_all_gather(ring->order, GroupMethod::ring)) : std::nullopt, no_ring});
  out.push_back({"bidirectional_ring",
                 ring ? std::optional(flat_all_gather(ring->order, GroupMethod::bidirectional_ring)) : std::nullopt,
                 no_ring});
  out.push_back({"direct", flat_all_gather(ids, GroupMethod::direct), ""});
  out.push_back({"direct_shifted", flat_all_gather(ids, GroupMethod::direct_shifted), ""});
  const bool power_of_two = (n & (n - 1)) == 0;
  const std::string not_pow2 = fmt::format("{} GPUs is not a power of two", n);
  out.push_back({"recursive_doubling", power_of_two ? std::optional(recursive_doubling(ids)) : std::nullopt, not_pow2});
  out.push_back({"recursive_doubling_ring",
                 power_of_two && ring ? std::optional(recursive_doubling(ring->order)) : std::nullopt,
                 power_of_two ? no_ring : not_pow2});
  for (auto& h : hierarchical_candidates(topology, routes, shard_bytes)) out.push_back(std::move(h));
  const std::string disconnected = "the GPUs are not connected";
  out.push_back({"greedy_relay", greedy_relay_schedule(topology, routes, shard_bytes, 1), disconnected});
  out.push_back({"greedy_relay_multi", greedy_relay_schedule(topology, routes, shard_bytes, n - 1), disconnected});
  return out;
}

}  // namespace

SolverResult solve_all_gather(const Topology& topology, double shard_bytes) {
  if (!(shard_bytes > 0.0) || !std::isfinite(shard_bytes))
    throw std::invalid_argument(fmt::format("solve_all_gather: shard_bytes must be > 0, got {}", shard_bytes));
  const RouteTable routes(topology);
  SolverResult result;
  for (auto& candidate : candidates(topology, routes, shard_bytes)) {
    if (!candidate.schedule) {
      result.rejected.emplace_back(candidate.strategy, candidate.why_not);
      continue;
    }
    SimulationResult sim = simulate(topology, routes, *candidate.schedule, shard_bytes);
    if (!sim.valid) {
      result.rejected.emplace_back(candidate.strategy, sim.reason);
      continue;
    }
    result.candidates.push_back({candidate.strategy, std::move(*candidate.schedule), sim.latency_us});
  }
  if (result.candidates.empty())
    throw std::runtime_error(fmt::format("solve_all_gather: no valid plan for topology \"{}\"", topology.name()));
  const SolvedPlan* best = &result.candidates.front();
  for (const SolvedPlan& plan : result.candidates)
    if (plan.latency_us < best->latency_us) best = &plan;
  result.best = *best;
  return result;
}

}  // namespace aimicius::topology
