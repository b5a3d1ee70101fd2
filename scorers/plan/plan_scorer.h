// plan_scorer: scores a model's answer to an Optiflow task (a Python program that prints an
// all-gather schedule) by running it and simulating the schedule.
//
// Metrics, in this order (plan_valid, plan_improved, code_* are the Sigma paper's; plan_optimal
// and latency_ratio are aimicius') (values in [0, 1]; each row's detail is a JSON object):
//   code_detected    1 iff the answer (the program the suite's "python_program" extractor found
//                    in the raw output, tasks/extractors/extract_python.h) is not blank.
//                    detail: {"program_chars"} or {"reason"}.
//   code_executable  1 iff a program was detected and the runner reports it started, exited
//                    with status 0, was not killed by a signal, did not time out and its
//                    stdout was not truncated. detail: {"exit_code", "term_signal", "timed_out",
//                    "stdout_truncated", "stderr_tail" (last 400 bytes), "reason"}.
//   plan_valid       1 iff executable and stdout parses as a schedule (schedule.h) that the
//                    simulator accepts (simulator.h). detail when valid: {"latency_us", "steps",
//                    "transfers"}; else {"reason", "error"} plus "step"/"transfer" when the
//                    simulator tied the error to one.
//   plan_improved    only when request.baseline_latency_us is set (Plan Improvement subtask):
//                    1 iff valid and latency < baseline * (1 - 1e-9) (strictly faster; the
//                    tiny margin keeps floating-point noise from counting as improvement).
//                    detail: {"baseline_latency_us", "latency_us" (null when invalid)}.
//   plan_optimal     1 iff valid and latency <= best_latency_us x (1 + kOptimalTolerance), the
//                    best-known latency of the example (tasks/optiflow: best_known.h's search);
//                    the same bar for both subtasks. The suite's headline: "this plan is right".
//                    detail: {"best_latency_us", "latency_us" (null when invalid), "ratio"
//                    (latency / best, null when invalid)}.
//   latency_ratio    reference_latency_us / candidate latency, capped at kMaxLatencyRatio = 1.0
//                    so the value stays in [0, 1] like every other metric (a plan faster than
//                    the reference scores 1; the uncapped figure is in the detail); 0 when
//                    invalid. detail: {"reference_latency_us", "latency_us", "uncapped_ratio"}.
// Every metric after the first failing stage is 0 (no program -> not executable -> not valid).
//
// Errors: std::invalid_argument for a bad request (shard_bytes or reference latency <= 0, a
// baseline <= 0). Whatever the runner throws (e.g. SandboxUnavailable) propagates: a run that
// cannot execute plans must stop, not score them as failures.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/topology/topology.h"

namespace aimicius::topology {

inline constexpr double kMaxLatencyRatio = 1.0;
// plan_optimal accepts a plan at most this much slower than the best-known one (1%).
inline constexpr double kOptimalTolerance = 0.01;

// What running a plan program gave; the caller fills it from its sandbox.
struct PlanRunResult {
  bool started = true;      // false when the program could not be launched at all
  int exit_code = -1;       // when it exited normally
  int term_signal = 0;      // when a signal killed it
  bool timed_out = false;
  bool stdout_truncated = false;
  std::string stdout_text;
  std::string stderr_text;
  std::string error;        // launcher's explanation when !started
};

// Runs a Python program (the text of one file) with python3 and reports the outcome.
using PlanRunner = std::function<PlanRunResult(const std::string& python_program)>;

struct PlanScoreRequest {
  const Topology* topology = nullptr;  // required
  double shard_bytes = 0.0;
  std::string answer;                  // the extracted program ("" or blank: none found)
  double reference_latency_us = 0.0;   // the reference plan's latency
  std::optional<double> best_latency_us;  // the best-known latency; nullopt: the reference's
  std::optional<double> baseline_latency_us;  // the plan to improve on (improvement subtask)
};

struct PlanMetric {
  std::string metric;
  double value = 0.0;
  nlohmann::json detail;
};

std::vector<PlanMetric> score_plan(const PlanScoreRequest& request, const PlanRunner& runner);

}  // namespace aimicius::topology
