// schedule_polish: route choice and step merging (see schedule_polish.h).
#include "scorers/topology/schedule_polish.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace aimicius::topology {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Lowest-latency simple paths between two GPUs through non-GPU nodes, default route first.
class PathOptions {
 public:
  PathOptions(const Topology& topology, const RouteTable& routes) : topology_(topology), routes_(routes) {}

  const std::vector<Route>& between(int src, int dst) {
    auto [it, inserted] = cache_.try_emplace({src, dst});
    if (inserted) it->second = enumerate(src, dst);
    return it->second;
  }

 private:
  std::vector<Route> enumerate(int src, int dst) {
    std::vector<Route> found;
    Route current;
    current.nodes = {src};
    std::vector<bool> on_path(topology_.node_count(), false);
    on_path[src] = true;
    walk(src, dst, current, on_path, found);
    std::sort(found.begin(), found.end(), [](const Route& a, const Route& b) {
      return std::forward_as_tuple(a.latency_us, a.nodes.size(), a.nodes) <
             std::forward_as_tuple(b.latency_us, b.nodes.size(), b.nodes);
    });
    // The default route first, whatever the sort says (it is the sort's first by routing.h's rule).
    const auto& default_route = routes_.route(src, dst);
    std::vector<Route> out;
    if (default_route) out.push_back(*default_route);
    for (Route& r : found) {
      if (static_cast<int>(out.size()) >= kRouteAlternatives) break;
      if (default_route && r.nodes == default_route->nodes) continue;
      out.push_back(std::move(r));
    }
    return out;
  }

  void walk(int node, int dst, Route& current, std::vector<bool>& on_path, std::vector<Route>& found) {
    if (found.size() >= 256) return;
    for (int c : topology_.out_channels(node)) {
      const Channel& channel = topology_.channels()[c];
      const int next = channel.to;
      if (on_path[next]) continue;
      if (next != dst && topology_.is_gpu(next)) continue;
      current.nodes.push_back(next);
      current.channels.push_back(c);
      current.latency_us += channel.latency_us;
      if (next == dst) {
        found.push_back(current);
      } else if (static_cast<int>(current.nodes.size()) - 1 < kRouteWalkNodes) {
        on_path[next] = true;
        walk(next, dst, current, on_path, found);
        on_path[next] = false;
      }
      current.nodes.pop_back();
      current.channels.pop_back();
      current.latency_us -= channel.latency_us;
    }
  }

  const Topology& topology_;
  const RouteTable& routes_;
  std::map<std::pair<int, int>, std::vector<Route>> cache_;
};

struct StepCost {
  double slowest = 0.0;
  double sum = 0.0;
  bool operator<(const StepCost& o) const {
    return slowest < o.slowest * (1.0 - 1e-12) || (slowest <= o.slowest && sum < o.sum * (1.0 - 1e-12));
  }
};

StepCost step_cost(const Topology& topology, const std::vector<const Route*>& chosen, double shard_bytes,
                   std::vector<int>& load) {
  std::fill(load.begin(), load.end(), 0);
  for (const Route* r : chosen)
    for (int c : r->channels) ++load[c];
  StepCost cost;
  for (const Route* r : chosen) {
    double share = kInfinity;
    for (int c : r->channels) share = std::min(share, topology.channels()[c].bandwidth_gbps / load[c]);
    const double t = r->latency_us + shard_bytes / (share * 1e3);
    cost.slowest = std::max(cost.slowest, t);
    cost.sum += t;
  }
  return cost;
}

// The route a transfer takes now (its explicit path or its default route).
Route current_route(const Topology& topology, const RouteTable& routes, const Transfer& t) {
  if (t.path.empty()) return *routes.route(t.src, t.dst);
  return *route_from_path(topology, t.src, t.dst, t.path, nullptr);
}

StepCost polish_step(const Topology& topology, const RouteTable& routes, PathOptions& options, Step& step,
                     double shard_bytes) {
  std::vector<int> load(topology.channels().size(), 0);
  std::vector<std::vector<Route>> choices(step.size());
  std::vector<size_t> pick(step.size(), 0);
  std::vector<const Route*> chosen(step.size());
  for (size_t i = 0; i < step.size(); ++i) {
    choices[i] = options.between(step[i].src, step[i].dst);
    const Route now = current_route(topology, routes, step[i]);
    auto it = std::find_if(choices[i].begin(), choices[i].end(), [&](const Route& r) { return r.nodes == now.nodes; });
    if (it == choices[i].end()) {
      choices[i].push_back(now);
      it = std::prev(choices[i].end());
    }
    pick[i] = static_cast<size_t>(it - choices[i].begin());
    chosen[i] = &choices[i][pick[i]];
  }
  StepCost best = step_cost(topology, chosen, shard_bytes, load);
  for (int pass = 0; pass < kRoutePasses; ++pass) {
    bool changed = false;
    for (size_t i = 0; i < step.size(); ++i) {
      if (choices[i].size() < 2) continue;
      for (size_t o = 0; o < choices[i].size(); ++o) {
        if (o == pick[i]) continue;
        const Route* before = chosen[i];
        chosen[i] = &choices[i][o];
        const StepCost cost = step_cost(topology, chosen, shard_bytes, load);
        if (cost < best) {
          best = cost;
          pick[i] = o;
          changed = true;
        } else {
          chosen[i] = before;
        }
      }
    }
    if (!changed) break;
  }
  for (size_t i = 0; i < step.size(); ++i) {
    const Route& r = choices[i][pick[i]];
    const auto& default_route = routes.route(step[i].src, step[i].dst);
    step[i].path = default_route && default_route->nodes == r.nodes ? std::vector<int>{} : r.nodes;
  }
  return best;
}

double plain_step_time(const Topology& topology, const RouteTable& routes, const Step& step, double shard_bytes) {
  std::vector<Route> held;
  held.reserve(step.size());
  for (const Transfer& t : step) held.push_back(current_route(topology, routes, t));
  std::vector<const Route*> chosen;
  for (const Route& r : held) chosen.push_back(&r);
  std::vector<int> load(topology.channels().size(), 0);
  return step_cost(topology, chosen, shard_bytes, load).slowest;
}

}  // namespace

Schedule polish_routes(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes) {
  PathOptions options(topology, routes);
  for (Step& step : schedule.steps) {
    Step trial = step;
    const double before = plain_step_time(topology, routes, step, shard_bytes);
    if (polish_step(topology, routes, options, trial, shard_bytes).slowest < before) step = std::move(trial);
  }
  return schedule;
}

Schedule merge_steps(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes) {
  PathOptions options(topology, routes);
  const int gpus = topology.gpu_count();
  bool merged_any = true;
  while (merged_any) {
    merged_any = false;
    // holds at the start of each step
    std::vector<char> holds(static_cast<size_t>(gpus) * gpus, 0);
    for (int g = 0; g < gpus; ++g) holds[static_cast<size_t>(g) * gpus + g] = 1;
    for (size_t k = 0; k + 1 < schedule.steps.size(); ++k) {
      const Step& next = schedule.steps[k + 1];
      const bool allowed = std::all_of(next.begin(), next.end(), [&](const Transfer& t) {
        return holds[static_cast<size_t>(t.src) * gpus + t.chunk] != 0;
      });
      if (allowed) {
        Step merged = schedule.steps[k];
        merged.insert(merged.end(), next.begin(), next.end());
        const double apart = plain_step_time(topology, routes, schedule.steps[k], shard_bytes) +
                             plain_step_time(topology, routes, next, shard_bytes);
        const double together = polish_step(topology, routes, options, merged, shard_bytes).slowest;
        if (together < apart * (1.0 - 1e-12)) {
          schedule.steps[k] = std::move(merged);
          schedule.steps.erase(schedule.steps.begin() + static_cast<long>(k) + 1);
          merged_any = true;
          break;
        }
      }
      for (const Transfer& t : schedule.steps[k]) holds[static_cast<size_t>(t.dst) * gpus + t.chunk] = 1;
    }
  }
  return schedule;
}

Schedule polish(const Topology& topology, const RouteTable& routes, Schedule schedule, double shard_bytes) {
  return merge_steps(topology, routes, polish_routes(topology, routes, std::move(schedule), shard_bytes), shard_bytes);
}

}  // namespace aimicius::topology
