// Topology plans run in the real sandbox: the solver's own reference program scores full marks,
// and a plan that tries to reach the host or loops forever is contained and scored 0.
#include <gtest/gtest.h>

#include "scorers/plan/plan_execution.h"
#include "tasks/extractors/extract_python.h"
#include "scorers/plan/plan_program.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/solver.h"

namespace aimicius {
namespace {

class PlanExecution : public ::testing::Test {
 protected:
  PlanExecution() : topology_(topology::dgx_h100_like()), solved_(topology::solve_all_gather(topology_, 64e6)) {
    limits_.wall_seconds = 3;
  }
  std::vector<topology::PlanMetric> score(const std::string& answer) {
    topology::PlanScoreRequest request;
    request.topology = &topology_;
    request.shard_bytes = 64e6;
    request.answer = extract_python(answer);  // the suite's extraction step
    request.reference_latency_us = solved_.best.latency_us;
    return topology::score_plan(request, sandboxed_plan_runner(sandbox_, limits_));
  }
  static double metric(const std::vector<topology::PlanMetric>& m, const std::string& name) {
    for (const auto& x : m)
      if (x.metric == name) return x.value;
    ADD_FAILURE() << "no metric " << name;
    return -1;
  }
  Sandbox sandbox_;
  SandboxLimits limits_;
  topology::Topology topology_;
  topology::SolverResult solved_;
};

TEST_F(PlanExecution, ReferenceProgramScoresFullMarksInTheSandbox) {
  const auto m = score("```python\n" + topology::schedule_to_python(solved_.best.schedule, "reference") + "```\n");
  for (const char* name : {"code_detected", "code_executable", "plan_valid", "latency_ratio"})
    EXPECT_EQ(metric(m, name), 1.0) << name;
}

TEST_F(PlanExecution, HostileOrEndlessPlansAreContainedAndScoreZero) {
  const auto reach = score("```python\nopen('/etc/shadow').read()\nprint('[]')\n```");
  EXPECT_EQ(metric(reach, "code_detected"), 1.0);
  EXPECT_EQ(metric(reach, "code_executable"), 0.0);
  const auto loop = score("```python\nwhile True:\n    pass\n```");
  EXPECT_EQ(metric(loop, "code_executable"), 0.0);
  EXPECT_EQ(metric(loop, "plan_valid"), 0.0);
}

}  // namespace
}  // namespace aimicius
