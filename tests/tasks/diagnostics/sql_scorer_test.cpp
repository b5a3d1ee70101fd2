// Tests of the "sql" scorer and its parts (token Jaccard, read inspection) on the bundled
// telemetry database. Expected table/column sets and Jaccard values are counted by hand from the
// query texts (token lists are written out next to each case); execution expectations rely only on
// facts of the data that the case states (e.g. "not every user ran on that node").
#include "scorers/sql/sql_scorer.h"

#include <cstdlib>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/temp_dir.h"
#include "scorers/sql_engine/sql_script_database.h"
#include "scorers/sql/sql_reads.h"
#include "scorers/sql/sql_tokens.h"
#include "tests/tasks/diagnostics/diagnostics_test_support.h"

namespace aimicius {
namespace {

using diagnostics_test::bundled_scorer;
using diagnostics_test::bundled_spec;
using diagnostics_test::metric;

Example example_with(const std::string& reference) {
  Example ex;
  ex.id = "hand-made";
  ex.split = "test";
  ex.origin = "sql_scorer_test.cpp";
  ex.fields = {{"id", "hand-made"}, {"reference", reference}};
  return ex;
}

std::vector<ScoreRow> score(const std::string& reference, const std::string& candidate) {
  return bundled_scorer().score(example_with(reference), candidate, ScoringContext{});
}

// ---------------------------------------------------------------- tokens
TEST(SqlTokens, LowerCasesAndDropsPunctuation) {
  const std::vector<std::string> expected = {"select", "j", "user_name", "count", "*", "from", "jobs", "j",
                                             "where", "state", "<>", "'failed'", "and", "x", ">=", "1.5e3"};
  EXPECT_EQ(sql_tokens("SELECT j.User_Name, COUNT(*) FROM \"Jobs\" j -- comment\nWHERE state <> 'FAILED' "
                       "AND [x] >= 1.5e3 /* c */;"),
            expected);
}

TEST(SqlTokens, JaccardIsOverTokenSets) {
  EXPECT_DOUBLE_EQ(token_jaccard("SELECT a FROM t", "select A from T"), 1.0);
  // {select, a, from, t} vs {select, b, from, t}: 3 shared of 5.
  EXPECT_DOUBLE_EQ(token_jaccard("SELECT a FROM t", "SELECT b FROM t"), 3.0 / 5.0);
  // Duplicates do not count.
  EXPECT_DOUBLE_EQ(token_jaccard("SELECT a, a, a FROM t", "SELECT a FROM t"), 1.0);
  EXPECT_DOUBLE_EQ(token_jaccard("", "SELECT 1"), 0.0);
  EXPECT_DOUBLE_EQ(token_jaccard("", ""), 1.0);
}

// ---------------------------------------------------------------- reads
TEST(SqlReads, CollectsTablesAndColumnsThroughJoinsCtesAndSubqueries) {
  SqlScriptDatabase database(diagnostics_test::suite_dir() / "telemetry.sql");
  const auto inspector = SqlReadInspector::open(database.file());
  const auto reads = inspector.reads(
      "WITH f AS (SELECT job_id FROM jobs WHERE state = 'FAILED') "
      "SELECT jn.hostname FROM job_nodes jn WHERE jn.job_id IN (SELECT job_id FROM f)");
  ASSERT_TRUE(reads.has_value());
  EXPECT_EQ(reads->tables, (std::set<std::string>{"jobs", "job_nodes"}));
  const std::set<std::pair<std::string, std::string>> columns = {
      {"jobs", "job_id"}, {"jobs", "state"}, {"job_nodes", "hostname"}, {"job_nodes", "job_id"}};
  EXPECT_EQ(reads->columns, columns);

  const auto count_only = inspector.reads("SELECT COUNT(*) FROM gpus");
  ASSERT_TRUE(count_only.has_value());
  EXPECT_EQ(count_only->tables, (std::set<std::string>{"gpus"}));
  EXPECT_TRUE(count_only->columns.empty());

  EXPECT_FALSE(inspector.reads("SELECT nope FROM gpus").has_value());
  EXPECT_FALSE(inspector.reads("DELETE FROM gpus").has_value());
  EXPECT_FALSE(inspector.reads("").has_value());
  EXPECT_TRUE(inspector.reads(";; SELECT 1").has_value());
}

// ---------------------------------------------------------------- scorer metrics
TEST(SqlScorer, ReportsSixMetricsWithTestSuiteAccuracyAsHeadlineAndThePapersMarked) {
  const auto metrics = bundled_scorer().metrics();
  ASSERT_EQ(metrics.size(), 6u);
  EXPECT_EQ(metrics[0].name, "test_suite_accuracy");
  EXPECT_TRUE(metrics[0].headline);
  EXPECT_FALSE(metrics[0].paper);
  EXPECT_EQ(metrics[1].name, "execution_accuracy");
  EXPECT_FALSE(metrics[1].paper);
  for (std::size_t i = 1; i < metrics.size(); ++i) EXPECT_FALSE(metrics[i].headline) << metrics[i].name;
  for (std::size_t i = 2; i < metrics.size(); ++i) EXPECT_TRUE(metrics[i].paper) << metrics[i].name;
  EXPECT_NE(metrics[3].description.find("lenient"), std::string::npos);
}

TEST(SqlScorer, SameResultWithDifferentSqlScoresExecutionOne) {
  const std::string reference = "SELECT COUNT(*) FROM jobs WHERE state = 'CANCELLED'";
  const auto rows = score(reference, "SELECT SUM(state = 'CANCELLED') FROM jobs");
  EXPECT_EQ(metric(rows, "execution_accuracy"), 1.0);
  EXPECT_EQ(metric(rows, "syntax_accuracy"), 1.0);
  // reference {select count * from jobs where state = 'cancelled'} (9),
  // candidate {select sum state = 'cancelled' from jobs} (7); shared 6; union 10.
  EXPECT_DOUBLE_EQ(metric(rows, "token_jaccard"), 0.6);
  EXPECT_EQ(metric(rows, "table_score"), 1.0);   // {jobs}
  EXPECT_EQ(metric(rows, "column_score"), 1.0);  // {jobs.state}
}

TEST(SqlScorer, MissingWhereScoresZeroExecutionWithHandCountedRecalls) {
  // Not every user ran a job on gpu-a100-002 (5 of 10 did), so dropping the join changes the result.
  const std::string reference =
      "SELECT DISTINCT j.user_name FROM jobs j JOIN job_nodes jn ON jn.job_id = j.job_id "
      "WHERE jn.hostname = 'gpu-a100-002' ORDER BY j.user_name";
  const auto rows = score(reference, "SELECT DISTINCT user_name FROM jobs ORDER BY user_name");
  EXPECT_EQ(metric(rows, "execution_accuracy"), 0.0);
  EXPECT_EQ(metric(rows, "syntax_accuracy"), 1.0);
  // reference tokens: select distinct j user_name from jobs join job_nodes jn on job_id = where
  // hostname 'gpu-a100-002' order by (17); candidate: select distinct user_name from jobs order by
  // (7), all shared.
  EXPECT_DOUBLE_EQ(metric(rows, "token_jaccard"), 7.0 / 17.0);
  EXPECT_DOUBLE_EQ(metric(rows, "table_score"), 0.5);  // jobs of {jobs, job_nodes}
  // jobs.user_name of {jobs.user_name, jobs.job_id, job_nodes.job_id, job_nodes.hostname}
  EXPECT_DOUBLE_EQ(metric(rows, "column_score"), 0.25);
}

TEST(SqlScorer, SyntaxErrorScoresZeroOnEverythingButText) {
  const std::string reference = "SELECT COUNT(*) FROM jobs WHERE state = 'CANCELLED'";
  const auto prose = score(reference, "The answer is eight.");
  for (const auto* name : {"execution_accuracy", "syntax_accuracy", "token_jaccard", "table_score", "column_score"})
    EXPECT_EQ(metric(prose, name), 0.0) << name;

  // A misspelt keyword: no execution, syntax, tables or columns; the token overlap still counts.
  const auto typo = score(reference, "SELEC COUNT(*) FROM jobs WHERE state = 'FAILED'");
  EXPECT_EQ(metric(typo, "execution_accuracy"), 0.0);
  EXPECT_EQ(metric(typo, "syntax_accuracy"), 0.0);
  EXPECT_EQ(metric(typo, "table_score"), 0.0);
  EXPECT_EQ(metric(typo, "column_score"), 0.0);
  // {selec count * from jobs where state = 'failed'} vs the reference's 9: 7 shared, union 11.
  EXPECT_DOUBLE_EQ(metric(typo, "token_jaccard"), 7.0 / 11.0);
}

TEST(SqlScorer, EmptyAnswerScoresZeroOnEveryMetric) {
  const auto rows = score("SELECT COUNT(*) FROM gpus", "");
  ASSERT_EQ(rows.size(), 6u);
  for (const auto& row : rows) EXPECT_EQ(row.value, 0.0) << row.metric;
}

TEST(SqlScorer, WritingStatementsDoNotPrepare) {
  const auto rows = score("SELECT COUNT(*) FROM gpus", "DELETE FROM gpus");
  EXPECT_EQ(metric(rows, "syntax_accuracy"), 0.0);
  EXPECT_EQ(metric(rows, "table_score"), 0.0);
}

TEST(SqlScorer, CountStarReferenceGivesFullColumnScoreToAnyPreparedCandidate) {
  const auto rows = score("SELECT COUNT(*) FROM gpus", "SELECT COUNT(*) FROM nodes");
  EXPECT_EQ(metric(rows, "execution_accuracy"), 0.0);  // 144 GPUs, 18 nodes
  EXPECT_EQ(metric(rows, "table_score"), 0.0);
  EXPECT_EQ(metric(rows, "column_score"), 1.0);  // the reference reads no column
}

TEST(SqlScorer, BrokenReferenceIsADataBug) {
  EXPECT_THROW(score("SELECT nope FROM gpus", "SELECT 1"), std::invalid_argument);
}

TEST(SqlScorer, CheckReferenceFindsEmptyAndFailingReferences) {
  const Scorer& scorer = bundled_scorer();
  EXPECT_TRUE(scorer.check_reference(example_with("SELECT COUNT(*) FROM gpus"), ScoringContext{}).empty());
  const auto empty = scorer.check_reference(example_with("SELECT * FROM gpus WHERE gpu_index > 8"), ScoringContext{});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_NE(empty[0].find("no rows"), std::string::npos);
  const auto failing = scorer.check_reference(example_with("SELECT nope FROM gpus"), ScoringContext{});
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_NE(failing[0].find("fails"), std::string::npos);
  const auto no_table = scorer.check_reference(example_with("SELECT 1"), ScoringContext{});
  ASSERT_EQ(no_table.size(), 1u);
  EXPECT_NE(no_table[0].find("no table"), std::string::npos);
}

TEST(SqlScorer, ValidateExampleNeedsAReference) {
  Example ex = example_with("SELECT 1");
  ex.fields.erase("reference");
  EXPECT_THROW(bundled_scorer().validate_example(ex), InputError);
  ex.fields["reference"] = 3;
  EXPECT_THROW(bundled_scorer().validate_example(ex), InputError);
}

TEST(SqlScorer, BadParametersAreInputErrors) {
  auto spec = bundled_spec();
  spec.params["colour"] = "blue";
  EXPECT_THROW(make_sql_scorer(spec), InputError);
  spec = bundled_spec();
  spec.params.erase("database");
  EXPECT_THROW(make_sql_scorer(spec), InputError);
  spec = bundled_spec();
  spec.params["database"] = "missing.sql";
  EXPECT_THROW(make_sql_scorer(spec), InputError);
  spec = bundled_spec();
  spec.params["seconds"] = -1;
  EXPECT_THROW(make_sql_scorer(spec), InputError);
  spec = bundled_spec();
  spec.params["max_rows"] = 2.5;
  EXPECT_THROW(make_sql_scorer(spec), InputError);
}

TEST(SqlScorer, MaxRowsLimitsCandidates) {
  auto spec = bundled_spec();
  spec.params["max_rows"] = 20;
  const auto scorer = make_sql_scorer(spec);
  const auto rows = scorer->score(example_with("SELECT COUNT(*) FROM gpus"), "SELECT * FROM gpus", ScoringContext{});
  EXPECT_EQ(metric(rows, "syntax_accuracy"), 1.0);
  EXPECT_EQ(metric(rows, "execution_accuracy"), 0.0);
  EXPECT_EQ(rows[1].metric, "execution_accuracy");
  EXPECT_EQ(rows[1].detail["candidate"]["error"], "row limit");
}

TEST(SqlScorer, ConcurrentScoringMatchesSerialScoring) {
  const auto examples = diagnostics_test::load_split("dev");
  const Scorer& scorer = bundled_scorer();
  // Half the answers are the reference, half a fixed wrong query.
  const auto answer = [&](std::size_t i) {
    return i % 2 == 0 ? examples[i].fields["reference"].get<std::string>() : std::string("SELECT COUNT(*) FROM jobs");
  };
  std::vector<double> serial;
  for (std::size_t i = 0; i < examples.size(); ++i)
    serial.push_back(metric(scorer.score(examples[i], answer(i), ScoringContext{}), "test_suite_accuracy"));
  std::vector<double> parallel(examples.size(), -1.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = t; i < examples.size(); i += 4)
        parallel[i] = metric(scorer.score(examples[i], answer(i), ScoringContext{}), "test_suite_accuracy");
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(parallel, serial);
  for (std::size_t i = 0; i < examples.size(); i += 2) EXPECT_EQ(serial[i], 1.0) << examples[i].id;
}

// The telemetry databases are built and opened at load; a scoring thread that needs more connections
// opens them again. If that fails (here: the built files removed under the run; in life a full /tmp
// or a descriptor limit), nothing of the answer ran, so it is an InfraError (stored as infra_error,
// redone by --retry-errors), not the answer's score. Four answers that each hold their connections
// for a while (a query that runs into the time limit) need four sets at once: the pooled set serves
// one, the other three must open their own.
TEST(SqlScorer, DatabasesThatCannotBeReopenedForScoringAreAnInfraError) {
  const TempDir scratch("sql-scorer-test");
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string saved = old_tmpdir ? old_tmpdir : "";
  ASSERT_EQ(setenv("TMPDIR", scratch.path().c_str(), 1), 0);
  auto spec = bundled_spec();
  spec.params["seconds"] = 1.5;  // long enough that the four answers overlap on a loaded machine
  const auto scorer = make_sql_scorer(spec);
  if (old_tmpdir) setenv("TMPDIR", saved.c_str(), 1); else unsetenv("TMPDIR");
  int removed = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(scratch.path()))
    if (entry.is_regular_file()) removed += std::filesystem::remove(entry.path()) ? 1 : 0;
  ASSERT_EQ(removed, 5) << "the base telemetry database and its four variants, built under TMPDIR";

  const std::string slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c";
  std::vector<std::future<std::string>> outcomes;
  for (int t = 0; t < 4; ++t)
    outcomes.push_back(std::async(std::launch::async, [&] {
      try {
        scorer->score(example_with("SELECT COUNT(*) FROM gpus"), slow, ScoringContext{});
        return std::string("scored");
      } catch (const InfraError& e) {
        return std::string("infra: ") + e.what();
      } catch (const std::exception& e) {
        return std::string("other: ") + e.what();
      }
    }));
  int scored = 0, infra = 0;
  for (auto& outcome : outcomes) {
    const std::string got = outcome.get();
    if (got == "scored") {
      ++scored;
    } else {
      ASSERT_EQ(got.rfind("infra: ", 0), 0u) << got;
      EXPECT_NE(got.find("telemetry"), std::string::npos) << got;
      ++infra;
    }
  }
  EXPECT_GE(scored, 1) << "the set opened at load still serves";
  EXPECT_GE(infra, 1) << "the answers overlapped, so some thread had to open the removed files";
  EXPECT_EQ(scored + infra, 4);
}

}  // namespace
}  // namespace aimicius
