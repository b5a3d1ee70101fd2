// plan_audit: right rewrites and simulator-checked wrong changes of a reference plan (see
// plan_audit.h).
#include "scorers/plan/plan_audit.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "scorers/plan/plan_program.h"
#include "scorers/plan/plan_scorer.h"
#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/routing.h"
#include "scorers/topology/simulator.h"

namespace aimicius::topology {
namespace {

std::string path_literal(const std::vector<int>& path) { return fmt::format("[{}]", fmt::join(path, ", ")); }

// A program printing the schedule as {"steps": ...} with keys sorted, compact separators.
std::string reserialised_program(const Schedule& schedule) {
  return "import json\n\nPLAN = json.loads('''" + nlohmann::json{{"steps", to_json(schedule)}}.dump() +
         "''')\nprint(json.dumps({\"steps\": PLAN[\"steps\"]}, sort_keys=True, separators=(\",\", \":\")))\n";
}

// A program holding flat rows (step, src, dst, chunk, path) and building the steps in a loop.
std::string loop_program(const Schedule& schedule) {
  std::string rows;
  for (size_t s = 0; s < schedule.steps.size(); ++s)
    for (const Transfer& t : schedule.steps[s])
      rows += fmt::format("    ({}, {}, {}, {}, {}),\n", s, t.src, t.dst, t.chunk,
                          t.path.empty() ? std::string("None") : path_literal(t.path));
  return fmt::format(
      "import json\n\nROWS = [\n{}]\n\nsteps = [[] for _ in range({})]\n"
      "for step, src, dst, chunk, path in ROWS:\n"
      "    transfer = {{\"src\": src, \"dst\": dst, \"chunk\": chunk}}\n"
      "    if path is not None:\n"
      "        transfer[\"path\"] = path\n"
      "    steps[step].append(transfer)\n"
      "print(json.dumps(steps))\n",
      rows, schedule.steps.size());
}

std::string logging_program(const Schedule& schedule) {
  std::string program = schedule_to_python(schedule, "all-gather plan");
  const std::string print = "print(json.dumps(";
  const size_t at = program.rfind(print);
  program.insert(at, fmt::format("print(\"planning {} steps\")\nprint(\"checking routes... ok\")\n", schedule.steps.size()));
  return program;
}

class WrongCheck {
 public:
  WrongCheck(const Topology& topology, double shard_bytes, double best)
      : topology_(topology), routes_(topology), shard_bytes_(shard_bytes), best_(best) {}
  bool wrong(const Schedule& schedule) const {
    const SimulationResult sim = simulate(topology_, routes_, schedule, shard_bytes_);
    return !sim.valid || sim.latency_us > best_ * (1.0 + kOptimalTolerance);
  }
  bool right(const Schedule& schedule) const {
    const SimulationResult sim = simulate(topology_, routes_, schedule, shard_bytes_);
    return sim.valid && sim.latency_us <= best_ * (1.0 + kOptimalTolerance);
  }
  const RouteTable& routes() const { return routes_; }

 private:
  const Topology& topology_;
  RouteTable routes_;
  double shard_bytes_;
  double best_;
};

std::optional<Schedule> dropped_transfer(const Schedule& reference, const WrongCheck& check) {
  for (size_t s = reference.steps.size(); s-- > 0;)
    for (size_t t = reference.steps[s].size(); t-- > 0;) {
      Schedule changed = reference;
      changed.steps[s].erase(changed.steps[s].begin() + static_cast<long>(t));
      if (changed.steps[s].empty()) changed.steps.erase(changed.steps.begin() + static_cast<long>(s));
      if (check.wrong(changed)) return changed;
    }
  return std::nullopt;
}

std::optional<Schedule> changed_chunk(const Schedule& reference, int gpus, const WrongCheck& check) {
  for (size_t s = 0; s < reference.steps.size(); ++s)
    for (size_t t = 0; t < reference.steps[s].size(); ++t) {
      Schedule changed = reference;
      Transfer& tr = changed.steps[s][t];
      tr.chunk = (tr.chunk + 1) % gpus;
      if (check.wrong(changed)) return changed;
    }
  return std::nullopt;
}

std::optional<Schedule> merged_steps(const Schedule& reference, const WrongCheck& check) {
  for (size_t s = 0; s + 1 < reference.steps.size(); ++s) {
    Schedule changed = reference;
    changed.steps[s].insert(changed.steps[s].end(), changed.steps[s + 1].begin(), changed.steps[s + 1].end());
    changed.steps.erase(changed.steps.begin() + static_cast<long>(s) + 1);
    if (check.wrong(changed)) return changed;
  }
  return std::nullopt;
}

std::optional<Schedule> split_step(const Schedule& reference, const WrongCheck& check) {
  for (size_t s = 0; s < reference.steps.size(); ++s) {
    const Step& step = reference.steps[s];
    if (step.size() < 2) continue;
    Schedule changed = reference;
    const long half = static_cast<long>(step.size() / 2);
    Step second(step.begin() + half, step.end());
    changed.steps[s].erase(changed.steps[s].begin() + half, changed.steps[s].end());
    changed.steps.insert(changed.steps.begin() + static_cast<long>(s) + 1, std::move(second));
    if (check.wrong(changed)) return changed;
  }
  return std::nullopt;
}

}  // namespace

std::vector<AuditVariant> plan_audit_variants(const Topology& topology, double shard_bytes,
                                              const Schedule& reference, double best_latency_us) {
  const WrongCheck check(topology, shard_bytes, best_latency_us);
  std::vector<AuditVariant> out;
  auto add = [&](const Schedule& schedule, std::string program, bool right, const char* kind) {
    if (right ? check.right(schedule) : check.wrong(schedule)) out.push_back({std::move(program), right, kind});
  };

  Schedule reordered = reference;
  bool any_reorder = false;
  for (Step& step : reordered.steps) {
    any_reorder = any_reorder || step.size() > 1;
    std::reverse(step.begin(), step.end());
  }
  if (any_reorder) add(reordered, schedule_to_python(reordered, "all-gather plan"), true, "reordered-transfers");
  Schedule explicit_paths = reference;
  for (Step& step : explicit_paths.steps)
    for (Transfer& t : step)
      if (t.path.empty() && check.routes().route(t.src, t.dst)) t.path = check.routes().route(t.src, t.dst)->nodes;
  add(explicit_paths, schedule_to_python(explicit_paths, "all-gather plan, explicit routes"), true,
      "explicit-default-path");
  add(reference, reserialised_program(reference), true, "json-reserialised");
  add(reference, loop_program(reference), true, "loop-program");
  add(reference, logging_program(reference), true, "logs-before-json");

  const int gpus = topology.gpu_count();
  if (auto s = dropped_transfer(reference, check)) add(*s, schedule_to_python(*s, "all-gather plan"), false, "transfer-dropped");
  if (auto s = changed_chunk(reference, gpus, check)) add(*s, schedule_to_python(*s, "all-gather plan"), false, "chunk-changed");
  if (auto s = merged_steps(reference, check)) add(*s, schedule_to_python(*s, "all-gather plan"), false, "steps-merged");
  if (auto s = split_step(reference, check)) add(*s, schedule_to_python(*s, "all-gather plan"), false, "step-split");
  std::vector<int> ids(gpus);
  std::iota(ids.begin(), ids.end(), 0);
  const Schedule ring = flat_all_gather(ids, GroupMethod::ring);
  add(ring, schedule_to_python(ring, "ring in id order"), false, "id-order-ring");
  const Schedule direct = flat_all_gather(ids, GroupMethod::direct);
  add(direct, schedule_to_python(direct, "all-to-all in one step"), false, "all-to-all");
  return out;
}

}  // namespace aimicius::topology
