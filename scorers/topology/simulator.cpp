// simulator: the checks and the latency model documented in simulator.h.
#include "scorers/topology/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::topology {
namespace {

SimulationResult invalid(ScheduleError error, std::string reason, int step = -1,
                         int transfer = -1) {
  SimulationResult result;
  result.error = error;
  result.reason = std::move(reason);
  result.error_step = step;
  result.error_transfer = transfer;
  return result;
}

}  // namespace

std::string to_string(ScheduleError error) {
  switch (error) {
    case ScheduleError::none: return "none";
    case ScheduleError::empty_schedule: return "empty_schedule";
    case ScheduleError::unknown_gpu: return "unknown_gpu";
    case ScheduleError::self_transfer: return "self_transfer";
    case ScheduleError::unknown_chunk: return "unknown_chunk";
    case ScheduleError::chunk_not_held: return "chunk_not_held";
    case ScheduleError::bad_path: return "bad_path";
    case ScheduleError::no_route: return "no_route";
    case ScheduleError::incomplete: return "incomplete";
  }
  return "unknown";
}

SimulationResult simulate(const Topology& topology, const RouteTable& routes,
                          const Schedule& schedule, double shard_bytes) {
  if (!(shard_bytes > 0.0) || !std::isfinite(shard_bytes))
    throw std::invalid_argument(fmt::format("simulate: shard_bytes must be > 0, got {}", shard_bytes));
  if (routes.gpu_count() != topology.gpu_count())
    throw std::invalid_argument("simulate: route table belongs to another topology");
  if (schedule.transfer_count() == 0)
    return invalid(ScheduleError::empty_schedule, "the schedule has no transfers");

  const int gpus = topology.gpu_count();
  // holds[g * gpus + c]: GPU g holds chunk c.
  std::vector<char> holds(static_cast<size_t>(gpus) * gpus, 0);
  for (int g = 0; g < gpus; ++g) holds[static_cast<size_t>(g) * gpus + g] = 1;

  SimulationResult result;
  std::vector<int> load(topology.channels().size(), 0);
  for (int s = 0; s < static_cast<int>(schedule.steps.size()); ++s) {
    const Step& step = schedule.steps[s];
    std::vector<Route> step_routes;
    step_routes.reserve(step.size());
    for (int t = 0; t < static_cast<int>(step.size()); ++t) {
      const Transfer& tr = step[t];
      const std::string where = fmt::format("step {}, transfer {}", s, t);
      if (!topology.is_gpu(tr.src))
        return invalid(ScheduleError::unknown_gpu,
                       fmt::format("{}: src {} is not a GPU (GPUs are 0..{})", where, tr.src, gpus - 1), s, t);
      if (!topology.is_gpu(tr.dst))
        return invalid(ScheduleError::unknown_gpu,
                       fmt::format("{}: dst {} is not a GPU (GPUs are 0..{})", where, tr.dst, gpus - 1), s, t);
      if (tr.src == tr.dst)
        return invalid(ScheduleError::self_transfer,
                       fmt::format("{}: src and dst are both GPU {}", where, tr.src), s, t);
      if (tr.chunk < 0 || tr.chunk >= gpus)
        return invalid(ScheduleError::unknown_chunk,
                       fmt::format("{}: chunk {} does not exist (chunks are 0..{})", where, tr.chunk, gpus - 1), s, t);
      if (!holds[static_cast<size_t>(tr.src) * gpus + tr.chunk])
        return invalid(ScheduleError::chunk_not_held,
                       fmt::format("{}: GPU {} does not hold chunk {} at the start of step {}",
                                   where, tr.src, tr.chunk, s), s, t);
      if (!tr.path.empty()) {
        std::string path_error;
        auto route = route_from_path(topology, tr.src, tr.dst, tr.path, &path_error);
        if (!route)
          return invalid(ScheduleError::bad_path, fmt::format("{}: {}", where, path_error), s, t);
        step_routes.push_back(std::move(*route));
      } else {
        const auto& route = routes.route(tr.src, tr.dst);
        if (!route)
          return invalid(ScheduleError::no_route,
                         fmt::format("{}: no route from GPU {} to GPU {} (GPUs do not forward; "
                                     "relay the chunk in a later step)", where, tr.src, tr.dst), s, t);
        step_routes.push_back(*route);
      }
    }
    // Bandwidth sharing within the step.
    std::fill(load.begin(), load.end(), 0);
    for (const Route& route : step_routes)
      for (int c : route.channels) ++load[c];
    double step_time = 0.0;
    for (const Route& route : step_routes) {
      double bottleneck_share = std::numeric_limits<double>::infinity();
      for (int c : route.channels)
        bottleneck_share = std::min(bottleneck_share, topology.channels()[c].bandwidth_gbps / load[c]);
      const double time = route.latency_us + shard_bytes / (bottleneck_share * 1e3);
      step_time = std::max(step_time, time);
    }
    result.step_times_us.push_back(step_time);
    for (const Transfer& tr : step) holds[static_cast<size_t>(tr.dst) * gpus + tr.chunk] = 1;
  }
  for (int g = 0; g < gpus; ++g) {
    std::vector<int> missing;
    for (int c = 0; c < gpus; ++c)
      if (!holds[static_cast<size_t>(g) * gpus + c]) missing.push_back(c);
    if (!missing.empty())
      return invalid(ScheduleError::incomplete,
                     fmt::format("after the last step GPU {} is missing chunk(s) {}", g,
                                 fmt::join(missing, ", ")));
  }
  result.valid = true;
  for (double t : result.step_times_us) result.latency_us += t;
  return result;
}

SimulationResult simulate(const Topology& topology, const Schedule& schedule, double shard_bytes) {
  return simulate(topology, RouteTable(topology), schedule, shard_bytes);
}

}  // namespace aimicius::topology
