// The optiflow suite as declared by datasets/optiflow/suite.json: it loads, its prompts state the
// output format, the shard size, the topology and (for improvement) the baseline program, a
// few-shot example of the same subtask precedes the task, and answers go through the raw
// extractor to the topology_plan scorer unchanged.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "scorers/sandbox/sandbox.h"
#include "tasks/suite.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(OptiflowSuite, LoadsWithTheDeclaredMetricsAndSplits) {
  const LoadedSuite loaded = load_suite("optiflow", AIMICIUS_BUNDLED_DATA_DIR, "test");
  EXPECT_EQ(loaded.examples.size(), 320u);
  EXPECT_TRUE(loaded.suite->needs_sandbox());
  EXPECT_EQ(loaded.suite->fewshot_split(), "fewshot");
  std::vector<std::string> names;
  std::string headline;
  for (const MetricSpec& m : loaded.suite->metrics()) {
    names.push_back(m.name);
    if (m.headline) headline = m.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"plan_optimal", "code_detected", "code_executable", "plan_valid",
                                             "plan_improved", "latency_ratio"}));
  EXPECT_EQ(headline, "plan_optimal");
  for (const MetricSpec& m : loaded.suite->metrics())
    EXPECT_EQ(m.paper, m.name != "plan_optimal" && m.name != "latency_ratio") << m.name;
}

TEST(OptiflowSuite, ImprovementPromptShowsFormatShardTopologyBaselineAndOneShot) {
  const LoadedSuite loaded = load_suite("optiflow", AIMICIUS_BUNDLED_DATA_DIR, "test");
  const Example ex = testing::find_example(loaded.examples, "optiflow-test-0047");
  const std::string prompt = loaded.suite->prompt(ex);
  EXPECT_NE(prompt.find("{\"src\": S, \"dst\": D, \"chunk\": C}"), std::string::npos);
  EXPECT_NE(prompt.find("Shard size: 1048576 bytes per GPU."), std::string::npos);
  EXPECT_NE(prompt.find(ex.fields.at("topology_text").get<std::string>()), std::string::npos);
  EXPECT_NE(prompt.find(ex.fields.at("baseline_program").get<std::string>()), std::string::npos);
  EXPECT_NE(prompt.find("its simulated latency is 157.872 us"), std::string::npos);
  // One shot (an improvement example from the pool, with its answer), then the task.
  EXPECT_EQ(count_of(prompt, "Example task."), 1u);
  EXPECT_EQ(count_of(prompt, "Task (plan improvement)"), 2u);
  EXPECT_EQ(count_of(prompt, "Task (plan generation)"), 0u);
  EXPECT_LT(prompt.find("Example task."), prompt.find("Your task."));
  EXPECT_EQ(prompt.substr(prompt.size() - 8), "Answer:\n");
  EXPECT_EQ(prompt.find("{{"), std::string::npos) << "unrendered placeholder";
}

TEST(OptiflowSuite, GenerationPromptHasNoBaselineAndAGenerationShot) {
  const LoadedSuite loaded = load_suite("optiflow", AIMICIUS_BUNDLED_DATA_DIR, "test");
  const Example ex = testing::find_example(loaded.examples, "optiflow-test-0063");
  const std::string prompt = loaded.suite->prompt(ex);
  EXPECT_EQ(count_of(prompt, "Task (plan generation)"), 2u);
  EXPECT_EQ(count_of(prompt, "Task (plan improvement)"), 0u);
  EXPECT_NE(prompt.find("Shard size: 268435456 bytes per GPU."), std::string::npos);
}

TEST(OptiflowSuite, OracleAndAPerturbedAnswerScoreThroughTheSuite) {
  std::unique_ptr<Sandbox> sandbox;
  try {
    sandbox = std::make_unique<Sandbox>();
  } catch (const SandboxUnavailable& e) {
    GTEST_SKIP() << "bubblewrap sandbox unavailable: " << e.what();
  }
  ScoringContext context;
  context.sandbox = sandbox.get();
  const LoadedSuite loaded = load_suite("optiflow", AIMICIUS_BUNDLED_DATA_DIR, "test");
  const Example ex = testing::find_example(loaded.examples, "optiflow-test-0047");
  const Suite& suite = *loaded.suite;
  const std::string oracle = suite.oracle_output(ex);
  EXPECT_EQ(oracle, "```python\n" + ex.fields.at("reference_program").get<std::string>() + "```");
  for (const ScoreRow& row : suite.score(ex, suite.extract_answer(oracle), context))
    EXPECT_EQ(row.value, 1.0) << row.metric << " " << row.detail.dump();
  // The baseline returned as the answer: valid, not improved, ratio reference / baseline.
  const std::string raw = "```python\n" + ex.fields.at("baseline_program").get<std::string>() + "```";
  const auto rows = suite.score(ex, suite.extract_answer(raw), context);
  ASSERT_EQ(rows.size(), 6u);
  std::map<std::string, double> value;
  for (const ScoreRow& row : rows) value[row.metric] = row.value;
  EXPECT_EQ(value["plan_valid"], 1.0);
  EXPECT_EQ(value["plan_optimal"], 0.0);  // a baseline is >= 2% slower than the best-known plan
  EXPECT_EQ(value["plan_improved"], 0.0);
  EXPECT_NEAR(value["latency_ratio"],
              ex.fields.at("reference_latency_us").get<double>() / ex.fields.at("baseline_latency_us").get<double>(),
              1e-12);
}

}  // namespace
}  // namespace aimicius::optiflow
