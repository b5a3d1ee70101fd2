// Runs a model's plan (a Python program) in the sandbox for the topology plan scorer
// (scorers/plan/plan_scorer.h): the program is written to /work/plan.py and run with the
// system python3 under the sandbox's limits; nothing else of the host is visible to it.
#pragma once

#include "scorers/sandbox/sandbox.h"
#include "scorers/plan/plan_scorer.h"

namespace aimicius {

// The returned runner keeps a reference to `sandbox`, which must outlive it.
topology::PlanRunner sandboxed_plan_runner(const Sandbox& sandbox, const SandboxLimits& limits);

}  // namespace aimicius
