// plan_scorer: the metric pipeline documented in plan_scorer.h.
#include "scorers/plan/plan_scorer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "scorers/topology/schedule.h"
#include "scorers/topology/simulator.h"

namespace aimicius::topology {
namespace {

constexpr size_t kStderrTail = 400;

std::string tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// Stage reached by the candidate, with what later metrics need.
struct Outcome {
  bool valid = false;
  double latency_us = 0.0;
};

PlanMetric stage_failed(const std::string& metric, const std::string& reason) {
  return {metric, 0.0, {{"reason", reason}}};
}

}  // namespace

std::vector<PlanMetric> score_plan(const PlanScoreRequest& request, const PlanRunner& runner) {
  if (request.topology == nullptr) throw std::invalid_argument("score_plan: topology is required");
  if (!(request.shard_bytes > 0.0) || !std::isfinite(request.shard_bytes))
    throw std::invalid_argument(fmt::format("score_plan: shard_bytes must be > 0, got {}", request.shard_bytes));
  if (!(request.reference_latency_us > 0.0) || !std::isfinite(request.reference_latency_us))
    throw std::invalid_argument(
        fmt::format("score_plan: reference latency must be > 0, got {}", request.reference_latency_us));
  const double best = request.best_latency_us.value_or(request.reference_latency_us);
  if (!(best > 0.0) || !std::isfinite(best))
    throw std::invalid_argument(fmt::format("score_plan: best-known latency must be > 0, got {}", best));
  if (request.baseline_latency_us && !(*request.baseline_latency_us > 0.0))
    throw std::invalid_argument(
        fmt::format("score_plan: baseline latency must be > 0, got {}", *request.baseline_latency_us));

  std::vector<PlanMetric> metrics;
  Outcome outcome;
  // The answer is the program the suite's extractor found ("python_program"); blank: none.
  const std::optional<std::string> program =
      request.answer.find_first_not_of(" \t\r\n") == std::string::npos ? std::nullopt
                                                                           : std::optional<std::string>(request.answer);
  if (!program) {
    metrics.push_back(stage_failed("code_detected", "no Python program found in the answer"));
    metrics.push_back(stage_failed("code_executable", "no program"));
    metrics.push_back(stage_failed("plan_valid", "no program"));
  } else {
    metrics.push_back({"code_detected", 1.0, {{"program_chars", program->size()}}});
    const PlanRunResult run = runner(*program);
    const bool executable = run.started && !run.timed_out && run.term_signal == 0 &&
                            run.exit_code == 0 && !run.stdout_truncated;
    std::string reason;
    if (!run.started) reason = "could not start: " + run.error;
    else if (run.timed_out) reason = "timed out";
    else if (run.term_signal != 0) reason = fmt::format("killed by signal {}", run.term_signal);
    else if (run.exit_code != 0) reason = fmt::format("exit status {}", run.exit_code);
    else if (run.stdout_truncated) reason = "stdout exceeded the output limit";
    metrics.push_back({"code_executable",
                       executable ? 1.0 : 0.0,
                       {{"exit_code", run.exit_code},
                        {"term_signal", run.term_signal},
                        {"timed_out", run.timed_out},
                        {"stdout_truncated", run.stdout_truncated},
                        {"stderr_tail", tail(run.stderr_text, kStderrTail)},
                        {"reason", reason}}});
    if (!executable) {
      metrics.push_back(stage_failed("plan_valid", "the program did not run successfully"));
    } else {
      const ScheduleParse parsed = parse_schedule_text(run.stdout_text);
      if (!parsed.schedule) {
        metrics.push_back({"plan_valid", 0.0, {{"reason", parsed.error}, {"error", "malformed"}}});
      } else {
        const SimulationResult sim = simulate(*request.topology, *parsed.schedule, request.shard_bytes);
        if (!sim.valid) {
          nlohmann::json detail = {{"reason", sim.reason}, {"error", to_string(sim.error)}};
          if (sim.error_step >= 0) detail["step"] = sim.error_step;
          if (sim.error_transfer >= 0) detail["transfer"] = sim.error_transfer;
          metrics.push_back({"plan_valid", 0.0, std::move(detail)});
        } else {
          outcome.valid = true;
          outcome.latency_us = sim.latency_us;
          metrics.push_back({"plan_valid",
                             1.0,
                             {{"latency_us", sim.latency_us},
                              {"steps", parsed.schedule->steps.size()},
                              {"transfers", parsed.schedule->transfer_count()}}});
        }
      }
    }
  }
  const nlohmann::json candidate_latency =
      outcome.valid ? nlohmann::json(outcome.latency_us) : nlohmann::json(nullptr);
  const bool optimal = outcome.valid && outcome.latency_us <= best * (1.0 + kOptimalTolerance);
  metrics.push_back({"plan_optimal",
                     optimal ? 1.0 : 0.0,
                     {{"best_latency_us", best},
                      {"latency_us", candidate_latency},
                      {"ratio", outcome.valid ? nlohmann::json(outcome.latency_us / best) : nlohmann::json(nullptr)}}});
  if (request.baseline_latency_us) {
    const double baseline = *request.baseline_latency_us;
    const bool improved = outcome.valid && outcome.latency_us < baseline * (1.0 - 1e-9);
    metrics.push_back({"plan_improved",
                       improved ? 1.0 : 0.0,
                       {{"baseline_latency_us", baseline}, {"latency_us", candidate_latency}}});
  }
  nlohmann::json ratio_detail = {{"reference_latency_us", request.reference_latency_us},
                                 {"latency_us", candidate_latency},
                                 {"uncapped_ratio", nullptr}};
  double ratio = 0.0;
  if (outcome.valid && outcome.latency_us > 0.0) {
    const double uncapped = request.reference_latency_us / outcome.latency_us;
    ratio_detail["uncapped_ratio"] = uncapped;
    ratio = std::min(uncapped, kMaxLatencyRatio);
  }
  metrics.push_back({"latency_ratio", ratio, std::move(ratio_detail)});
  return metrics;
}

}  // namespace aimicius::topology
