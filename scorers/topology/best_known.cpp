// best_known: candidate pool, polishing and selection (see best_known.h).
#include "scorers/topology/best_known.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/order_search.h"
#include "scorers/topology/routing.h"
#include "scorers/topology/schedule_polish.h"
#include "scorers/topology/simulator.h"

namespace aimicius::topology {

BestKnownResult best_known_all_gather(const Topology& topology, double shard_bytes) {
  const RouteTable routes(topology);
  SolverResult solved = solve_all_gather(topology, shard_bytes);
  BestKnownResult result;
  result.solver_best = solved.best;

  std::vector<std::pair<std::string, Schedule>> raw;
  for (SolvedPlan& plan : solved.candidates) raw.emplace_back(plan.strategy, std::move(plan.schedule));
  const int n = topology.gpu_count();
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  raw.emplace_back("ring(id order)", flat_all_gather(ids, GroupMethod::ring));
  const std::vector<int> nearest = nearest_neighbour_order(topology, routes, 0, shard_bytes);
  if (!nearest.empty()) raw.emplace_back("ring(nearest neighbour)", flat_all_gather(nearest, GroupMethod::ring));
  const auto orders = searched_ring_orders(topology, routes, shard_bytes, kOrdersPerObjective);
  for (size_t i = 0; i < orders.size(); ++i) {
    raw.emplace_back(fmt::format("ring(searched order {})", i + 1), flat_all_gather(orders[i], GroupMethod::ring));
    raw.emplace_back(fmt::format("bidirectional_ring(searched order {})", i + 1),
                     flat_all_gather(orders[i], GroupMethod::bidirectional_ring));
  }

  for (auto& [strategy, schedule] : raw) {
    const SimulationResult sim = simulate(topology, routes, schedule, shard_bytes);
    if (!sim.valid) continue;
    Schedule polished = polish(topology, routes, schedule, shard_bytes);
    const SimulationResult polished_sim = simulate(topology, routes, polished, shard_bytes);
    result.candidates.push_back({strategy, std::move(schedule), sim.latency_us});
    if (polished_sim.valid && polished_sim.latency_us < sim.latency_us * (1.0 - 1e-12))
      result.candidates.push_back({strategy + "+polish", std::move(polished), polished_sim.latency_us});
  }
  if (result.candidates.empty())
    throw std::runtime_error(fmt::format("best_known_all_gather: no valid plan for topology \"{}\"", topology.name()));
  const SolvedPlan* best = &result.candidates.front();
  for (const SolvedPlan& plan : result.candidates)
    if (plan.latency_us < best->latency_us) best = &plan;
  result.best = *best;
  return result;
}

double best_fixed_program_latency(const Topology& topology, double shard_bytes) {
  const RouteTable routes(topology);
  const int n = topology.gpu_count();
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<Schedule> programs = {flat_all_gather(ids, GroupMethod::direct),
                                    flat_all_gather(ids, GroupMethod::direct_shifted),
                                    flat_all_gather(ids, GroupMethod::ring),
                                    flat_all_gather(ids, GroupMethod::bidirectional_ring)};
  for (int g = 0; g < n; ++g) {
    const std::vector<int> order = nearest_neighbour_order(topology, routes, g, shard_bytes);
    if (order.empty()) continue;
    programs.push_back(flat_all_gather(order, GroupMethod::ring));
    if (g == 0) programs.push_back(flat_all_gather(order, GroupMethod::bidirectional_ring));
  }
  double best = std::numeric_limits<double>::infinity();
  for (const Schedule& program : programs) {
    const SimulationResult sim = simulate(topology, routes, program, shard_bytes);
    if (sim.valid) best = std::min(best, sim.latency_us);
  }
  return best;
}

}  // namespace aimicius::topology
