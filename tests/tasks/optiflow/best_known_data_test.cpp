// The committed references are best-known plans: on every example of every split the stored
// best_latency_us equals the reference's latency and is <= the latency of the id-order ring, of
// the ring and bidirectional ring over ring_search's order, and of the project's older solver
// (solver_latency_us, re-simulated here). Simulated directly (no sandbox): fast and always run.
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scorers/plan/plan_program.h"
#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/ring_search.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/solver.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

constexpr double kSlack = 1e-9;  // relative, floating-point noise only

TEST(OptiflowBestKnown, BeatsRingOrderSearchIdRingAndSolverOnEveryExample) {
  int improved_over_solver = 0, examples = 0;
  for (const char* split : {"test", "dev", "fewshot"}) {
    for (const Example& ex : testing::load_split(split)) {
      ++examples;
      const topology::Topology topology = topology::parse_topology(ex.fields.at("topology"));
      const topology::RouteTable routes(topology);
      const double shard = ex.fields.at("shard_bytes").get<double>();
      const double best = ex.fields.at("best_latency_us").get<double>();
      const auto reference = topology::schedule_from_python(ex.fields.at("reference_program").get<std::string>());
      ASSERT_TRUE(reference) << ex.id;
      const auto sim = topology::simulate(topology, routes, *reference, shard);
      ASSERT_TRUE(sim.valid) << ex.id << ": " << sim.reason;
      EXPECT_NEAR(sim.latency_us, best, kSlack * best) << ex.id;

      std::vector<int> ids(topology.gpu_count());
      std::iota(ids.begin(), ids.end(), 0);
      const auto id_ring = topology::simulate(topology, routes, topology::flat_all_gather(ids, topology::GroupMethod::ring), shard);
      if (id_ring.valid) EXPECT_LE(best, id_ring.latency_us * (1 + kSlack)) << ex.id << " id-order ring";
      if (const auto ring = topology::best_ring_order(topology, routes, ids, shard)) {
        EXPECT_LE(best, (topology.gpu_count() - 1) * ring->step_time_us * (1 + kSlack)) << ex.id << " ring search";
        const auto bidir = topology::simulate(
            topology, routes, topology::flat_all_gather(ring->order, topology::GroupMethod::bidirectional_ring), shard);
        if (bidir.valid) EXPECT_LE(best, bidir.latency_us * (1 + kSlack)) << ex.id << " bidirectional ring";
      }
      const double solver = ex.fields.at("solver_latency_us").get<double>();
      EXPECT_LE(best, solver * (1 + kSlack)) << ex.id << " solver";
      EXPECT_NEAR(topology::solve_all_gather(topology, shard).best.latency_us, solver, kSlack * solver) << ex.id;
      if (best < solver * (1 - 1e-6)) ++improved_over_solver;
    }
  }
  std::printf("[ best     ] %d of %d references are faster than the solver's plan\n", improved_over_solver, examples);
}

}  // namespace
}  // namespace aimicius::optiflow
