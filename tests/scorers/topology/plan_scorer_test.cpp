// Tests of answer extraction and of the Optiflow metrics computed by score_plan, using a runner
// that executes python3 directly (tests only).
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tasks/extractors/extract_python.h"
#include "scorers/plan/plan_program.h"
#include "scorers/plan/plan_scorer.h"
#include "scorers/topology/relay_schedules.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/solver.h"
#include "tests/scorers/topology/python_runner.h"

namespace aimicius::topology {
namespace {

constexpr double kShardBytes = 1e6;

std::map<std::string, PlanMetric> by_name(const std::vector<PlanMetric>& metrics) {
  std::map<std::string, PlanMetric> out;
  for (const PlanMetric& m : metrics) out[m.metric] = m;
  return out;
}

class PlanScorerTest : public ::testing::Test {
 protected:
  PlanScorerTest() : topology_(dgx_h100_like()), solved_(solve_all_gather(topology_, kShardBytes)) {}

  std::vector<PlanMetric> score(const std::string& answer,
                                std::optional<double> baseline = std::nullopt) {
    PlanScoreRequest request;
    request.topology = &topology_;
    request.shard_bytes = kShardBytes;
    request.answer = extract_python(answer);  // the suite's extraction step
    request.reference_latency_us = solved_.best.latency_us;
    request.baseline_latency_us = baseline;
    return score_plan(request, testing::python_runner());
  }

  Topology topology_;
  SolverResult solved_;
};

TEST_F(PlanScorerTest, CorrectPlanInAFenceScoresOne) {
  const std::string answer = "Here is a plan using one direct step:\n```python\n" +
                             schedule_to_python(solved_.best.schedule, "direct") +
                             "```\nIt saturates every NVSwitch link.";
  const auto metrics = score(answer);
  ASSERT_EQ(metrics.size(), 5u);
  EXPECT_EQ(metrics[0].metric, "code_detected");
  EXPECT_EQ(metrics[1].metric, "code_executable");
  EXPECT_EQ(metrics[2].metric, "plan_valid");
  EXPECT_EQ(metrics[3].metric, "plan_optimal");
  EXPECT_EQ(metrics[4].metric, "latency_ratio");
  for (const PlanMetric& m : metrics) EXPECT_DOUBLE_EQ(m.value, 1.0) << m.metric << " " << m.detail.dump();
  EXPECT_DOUBLE_EQ(metrics[2].detail["latency_us"].get<double>(), solved_.best.latency_us);
}

TEST_F(PlanScorerTest, HandWrittenLoopPlanIsScoredToo) {
  // A model-style plan: a ring over GPU ids, 7 steps. Its latency is 7 x (1 + 1e6/450e3) us,
  // slower than the reference (direct, 1 + 7e6/450e3), so the ratio is below 1.
  const std::string answer = R"(```python
import json
n = 8
steps = []
for s in range(n - 1):
    steps.append([{"src": i, "dst": (i + 1) % n, "chunk": (i - s) % n} for i in range(n)])
print(json.dumps(steps))
```)";
  auto m = by_name(score(answer));
  EXPECT_DOUBLE_EQ(m["plan_valid"].value, 1.0) << m["plan_valid"].detail.dump();
  const double ring = 7 * (1.0 + 1e6 / 450e3);
  EXPECT_NEAR(m["latency_ratio"].value, (1.0 + 7e6 / 450e3) / ring, 1e-12);
  // 7 x 3.22 = 22.6 us against 16.6 us: far beyond plan_optimal's 1%.
  EXPECT_DOUBLE_EQ(m["plan_optimal"].value, 0.0);
  EXPECT_NEAR(m["plan_optimal"].detail["ratio"].get<double>(), ring / (1.0 + 7e6 / 450e3), 1e-12);
}

TEST_F(PlanScorerTest, PlanOptimalAcceptsWithinOnePercentOfTheBestKnownLatency) {
  // The reference (direct) has latency L; a best-known bar of L / 1.0099 still accepts it, a bar
  // of L / 1.0101 does not.
  const std::string answer = "```python\n" + schedule_to_python(solved_.best.schedule, "direct") + "```";
  const double latency = solved_.best.latency_us;
  PlanScoreRequest request;
  request.topology = &topology_;
  request.shard_bytes = kShardBytes;
  request.answer = extract_python(answer);
  request.reference_latency_us = latency;
  request.best_latency_us = latency / 1.0099;
  EXPECT_DOUBLE_EQ(by_name(score_plan(request, testing::python_runner()))["plan_optimal"].value, 1.0);
  request.best_latency_us = latency / 1.0101;
  EXPECT_DOUBLE_EQ(by_name(score_plan(request, testing::python_runner()))["plan_optimal"].value, 0.0);
}

TEST_F(PlanScorerTest, ProseWithoutCodeIsNotDetected) {
  auto m = by_name(score("Use a ring all-gather: each GPU forwards the chunk it received to its "
                         "neighbour, for n-1 steps. This is bandwidth optimal."));
  EXPECT_DOUBLE_EQ(m["code_detected"].value, 0.0);
  EXPECT_DOUBLE_EQ(m["code_executable"].value, 0.0);
  EXPECT_DOUBLE_EQ(m["plan_valid"].value, 0.0);
  EXPECT_DOUBLE_EQ(m["latency_ratio"].value, 0.0);
  EXPECT_EQ(m["code_detected"].detail["reason"], "no Python program found in the answer");
}

TEST_F(PlanScorerTest, CodeThatRaisesIsNotExecutable) {
  auto m = by_name(score("```python\nimport json\nraise RuntimeError('no plan')\n```"));
  EXPECT_DOUBLE_EQ(m["code_detected"].value, 1.0);
  EXPECT_DOUBLE_EQ(m["code_executable"].value, 0.0);
  EXPECT_EQ(m["code_executable"].detail["reason"], "exit status 1");
  EXPECT_NE(m["code_executable"].detail["stderr_tail"].get<std::string>().find("RuntimeError"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(m["plan_valid"].value, 0.0);
  EXPECT_DOUBLE_EQ(m["latency_ratio"].value, 0.0);
}

TEST_F(PlanScorerTest, SyntaxErrorIsNotExecutable) {
  auto m = by_name(score("```python\nprint([[{'src': 0,\n```"));
  EXPECT_DOUBLE_EQ(m["code_detected"].value, 1.0);
  EXPECT_DOUBLE_EQ(m["code_executable"].value, 0.0);
}

TEST_F(PlanScorerTest, InvalidScheduleIsNotValid) {
  // Sends chunk 1 from GPU 0, which does not hold it.
  auto m = by_name(score(
      "```python\nimport json\nprint(json.dumps([[{'src': 0, 'dst': 1, 'chunk': 1}]]))\n```"));
  EXPECT_DOUBLE_EQ(m["code_executable"].value, 1.0);
  EXPECT_DOUBLE_EQ(m["plan_valid"].value, 0.0);
  EXPECT_EQ(m["plan_valid"].detail["error"], "chunk_not_held");
  EXPECT_EQ(m["plan_valid"].detail["step"], 0);
  EXPECT_EQ(m["plan_valid"].detail["transfer"], 0);
  EXPECT_DOUBLE_EQ(m["latency_ratio"].value, 0.0);

  m = by_name(score("```python\nprint('all done')\n```"));
  EXPECT_DOUBLE_EQ(m["plan_valid"].value, 0.0);
  EXPECT_EQ(m["plan_valid"].detail["error"], "malformed");
}

TEST_F(PlanScorerTest, ImprovedPlanBeatsASlowBaseline) {
  const auto naive = naive_schedule(topology_);
  ASSERT_TRUE(naive.has_value());
  const double baseline = simulate(topology_, *naive, kShardBytes).latency_us;
  const std::string improved =
      "```python\n" + schedule_to_python(solved_.best.schedule, "better") + "```";
  auto metrics = score(improved, baseline);
  ASSERT_EQ(metrics.size(), 6u);
  EXPECT_EQ(metrics[4].metric, "plan_improved");
  EXPECT_DOUBLE_EQ(metrics[4].value, 1.0);
  // Returning the baseline itself is not an improvement.
  auto same = by_name(score("```python\n" + schedule_to_python(*naive, "same") + "```", baseline));
  EXPECT_DOUBLE_EQ(same["plan_valid"].value, 1.0);
  EXPECT_DOUBLE_EQ(same["plan_improved"].value, 0.0);
  // An invalid plan never counts as improved.
  auto broken = by_name(score("```python\nprint('[]')\n```", baseline));
  EXPECT_DOUBLE_EQ(broken["plan_improved"].value, 0.0);
}

TEST_F(PlanScorerTest, TimeoutIsNotExecutable) {
  PlanScoreRequest request;
  request.topology = &topology_;
  request.shard_bytes = kShardBytes;
  request.answer = extract_python("```python\nimport time\ntime.sleep(30)\n```");
  request.reference_latency_us = solved_.best.latency_us;
  auto m = by_name(score_plan(request, [](const std::string& program) {
    return testing::run_python_directly(program, 1);
  }));
  EXPECT_DOUBLE_EQ(m["code_executable"].value, 0.0);
  EXPECT_EQ(m["code_executable"].detail["reason"], "timed out");
}

TEST_F(PlanScorerTest, BadRequestsThrow) {
  PlanScoreRequest request;
  request.topology = &topology_;
  request.shard_bytes = kShardBytes;
  request.answer = "x";
  request.reference_latency_us = 0.0;
  EXPECT_THROW(score_plan(request, testing::python_runner()), std::invalid_argument);
}

TEST(CodeExtraction, FencesBareCodeAndProse) {
  EXPECT_EQ(extract_python_program("```python\nprint(1)\n```"), "print(1)\n");
  EXPECT_EQ(extract_python_program("```Python3\nprint(1)\n"), "print(1)\n");  // unclosed
  EXPECT_EQ(extract_python_program("```py\nprint(1)\n```\nthen\n```python\nprint(2)\n```"),
            "print(2)\n");  // the last python fence
  EXPECT_EQ(extract_python_program("```\nimport json\nprint(2)\n```"), "import json\nprint(2)\n");
  EXPECT_EQ(extract_python_program("```bash\npython3 plan.py\n```"), std::nullopt);
  EXPECT_EQ(extract_python_program("Plan:\r\nimport json\r\nprint(3)\r\n"), "import json\nprint(3)\n");
  EXPECT_EQ(extract_python_program("We import the data from the topology."), std::nullopt);
  EXPECT_EQ(extract_python_program("from the topology, a ring is best"), std::nullopt);
  EXPECT_EQ(extract_python_program("```python\n\n```"), std::nullopt);
  EXPECT_EQ(extract_python_program(""), std::nullopt);
}

}  // namespace
}  // namespace aimicius::topology
