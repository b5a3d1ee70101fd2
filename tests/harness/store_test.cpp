// The SQLite store: schema and migrations, WAL, uniqueness of (run, suite, example), and that an
// example's prediction and scores land together or not at all.
#include <gtest/gtest.h>

#include <limits>

#include "common/errors.h"
#include "harness/store/run_lock.h"
#include "harness/store/store.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

NewRun sample_run() {
  NewRun r;
  r.model_spec = "replay:x.jsonl";
  r.model_hash = "abc";
  r.suites = {{"cmdgen", {{"version", "1"}}}};
  r.config = {{"limit", 3}};
  r.tool_version = "test";
  return r;
}

PredictionRecord prediction(int64_t run, const std::string& id) {
  PredictionRecord p;
  p.run_id = run;
  p.suite = "cmdgen";
  p.example_id = id;
  p.prompt_sha256 = "p";
  p.raw_output = "out " + id;
  p.answer = "ans " + id;
  return p;
}

TEST(Store, CreatesSchemaInWalModeAndReopens) {
  ScratchDir dir;
  const std::string path = (dir / "a.db").string();
  {
    Store s = Store::open_for_write(path);
    EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(s.create_run(sample_run()), 1);
  }
  SqliteDb raw(path, SqliteDb::Mode::kReadOnly);
  Statement mode(raw, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  Store again = Store::open_for_write(path);  // migrating twice is a no-op
  EXPECT_EQ(again.schema_version(), Store::kSchemaVersion);
  ASSERT_EQ(again.list_runs().size(), 1u);
  const auto run = again.find_run(1);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, kRunRunning);
  EXPECT_EQ(run->config["limit"], 3);
  EXPECT_FALSE(again.find_run(2));
}

TEST(Store, RecordsExampleWithScoresAndSummarises) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  s.record_example(prediction(run, "e1"), {{"exact_match", 1.0, {}}, {"command_score", 0.5, {{"k", 1}}}});
  auto p2 = prediction(run, "e2");
  p2.error = "no output";
  s.record_example(p2, {{"exact_match", 0.0, {}}, {"command_score", 0.0, {}}});
  EXPECT_EQ(s.stored_example_ids(run, "cmdgen"), (std::set<std::string>{"e1", "e2"}));
  const auto summaries = s.metric_summaries(run);
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].metric, "exact_match");  // the order the suite wrote them in
  EXPECT_DOUBLE_EQ(summaries[0].mean, 0.5);
  EXPECT_DOUBLE_EQ(summaries[1].mean, 0.25);
  const auto counts = s.suite_counts(run);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].examples, 2);
  EXPECT_EQ(counts[0].errors, 1);
  const auto errors = s.example_errors(run, 10);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].example_id, "e2");
}

TEST(Store, DuplicateExampleIsRejectedAndFirstWriteKept) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  s.record_example(prediction(run, "e1"), {{"exact_match", 1.0, {}}});
  auto again = prediction(run, "e1");
  again.raw_output = "second";
  EXPECT_THROW(s.record_example(again, {{"exact_match", 0.0, {}}}), std::runtime_error);
  EXPECT_EQ(s.prediction_count(run), 1);
  EXPECT_EQ(s.score_count(run), 1);
  EXPECT_DOUBLE_EQ(s.metric_summaries(run)[0].mean, 1.0);
}

TEST(Store, FailedScoreWriteRollsBackThePrediction) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  // The same metric twice violates the scores key: the whole example must roll back.
  EXPECT_THROW(s.record_example(prediction(run, "e1"), {{"m", 1.0, {}}, {"m", 0.0, {}}}), std::runtime_error);
  EXPECT_EQ(s.prediction_count(run), 0);
  EXPECT_EQ(s.score_count(run), 0);
  s.record_example(prediction(run, "e1"), {{"m", 1.0, {}}});  // and the connection still works
  EXPECT_EQ(s.prediction_count(run), 1);
}

TEST(Store, InvalidUtf8FromAModelIsStoredNotFatal) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  auto p = prediction(run, "e1");
  p.raw_output = "nvidia-smi \x8c\xff";  // random-weight models emit such bytes
  p.answer = p.raw_output;
  s.record_example(p, {{"command_score", 0.5, {{"flags_extra", {"\x8c\xff"}}}}});
  EXPECT_EQ(s.prediction_count(run), 1);
  EXPECT_EQ(s.score_count(run), 1);
}

TEST(Store, RunStatusTransitions) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  s.finish_run(run, kRunFailed, "boom");
  EXPECT_EQ(s.find_run(run)->status, kRunFailed);
  EXPECT_EQ(s.find_run(run)->error, "boom");
  EXPECT_FALSE(s.find_run(run)->finished_at.empty());
  s.reopen_run(run);
  EXPECT_EQ(s.find_run(run)->status, kRunRunning);
  EXPECT_TRUE(s.find_run(run)->finished_at.empty());
  s.finish_run(run, kRunComplete);
  EXPECT_EQ(s.find_run(run)->status, kRunComplete);
}

TEST(Store, UnwritableOrMissingDatabaseIsAnInputError) {
  ScratchDir dir;
  EXPECT_THROW(Store::open_for_write((dir / "no" / "such" / "dir" / "a.db").string()), InputError);
  EXPECT_THROW(Store::open_for_read((dir / "missing.db").string()), InputError);
  try {
    Store::open_for_read((dir / "missing.db").string());
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.db"), std::string::npos);
  }
}

TEST(Store, NewerSchemaIsRefused) {
  ScratchDir dir;
  const std::string path = (dir / "a.db").string();
  { Store::open_for_write(path); }
  {
    SqliteDb raw(path, SqliteDb::Mode::kReadWriteCreate);
    raw.exec("PRAGMA user_version = 99");
  }
  EXPECT_THROW(Store::open_for_write(path), InputError);
  EXPECT_THROW(Store::open_for_read(path), InputError);
}

TEST(Store, SubsetSummariesAverageEachSubsetApart) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  // nvidia: 1, 0, 1 -> 2/3; amd: 0 -> 0; one example without a subset is in no subset row.
  const std::vector<std::pair<std::string, double>> rows = {{"nvidia", 1}, {"nvidia", 0}, {"amd", 0}, {"nvidia", 1}, {"", 1}};
  for (size_t i = 0; i < rows.size(); ++i) {
    PredictionRecord p = prediction(run, "e" + std::to_string(i));
    p.subset = rows[i].first;
    s.record_example(p, {{"exact_match", rows[i].second, {}}});
  }
  const auto subsets = s.subset_summaries(run);
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_EQ(subsets[0].subset, "amd");
  EXPECT_EQ(subsets[0].examples, 1);
  EXPECT_DOUBLE_EQ(subsets[0].mean, 0.0);
  EXPECT_EQ(subsets[1].subset, "nvidia");
  EXPECT_EQ(subsets[1].examples, 3);
  EXPECT_DOUBLE_EQ(subsets[1].mean, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.metric_summaries(run).at(0).mean, 3.0 / 5.0);  // the suite's mean covers all five
}

TEST(Store, VersionOneDatabasesGainSubsetsAndKeepTheirRows) {
  ScratchDir dir;
  const std::string path = (dir / "v1.db").string();
  {
    // The predictions table as schema version 1 made it, with one stored row.
    SqliteDb raw(path, SqliteDb::Mode::kReadWriteCreate);
    raw.exec("CREATE TABLE predictions (run_id INTEGER NOT NULL, suite TEXT NOT NULL, example_id TEXT NOT NULL, "
             "prompt_sha256 TEXT NOT NULL, raw_output TEXT NOT NULL, answer TEXT NOT NULL, tokens_in INTEGER NOT NULL "
             "DEFAULT 0, tokens_out INTEGER NOT NULL DEFAULT 0, latency_ms REAL NOT NULL DEFAULT 0, error TEXT, "
             "created_at TEXT NOT NULL, PRIMARY KEY (run_id, suite, example_id))");
    raw.exec("INSERT INTO predictions VALUES (1, 'cmdgen', 'x', 'h', 'out', 'ans', 1, 2, 3.0, NULL, 'now')");
    raw.exec("PRAGMA user_version = 1");
  }
  { Store::open_for_write(path); }
  SqliteDb raw(path, SqliteDb::Mode::kReadOnly);
  Statement st(raw, "SELECT example_id, answer, subset, cached, cost_usd FROM predictions");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "x");
  EXPECT_EQ(st.column_text(1), "ans");
  EXPECT_TRUE(st.column_is_null(2));
  EXPECT_EQ(st.column_int(3), 0);  // version 3: usage columns, zero for old rows
  EXPECT_DOUBLE_EQ(st.column_double(4), 0.0);
  Statement version(raw, "PRAGMA user_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int(0), Store::kSchemaVersion);
}

TEST(Store, PromptAndReferenceAreStoredWithThePrediction) {
  ScratchDir dir;
  const std::string path = (dir / "a.db").string();
  {
    Store s = Store::open_for_write(path);
    const int64_t run = s.create_run(sample_run());
    auto p = prediction(run, "e1");
    p.prompt = "Request: list GPUs\nCommand:";
    p.reference = "nvidia-smi -L";
    s.record_example(p, {{"exact_match", 1.0, {}}});
    s.record_example(prediction(run, "e2"), {{"exact_match", 0.0, {}}});  // none given: NULL
  }
  Store s = Store::open_for_read(path);
  const auto with = s.stored_examples(1, ExampleTexts::kRead);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0].prompt, std::optional<std::string>("Request: list GPUs\nCommand:"));
  EXPECT_EQ(with[0].reference, std::optional<std::string>("nvidia-smi -L"));
  EXPECT_FALSE(with[1].prompt);
  EXPECT_FALSE(with[1].reference);
  // Not asked for: not read (leaderboards and comparisons need only the scores).
  const auto without = s.stored_examples(1);
  ASSERT_EQ(without.size(), 2u);
  EXPECT_FALSE(without[0].prompt);
  EXPECT_FALSE(without[0].reference);
  EXPECT_EQ(without[0].answer, "ans e1");
}

// A database as schema version 3 left it (built with the shipped migrations 0..2), holding a
// run: opening it with this Store adds the prompt and reference columns, NULL for the old rows,
// and keeps every row; a report opens it directly (migrated first).
TEST(Store, VersionThreeDatabasesGainPromptColumnsAndKeepTheirRows) {
  ASSERT_EQ(schema_migrations().size(), static_cast<size_t>(Store::kSchemaVersion));
  ScratchDir dir;
  const std::string path = (dir / "v3.db").string();
  {
    SqliteDb raw(path, SqliteDb::Mode::kReadWriteCreate);
    for (int v = 0; v < 3; ++v) raw.exec(schema_migrations()[static_cast<size_t>(v)]);
    raw.exec("PRAGMA user_version = 3");
    raw.exec("INSERT INTO runs (id, created_at, model_spec, model_hash, suites_json, config_json, tool_version, "
             "status) VALUES (1, 'then', 'replay:x.jsonl', 'abc', '{\"cmdgen\": {\"headline\": \"exact_match\"}}', "
             "'{}', 'old', 'complete')");
    raw.exec("INSERT INTO predictions (run_id, suite, example_id, prompt_sha256, raw_output, answer, subset, "
             "cached, cost_usd, created_at) VALUES (1, 'cmdgen', 'x', 'h', 'out', 'ans', 'nvidia', 1, 0.5, 'then')");
    raw.exec("INSERT INTO scores VALUES (1, 'cmdgen', 'x', 'exact_match', 1.0, '{\"k\": 2}')");
  }
  Store s = Store::open_for_read(path);
  EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
  ASSERT_EQ(s.list_runs().size(), 1u);
  EXPECT_EQ(s.list_runs()[0].model_spec, "replay:x.jsonl");
  const auto rows = s.stored_examples(1, ExampleTexts::kRead);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].example_id, "x");
  EXPECT_EQ(rows[0].subset, "nvidia");
  EXPECT_EQ(rows[0].raw_output, "out");
  EXPECT_EQ(rows[0].answer, "ans");
  EXPECT_FALSE(rows[0].prompt);  // not stored then: NULL, never made up
  EXPECT_FALSE(rows[0].reference);
  ASSERT_EQ(rows[0].scores.size(), 1u);
  EXPECT_EQ(rows[0].scores[0].detail["k"], 2);
  EXPECT_EQ(s.run_usage(1).cached, 1);
  EXPECT_DOUBLE_EQ(s.run_usage(1).cost_usd, 0.5);
  SqliteDb raw(path, SqliteDb::Mode::kReadOnly);
  Statement st(raw, "SELECT prompt IS NULL, reference IS NULL FROM predictions");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
  EXPECT_EQ(st.column_int(1), 1);
}

TEST(Store, AFileAimiciusNeverSetUpIsNotMigratedByAReport) {
  ScratchDir dir;
  const std::string path = (dir / "other.db").string();
  { SqliteDb raw(path, SqliteDb::Mode::kReadWriteCreate); raw.exec("CREATE TABLE notes (t TEXT)"); }
  EXPECT_THROW(Store::open_for_read(path), InputError);
  SqliteDb raw(path, SqliteDb::Mode::kReadOnly);
  Statement st(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 0);
}

TEST(Store, RunUsageSumsApiExamplesAndCountsCachedOnes) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  const int64_t run = s.create_run(sample_run());
  auto a = prediction(run, "a");
  a.tokens_in = 100;
  a.tokens_out = 10;
  a.cost_usd = 0.25;
  auto b = prediction(run, "b");
  b.tokens_in = 50;
  b.tokens_out = 5;
  b.cost_usd = 0.5;
  auto c = prediction(run, "c");  // from the cache: its tokens are not API usage
  c.tokens_in = 70;
  c.tokens_out = 7;
  c.cached = true;
  for (const auto& p : {a, b, c}) s.record_example(p, {});
  const RunUsage u = s.run_usage(run);
  EXPECT_EQ(u.examples, 3);
  EXPECT_EQ(u.cached, 1);
  EXPECT_EQ(u.tokens_in, 150);
  EXPECT_EQ(u.tokens_out, 15);
  EXPECT_DOUBLE_EQ(u.cost_usd, 0.75);
  EXPECT_EQ(s.run_usage(run + 1).examples, 0);
  // Counts that add past 2^63 (stored by an older build from an API's nonsense) saturate instead
  // of failing the query with SQLite's "integer overflow".
  auto d = prediction(run, "d"), e = prediction(run, "e");
  d.tokens_in = e.tokens_in = std::numeric_limits<int64_t>::max();
  for (const auto& p : {d, e}) s.record_example(p, {});
  EXPECT_EQ(s.run_usage(run).tokens_in, std::numeric_limits<int64_t>::max());
}

TEST(Store, ApiCacheStoresAndReplacesResponses) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "a.db").string());
  EXPECT_FALSE(s.cached_response("k1"));
  s.store_response("k1", "{\"a\":1}");
  s.store_response("k1", "{\"a\":2}");
  ASSERT_TRUE(s.cached_response("k1"));
  EXPECT_EQ(*s.cached_response("k1"), "{\"a\":2}");
  EXPECT_FALSE(s.cached_response("k2"));
}

// One process at a time on a run: a second hold of the same run fails naming it (as a second
// process's would: the lock is per open file, not per process), another run is free, and the
// run is free again once the holder is gone.
TEST(Store, ARunIsHeldByOneHolderAtATime) {
  ScratchDir dir;
  const std::string path = (dir / "lock.db").string();
  Store::open_for_write(path);
  {
    const RunLock first(path, 1);
    const std::string error = testing::error_of([&] { RunLock second(path, 1); });
    EXPECT_NE(error.find("run 1 in"), std::string::npos) << error;
    EXPECT_NE(error.find("is being run or resumed by another process"), std::string::npos) << error;
    const RunLock other(path, 2);
  }
  const RunLock again(path, 1);
}

}  // namespace
}  // namespace aimicius

namespace aimicius {
namespace {

// Issue 19, "infrastructure errors are not model errors": an infra_error example is stored with
// that status and no scores, so every mean is over the judged examples; retrying it replaces its
// row in one transaction, and a judged row is never replaced.
TEST(Store, InfraErrorRowsAreNotJudgedAndARetryReplacesThem) {
  ScratchDir dir;
  Store s = Store::open_for_write((dir / "i.db").string());
  const int64_t run = s.create_run(sample_run());
  s.record_example(prediction(run, "a"), {{"exact_match", 1.0, {}}});
  s.record_example(prediction(run, "b"), {{"exact_match", 0.0, {}}});
  PredictionRecord broken = prediction(run, "c");
  broken.infra_error = true;
  broken.error = "sandbox: bwrap failed to start";
  s.record_example(broken, {});
  EXPECT_THROW(s.record_example(broken, {{"exact_match", 0.0, {}}}), std::logic_error);  // never scored

  ASSERT_EQ(s.metric_summaries(run).size(), 1u);
  EXPECT_EQ(s.metric_summaries(run)[0].examples, 2);
  EXPECT_DOUBLE_EQ(s.metric_summaries(run)[0].mean, 0.5);  // (1 + 0) / 2: c is not a 0
  ASSERT_EQ(s.suite_counts(run).size(), 1u);
  EXPECT_EQ(s.suite_counts(run)[0].examples, 3);
  EXPECT_EQ(s.suite_counts(run)[0].infra_errors, 1);
  EXPECT_EQ(s.infra_error_count(run), 1);
  EXPECT_EQ(s.infra_error_example_ids(run, "cmdgen"), std::set<std::string>{"c"});
  const auto stored = s.stored_examples(run);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_FALSE(stored[0].infra_error);
  EXPECT_TRUE(stored[2].infra_error);

  // The retry: the judged answer replaces the infra_error row.
  s.record_example(prediction(run, "c"), {{"exact_match", 1.0, {}}});
  EXPECT_EQ(s.infra_error_count(run), 0);
  EXPECT_EQ(s.prediction_count(run), 3);
  EXPECT_NEAR(s.metric_summaries(run)[0].mean, 2.0 / 3.0, 1e-12);
  // A judged row stays: writing the example again is refused and changes nothing.
  EXPECT_THROW(s.record_example(prediction(run, "a"), {{"exact_match", 0.0, {}}}), std::runtime_error);
  PredictionRecord late_infra = prediction(run, "a");
  late_infra.infra_error = true;
  EXPECT_THROW(s.record_example(late_infra, {}), std::runtime_error);
  EXPECT_NEAR(s.metric_summaries(run)[0].mean, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(s.infra_error_count(run), 0);
}

// A version-5 database (before predictions.status) opens, and its rows read as judged.
TEST(Store, VersionFiveDatabasesGainAStatusAndTheirRowsAreJudged) {
  ScratchDir dir;
  const std::string path = (dir / "v5.db").string();
  {
    SqliteDb raw(path, SqliteDb::Mode::kReadWriteCreate);
    for (int v = 0; v < 5; ++v) raw.exec(schema_migrations()[static_cast<size_t>(v)]);
    raw.exec("PRAGMA user_version = 5");
    raw.exec("INSERT INTO runs (id, created_at, model_spec, model_hash, suites_json, config_json, tool_version, "
             "status) VALUES (1, 'then', 'oracle', 'o', '{}', '{}', 'old', 'complete')");
    raw.exec("INSERT INTO predictions (run_id, suite, example_id, prompt_sha256, raw_output, answer, error, "
             "created_at) VALUES (1, 'cmdgen', 'x', 'h', '', '', 'backend error: refused', 'then')");
  }
  Store s = Store::open_for_read(path);
  EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
  const auto rows = s.stored_examples(1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].infra_error);
  EXPECT_EQ(s.infra_error_count(1), 0);
  EXPECT_EQ(s.suite_counts(1)[0].errors, 1);
}

}  // namespace
}  // namespace aimicius
