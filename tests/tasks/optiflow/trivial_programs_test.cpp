// Fixed programs that ignore the topology (or look at it only greedily) must not pass the
// plan_optimal headline: scored through the topology_plan scorer in the sandbox over the dev and
// test splits, each of (a) the one-step all-to-all with only the GPU count filled in, (b) the
// ring in GPU id order and (c) the ring over the greedy nearest-neighbour order scores at most
// kMaxTrivialOptimal on plan_optimal. The measured rates (and plan_valid's, for comparison) are
// printed. Skipped, with the reason, where bubblewrap cannot run.
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scorers/plan/plan_program.h"
#include "scorers/sandbox/sandbox.h"
#include "scorers/topology/collective_schedules.h"
#include "scorers/topology/order_search.h"
#include "scorers/topology/routing.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

constexpr double kMaxTrivialOptimal = 0.05;

std::string all_to_all_program(int gpus) {
  return fmt::format(
      "import json\nN = {}\n"
      "print(json.dumps([[{{\"src\": s, \"dst\": d, \"chunk\": s}} for s in range(N) for d in range(N) if s != d]]))\n",
      gpus);
}

std::string id_ring_program(int gpus) {
  return fmt::format(
      "import json\nN = {}\n"
      "steps = [[{{\"src\": i, \"dst\": (i + 1) % N, \"chunk\": (i - s) % N}} for i in range(N)] for s in range(N - 1)]\n"
      "print(json.dumps(steps))\n",
      gpus);
}

std::string nearest_ring_program(const topology::Topology& topology, double shard_bytes) {
  const topology::RouteTable routes(topology);
  const std::vector<int> order = topology::nearest_neighbour_order(topology, routes, 0, shard_bytes);
  if (order.empty()) return "print('no nearest-neighbour ring')\n";
  return topology::schedule_to_python(topology::flat_all_gather(order, topology::GroupMethod::ring),
                                      "ring over the greedy nearest-neighbour order");
}

TEST(OptiflowTrivialPrograms, ScoreAtMostFivePercentOnPlanOptimal) {
  std::unique_ptr<Sandbox> sandbox;
  try {
    sandbox = std::make_unique<Sandbox>();
  } catch (const SandboxUnavailable& e) {
    GTEST_SKIP() << "bubblewrap sandbox unavailable: " << e.what();
  }
  ScoringContext context;
  context.sandbox = sandbox.get();
  const auto scorer = testing::make_scorer_for_tests();
  std::vector<Example> examples;
  for (const char* split : {"dev", "test"})
    for (Example& ex : testing::load_split(split)) examples.push_back(std::move(ex));

  const std::vector<std::string> programs = {"all-to-all", "id-order ring", "nearest-neighbour ring"};
  std::mutex mu;
  std::map<std::string, std::map<std::string, double>> sums;  // program -> metric -> sum
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < examples.size(); i = next++) {
      const Example& ex = examples[i];
      const topology::Topology topology = topology::parse_topology(ex.fields.at("topology"));
      const double shard = ex.fields.at("shard_bytes").get<double>();
      const std::vector<std::string> answers = {all_to_all_program(topology.gpu_count()),
                                                id_ring_program(topology.gpu_count()),
                                                nearest_ring_program(topology, shard)};
      for (size_t p = 0; p < programs.size(); ++p) {
        const std::vector<ScoreRow> rows = scorer->score(ex, answers[p], context);
        std::lock_guard<std::mutex> lock(mu);
        for (const ScoreRow& row : rows) sums[programs[p]][row.metric] += row.value;
      }
    }
  };
  std::thread other(loop);
  loop();
  other.join();

  const double n = static_cast<double>(examples.size());
  for (const std::string& program : programs) {
    const double optimal = sums[program]["plan_optimal"] / n;
    const double valid = sums[program]["plan_valid"] / n;
    std::printf("[ trivial  ] %-24s plan_optimal %.3f  plan_valid %.3f  (%zu dev+test examples)\n", program.c_str(),
                optimal, valid, examples.size());
    EXPECT_LE(optimal, kMaxTrivialOptimal) << program;
  }
}

}  // namespace
}  // namespace aimicius::optiflow
