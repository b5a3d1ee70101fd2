// Audit variants of a plan (scorers/plan/plan_audit.h) on hand-checkable topologies: right
// variants print exactly the reference's latency, wrong ones are invalid or more than 1% slower
// (checked by running them with python3 and simulating), and a change that does not matter is
// never emitted as wrong: on one NVSwitch the one-step all-to-all IS the reference, so no
// "all-to-all" wrong variant appears there.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "scorers/plan/plan_audit.h"
#include "scorers/plan/plan_scorer.h"
#include "scorers/topology/best_known.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/sku_generators.h"
#include "tests/scorers/topology/python_runner.h"

namespace aimicius::topology {
namespace {

void expect_variants_hold(const Topology& topology, double shard, std::set<std::string>* wrong_kinds) {
  const BestKnownResult best = best_known_all_gather(topology, shard);
  const auto variants = plan_audit_variants(topology, shard, best.best.schedule, best.best.latency_us);
  int right = 0;
  for (const AuditVariant& v : variants) {
    const PlanRunResult run = testing::run_python_directly(v.answer);
    ASSERT_EQ(run.exit_code, 0) << v.kind << ": " << run.stderr_text;
    const ScheduleParse parsed = parse_schedule_text(run.stdout_text);
    ASSERT_TRUE(parsed.schedule.has_value()) << v.kind << ": " << parsed.error;
    const SimulationResult sim = simulate(topology, *parsed.schedule, shard);
    if (v.right) {
      ++right;
      ASSERT_TRUE(sim.valid) << v.kind << ": " << sim.reason;
      EXPECT_NEAR(sim.latency_us, best.best.latency_us, 1e-9 * best.best.latency_us) << v.kind;
    } else {
      wrong_kinds->insert(v.kind);
      EXPECT_TRUE(!sim.valid || sim.latency_us > best.best.latency_us * (1 + kOptimalTolerance)) << v.kind;
    }
  }
  EXPECT_EQ(right, 5) << topology.name();
}

TEST(PlanAudit, DirectOnOneNvSwitchHasNoAllToAllWrongVariant) {
  std::set<std::string> wrong;
  expect_variants_hold(dgx_h100_like(), 1048576.0, &wrong);
  EXPECT_EQ(wrong.count("all-to-all"), 0u);
  EXPECT_EQ(wrong.count("id-order-ring"), 1u);  // 7 steps of alpha: far slower at 1 MiB
  EXPECT_EQ(wrong.count("transfer-dropped"), 1u);
}

TEST(PlanAudit, TwoNodeVariantsAreRightOrReallyWrong) {
  std::set<std::string> wrong;
  expect_variants_hold(two_node(4, 300, 25), 4194304.0, &wrong);
  EXPECT_GE(wrong.size(), 4u);
}

}  // namespace
}  // namespace aimicius::topology
