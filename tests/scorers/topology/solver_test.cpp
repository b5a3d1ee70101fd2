// Tests of the reference solver: valid and never slower than the naive plan on every generated
// SKU, the expected strategy where it is obvious by hand, and the emitted Python program.
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scorers/topology/best_known.h"
#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/schedule_polish.h"
#include "scorers/plan/plan_program.h"
#include "scorers/topology/relay_schedules.h"
#include "scorers/topology/ring_search.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/solver.h"
#include "tests/scorers/topology/python_runner.h"

namespace aimicius::topology {
namespace {

constexpr double kShardBytes = 4e6;

std::vector<Topology> named_skus() {
  return {dgx_h100_like(), ndv4_a100_like(), mi250x_like(), mi300x_like(), pcie_only(4),
          pcie_only(8),    two_node(8, 450, 50), two_node(4, 300, 25)};
}

void expect_solver_plan_sound(const Topology& t, double shard_bytes) {
  const SolverResult solved = solve_all_gather(t, shard_bytes);
  const SimulationResult check = simulate(t, solved.best.schedule, shard_bytes);
  ASSERT_TRUE(check.valid) << t.name() << ": " << check.reason;
  EXPECT_DOUBLE_EQ(check.latency_us, solved.best.latency_us) << t.name();
  const auto naive = naive_schedule(t);
  ASSERT_TRUE(naive.has_value()) << t.name();
  const SimulationResult naive_result = simulate(t, *naive, shard_bytes);
  ASSERT_TRUE(naive_result.valid) << t.name() << ": " << naive_result.reason;
  EXPECT_LT(solved.best.latency_us, naive_result.latency_us) << t.name();
  for (const SolvedPlan& candidate : solved.candidates)
    EXPECT_GE(candidate.latency_us, solved.best.latency_us) << t.name() << " " << candidate.strategy;
}

TEST(Solver, ValidAndFasterThanNaiveOnNamedSkus) {
  for (const Topology& t : named_skus()) expect_solver_plan_sound(t, kShardBytes);
}

TEST(Solver, ValidAndFasterThanNaiveOnThreeHundredRandomTopologies) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const Topology t = random_topology(seed);
    expect_solver_plan_sound(t, seed % 2 == 0 ? kShardBytes : 65536.0);
  }
}

TEST(Solver, PicksDirectOnNvSwitchByHand) {
  // DGX-H100-like, 1e6-byte shards:
  //   direct (1 step, 7 transfers per up/downlink): 1 + 1e6 / (450e3 / 7) = 16.556 us
  //   ring   (7 steps, 1 transfer per channel):     7 * (1 + 1e6 / 450e3) = 22.556 us
  const SolverResult solved = solve_all_gather(dgx_h100_like(), 1e6);
  EXPECT_EQ(solved.best.strategy, "direct");
  EXPECT_NEAR(solved.best.latency_us, 1.0 + 7e6 / 450e3, 1e-9);
  bool saw_ring = false;
  for (const SolvedPlan& plan : solved.candidates)
    if (plan.strategy == "ring") {
      saw_ring = true;
      EXPECT_NEAR(plan.latency_us, 7 * (1.0 + 1e6 / 450e3), 1e-9);
    }
  EXPECT_TRUE(saw_ring);
}

TEST(Solver, RingSearchAvoidsTheSlowLinkOnAPartialMesh) {
  // MI250X-like: not every pair is linked, so "direct" is rejected and the best plan relays.
  const SolverResult solved = solve_all_gather(mi250x_like(), kShardBytes);
  bool direct_rejected = false;
  for (const auto& [strategy, reason] : solved.rejected)
    if (strategy == "direct") direct_rejected = reason.find("no route") != std::string::npos;
  EXPECT_TRUE(direct_rejected);
  const RouteTable routes(mi250x_like());
  const auto ring = best_ring_order(mi250x_like(), routes, {0, 1, 2, 3, 4, 5, 6, 7}, kShardBytes);
  ASSERT_TRUE(ring.has_value());
  // The ring 0-1-2-...-7-0 uses only 4-link and 2-link bundles; its slowest hop is a 2-link
  // bundle (100 GB/s): 0.8 + 4e6 / 100e3 = 40.8 us. Any ring through a single link (50 GB/s)
  // would take 0.8 + 4e6 / 50e3 = 80.8 us per step, so the search must find 40.8.
  EXPECT_DOUBLE_EQ(ring->step_time_us, 40.8);
  for (size_t i = 0; i < ring->order.size(); ++i) {
    const int a = ring->order[i], b = ring->order[(i + 1) % ring->order.size()];
    EXPECT_NE(std::abs(a - b), 4) << "single-link hop " << a << "-" << b;
  }
  EXPECT_DOUBLE_EQ(ring->step_time_us, ring_step_time(mi250x_like(), routes, ring->order, kShardBytes));
}

TEST(Solver, HierarchicalIsConsideredForTwoNodes) {
  const SolverResult solved = solve_all_gather(two_node(8, 450, 50), kShardBytes);
  bool saw_hierarchical = false;
  for (const SolvedPlan& plan : solved.candidates)
    saw_hierarchical = saw_hierarchical || plan.strategy.rfind("hierarchical", 0) == 0;
  EXPECT_TRUE(saw_hierarchical);
}

TEST(CollectiveSchedules, ShapesMatchTheirDefinitions) {
  EXPECT_EQ(flat_all_gather({0, 1, 2, 3, 4}, GroupMethod::ring).steps.size(), 4u);
  EXPECT_EQ(flat_all_gather({0, 1, 2, 3, 4}, GroupMethod::bidirectional_ring).steps.size(), 2u);
  EXPECT_EQ(flat_all_gather({0, 1, 2, 3}, GroupMethod::bidirectional_ring).steps.size(), 2u);
  EXPECT_EQ(flat_all_gather({0, 1, 2, 3}, GroupMethod::direct).transfer_count(), 12u);
  EXPECT_EQ(recursive_doubling({0, 1, 2, 3, 4, 5, 6, 7}).steps.size(), 3u);
  EXPECT_EQ(recursive_doubling({0, 1, 2, 3, 4, 5, 6, 7}).transfer_count(), 8u * 7u);
  EXPECT_TRUE(recursive_doubling({0, 1, 2}).steps.empty());
  // All of them are valid all-gathers on a fully meshed SKU.
  const Topology mesh = mi300x_like();
  std::vector<int> ids = {0, 1, 2, 3, 4, 5, 6, 7};
  for (GroupMethod m : {GroupMethod::ring, GroupMethod::bidirectional_ring, GroupMethod::direct,
                        GroupMethod::direct_shifted})
    EXPECT_TRUE(simulate(mesh, flat_all_gather(ids, m), kShardBytes).valid) << to_string(m);
  EXPECT_TRUE(simulate(mesh, recursive_doubling(ids), kShardBytes).valid);
}

TEST(PlanProgram, PythonReferenceReproducesTheSchedule) {
  for (const Topology& t : {dgx_h100_like(), mi250x_like(), two_node(4, 300, 25), random_topology(7)}) {
    const SolverResult solved = solve_all_gather(t, kShardBytes);
    const std::string program = schedule_to_python(
        solved.best.schedule, "reference plan for " + t.name() + "\nstrategy " + solved.best.strategy);
    EXPECT_EQ(program.find("\nstrategy"), std::string::npos);  // newline in the title is masked
    const PlanRunResult run = testing::run_python_directly(program);
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    const ScheduleParse parsed = parse_schedule_text(run.stdout_text);
    ASSERT_TRUE(parsed.schedule.has_value()) << parsed.error;
    EXPECT_EQ(to_json(*parsed.schedule), to_json(solved.best.schedule));
    const SimulationResult sim = simulate(t, *parsed.schedule, kShardBytes);
    ASSERT_TRUE(sim.valid) << sim.reason;
    EXPECT_DOUBLE_EQ(sim.latency_us, solved.best.latency_us) << t.name();
  }
}

TEST(PlanProgram, ExplicitPathsSurviveTheRoundTrip) {
  Schedule schedule;
  schedule.steps.push_back({Transfer{0, 1, 0, {0, 8, 1}}, Transfer{1, 0, 1, {}}});
  const PlanRunResult run = testing::run_python_directly(schedule_to_python(schedule, "paths"));
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  const ScheduleParse parsed = parse_schedule_text(run.stdout_text);
  ASSERT_TRUE(parsed.schedule.has_value()) << parsed.error;
  EXPECT_EQ(to_json(*parsed.schedule), to_json(schedule));
}

}  // namespace
}  // namespace aimicius::topology

namespace aimicius::topology {
namespace {

TEST(BestKnown, NeverSlowerThanSolverRingSearchOrFixedProgramsOnRandomTopologies) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const Topology t = random_topology(seed);
    for (double shard : {65536.0, 16777216.0}) {
      const BestKnownResult best = best_known_all_gather(t, shard);
      const SimulationResult sim = simulate(t, best.best.schedule, shard);
      ASSERT_TRUE(sim.valid) << t.name() << ": " << sim.reason;
      EXPECT_NEAR(sim.latency_us, best.best.latency_us, 1e-9 * sim.latency_us) << t.name();
      EXPECT_LE(best.best.latency_us, best.solver_best.latency_us * (1 + 1e-12)) << t.name();
      EXPECT_LE(best.best.latency_us, best_fixed_program_latency(t, shard) * (1 + 1e-12)) << t.name();
    }
  }
}

TEST(BestKnown, RelayThroughAFastGpuBeatsTheSolverOnAnUnevenMesh) {
  // random_topology(51) is a 4-GPU mesh on which the solver's best (a ring) is 1.2x slower than
  // a relay schedule whose steps were merged and re-routed (schedule_polish.h).
  const Topology t = random_topology(51);
  const BestKnownResult best = best_known_all_gather(t, 268435456.0);
  EXPECT_LT(best.best.latency_us * 1.1, best.solver_best.latency_us);
}

TEST(SchedulePolish, NeverSlowerAndStillValid) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const Topology t = random_topology(seed);
    const RouteTable routes(t);
    const SolverResult solved = solve_all_gather(t, 4194304.0);
    for (const SolvedPlan& plan : solved.candidates) {
      const SimulationResult after = simulate(t, routes, polish(t, routes, plan.schedule, 4194304.0), 4194304.0);
      ASSERT_TRUE(after.valid) << t.name() << " " << plan.strategy << ": " << after.reason;
      EXPECT_LE(after.latency_us, plan.latency_us * (1 + 1e-12)) << t.name() << " " << plan.strategy;
    }
  }
}

TEST(PlanProgram, ScheduleIsReadBackFromTheProgramText) {
  Schedule schedule;
  schedule.steps = {{Transfer{0, 1, 0, {}}, Transfer{1, 0, 1, {1, 8, 0}}}, {Transfer{2, 3, 2, {}}}};
  const auto back = schedule_from_python(schedule_to_python(schedule, "round trip"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(to_json(*back), to_json(schedule));
  EXPECT_FALSE(schedule_from_python("print('[]')\n").has_value());
}

}  // namespace
}  // namespace aimicius::topology
