// Every optiflow reference (and baseline) passes the scorer's check_reference in the real
// sandbox, the oracle answer scores 1 on every metric, and check_reference catches a stored
// latency that disagrees with the program or a baseline that is not slower. Skipped, with the
// reason, where bubblewrap cannot run.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"
#include "scorers/sandbox/sandbox.h"
#include "tasks/extractors/extract_python.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

class OptiflowReferences : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      sandbox_ = std::make_unique<Sandbox>();
    } catch (const SandboxUnavailable& e) {
      GTEST_SKIP() << "bubblewrap sandbox unavailable: " << e.what();
    }
    context_.sandbox = sandbox_.get();
    scorer_ = testing::make_scorer_for_tests();
  }

  // Runs `work` on every example with two threads (the sandboxed python3 start dominates).
  template <typename Work>
  void for_each_parallel(const std::vector<Example>& examples, Work work) {
    std::atomic<size_t> next{0};
    auto loop = [&] {
      for (size_t i = next++; i < examples.size(); i = next++) work(examples[i]);
    };
    std::thread other(loop);
    loop();
    other.join();
  }

  std::unique_ptr<Sandbox> sandbox_;
  ScoringContext context_;
  std::unique_ptr<Scorer> scorer_;
};

TEST_F(OptiflowReferences, EveryReferenceAndBaselinePassesCheckReference) {
  std::vector<Example> all;
  for (const char* split : {"test", "dev", "fewshot"})
    for (Example& ex : testing::load_split(split)) all.push_back(std::move(ex));
  for (const Example& ex : all) scorer_->validate_example(ex);
  std::mutex mu;
  std::vector<std::string> failures;
  const auto start = std::chrono::steady_clock::now();
  for_each_parallel(all, [&](const Example& ex) {
    const std::vector<std::string> problems = scorer_->check_reference(ex, context_);
    std::lock_guard<std::mutex> lock(mu);
    for (const std::string& p : problems) failures.push_back(ex.id + ": " + p);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(failures.empty()) << failures.size() << " problems, first: " << failures.front();
  std::cout << "check_reference over " << all.size() << " examples: " << seconds << " s (2 threads)\n";
}

TEST_F(OptiflowReferences, OracleAnswerScoresOneOnEveryMetricOfDev) {
  const std::vector<Example> dev = testing::load_split("dev");
  std::mutex mu;
  std::vector<std::string> failures;
  size_t improvement_rows = 0;
  const auto start = std::chrono::steady_clock::now();
  for_each_parallel(dev, [&](const Example& ex) {
    const std::string answer = "```python\n" + ex.fields.at("reference_program").get<std::string>() + "```";
    const std::vector<ScoreRow> rows = scorer_->score(ex, extract_python(answer), context_);  // as a run extracts
    std::lock_guard<std::mutex> lock(mu);
    for (const ScoreRow& row : rows) {
      if (row.metric == "plan_improved") ++improvement_rows;
      if (row.value != 1.0) failures.push_back(ex.id + " " + row.metric + ": " + row.detail.dump());
    }
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(improvement_rows, 24u);  // 40% of 60: only improvement examples get the row
  std::cout << "oracle scoring of " << dev.size() << " dev examples: " << seconds << " s (2 threads)\n";
}

TEST_F(OptiflowReferences, CheckReferenceReportsAWrongLatencyAndABaselineThatIsNotSlower) {
  // optiflow-test-0047: improvement on dgx_h100_like, 1 MiB shards, baseline greedy_relay.
  Example ex = testing::find_example(testing::load_split("test"), "optiflow-test-0047");
  ex.fields["reference_latency_us"] = ex.fields["reference_latency_us"].get<double>() * 1.01;
  std::vector<std::string> problems = scorer_->check_reference(ex, context_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("reference_program simulates to"), std::string::npos) << problems[0];

  Example same = testing::find_example(testing::load_split("test"), "optiflow-test-0047");
  same.fields["baseline_program"] = same.fields["reference_program"];
  same.fields["baseline_latency_us"] = same.fields["reference_latency_us"];
  problems = scorer_->check_reference(same, context_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("is not slower than the reference"), std::string::npos) << problems[0];
}

TEST(OptiflowScorerInput, MalformedExamplesAreInputErrorsNamingTheExample) {
  auto scorer = testing::make_scorer_for_tests();
  Example ex = testing::find_example(testing::load_split("dev"), "optiflow-dev-0001");
  ASSERT_EQ(ex.fields.at("subtask"), "generation");
  scorer->validate_example(ex);

  Example bad_topology = ex;
  bad_topology.fields["topology"]["links"][0]["bandwidth_GBps"] = -1;
  try {
    scorer->validate_example(bad_topology);
    ADD_FAILURE() << "a negative bandwidth was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("optiflow-dev-0001"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bandwidth_GBps"), std::string::npos) << e.what();
  }
  Example no_shard = ex;
  no_shard.fields.erase("shard_bytes");
  EXPECT_THROW(scorer->validate_example(no_shard), InputError);
  Example bad_subtask = ex;
  bad_subtask.fields["subtask"] = "optimisation";
  EXPECT_THROW(scorer->validate_example(bad_subtask), InputError);
  Example stray_baseline = ex;
  stray_baseline.fields["baseline_latency_us"] = 100.0;
  EXPECT_THROW(scorer->validate_example(stray_baseline), InputError);
}

TEST(OptiflowScorerInput, UnknownOrBadParametersAreRejected) {
  ScorerSpec spec;
  spec.type = "topology_plan";
  spec.where = "suite.json: scorers[0]";
  spec.params = {{"timeout", 5}};
  EXPECT_THROW(make_topology_plan_scorer(spec), InputError);
  spec.params = {{"wall_seconds", 0}};
  EXPECT_THROW(make_topology_plan_scorer(spec), InputError);
  spec.params = {{"wall_seconds", 5}};
  EXPECT_TRUE(make_topology_plan_scorer(spec)->needs_sandbox());
}

}  // namespace
}  // namespace aimicius::optiflow
