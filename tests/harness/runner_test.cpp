// Runs end to end in-process: the oracle scores 100, a replay file with deliberately wrong answers
// scores what a hand count says, and per-example problems are stored, not fatal.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "common/errors.h"
#include "common/json_file.h"
#include "common/sha256.h"
#include "harness/backends/backend_oracle.h"
#include "harness/backends/backend_replay.h"
#include "harness/backends/backend_wrapper.h"
#include "harness/runner/runner.h"
#include "scorers/sandbox/sandbox.h"
#include "harness/engine_backend.h"
#include "harness/fixed_answer_backend.h"
#include "test_support.h"
#ifdef AIMICIUS_HAVE_RUNTIME
#include "harness/backends/backend_local.h"
#include "runtime/checkpoint_writer.h"
#endif

namespace aimicius {
namespace {

using testing::ScratchDir;

struct Finished {
  int64_t run_id;
  std::map<std::string, double> means;  // metric -> mean
};

Finished run_with(Store& store, const RunOptions& options, Backend& backend) {
  const RunPlan plan = plan_run(options);
  Progress quiet(stderr, Progress::Style::kQuiet);
  const int64_t id = create_run(store, plan, backend);
  execute_run(store, id, plan, backend, quiet);
  Finished f{id, {}};
  for (const auto& m : store.metric_summaries(id)) f.means[m.metric] = m.mean;
  return f;
}

RunOptions fixture_options() {
  RunOptions o;
  o.suites = {"cmdgen"};
  o.data_dir = testing::fixture_data_dir();
  o.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  return o;
}

// The runner's side of an oracle run: every example stored, scored 1 on every metric, no error,
// the run complete and labelled. (That every bundled reference scores 1 is `aimicius validate`'s
// check, run over every split by Cli.ValidateChecksEveryBundledReferenceAndNamesBrokenOnes.)
TEST(Runner, OracleRunStoresEveryExampleWithFullMarks) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "o.db").string());
  RunOptions options = fixture_options();
  options.jobs = 2;
  const RunPlan plan = plan_run(options);
  OracleBackend oracle(plan.suites);
  const Finished f = run_with(store, options, oracle);
  ASSERT_FALSE(f.means.empty());
  for (const auto& [metric, mean] : f.means) EXPECT_DOUBLE_EQ(mean, 1.0) << metric;
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  EXPECT_TRUE(store.find_run(f.run_id)->is_oracle);
  int64_t examples = 0;
  for (const auto& s : plan.suites) examples += static_cast<int64_t>(s.examples.size());
  EXPECT_EQ(examples, 10);
  EXPECT_EQ(store.prediction_count(f.run_id), examples);
  EXPECT_TRUE(store.example_errors(f.run_id, 1).empty());
}

TEST(Runner, ReplayWithWrongAnswersScoresTheHandCount) {
  // tests/data/replay_hand_counted.jsonl, example by example (exact match, command score,
  // execution match on the simulated host; "-" where the reference's tool is not simulated):
  //   t01 plain, right                         1, 1,     1
  //   t02 fenced after prose, dropped "-i 0"   0, 11/15, 0 (all GPUs' memory, not GPU 0's)
  //       (S_flags 1/3, S_args 4/5)
  //   t03 "$ " prompt, right                   1, 1,     1
  //   t04 flags reordered                      0, 1,     - (all_reduce_perf)
  //   t05 --format=csv,noheader for csv        0, 3/4,   0 (no header line)
  //       (S_flags 1, S_args 1/2)
  //   t06 wrong utility (ibstatus for ibstat)  0, 0,     0 (another report)
  //   t07 missing from the file: error         0, 0,     0
  //   t08 "sudo" prefix, right                 1, 1,     1 (sudo dropped for execution)
  //   t09 empty output                         0, 0,     0
  //   t10 inline backticks in prose, right     1, 1,     - (numactl)
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  ReplayBackend replay(testing::fixture_file("replay_hand_counted.jsonl"));
  const Finished f = run_with(store, fixture_options(), replay);
  EXPECT_NEAR(f.means.at("exact_match"), 4.0 / 10, 1e-12);
  EXPECT_NEAR(f.means.at("command_score"), (5 + 11.0 / 15 + 0.75) / 10, 1e-12);
  EXPECT_NEAR(f.means.at("execution_match"), 3.0 / 8, 1e-12);
  const auto errors = store.example_errors(f.run_id, 10);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].example_id, "t07");
  EXPECT_NE(errors[0].error.find("no output for cmdgen/t07"), std::string::npos);
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  EXPECT_EQ(store.prediction_count(f.run_id), 10);
  const auto per_example = store.example_scores(f.run_id);
  EXPECT_NEAR(per_example.at({"cmdgen", "t02", "command_score"}), 11.0 / 15, 1e-12);
  EXPECT_EQ(per_example.at({"cmdgen", "t04", "exact_match"}), 0.0);
  EXPECT_EQ(per_example.at({"cmdgen", "t04", "command_score"}), 1.0);
}

// Each prediction keeps the prompt sent and the example's reference (the oracle output after
// extraction), also when the backend failed for it: reports read them from the store alone.
TEST(Runner, PromptAndReferenceAreStoredWithEachPrediction) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "p.db").string());
  ReplayBackend replay(testing::fixture_file("replay_hand_counted.jsonl"));
  const Finished f = run_with(store, fixture_options(), replay);
  const RunPlan plan = plan_run(fixture_options());
  const Suite& suite = *plan.suites[0].suite;
  std::map<std::string, const Example*> by_id;
  for (const auto& ex : plan.suites[0].examples) by_id[ex.id] = &ex;
  const auto stored = store.stored_examples(f.run_id, ExampleTexts::kRead);
  ASSERT_EQ(stored.size(), 10u);
  for (const auto& e : stored) {
    const Example& ex = *by_id.at(e.example_id);
    ASSERT_TRUE(e.prompt && e.reference) << e.example_id;
    EXPECT_EQ(*e.prompt, suite.prompt(ex)) << e.example_id;
    EXPECT_EQ(sha256_hex(*e.prompt), e.prompt_sha256) << e.example_id;
    EXPECT_EQ(*e.reference, suite.extract_answer(suite.oracle_output(ex))) << e.example_id;
  }
  // By hand: t01's request in the prompt, its command as the reference; t07 (no output: an error)
  // keeps both too.
  EXPECT_NE(stored[0].prompt->find("Request: List every GPU with its UUID.\nCommand:"), std::string::npos);
  EXPECT_EQ(stored[0].reference, std::optional<std::string>("nvidia-smi -L"));
  ASSERT_EQ(stored[6].example_id, "t07");
  EXPECT_TRUE(stored[6].error);
  EXPECT_TRUE(stored[6].prompt && !stored[6].prompt->empty());
  EXPECT_TRUE(stored[6].reference && !stored[6].reference->empty());
  EXPECT_NE(*stored[6].reference, stored[6].answer);
}

TEST(Runner, JobsAndBatchSizeDoNotChangeResults) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "j.db").string());
  ReplayBackend replay(testing::fixture_file("replay_hand_counted.jsonl"));
  RunOptions serial = fixture_options();
  serial.jobs = 1;
  serial.batch_size = 1;
  RunOptions parallel = fixture_options();
  parallel.jobs = 4;
  parallel.batch_size = 3;
  const Finished a = run_with(store, serial, replay);
  const Finished b = run_with(store, parallel, replay);
  EXPECT_EQ(store.example_scores(a.run_id), store.example_scores(b.run_id));
}

TEST(Runner, LimitTakesTheFirstExamples) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "l.db").string());
  RunOptions options = fixture_options();
  options.limit = 3;
  const RunPlan plan = plan_run(options);
  OracleBackend oracle(plan.suites);
  const Finished f = run_with(store, options, oracle);
  EXPECT_EQ(store.stored_example_ids(f.run_id, "cmdgen"), (std::set<std::string>{"t01", "t02", "t03"}));
  EXPECT_EQ(store.find_run(f.run_id)->suites["cmdgen"]["examples"], 3);
}

// A backend that throws on every call: each example gets the error (infra_error), the run still completes.
class ThrowingBackend final : public Backend {
 public:
  std::string spec() const override { return "throwing"; }
  std::string content_hash() const override { return "t"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>&, const GenerationParams&) override {
    throw std::runtime_error("connection refused");
  }
};

// A backend that breaks its contract: the run must end "failed", never "complete".
class ShortBackend final : public Backend {
 public:
  std::string spec() const override { return "short"; }
  std::string content_hash() const override { return "s"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>&, const GenerationParams&) override {
    return {};
  }
};


// Issue 19, item 6: an optiflow plan printing a number past double's range aborted the run (and
// every --resume after it). It is a malformed plan: scored 0, no error, the run completes.
TEST(Runner, AnOptiflowPlanPrintingAnOverflowingNumberIsJustWrong) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "o.db").string());
  RunOptions options;
  options.suites = {"optiflow"};
  options.data_dir = testing::bundled_data_dir();
  options.limit = 2;
  options.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  testing::FixedAnswerBackend backend("```python\nprint('1e400')\n```");
  const Finished f = [&] {
    try {
      return run_with(store, options, backend);
    } catch (const SandboxUnavailable& e) {
      return Finished{-1, {}};
    }
  }();
  if (f.run_id < 0) GTEST_SKIP() << "bubblewrap cannot run here";
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  EXPECT_TRUE(store.example_errors(f.run_id, 10).empty());
  EXPECT_EQ(store.prediction_count(f.run_id), 2);
  EXPECT_DOUBLE_EQ(f.means.at("plan_valid"), 0.0);
  EXPECT_DOUBLE_EQ(f.means.at("code_executable"), 1.0);
}

TEST(Runner, BackendErrorsAreStoredPerExample) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "e.db").string());
  ThrowingBackend backend;
  const Finished f = run_with(store, fixture_options(), backend);
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  const auto errors = store.example_errors(f.run_id, 100);
  ASSERT_EQ(errors.size(), 10u);
  EXPECT_NE(errors[0].error.find("connection refused"), std::string::npos);
  // A backend that throws is unusable, which says nothing of a model's answers: not judged.
  EXPECT_EQ(store.infra_error_count(f.run_id), 10);
  EXPECT_TRUE(f.means.empty());
}

TEST(Runner, BrokenBackendLeavesTheRunFailedNotComplete) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "f.db").string());
  ShortBackend backend;
  const RunPlan plan = plan_run(fixture_options());
  Progress quiet(stderr, Progress::Style::kQuiet);
  const int64_t id = create_run(store, plan, backend);
  EXPECT_THROW(execute_run(store, id, plan, backend, quiet), std::runtime_error);
  EXPECT_EQ(store.find_run(id)->status, kRunFailed);
  EXPECT_NE(store.find_run(id)->error.find("returned 0 results"), std::string::npos);
}

TEST(Runner, BadPlansFailBeforeARunExists) {
  RunOptions unknown = fixture_options();
  unknown.suites = {"nosuch"};
  EXPECT_THROW(plan_run(unknown), InputError);
  RunOptions zero_jobs = fixture_options();
  zero_jobs.jobs = 0;
  EXPECT_THROW(plan_run(zero_jobs), InputError);
  // Issue 19, item 9: these ran (NaN passes every comparison).
  RunOptions negative_budget = fixture_options();
  negative_budget.max_new_tokens = -1;
  EXPECT_THROW(plan_run(negative_budget), InputError);
  RunOptions nan_temperature = fixture_options();
  nan_temperature.temperature = std::nan("");
  EXPECT_THROW(plan_run(nan_temperature), InputError);
  const RunPlan plan = plan_run(fixture_options());
  EXPECT_THROW(make_backend("gpt4", plan.suites), InputError);
  EXPECT_THROW(make_backend("replay:", plan.suites), InputError);
  EXPECT_THROW(make_backend("replay:/no/such/file.jsonl", plan.suites), InputError);
}

TEST(Runner, MalformedReplayLineNamesFileAndLine) {
  ScratchDir dir;
  const auto file = dir / "bad.jsonl";
  testing::write_file(file, "{\"suite\": \"cmdgen\", \"example_id\": \"t01\", \"output\": \"x\"}\n"
                            "{\"suite\": \"cmdgen\", \"example_id\": \"t02\"}\n");
  try {
    ReplayBackend replay(file);
    FAIL() << "malformed replay accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"output\""), std::string::npos) << e.what();
  }
}


namespace aimicius {
namespace {

// A reference that cannot run on its simulated host is that example's error (stored, naming the
// example and why); the run goes on, scores every other example, and completes.
TEST(Runner, AReferenceThatFailsToExecuteIsThatExamplesError) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text.replace(text.find("nvidia-smi -L"), 13, "nvidia-smi -pm 1");  // needs root: exits 4
  testing::write_file(file, text);
  refresh_manifest(suites / "cmdgen");
  RunOptions options = fixture_options();
  options.data_dir = suites;
  Store store = Store::open_for_write((dir / "x.db").string());
  const Finished f = [&] {
    const RunPlan plan = plan_run(options);
    OracleBackend oracle(plan.suites);
    return run_with(store, options, oracle);
  }();
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  const auto errors = store.example_errors(f.run_id, 100);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].error.find("test.jsonl:1: example \"t01\": scoring failed"), std::string::npos)
      << errors[0].error;
  EXPECT_NE(errors[0].error.find("exit 4"), std::string::npos) << errors[0].error;
  // The other nine examples are scored (the oracle answers them right); the failing one has no rows.
  const auto summaries = store.metric_summaries(f.run_id);
  bool saw_exact = false;
  for (const auto& m : summaries)
    if (m.metric == "exact_match") {
      saw_exact = true;
      EXPECT_EQ(m.examples, 9) << "the failing example must not be scored as a wrong answer";
      EXPECT_DOUBLE_EQ(m.mean, 1.0);
    }
  EXPECT_TRUE(saw_exact);
}

// A backend that answers like the oracle's text "nvidia-smi" and keeps what it was asked.
class RecordingBackend final : public Backend {
 public:
  explicit RecordingBackend(PromptStyle style) : style_(style) {}
  std::string spec() const override { return "recording"; }
  std::string content_hash() const override { return "r"; }
  PromptStyle prompt_style() const override { return style_; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                         const GenerationParams& params) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.insert(requests_.end(), requests.begin(), requests.end());
    params_.push_back(params);
    return std::vector<GenerationResult>(requests.size());
  }
  std::vector<GenerationRequest> requests_;
  std::vector<GenerationParams> params_;

 private:
  PromptStyle style_;
  std::mutex mu_;
};

// The run records the backend's engine when it has one, through wrappers, and nothing otherwise.
TEST(Runner, TheEngineIsRecordedWithTheRun) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "e.db").string());
  RunOptions options = fixture_options();
  options.limit = 1;
  RecordingBackend plain({});
  EXPECT_FALSE(store.find_run(run_with(store, options, plain).run_id)->config.contains("engine"));
  testing::EngineBackend engine(std::make_unique<RecordingBackend>(PromptStyle{}), "cpu avx512-amx");
  struct Passthrough final : BackendWrapper {  // a wrapper that overrides nothing
    using BackendWrapper::BackendWrapper;
  };
  Passthrough cached(std::make_unique<testing::EngineBackend>(std::make_unique<RecordingBackend>(PromptStyle{}), "cpu avx2"));
  EXPECT_EQ(store.find_run(run_with(store, options, engine).run_id)->config.at("engine"), "cpu avx512-amx");
  EXPECT_EQ(store.find_run(run_with(store, options, cached).run_id)->config.at("engine"), "cpu avx2");
}

// A resumed run or a merge adds the engines it brings to the run's, each once, in order.
TEST(Runner, EnginesAddUpOnceEachInOrder) {
  const nlohmann::json none = {{"seed", 0}};
  EXPECT_EQ(config_with_engine(none, ""), none);
  EXPECT_EQ(config_with_engine(none, "cpu avx2").at("engine"), "cpu avx2");
  const nlohmann::json amx = config_with_engine(none, "cpu avx512-amx");
  EXPECT_EQ(config_with_engine(amx, "cpu avx512-amx"), amx);
  EXPECT_EQ(config_with_engine(amx, "").at("engine"), "cpu avx512-amx");
  const nlohmann::json both = config_with_engine(amx, "cpu avx2");
  EXPECT_EQ(both.at("engine"), "cpu avx512-amx; cpu avx2");
  EXPECT_EQ(config_with_engine(both, "cpu avx2; cpu avx512-amx; cpu scalar").at("engine"),
            "cpu avx512-amx; cpu avx2; cpu scalar");
  EXPECT_EQ(both.at("seed"), 0);
}

// Few-shot as turns on the bundled cmdgen suite (3 shots): 1 system + 3 x (user, assistant) + 1 user;
// inline is the suite's one prompt text, as it always was.
TEST(Runner, ChatRequestsCarryFewshotAsTurnsAndInlineIsThePromptText) {
  const LoadedSuite cmdgen = load_suite("cmdgen", testing::bundled_data_dir(), "test");
  const Example& ex = cmdgen.examples.front();
  const GenerationRequest turns = build_request(*cmdgen.suite, ex, {true, FewshotLayout::kTurns});
  ASSERT_EQ(turns.messages.size(), 1u + 2u * 3u + 1u);
  EXPECT_EQ(turns.messages[0].role, "system");
  EXPECT_NE(turns.messages[0].content.find("You operate GPU clusters."), std::string::npos);
  EXPECT_EQ(turns.messages[0].content.find("Request:"), std::string::npos);  // the instruction alone
  for (size_t i = 1; i + 1 < turns.messages.size(); i += 2) {
    EXPECT_EQ(turns.messages[i].role, "user");
    EXPECT_EQ(turns.messages[i].content.rfind("Request: ", 0), 0u) << turns.messages[i].content;
    EXPECT_EQ(turns.messages[i + 1].role, "assistant");
    // The assistant turn is a bare command, as the suite's extractor expects it.
    EXPECT_EQ(cmdgen.suite->extract_answer(turns.messages[i + 1].content), turns.messages[i + 1].content);
  }
  EXPECT_EQ(turns.messages.back().role, "user");
  EXPECT_EQ(turns.messages.back().content, "Request: " + ex.fields.at("request").get<std::string>() + "\nCommand:");
  EXPECT_EQ(turns.prompt, render_turns_plain(turns.messages));
  for (const PromptStyle inline_style : {PromptStyle{}, PromptStyle{true, FewshotLayout::kInline}}) {
    const GenerationRequest plain = build_request(*cmdgen.suite, ex, inline_style);
    EXPECT_TRUE(plain.messages.empty());
    EXPECT_EQ(plain.prompt, cmdgen.suite->prompt(ex));
  }
}

// The budget and stops come from suite.json unless --max-new-tokens is given; the run records the
// prompt style and each suite's effective values.
TEST(Runner, GenerationLimitsComeFromTheSuiteAndAreRecorded) {
  ScratchDir dir;
  const auto data = testing::copy_fixture_suites(dir);
  {
    auto def = read_json_file(data / "cmdgen" / "suite.json");
    def["max_new_tokens"] = 48;
    def["stop"] = {"\n"};
    def["chat_stop"] = nlohmann::json::array();
    testing::write_file(data / "cmdgen" / "suite.json", def.dump(1));
  }
  Store store = Store::open_for_write((dir / "g.db").string());
  RunOptions options = fixture_options();
  options.data_dir = data;
  options.limit = 2;
  for (const bool chat : {false, true}) {
    RecordingBackend backend({chat, chat ? FewshotLayout::kTurns : FewshotLayout::kInline});
    const Finished f = run_with(store, options, backend);
    ASSERT_FALSE(backend.params_.empty());
    EXPECT_EQ(backend.params_[0].max_new_tokens, 48);
    EXPECT_EQ(backend.params_[0].stop, chat ? std::vector<std::string>{} : std::vector<std::string>{"\n"});
    const auto run = *store.find_run(f.run_id);
    EXPECT_EQ(run.config.at("prompt_style"),
              (nlohmann::json{{"chat", chat}, {"fewshot", chat ? "turns" : "inline"}}));
    EXPECT_TRUE(run.config.at("max_new_tokens").is_null());
    EXPECT_EQ(run.suites.at("cmdgen").at("generation").at("max_new_tokens"), 48);
    // Chat, a suite without shots: one user turn holding the prompt.
    if (chat) {
      ASSERT_EQ(backend.requests_[0].messages.size(), 1u);
      EXPECT_EQ(backend.requests_[0].messages[0].role, "user");
    }
  }
  options.max_new_tokens = 7;  // --max-new-tokens overrides the suite's own
  RecordingBackend backend({});
  const Finished f = run_with(store, options, backend);
  EXPECT_EQ(backend.params_[0].max_new_tokens, 7);
  EXPECT_EQ(store.find_run(f.run_id)->suites.at("cmdgen").at("generation").at("max_new_tokens"), 7);
  EXPECT_EQ(RunOptions::from_json(store.find_run(f.run_id)->config).max_new_tokens, 7);
  // A run stored before the budget could be absent ran with 256, and resumes so.
  EXPECT_EQ(RunOptions::from_json({{"suites", {"cmdgen"}}, {"model", "m"}, {"limit", nullptr}, {"seed", 0},
                                   {"split", "test"}, {"batch_size", 8}})
                .max_new_tokens,
            kDefaultMaxNewTokens);
}

// A resumed run refuses a backend that builds its prompts another way than the run recorded.
TEST(Runner, ResumeRefusesAnotherPromptStyle) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "s.db").string());
  RecordingBackend chat({true, FewshotLayout::kTurns});
  const RunPlan plan = plan_run(fixture_options());
  const int64_t id = create_run(store, plan, chat);
  const auto run = *store.find_run(id);
  EXPECT_NO_THROW(check_resume_backend(run, chat));
  RecordingBackend inline_chat({true, FewshotLayout::kInline});
  EXPECT_THROW(check_resume_backend(run, inline_chat), InputError);
}

// fewshot= in a local: spec: turns need chat=1; the error comes before any weight is read.
TEST(Runner, FewshotTurnsNeedAChatModel) {
  const auto err = [](const std::string& spec) {
    try {
      make_backend(spec, {});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
#ifdef AIMICIUS_HAVE_RUNTIME  // local: exists only where the runtime is built
  EXPECT_NE(err("local:/no/such/dir?fewshot=turns").find("fewshot=turns needs a chat model"), std::string::npos);
  EXPECT_NE(err("local:/no/such/dir?chat=1&fewshot=rows").find("fewshot must be turns or inline"), std::string::npos);
#endif
  (void)err;
  EXPECT_EQ(make_prompt_style("s", true, "").fewshot, FewshotLayout::kTurns);
  EXPECT_EQ(make_prompt_style("s", false, "").fewshot, FewshotLayout::kInline);
  EXPECT_EQ(make_prompt_style("s", true, "inline").fewshot, FewshotLayout::kInline);
}

}  // namespace
}  // namespace aimicius

// A backend that batches itself (as local: does): asks for many requests per call and hands each
// result over through on_result, out of order, before generate() returns. Answers are the
// oracle's. After its first result it waits until that example is in the database: the runner
// stores finished examples while the call goes on (a crash loses only what is in flight).
class StreamingOracle final : public Backend {
 public:
  StreamingOracle(const std::vector<LoadedSuite>& suites, std::string db, int64_t fail_after = -1)
      : oracle_(suites), db_(std::move(db)), fail_after_(fail_after) {}
  std::string spec() const override { return "streaming"; }
  std::string content_hash() const override { return "s"; }
  int64_t requests_per_call(int64_t batch_size) const override { return batch_size * 100; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                         const GenerationParams& params) override {
    call_sizes.push_back(static_cast<int64_t>(requests.size()));
    max_active = params.max_active;
    GenerationParams plain = params;
    plain.on_result = nullptr;
    std::vector<GenerationResult> results = oracle_.generate(requests, plain);
    for (size_t k = 0; k < results.size(); ++k) {
      const size_t i = results.size() - 1 - k;  // last first: the runner must not rely on order
      if (static_cast<int64_t>(k) == fail_after_) throw std::runtime_error("device lost");
      params.on_result(i, results[i]);
      if (k == 0) first_stored_during_call = wait_until_stored(requests[i]);
    }
    return results;
  }

  std::vector<int64_t> call_sizes;
  int64_t max_active = -1;
  bool first_stored_during_call = false;

 private:
  bool wait_until_stored(const GenerationRequest& r) const {
    Store reader = Store::open_for_read(db_);
    for (int tries = 0; tries < 1000; ++tries) {
      for (const auto& run : reader.list_runs())
        if (reader.stored_example_ids(run.id, r.suite).count(r.example_id)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  OracleBackend oracle_;
  std::string db_;
  int64_t fail_after_;
};

// Issue 18: --batch-size is the sequences a self-batching backend keeps in flight, not a batch
// that waits for its slowest member: the whole suite goes in one call with max_active = batch
// size, each result is judged and stored as it arrives, and the scores are the oracle's.
TEST(Runner, SelfBatchingBackendGetsTheSuiteInOneCallAndResultsAreStoredAsTheyFinish) {
  ScratchDir dir;
  const std::string db = (dir / "s.db").string();
  Store store = Store::open_for_write(db);
  RunOptions options = fixture_options();
  options.batch_size = 3;
  const RunPlan plan = plan_run(options);
  StreamingOracle backend(plan.suites, db);
  const Finished f = run_with(store, options, backend);
  EXPECT_EQ(backend.call_sizes, std::vector<int64_t>{10});
  EXPECT_EQ(backend.max_active, 3);
  EXPECT_TRUE(backend.first_stored_during_call);
  EXPECT_EQ(store.prediction_count(f.run_id), 10);
  ASSERT_FALSE(f.means.empty());
  for (const auto& [metric, mean] : f.means) EXPECT_DOUBLE_EQ(mean, 1.0) << metric;
}

// A call that fails half-way keeps what it handed over: those examples are judged (scored 1
// here), only the rest are infra_error for --retry-errors.
TEST(Runner, ResultsHandedOverBeforeABackendFailureAreJudged) {
  ScratchDir dir;
  const std::string db = (dir / "h.db").string();
  Store store = Store::open_for_write(db);
  const RunPlan plan = plan_run(fixture_options());
  StreamingOracle backend(plan.suites, db, /*fail_after=*/4);
  const Finished f = run_with(store, fixture_options(), backend);
  EXPECT_EQ(store.find_run(f.run_id)->status, kRunComplete);
  EXPECT_EQ(store.prediction_count(f.run_id), 10);
  EXPECT_EQ(store.infra_error_count(f.run_id), 6);
  ASSERT_FALSE(f.means.empty());
  for (const auto& [metric, mean] : f.means) EXPECT_DOUBLE_EQ(mean, 1.0) << metric;
}

#ifdef AIMICIUS_HAVE_RUNTIME
// A local: run stores the same predictions with prefix_reuse on (the default) and off: the
// suite's prompts share their instruction and few-shot block, which was computed once and
// reused (the backend's schedule totals), and no stored output changed. The spec is recorded.
TEST(Runner, LocalPrefixReuseStoresTheSamePredictions) {
  ScratchDir dir;
  runtime::CheckpointOptions opts;
  opts.init_std = 0.3;  // peaked logits: greedy text is not a run of one token
  runtime::write_random_checkpoint(runtime::preset_config("tiny-diffqkv"), dir / "ckpt", opts);
  Store store = Store::open_for_write((dir / "p.db").string());
  std::vector<std::vector<StoredExample>> stored;
  for (const char* reuse : {"", "?prefix_reuse=0"}) {
    RunOptions o = fixture_options();
    o.model_spec = "local:" + (dir / "ckpt").string() + reuse;
    o.max_new_tokens = 8;
    o.batch_size = 2;
    LocalBackend backend(o.model_spec);
    const Finished f = run_with(store, o, backend);
    const runtime::ScheduleStats totals = backend.schedule_totals();
    if (*reuse == '\0') {
      EXPECT_GE(totals.prefixes, 1);
      EXPECT_GT(totals.prefix_tokens_reused, 0) << totals.prefill_summary();
    } else {
      EXPECT_EQ(totals.prefix_tokens_reused, 0);
    }
    EXPECT_EQ(store.find_run(f.run_id)->model_spec, o.model_spec);
    stored.push_back(store.stored_examples(f.run_id, ExampleTexts::kSkip));
  }
  ASSERT_EQ(stored[0].size(), stored[1].size());
  ASSERT_FALSE(stored[0].empty());
  for (size_t i = 0; i < stored[0].size(); ++i) {
    EXPECT_EQ(stored[0][i].example_id, stored[1][i].example_id);
    EXPECT_EQ(stored[0][i].raw_output, stored[1][i].raw_output) << stored[0][i].example_id;
    EXPECT_EQ(stored[0][i].tokens_out, stored[1][i].tokens_out) << stored[0][i].example_id;
  }
}
#endif

}  // namespace
}  // namespace aimicius
