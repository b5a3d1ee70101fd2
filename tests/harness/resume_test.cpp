// Killing a run midway (SIGKILL, no chance to clean up) and resuming it: the resumed run ends with
// exactly the rows an uninterrupted run has, with nothing duplicated or redone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "common/errors.h"
#include "harness/backends/backend_oracle.h"
#include "harness/runner/runner.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

// Answers like the oracle, but the process dies (SIGKILL) on the Nth call, mid-run: once the
// writer has stored some examples (watched through a second connection, so the kill lands after
// real writes and before the end whatever the thread timing).
class DyingBackend final : public Backend {
 public:
  DyingBackend(const std::vector<LoadedSuite>& suites, std::string db, int die_on_call)
      : oracle_(suites), db_(std::move(db)), die_on_(die_on_call) {}
  std::string spec() const override { return "oracle"; }
  std::string content_hash() const override { return "oracle"; }
  bool is_oracle() const override { return true; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    if (++calls_ == die_on_) {
      for (int i = 0; i < 500 && Store::open_for_read(db_).prediction_count(1) < 2; ++i) usleep(10000);
      raise(SIGKILL);
    }
    return oracle_.generate(batch, params);
  }

 private:
  OracleBackend oracle_;
  std::string db_;
  int die_on_;
  std::atomic<int> calls_{0};
};

// Counts the examples each call generates, to prove a resume redoes nothing.
class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(const std::vector<LoadedSuite>& suites) : oracle_(suites) {}
  std::string spec() const override { return "oracle"; }
  std::string content_hash() const override { return "oracle"; }
  bool is_oracle() const override { return true; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    generated += static_cast<int>(batch.size());
    return oracle_.generate(batch, params);
  }
  std::atomic<int> generated{0};

 private:
  OracleBackend oracle_;
};

RunOptions fixture_options() {
  RunOptions o;
  o.suites = {"cmdgen"};
  o.data_dir = testing::fixture_data_dir();
  o.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  o.batch_size = 2;
  o.jobs = 1;
  return o;
}

TEST(Resume, KilledRunResumesToTheSameRowsWithoutDuplicates) {
  ScratchDir dir;
  const std::string db = (dir / "r.db").string();
  const RunPlan plan = plan_run(fixture_options());

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: start the run and die on the 4th batch (after up to 3 batches were written).
    try {
      Store store = Store::open_for_write(db);
      DyingBackend backend(plan.suites, db, 4);
      Progress quiet(stderr, Progress::Style::kQuiet);
      const int64_t id = create_run(store, plan, backend);
      execute_run(store, id, plan, backend, quiet);
    } catch (...) {
    }
    _exit(0);  // reached only if the kill did not happen: the parent fails the test
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child run was not killed midway";

  Store store = Store::open_for_write(db);
  const auto killed = store.find_run(1);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->status, kRunRunning);  // never marked complete
  const int64_t before = store.prediction_count(1);
  EXPECT_GT(before, 0);
  EXPECT_LE(before, 6);
  // Predictions and scores were written together: 2 matching metrics per example, plus 2
  // execution metrics for the 8 fixture examples whose reference runs on a simulated host
  // (t04 all_reduce_perf and t10 numactl do not).
  int64_t expected_scores = 0;
  for (const auto& id : store.stored_example_ids(1, "cmdgen")) expected_scores += id == "t04" || id == "t10" ? 2 : 4;
  EXPECT_EQ(store.score_count(1), expected_scores);

  const RunPlan resumed = plan_resume(store, 1, testing::fixture_data_dir(), 2, AIMICIUS_HOSTSIM_BIN);
  CountingBackend counting(resumed.suites);
  check_resume_backend(*killed, counting);
  Progress quiet(stderr, Progress::Style::kQuiet);
  execute_run(store, 1, resumed, counting, quiet);

  EXPECT_EQ(counting.generated, 10 - before);  // only what was missing
  EXPECT_EQ(store.find_run(1)->status, kRunComplete);
  EXPECT_EQ(store.prediction_count(1), 10);
  EXPECT_EQ(store.score_count(1), 10 * 2 + 8 * 2);

  // Same final rows as a run that was never interrupted.
  CountingBackend fresh_backend(plan.suites);
  const int64_t fresh = create_run(store, plan, fresh_backend);
  execute_run(store, fresh, plan, fresh_backend, quiet);
  EXPECT_EQ(store.example_scores(1), store.example_scores(fresh));

  // A complete run cannot be resumed again.
  EXPECT_THROW(plan_resume(store, 1, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN), InputError);
}

// A run stopped midway in a database written before the store kept prompts (schema version 3):
// `run --resume` migrates it and finishes the run; the old rows keep NULL prompt and reference
// (never made up), the resumed ones have them.
TEST(Resume, ARunInAVersionThreeDatabaseResumes) {
  ScratchDir dir;
  const std::string db = (dir / "v3.db").string();
  const RunPlan plan = plan_run(fixture_options());
  {
    // A run of the fixture with 4 of its 10 examples stored, then the database taken back to
    // what schema version 3 was: no prompt and reference columns, no loglikelihoods table.
    Store store = Store::open_for_write(db);
    OracleBackend oracle(plan.suites);
    Progress quiet(stderr, Progress::Style::kQuiet);
    const int64_t id = create_run(store, plan, oracle);
    execute_run(store, id, plan, oracle, quiet);
  }
  {
    SqliteDb raw(db, SqliteDb::Mode::kReadWriteCreate);
    raw.exec("DELETE FROM scores WHERE example_id NOT IN ('t01', 't02', 't03', 't04')");
    raw.exec("DELETE FROM predictions WHERE example_id NOT IN ('t01', 't02', 't03', 't04')");
    raw.exec("UPDATE runs SET status = 'running', finished_at = NULL");
    raw.exec("ALTER TABLE predictions DROP COLUMN prompt");
    raw.exec("ALTER TABLE predictions DROP COLUMN reference");
    raw.exec("DROP TABLE loglikelihoods");  // schema 5's answer-loss table came later too
    raw.exec("ALTER TABLE predictions DROP COLUMN status");  // schema 6
    raw.exec("PRAGMA user_version = 3");
  }
  Store store = Store::open_for_write(db);
  EXPECT_EQ(store.schema_version(), Store::kSchemaVersion);
  const RunPlan resumed = plan_resume(store, 1, testing::fixture_data_dir(), 1, AIMICIUS_HOSTSIM_BIN);
  CountingBackend counting(resumed.suites);
  check_resume_backend(*store.find_run(1), counting);
  Progress quiet(stderr, Progress::Style::kQuiet);
  execute_run(store, 1, resumed, counting, quiet);
  EXPECT_EQ(counting.generated, 6);
  EXPECT_EQ(store.find_run(1)->status, kRunComplete);
  EXPECT_EQ(store.score_count(1), 10 * 2 + 8 * 2);
  const auto stored = store.stored_examples(1, ExampleTexts::kRead);
  ASSERT_EQ(stored.size(), 10u);
  for (const auto& e : stored) {
    const bool old_row = e.example_id <= "t04";
    EXPECT_EQ(!e.prompt, old_row) << e.example_id;
    EXPECT_EQ(!e.reference, old_row) << e.example_id;
  }
  EXPECT_EQ(stored.back().example_id, "t10");
  EXPECT_NE(stored.back().prompt->find("Request: "), std::string::npos);
}

TEST(Resume, RefusesWhenDataOrModelChanged) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  RunOptions options = fixture_options();
  options.data_dir = suites;
  Store store = Store::open_for_write((dir / "r.db").string());
  const RunPlan plan = plan_run(options);
  OracleBackend oracle(plan.suites);
  const int64_t id = create_run(store, plan, oracle);  // created, never executed

  // Changed model: a different content hash is refused.
  CountingBackend other(plan.suites);
  RunRecord record = *store.find_run(id);
  record.model_hash = "something-else";
  EXPECT_THROW(check_resume_backend(record, other), InputError);

  // Changed data (re-sealed manifest): refused, naming the suite.
  auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text.replace(text.find("ibstat"), 6, "ibstatus");
  testing::write_file(file, text);
  refresh_manifest(suites / "cmdgen");
  try {
    plan_resume(store, id, suites, 1, AIMICIUS_HOSTSIM_BIN);
    FAIL() << "resume accepted changed data";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cmdgen changed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan_resume(store, 99, suites, 1, AIMICIUS_HOSTSIM_BIN), InputError);
}

}  // namespace
}  // namespace aimicius
