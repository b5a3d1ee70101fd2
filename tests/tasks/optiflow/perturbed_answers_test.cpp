// Perturbed answers on optiflow examples built by the dataset generator (build_example) for named
// SKUs, so the hand counts do not depend on which cases the committed splits happen to hold, scored in the sandbox by the topology_plan scorer;
// every expected value is counted by hand from the topology (comments show the arithmetic, in
// the simulator's model: time = link latencies + shard / (bandwidth share) with 1 GB/s = 1e3
// bytes/us). Skipped, with the reason, where bubblewrap cannot run.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "scorers/sandbox/sandbox.h"
#include "tasks/extractors/extract_python.h"
#include "tasks/optiflow/example_generator.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

using Expected = std::vector<std::pair<std::string, double>>;

class OptiflowPerturbed : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      sandbox_ = std::make_unique<Sandbox>();
    } catch (const SandboxUnavailable& e) {
      GTEST_SKIP() << "bubblewrap sandbox unavailable: " << e.what();
    }
    context_.sandbox = sandbox_.get();
    scorer_ = testing::make_scorer_for_tests();
    add("dgx-64k", {{"generator", "dgx_h100_like"}}, int64_t{64} << 10, "generation");
    add("dgx-1m-improve", {{"generator", "dgx_h100_like"}}, int64_t{1} << 20, "improvement");
    add("pcie4-64k", {{"generator", "pcie_only"}, {"gpus", 4}}, int64_t{64} << 10, "generation");
    add("mi300x-1m", {{"generator", "mi300x_like"}}, int64_t{1} << 20, "generation");
    add("mi250x-1m", {{"generator", "mi250x_like"}}, int64_t{1} << 20, "generation");
    // The first seed whose baseline is the sequential plan.
    for (uint64_t seed = 1;; ++seed) {
      add("pcie6-1m-sequential", {{"generator", "pcie_only"}, {"gpus", 6}}, int64_t{1} << 20, "improvement", seed);
      if (field("pcie6-1m-sequential", "baseline_strategy") == "sequential") break;
      test_.pop_back();
    }
  }

  void add(const std::string& id, nlohmann::ordered_json sku, int64_t shard, const std::string& subtask,
           uint64_t seed = 1) {
    CaseSpec spec;
    spec.id = id;
    spec.split = "test";
    spec.sku = std::move(sku);
    spec.shard_bytes = shard;
    spec.subtask = subtask;
    spec.seed = seed;
    Example ex;
    ex.id = id;
    ex.split = "test";
    ex.origin = "perturbed_answers_test: " + id;
    ex.fields = nlohmann::json::parse(build_example(spec).dump());
    test_.push_back(std::move(ex));
  }

  // Scores the raw `answer` on example `id`, through the suite's extraction step as a run does, and
  // checks the rows: names in order, values within 1e-12.
  std::vector<ScoreRow> expect_scores(const std::string& id, const std::string& answer, const Expected& expected) {
    const Example ex = testing::find_example(test_, id);
    scorer_->validate_example(ex);
    const std::vector<ScoreRow> rows = scorer_->score(ex, extract_python(answer), context_);
    EXPECT_EQ(rows.size(), expected.size()) << id;
    for (size_t i = 0; i < std::min(rows.size(), expected.size()); ++i) {
      EXPECT_EQ(rows[i].metric, expected[i].first) << id;
      EXPECT_NEAR(rows[i].value, expected[i].second, 1e-12) << id << " " << rows[i].metric << " " << rows[i].detail.dump();
    }
    return rows;
  }

  std::string field(const std::string& id, const char* key) const {
    return testing::find_example(test_, id).fields.at(key).get<std::string>();
  }
  double number(const std::string& id, const char* key) const {
    return testing::find_example(test_, id).fields.at(key).get<double>();
  }

  std::unique_ptr<Sandbox> sandbox_;
  ScoringContext context_;
  std::unique_ptr<Scorer> scorer_;
  std::vector<Example> test_;
};

std::string fenced(const std::string& program) { return "My plan:\n```python\n" + program + "```\nDone."; }

// A ring over GPU ids 0..n-1: step s, GPU i sends chunk (i - s) mod n to i+1, default routes.
std::string id_ring_program(int n) {
  return "import json\nn = " + std::to_string(n) +
         "\nsteps = [[{'src': i, 'dst': (i + 1) % n, 'chunk': (i - s) % n} for i in range(n)]"
         " for s in range(n - 1)]\nprint(json.dumps(steps))\n";
}

TEST_F(OptiflowPerturbed, CorrectButSlowerRingOnDgxH100) {
  // dgx-64k: dgx_h100_like (8 GPUs, each GPU <-> NVSwitch 450 GB/s, 0.5 us), 64 KiB.
  // Reference "direct": each GPU's up and down channel carries 7 transfers in one step:
  //   1 + 65536 / (450e3 / 7) us. Ring over ids: 7 steps, one transfer per channel:
  //   7 * (1 + 65536 / 450e3) us.
  const double direct = 1.0 + 65536.0 * 7 / 450e3;
  const double ring = 7 * (1.0 + 65536.0 / 450e3);
  ASSERT_NEAR(number("dgx-64k", "reference_latency_us"), direct, 1e-9);
  const auto rows = expect_scores("dgx-64k", fenced(id_ring_program(8)),
                                  {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 1},
                                   {"plan_optimal", 0}, {"latency_ratio", direct / ring}});
  EXPECT_NEAR(rows[2].detail.at("latency_us").get<double>(), ring, 1e-9);
}

TEST_F(OptiflowPerturbed, RingWithExplicitPathsThroughThePcieTree) {
  // pcie4-64k: pcie_only(4), 64 KiB. Nodes: GPUs 0-3, host bridge 4, switch 5 (GPUs 0,1),
  // switch 6 (GPUs 2,3); GPU-switch 32 GB/s 1.0 us, switch-bridge 32 GB/s 1.5 us.
  // Reference "direct": 0 -> 2 crosses 0-5-4-6-2 (latency 5 us); channel 5->4 carries the four
  // transfers from {0,1} to {2,3}: 5 + 65536 / 8e3 = 13.192 us.
  // Ring 0->1->2->3->0 with explicit paths: every channel carries one transfer per step; the
  // slowest hop 1 -> 5 -> 4 -> 6 -> 2 takes 5 + 65536 / 32e3 = 7.048 us; 3 steps: 21.144 us.
  const double direct = 5.0 + 65536.0 / 8e3;
  const double ring = 3 * (5.0 + 65536.0 / 32e3);
  ASSERT_NEAR(number("pcie4-64k", "reference_latency_us"), direct, 1e-9);
  const std::string program =
      "import json\n"
      "paths = {0: [0, 5, 1], 1: [1, 5, 4, 6, 2], 2: [2, 6, 3], 3: [3, 6, 4, 5, 0]}\n"
      "steps = [[{'src': i, 'dst': (i + 1) % 4, 'chunk': (i - s) % 4, 'path': paths[i]} for i in range(4)]\n"
      "         for s in range(3)]\n"
      "print(json.dumps({'steps': steps}))\n";
  expect_scores("pcie4-64k", fenced(program),
                {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 1}, {"plan_optimal", 0},
                 {"latency_ratio", direct / ring}});
}

TEST_F(OptiflowPerturbed, ProseWithoutCodeScoresZeroEverywhere) {
  // dgx-64k (generation): no program at all -> every stage fails.
  expect_scores("dgx-64k",
                "Use a direct all-gather: every GPU sends its shard to all others through the NVSwitch.",
                {{"code_detected", 0}, {"code_executable", 0}, {"plan_valid", 0}, {"plan_optimal", 0}, {"latency_ratio", 0}});
}

TEST_F(OptiflowPerturbed, ProgramThatRaisesIsDetectedButNotExecutable) {
  // mi300x-1m (generation, mi300x_like): the program exits with status 1.
  const auto rows = expect_scores("mi300x-1m", fenced("raise RuntimeError('no plan yet')\n"),
                                  {{"code_detected", 1}, {"code_executable", 0}, {"plan_valid", 0}, {"plan_optimal", 0}, {"latency_ratio", 0}});
  EXPECT_NE(rows[1].detail.at("stderr_tail").get<std::string>().find("no plan yet"), std::string::npos);
  // dgx-1m-improve (improvement): the same failure also fails plan_improved.
  expect_scores("dgx-1m-improve", fenced("raise RuntimeError('no plan yet')\n"),
                {{"code_detected", 1}, {"code_executable", 0}, {"plan_valid", 0}, {"plan_optimal", 0}, {"plan_improved", 0},
                 {"latency_ratio", 0}});
}

TEST_F(OptiflowPerturbed, TransfersWithoutALinkAreInvalid) {
  // mi250x-1m: mi250x_like has no XGMI link between GCDs 0 and 2, and GPUs never forward:
  // a default-route transfer 0 -> 2 has no route.
  auto rows = expect_scores("mi250x-1m", fenced("print('[[{\"src\": 0, \"dst\": 2, \"chunk\": 0}]]')\n"),
                            {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 0}, {"plan_optimal", 0}, {"latency_ratio", 0}});
  EXPECT_EQ(rows[2].detail.at("error"), "no_route") << rows[2].detail.dump();
  // dgx-64k: dgx_h100_like links every GPU only to the NVSwitch (node 8): an explicit
  // path [0, 1] uses a link that does not exist.
  rows = expect_scores("dgx-64k",
                       fenced("print('[[{\"src\": 0, \"dst\": 1, \"chunk\": 0, \"path\": [0, 1]}]]')\n"),
                       {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 0}, {"plan_optimal", 0}, {"latency_ratio", 0}});
  EXPECT_EQ(rows[2].detail.at("error"), "bad_path") << rows[2].detail.dump();
}

TEST_F(OptiflowPerturbed, IncompleteScheduleIsInvalid) {
  // pcie4-64k: pcie_only(4); one ring step leaves every GPU with 2 of 4 chunks.
  const auto rows = expect_scores(
      "pcie4-64k",
      fenced("import json\nprint(json.dumps([[{'src': i, 'dst': (i + 1) % 4, 'chunk': i} for i in range(4)]]))\n"),
      {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 0}, {"plan_optimal", 0}, {"latency_ratio", 0}});
  EXPECT_EQ(rows[2].detail.at("error"), "incomplete") << rows[2].detail.dump();
}

TEST_F(OptiflowPerturbed, BaselineReturnedUnchangedIsValidButNotImproved) {
  // dgx-1m-improve: improvement on dgx_h100_like, 1 MiB. Reference "direct":
  // 1 + 7 * 1048576 / 450e3 us; the baseline (greedy_relay) as given: valid, not faster, so
  // plan_improved 0 and latency_ratio = reference / baseline.
  const std::string id = "dgx-1m-improve";
  const double direct = 1.0 + 7 * 1048576.0 / 450e3;
  ASSERT_NEAR(number(id, "reference_latency_us"), direct, 1e-9);
  const double baseline = number(id, "baseline_latency_us");
  ASSERT_GT(baseline, direct);
  expect_scores(id, fenced(field(id, "baseline_program")),
                {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 1}, {"plan_optimal", 0},
                 {"plan_improved", 0}, {"latency_ratio", direct / baseline}});
}

TEST_F(OptiflowPerturbed, ImprovingOnTheSequentialBaselineScoresOne) {
  // pcie6-1m-sequential: pcie_only(6), 1 MiB, baseline "sequential" (30 one-transfer steps); the
  // reference plan (bidirectional ring) is strictly faster: every metric 1.
  const std::string id = "pcie6-1m-sequential";
  ASSERT_EQ(field(id, "baseline_strategy"), "sequential");
  expect_scores(id, fenced(field(id, "reference_program")),
                {{"code_detected", 1}, {"code_executable", 1}, {"plan_valid", 1}, {"plan_optimal", 1},
                 {"plan_improved", 1}, {"latency_ratio", 1}});
}

}  // namespace
}  // namespace aimicius::optiflow
