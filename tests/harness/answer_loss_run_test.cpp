// Answer-loss runs (harness/runner/answer_loss_run.h) with a stand-in scorer, so they run without
// LibTorch: a run killed midway (SIGKILL) resumes to the numbers, rows, printed summary and --out
// lines of one that was never interrupted, scoring only what was missing; a backend without
// log-likelihoods gives every example a clear error of its own; runs of one kind are never
// resumed as the other; each example is stored once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/errors.h"
#include "common/sha256.h"
#include "harness/backends/backend_oracle.h"
#include "harness/engine_backend.h"
#include "harness/runner/answer_loss_run.h"
#include "harness/runner/runner.h"
#include "reports/answer_loss_table.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

// A deterministic stand-in for a model's log-likelihoods: the numbers depend on the prompt and
// the continuation only; t03 is "longer than the context". Dies (SIGKILL) on call `die_on`.
class StandInScorer final : public Backend {
 public:
  explicit StandInScorer(int die_on = 0) : die_on_(die_on) {}
  std::string spec() const override { return "local:stand-in"; }
  std::string content_hash() const override { return "stand-in-1"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams&) override {
    return std::vector<GenerationResult>(batch.size());
  }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch) override {
    if (++calls == die_on_) raise(SIGKILL);
    std::vector<LoglikelihoodResult> out(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& r = batch[i];
      const double jitter = static_cast<double>(std::stoul(sha256_hex(r.prompt + r.continuation).substr(0, 6), nullptr, 16));
      out[i].nll = 0.3 * static_cast<double>(r.continuation.size()) + jitter / 16777216.0;
      out[i].tokens = static_cast<int64_t>(r.continuation.size() + 3) / 4;
      out[i].prompt_tokens = static_cast<int64_t>(r.prompt.size() / 4 + 1);
      if (r.example_id == "t03") out[i].error = "prompt of 999 tokens + continuation exceeds the model's context of 64";
    }
    return out;
  }
  int calls = 0;

 private:
  int die_on_;
};

AnswerLossRunOptions fixture_options() {
  AnswerLossRunOptions o;
  o.suites = {"cmdgen"};
  o.model_spec = "local:stand-in";
  o.data_dir = testing::fixture_data_dir();
  return o;
}

// Runs the pending examples of `id` and returns the --out lines it would write.
std::vector<std::string> execute(Store& store, int64_t id, const AnswerLossPlan& plan, Backend& backend) {
  std::vector<std::string> lines;
  execute_answer_loss(store, id, plan, backend, [&](const LoglikelihoodRecord& r) {
    lines.push_back(loglikelihood_json(r).dump());
  });
  return lines;
}

std::string printed(Store& store, int64_t id, const std::string& format) {
  const RunRecord run = *store.find_run(id);
  return render_answer_loss(answer_loss_summary(store, run), run, format);
}

TEST(AnswerLossRun, KilledRunResumesToTheNumbersOfAnUninterruptedOne) {
  ScratchDir dir;
  const std::string db = (dir / "a.db").string();
  const AnswerLossPlan plan = plan_answer_loss(fixture_options());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: score, and die while asking for the 6th log-likelihood (5 rows stored before it;
    // t03 is one of them, stored with its error).
    try {
      Store store = Store::open_for_write(db);
      StandInScorer dying(6);
      const int64_t id = create_answer_loss_run(store, plan, dying);
      execute(store, id, plan, dying);
    } catch (...) {
    }
    _exit(0);  // reached only if the kill did not happen: the parent fails the test
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child run was not killed midway";

  Store store = Store::open_for_write(db);
  ASSERT_EQ(store.find_run(1)->status, kRunRunning);
  EXPECT_TRUE(store.find_run(1)->is_answer_loss());
  ASSERT_EQ(store.loglikelihoods(1).size(), 5u);
  EXPECT_EQ(store.prediction_count(1), 0);  // nothing in the evaluation tables
  EXPECT_EQ(store.score_count(1), 0);

  const AnswerLossPlan resumed = plan_answer_loss_resume(store, 1, testing::fixture_data_dir());
  StandInScorer scorer;
  check_resume_backend(*store.find_run(1), scorer);
  const auto resumed_lines = execute(store, 1, resumed, scorer);
  EXPECT_EQ(scorer.calls, 5);  // only what was missing
  EXPECT_EQ(store.find_run(1)->status, kRunComplete);

  StandInScorer fresh_scorer;
  const int64_t fresh = create_answer_loss_run(store, plan, fresh_scorer);
  const auto fresh_lines = execute(store, fresh, plan, fresh_scorer);
  EXPECT_EQ(fresh_scorer.calls, 10);
  EXPECT_EQ(resumed_lines, fresh_lines);  // every example, stored ones included, in order
  ASSERT_EQ(fresh_lines.size(), 10u);
  const auto a = store.loglikelihoods(1), b = store.loglikelihoods(fresh);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].example_id, b[i].example_id);
    EXPECT_EQ(a[i].position, b[i].position);
    EXPECT_DOUBLE_EQ(a[i].nll, b[i].nll);  // exact: REAL keeps every bit
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    EXPECT_EQ(a[i].bytes, b[i].bytes);
    EXPECT_EQ(a[i].prompt_tokens, b[i].prompt_tokens);
    EXPECT_EQ(a[i].error, b[i].error);
  }
  for (const char* format : {"terminal", "md", "json"}) EXPECT_EQ(printed(store, 1, format), printed(store, fresh, format));
  // The summary: 9 scored, t03 skipped with its reason; the CI brackets the mean.
  const auto summary = answer_loss_summary(store, *store.find_run(fresh));
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].scored, 9);
  EXPECT_LE(summary[0].nats_per_byte.low, summary[0].nats_per_byte.mean);
  EXPECT_GE(summary[0].nats_per_byte.high, summary[0].nats_per_byte.mean);
  const std::string table = printed(store, fresh, "terminal");
  EXPECT_NE(table.find("skipped cmdgen/t03: prompt of 999 tokens"), std::string::npos) << table;
  EXPECT_NE(fresh_lines[2].find("\"nll\":null"), std::string::npos) << fresh_lines[2];

  EXPECT_THROW(plan_answer_loss_resume(store, 1, testing::fixture_data_dir()), InputError);  // complete
}

TEST(AnswerLossRun, ABackendWithoutLogLikelihoodsGivesEachExampleAClearError) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "a.db").string());
  AnswerLossRunOptions options = fixture_options();
  options.model_spec = "oracle";
  options.limit = 4;
  const AnswerLossPlan plan = plan_answer_loss(options);
  OracleBackend oracle(plan.suites);
  const int64_t id = create_answer_loss_run(store, plan, oracle);
  const auto lines = execute(store, id, plan, oracle);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  for (const auto& r : store.loglikelihoods(id))
    EXPECT_EQ(r.error, "this backend (oracle) cannot score continuations: it gives no log-likelihoods (local:DIR "
                       "models do)");
  const std::string table = printed(store, id, "terminal");
  EXPECT_NE(table.find("skipped cmdgen/t01: this backend (oracle) cannot score continuations"), std::string::npos)
      << table;
  EXPECT_NE(table.find("... and 1 more skipped in cmdgen"), std::string::npos) << table;
  const auto json = nlohmann::json::parse(printed(store, id, "json"));
  EXPECT_EQ(json.at("scored"), 0);
  EXPECT_EQ(json.at("skipped"), 4);
  EXPECT_EQ(json.at("skipped_examples").size(), 4u);
  // The run records no engine for the oracle, and a backend's engine when it has one.
  EXPECT_FALSE(store.find_run(id)->config.contains("engine"));
  testing::EngineBackend on_amx(std::make_unique<OracleBackend>(plan.suites), "cpu avx512-amx");
  EXPECT_EQ(store.find_run(create_answer_loss_run(store, plan, on_amx))->config.at("engine"), "cpu avx512-amx");
}

TEST(AnswerLossRun, TheWholeCommandStoresTheRunAndWritesEveryLine) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "a.db").string());
  AnswerLossRequest request;
  request.run = fixture_options();
  request.run.model_spec = "oracle";  // built by make_backend, like any model
  request.run.limit = 3;
  request.out = dir / "no-such-folder" / "out.jsonl";
  EXPECT_NE(testing::error_of([&] { run_answer_loss(store, request); }).find("cannot write"), std::string::npos);
  EXPECT_TRUE(store.list_runs().empty());  // bad input fails before the run exists
  request.out = dir / "out.jsonl";
  const int64_t id = run_answer_loss(store, request);
  EXPECT_EQ(store.find_run(id)->config.at("kind"), "answer-loss");
  EXPECT_EQ(store.find_run(id)->config.at("limit"), 3);
  const std::string out = testing::read_file(request.out);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(out.find(R"({"bytes":13,"error":"this backend (oracle) cannot score)"), std::string::npos) << out;
  // Resuming a complete run is refused, naming it.
  request.resume = id;
  EXPECT_NE(testing::error_of([&] { run_answer_loss(store, request); }).find("already complete"), std::string::npos);
}

TEST(AnswerLossRun, RunsOfOneKindAreNeverResumedAsTheOther) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "a.db").string());
  const AnswerLossPlan loss_plan = plan_answer_loss(fixture_options());
  StandInScorer scorer;
  const int64_t loss = create_answer_loss_run(store, loss_plan, scorer);
  RunOptions eval_options;
  eval_options.suites = {"cmdgen"};
  eval_options.data_dir = testing::fixture_data_dir();
  eval_options.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  const RunPlan eval_plan = plan_run(eval_options);
  OracleBackend oracle(eval_plan.suites);
  const int64_t eval = create_run(store, eval_plan, oracle);
  EXPECT_NE(testing::error_of([&] { plan_resume(store, loss, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN); })
                .find("answer-loss --resume"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { plan_answer_loss_resume(store, eval, testing::fixture_data_dir()); })
                .find("not an answer-loss run"),
            std::string::npos);
  EXPECT_FALSE(store.find_run(eval)->is_answer_loss());
  EXPECT_THROW(plan_answer_loss_resume(store, 99, testing::fixture_data_dir()), InputError);
}

TEST(AnswerLossRun, EachExampleIsStoredOnce) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "a.db").string());
  StandInScorer scorer;
  const int64_t id = create_answer_loss_run(store, plan_answer_loss(fixture_options()), scorer);
  LoglikelihoodRecord r;
  r.run_id = id;
  r.suite = "cmdgen";
  r.example_id = "t01";
  r.nll = 1.25;
  r.tokens = 3;
  r.bytes = 13;
  store.record_loglikelihood(r);
  EXPECT_ANY_THROW(store.record_loglikelihood(r));
  const auto rows = store.loglikelihoods(id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].nll, 1.25);
  EXPECT_EQ(rows[0].error, "");
}

}  // namespace
}  // namespace aimicius
