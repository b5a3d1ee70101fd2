// Infrastructure errors are not model errors (issue 19): an API that failed after its retries and
// a scoring context that fails like a broken sandbox leave their examples
// stored as infra_error (no scores, out of every mean), the run completes and says so, and
// `run --resume --retry-errors` with a working backend and context re-runs exactly those examples,
// ending with the scores of an uninterrupted run. (A backend that throws: runner_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "common/errors.h"
#include "harness/backends/backend_oracle.h"
#include "harness/runner/runner.h"
#include "scorers/sandbox/sandbox.h"
#include "tasks/dataset.h"
#include "harness/fixed_answer_backend.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

RunOptions fixture_options(const std::filesystem::path& data_dir = testing::fixture_data_dir()) {
  RunOptions o;
  o.suites = {"cmdgen"};
  o.data_dir = data_dir;
  o.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  o.batch_size = 2;
  return o;
}

// The oracle, except that the examples in `failing` come back as the openai: backend returns a
// request that failed after all its retries (GenerationResult::infra_error). Counts what it answers.
class FlakyApiBackend final : public Backend {
 public:
  FlakyApiBackend(const std::vector<LoadedSuite>& suites, std::set<std::string> failing)
      : oracle_(suites), failing_(std::move(failing)) {}
  std::string spec() const override { return "oracle"; }
  std::string content_hash() const override { return "oracle"; }
  bool is_oracle() const override { return true; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    auto out = oracle_.generate(batch, params);
    for (size_t i = 0; i < batch.size(); ++i) {
      answered += 1;
      if (!failing_.count(batch[i].example_id)) continue;
      out[i] = GenerationResult{};
      out[i].error = batch[i].example_id + ": POST http://127.0.0.1:1/v1/completions failed after 5 attempts: HTTP 503";
      out[i].infra_error = true;
    }
    return out;
  }
  std::atomic<int> answered{0};

 private:
  OracleBackend oracle_;
  std::set<std::string> failing_;
};

int64_t run_new(Store& store, const RunPlan& plan, Backend& backend) {
  Progress quiet(stderr, Progress::Style::kQuiet);
  const int64_t id = create_run(store, plan, backend);
  execute_run(store, id, plan, backend, quiet);
  return id;
}

void retry(Store& store, int64_t id, const RunPlan& plan, Backend& backend) {
  Progress quiet(stderr, Progress::Style::kQuiet);
  execute_run(store, id, plan, backend, quiet);
}

TEST(InfraError, ApiFailuresAfterRetriesAreNotJudgedAndRetryErrorsFillsThemIn) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  const RunPlan plan = plan_run(fixture_options());
  FlakyApiBackend flaky(plan.suites, {"t02", "t05", "t09"});
  const int64_t id = run_new(store, plan, flaky);
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  EXPECT_EQ(store.prediction_count(id), 10);
  EXPECT_EQ(store.infra_error_count(id), 3);
  EXPECT_EQ(store.infra_error_example_ids(id, "cmdgen"), (std::set<std::string>{"t02", "t05", "t09"}));
  // The oracle's seven judged answers are right: the three unanswered are not zeros.
  for (const auto& m : store.metric_summaries(id)) {
    if (m.metric != "exact_match") continue;
    EXPECT_EQ(m.examples, 7);
    EXPECT_DOUBLE_EQ(m.mean, 1.0);
  }
  for (const auto& e : store.example_errors(id, 10)) EXPECT_NE(e.error.find("failed after 5 attempts"), std::string::npos);

  // A plain resume of the complete run is refused, naming the flag; --retry-errors re-runs the three.
  const std::string refused = testing::error_of(
      [&] { plan_resume(store, id, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN); });
  EXPECT_NE(refused.find("--retry-errors"), std::string::npos) << refused;
  const RunPlan again = plan_resume(store, id, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN, {}, {}, true);
  FlakyApiBackend working(again.suites, {});
  retry(store, id, again, working);
  EXPECT_EQ(working.answered, 3) << "only the infra_error examples run again";
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  EXPECT_EQ(store.infra_error_count(id), 0);
  EXPECT_EQ(store.prediction_count(id), 10);
  EXPECT_TRUE(store.example_errors(id, 10).empty());

  // The same scores as an uninterrupted run, example by example.
  FlakyApiBackend clean(plan.suites, {});
  const int64_t fresh = run_new(store, plan, clean);
  EXPECT_EQ(store.example_scores(id), store.example_scores(fresh));
  // Nothing left to retry: a complete run with every example judged is complete.
  EXPECT_THROW(plan_resume(store, id, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN, {}, {}, true), InputError);
}

// An embedding model (part of the scoring context) that fails like a broken machine while
// `broken`; else every text embeds to the same vector.
class BrokenEmbedder final : public TextEmbedder {
 public:
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    if (broken) throw InfraError("encoder: the device was lost");
    return std::vector<std::vector<float>>(texts.size(), std::vector<float>{1.0f, 0.0f});
  }
  std::string name() const override { return "test-encoder"; }
  bool broken = true;
};

TEST(InfraError, AScoringContextThatFailsLeavesTheExampleNotJudged) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto spec = suites / "cmdgen" / "suite.json";
  std::string text = testing::read_file(spec);
  text.replace(text.find("\"embedding\": false"), 18, "\"embedding\": true");
  testing::write_file(spec, text);
  refresh_manifest(suites / "cmdgen");
  // The plan by hand: the scoring context holds the failing embedder.
  RunPlan plan;
  plan.options = fixture_options(suites);
  plan.suites.push_back(load_suite("cmdgen", suites, "test"));
  try {
    plan.sandbox = std::make_shared<const Sandbox>();
  } catch (const SandboxUnavailable&) {
    GTEST_SKIP() << "bubblewrap cannot run here";
  }
  BrokenEmbedder embedder;
  plan.context.sandbox = plan.sandbox.get();
  plan.context.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  plan.context.hosts_dir = suites / "hosts";
  plan.context.embedder = &embedder;

  Store store = Store::open_for_write((dir / "s.db").string());
  // Not the oracle: an answer equal to its reference needs no embedding.
  testing::FixedAnswerBackend backend("nvidia-smi -q");
  const int64_t id = run_new(store, plan, backend);
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  EXPECT_EQ(store.infra_error_count(id), 10);
  EXPECT_EQ(store.score_count(id), 0);
  const auto errors = store.example_errors(id, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].error.find("infrastructure error while scoring: encoder: the device was lost"), std::string::npos)
      << errors[0].error;

  embedder.broken = false;
  plan.retry_infra_errors = true;
  retry(store, id, plan, backend);
  EXPECT_EQ(store.infra_error_count(id), 0);
  plan.retry_infra_errors = false;
  const int64_t fresh = run_new(store, plan, backend);
  EXPECT_FALSE(store.example_scores(fresh).empty());
  EXPECT_EQ(store.example_scores(id), store.example_scores(fresh));
}

}  // namespace
}  // namespace aimicius
