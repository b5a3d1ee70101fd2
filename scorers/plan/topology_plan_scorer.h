// topology_plan scorer: the optiflow suite's scoring (suite.json "scorers": [{"type":
// "topology_plan"}]). An answer is a model's raw output holding a Python program that prints an
// all-gather schedule; the program runs in the sandbox (scorers/plan/plan_execution.h) and its
// schedule is simulated on the example's topology (scorers/plan/plan_scorer.h).
//
// Parameters (all optional): "wall_seconds" (number in (0, 60], default 10): the wall-clock and
// CPU limit of one plan program.
//
// Example fields read (validate_example checks them; a missing or malformed one is an InputError
// naming the example's origin):
//   subtask               "generation" | "improvement"
//   topology              topology.h JSON
//   shard_bytes           number > 0
//   reference_latency_us  number > 0
//   best_latency_us       number > 0, <= reference_latency_us (optional; default: the reference's):
//                         the best-known latency, plan_optimal's bar
//   reference_program     string (a program printing the reference schedule)
//   baseline_latency_us, baseline_program   improvement only (and only there)
//
// Metrics, in order: code_detected, code_executable, plan_valid, plan_optimal, plan_improved
// (improvement examples only: generation examples have no row), latency_ratio — definitions in
// plan_scorer.h. The headline is plan_optimal (a valid plan within 1% of the best-known latency);
// code_detected, code_executable, plan_valid and plan_improved are the Sigma paper's metrics.
//
// audit_variants: plan_audit.h's right rewrites and simulator-checked wrong changes of the
// reference schedule (read back from reference_program, schedule_from_python); none when the
// reference program is not in plan_program.h's shape.
//
// check_reference runs the reference (and, for improvement, the baseline) program in the sandbox:
// each must print a valid schedule whose simulated latency equals the stored latency within
// 1e-9 relative, and the baseline must be slower than the reference (the plan_improved rule).
//
// Invariants: each example's topology is parsed once (at validate_example or first use) and kept
// in a per-scorer cache keyed by example id, guarded by a mutex; a cached entry is reused only
// when the example's topology JSON is equal to the one it was parsed from. score() and
// check_reference() are safe to call from several threads at once.
#pragma once

#include <memory>

#include "scorers/scorer.h"

namespace aimicius {

std::unique_ptr<Scorer> make_topology_plan_scorer(const ScorerSpec& spec);

}  // namespace aimicius
