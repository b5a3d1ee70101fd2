// topology_plan scorer: example parsing with a per-id topology cache, scoring through
// score_plan with a sandboxed runner, and reference checks (see topology_plan_scorer.h).
#include "scorers/plan/topology_plan_scorer.h"

#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/errors.h"
#include "scorers/plan/plan_audit.h"
#include "scorers/plan/plan_execution.h"
#include "scorers/plan/plan_program.h"
#include "scorers/sandbox/sandbox.h"
#include "scorers/plan/plan_scorer.h"
#include "scorers/topology/schedule.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/topology.h"

namespace aimicius {
namespace {

constexpr double kDefaultWallSeconds = 10.0;
constexpr double kMaxWallSeconds = 60.0;
constexpr double kLatencyTolerance = 1e-9;  // relative, for stored vs re-simulated latencies

// One example's fields, checked.
struct PlanExample {
  std::string subtask;
  std::shared_ptr<const topology::Topology> topology;
  double shard_bytes = 0.0;
  double reference_latency_us = 0.0;
  double best_latency_us = 0.0;  // "best_latency_us", or the reference's latency when absent
  std::string reference_program;
  std::optional<double> baseline_latency_us;
  std::string baseline_program;
};

double positive_number(const Example& ex, const char* key) {
  const auto it = ex.fields.find(key);
  if (it == ex.fields.end() || !it->is_number())
    throw InputError(fmt::format("{}: example {}: field \"{}\" must be a number", ex.origin, ex.id, key));
  const double value = it->get<double>();
  if (!(value > 0.0) || !std::isfinite(value))
    throw InputError(fmt::format("{}: example {}: field \"{}\" must be > 0, got {}", ex.origin, ex.id, key, value));
  return value;
}

std::string string_field(const Example& ex, const char* key) {
  const auto it = ex.fields.find(key);
  if (it == ex.fields.end() || !it->is_string() || it->get<std::string>().empty())
    throw InputError(fmt::format("{}: example {}: field \"{}\" must be a non-empty string", ex.origin, ex.id, key));
  return it->get<std::string>();
}

bool within_tolerance(double a, double b) { return std::fabs(a - b) <= kLatencyTolerance * std::fabs(b); }

class TopologyPlanScorer : public Scorer {
 public:
  explicit TopologyPlanScorer(const ScorerSpec& spec) {
    check_params(spec, {"wall_seconds"});
    double wall = kDefaultWallSeconds;
    if (spec.params.contains("wall_seconds")) {
      const auto& value = spec.params["wall_seconds"];
      if (!value.is_number() || !(value.get<double>() > 0.0) || value.get<double>() > kMaxWallSeconds)
        throw InputError(fmt::format("{}: \"wall_seconds\" must be a number in (0, {}]", spec.where, kMaxWallSeconds));
      wall = value.get<double>();
    }
    limits_.wall_seconds = wall;
    limits_.cpu_seconds = static_cast<int64_t>(std::ceil(wall));
  }

  std::vector<MetricSpec> metrics() const override {
    return {
        {"code_detected", "the answer holds a Python program (paper)", false, true},
        {"code_executable", "the program ran in the sandbox and exited with status 0 (paper)", false, true},
        {"plan_valid", "the program printed a schedule that completes the all-gather on the topology (paper)",
         false, true},
        {"plan_optimal", "a valid plan within 1% of the best-known latency", true, false},
        {"plan_improved", "improvement subtask: the plan is strictly faster than the given baseline (paper)", false,
         true},
        {"latency_ratio", "reference latency / plan latency, capped at 1 (0 when invalid)", false, false},
    };
  }

  void validate_example(const Example& ex) const override { parse(ex); }

  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& context) const override {
    const PlanExample plan = parse(ex);
    topology::PlanScoreRequest request;
    request.topology = plan.topology.get();
    request.shard_bytes = plan.shard_bytes;
    request.answer = answer;
    request.reference_latency_us = plan.reference_latency_us;
    request.best_latency_us = plan.best_latency_us;
    request.baseline_latency_us = plan.baseline_latency_us;
    std::vector<ScoreRow> rows;
    for (topology::PlanMetric& m : topology::score_plan(request, runner(context)))
      rows.push_back({std::move(m.metric), m.value, std::move(m.detail)});
    return rows;
  }

  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const override {
    const PlanExample plan = parse(ex);
    const topology::PlanRunner run = runner(context);
    std::vector<std::string> problems;
    const auto reference = simulate_program(plan, plan.reference_program, run, "reference_program", problems);
    if (reference && !within_tolerance(*reference, plan.reference_latency_us))
      problems.push_back(fmt::format("reference_program simulates to {} us, but reference_latency_us is {}",
                                     *reference, plan.reference_latency_us));
    if (plan.reference_latency_us > plan.best_latency_us * (1.0 + topology::kOptimalTolerance))
      problems.push_back(fmt::format("reference_latency_us ({} us) is more than {}% above best_latency_us ({} us)",
                                     plan.reference_latency_us, 100 * topology::kOptimalTolerance,
                                     plan.best_latency_us));
    if (plan.baseline_latency_us) {
      const auto baseline = simulate_program(plan, plan.baseline_program, run, "baseline_program", problems);
      if (baseline && !within_tolerance(*baseline, *plan.baseline_latency_us))
        problems.push_back(fmt::format("baseline_program simulates to {} us, but baseline_latency_us is {}",
                                       *baseline, *plan.baseline_latency_us));
      if (!(plan.reference_latency_us < *plan.baseline_latency_us * (1.0 - 1e-9)))
        problems.push_back(fmt::format("the baseline ({} us) is not slower than the reference ({} us)",
                                       *plan.baseline_latency_us, plan.reference_latency_us));
    }
    return problems;
  }

  std::vector<AuditVariant> audit_variants(const Example& ex) const override {
    const PlanExample plan = parse(ex);
    const std::optional<topology::Schedule> reference = topology::schedule_from_python(plan.reference_program);
    if (!reference) return {};  // a reference not written by plan_program.h: no derived variants
    return topology::plan_audit_variants(*plan.topology, plan.shard_bytes, *reference, plan.best_latency_us);
  }

  bool needs_sandbox() const override { return true; }

 private:
  topology::PlanRunner runner(const ScoringContext& context) const {
    if (context.sandbox == nullptr)
      throw std::logic_error("topology_plan scorer: the scoring context has no sandbox (needs_sandbox() is true)");
    return sandboxed_plan_runner(*context.sandbox, limits_);
  }

  // Runs `program`, simulates what it prints; the latency, or nullopt with a problem added.
  static std::optional<double> simulate_program(const PlanExample& plan, const std::string& program,
                                                const topology::PlanRunner& run, const char* field,
                                                std::vector<std::string>& problems) {
    const topology::PlanRunResult result = run(program);
    if (!result.started || result.timed_out || result.term_signal != 0 || result.exit_code != 0 ||
        result.stdout_truncated) {
      problems.push_back(fmt::format("{} did not run cleanly (exit {}, signal {}, timed out {}, truncated {}): {}",
                                     field, result.exit_code, result.term_signal, result.timed_out,
                                     result.stdout_truncated, result.error + result.stderr_text));
      return std::nullopt;
    }
    const topology::ScheduleParse parsed = topology::parse_schedule_text(result.stdout_text);
    if (!parsed.schedule) {
      problems.push_back(fmt::format("{} printed no schedule: {}", field, parsed.error));
      return std::nullopt;
    }
    const topology::SimulationResult sim = topology::simulate(*plan.topology, *parsed.schedule, plan.shard_bytes);
    if (!sim.valid) {
      problems.push_back(fmt::format("{} prints an invalid schedule: {}", field, sim.reason));
      return std::nullopt;
    }
    return sim.latency_us;
  }

  PlanExample parse(const Example& ex) const {
    PlanExample plan;
    plan.subtask = string_field(ex, "subtask");
    if (plan.subtask != "generation" && plan.subtask != "improvement")
      throw InputError(fmt::format("{}: example {}: \"subtask\" must be \"generation\" or \"improvement\", got \"{}\"",
                                   ex.origin, ex.id, plan.subtask));
    plan.shard_bytes = positive_number(ex, "shard_bytes");
    plan.reference_latency_us = positive_number(ex, "reference_latency_us");
    plan.best_latency_us =
        ex.fields.contains("best_latency_us") ? positive_number(ex, "best_latency_us") : plan.reference_latency_us;
    if (plan.best_latency_us > plan.reference_latency_us * (1.0 + kLatencyTolerance))
      throw InputError(fmt::format("{}: example {}: best_latency_us ({}) is above reference_latency_us ({}): the "
                                   "reference would not be optimal",
                                   ex.origin, ex.id, plan.best_latency_us, plan.reference_latency_us));
    plan.reference_program = string_field(ex, "reference_program");
    if (plan.subtask == "improvement") {
      plan.baseline_latency_us = positive_number(ex, "baseline_latency_us");
      plan.baseline_program = string_field(ex, "baseline_program");
    } else if (ex.fields.contains("baseline_latency_us") || ex.fields.contains("baseline_program")) {
      throw InputError(fmt::format("{}: example {}: a generation example must not have a baseline", ex.origin, ex.id));
    }
    plan.topology = topology_of(ex);
    return plan;
  }

  std::shared_ptr<const topology::Topology> topology_of(const Example& ex) const {
    const auto it = ex.fields.find("topology");
    if (it == ex.fields.end() || !it->is_object())
      throw InputError(fmt::format("{}: example {}: field \"topology\" must be a JSON object", ex.origin, ex.id));
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto cached = cache_.find(ex.id);
      if (cached != cache_.end() && cached->second.document == *it) return cached->second.topology;
    }
    std::shared_ptr<const topology::Topology> parsed;
    try {
      parsed = std::make_shared<const topology::Topology>(topology::parse_topology(*it));
    } catch (const topology::TopologyError& e) {
      throw InputError(fmt::format("{}: example {}: bad topology: {}", ex.origin, ex.id, e.what()));
    }
    std::lock_guard<std::mutex> lock(mu_);
    cache_[ex.id] = {*it, parsed};
    return parsed;
  }

  struct CachedTopology {
    nlohmann::json document;
    std::shared_ptr<const topology::Topology> topology;
  };

  SandboxLimits limits_;
  mutable std::mutex mu_;
  mutable std::map<std::string, CachedTopology> cache_;
};

}  // namespace

std::unique_ptr<Scorer> make_topology_plan_scorer(const ScorerSpec& spec) {
  return std::make_unique<TopologyPlanScorer>(spec);
}

}  // namespace aimicius
