// check_reference catches a stored optiflow latency that disagrees with the program and a baseline
// that is not slower (that every bundled reference passes it is `aimicius validate`'s check);
// malformed examples are input errors. Skipped, with the reason, where bubblewrap cannot run.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"
#include "scorers/sandbox/sandbox.h"
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

  std::unique_ptr<Sandbox> sandbox_;
  ScoringContext context_;
  std::unique_ptr<Scorer> scorer_;
};

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
