// Tests of the bundled diagnostics data (that every reference runs and scores 1 as its own answer
// is `aimicius validate`'s check): split sizes and separation; suite.json names the files with
// their counts; the perturbed-answers check on real examples with hand-counted scores; the suite loads through suite.json and its
// prompt shows the schema and three shots; and the generators' determinism (the Python
// scripts, run again in a scratch folder, write byte-identical files).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/suite.h"
#include "tests/scratch_dir.h"
#include "tests/tasks/diagnostics/diagnostics_test_support.h"

namespace aimicius {
namespace {

using diagnostics_test::bundled_scorer;
using diagnostics_test::find_example;
using diagnostics_test::load_split;
using diagnostics_test::metric;
using diagnostics_test::suite_dir;

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DiagnosticsData, SplitSizesAndSeparation) {
  const auto test = load_split("test");
  const auto dev = load_split("dev");
  const auto fewshot = load_split("fewshot");
  EXPECT_GE(test.size(), 300u);
  EXPECT_GE(dev.size(), 50u);
  EXPECT_GE(fewshot.size(), 15u);
  std::set<std::string> ids;
  std::set<std::string> questions;
  for (const auto* split : {&test, &dev, &fewshot}) {
    for (const auto& ex : *split) {
      EXPECT_TRUE(ids.insert(ex.id).second) << "duplicate id " << ex.id;
      EXPECT_TRUE(questions.insert(ex.fields.at("question").get<std::string>()).second) << "duplicate question " << ex.id;
      EXPECT_TRUE(ex.fields.at("category").is_string()) << ex.id;
    }
  }
}

TEST(DiagnosticsData, SuiteJsonListsTheFilesWithTheirCounts) {
  const auto suite = nlohmann::json::parse(read_bytes(suite_dir() / "suite.json"));
  EXPECT_EQ(suite.at("name"), "diagnostics");
  std::set<std::string> resources;
  for (const auto& file : suite.at("files")) {
    const auto split = file.at("split").get<std::string>();
    if (split == "resource") {
      resources.insert(file.at("path").get<std::string>());
      continue;
    }
    EXPECT_EQ(file.at("count").get<std::size_t>(), load_split(split).size()) << split;
  }
  // The database script, its test-suite variants and the schema shown in the prompt are pinned by
  // checksum too.
  EXPECT_EQ(resources, (std::set<std::string>{"schema.sql", "telemetry.sql", "telemetry-v1.sql", "telemetry-v2.sql",
                                              "telemetry-v3.sql", "telemetry-v4.sql"}));
}

TEST(DiagnosticsData, SuiteLoadsAndItsPromptShowsTheSchemaAndShots) {
  const auto loaded = load_suite("diagnostics", AIMICIUS_BUNDLED_DATA_DIR, "test");
  EXPECT_EQ(loaded.examples.size(), load_split("test").size());
  EXPECT_EQ(loaded.suite->fewshot_split(), "fewshot");
  const auto metrics = loaded.suite->metrics();
  ASSERT_FALSE(metrics.empty());
  EXPECT_EQ(metrics[0].name, "test_suite_accuracy");
  EXPECT_TRUE(metrics[0].headline);

  const Example& ex = loaded.examples.front();
  const std::string prompt = loaded.suite->prompt(ex);
  EXPECT_NE(prompt.find(read_bytes(suite_dir() / "schema.sql")), std::string::npos) << "schema missing";
  const auto shots = load_split("fewshot");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NE(prompt.find(shots[i].fields.at("question").get<std::string>()), std::string::npos) << i;
    EXPECT_NE(prompt.find(shots[i].fields.at("reference").get<std::string>()), std::string::npos) << i;
  }
  EXPECT_EQ(prompt.find(shots[3].fields.at("question").get<std::string>()), std::string::npos);
  EXPECT_NE(prompt.rfind("Question: " + ex.fields.at("question").get<std::string>()), std::string::npos);

  // The oracle's output goes through the suite's extractor back to the reference.
  EXPECT_EQ(loaded.suite->extract_answer(loaded.suite->oracle_output(ex)), ex.fields.at("reference").get<std::string>());
}

// Real examples, answers perturbed in known ways; expected values counted by hand from the query
// texts (tokens and read columns are listed in each case).
struct Perturbed {
  const char* id;
  const char* expected_reference;  // guards against the data changing under the hand counts
  const char* answer;
  double execution, syntax, jaccard, table, column;
};

TEST(DiagnosticsData, PerturbedAnswersScoreTheHandCounts) {
  const Perturbed cases[] = {
      // Dropped WHERE: 51 Xids in all, 4 of them Xid 31. Tokens: reference {select count * from
      // xid_errors where xid = 31} (9), answer the first 5. Columns: reference {xid_errors.xid},
      // answer none (count(*)).
      {"diag-test-count-xid-2", "SELECT COUNT(*) FROM xid_errors WHERE xid = 31",
       "SELECT COUNT(*) FROM xid_errors", 0, 1, 5.0 / 9, 1, 0},
      // Wrong column: job_name -> user_name. Tokens: reference 11, answer 10, all shared.
      // Columns: {job_id, job_name, user_name} of jobs, answer has job_id and user_name.
      {"diag-test-jobs-of-user-1", "SELECT job_id, job_name FROM jobs WHERE user_name = 'amara' ORDER BY job_id",
       "SELECT job_id, user_name FROM jobs WHERE user_name = 'amara' ORDER BY job_id", 0, 1, 10.0 / 11, 1, 2.0 / 3},
      // Reordered columns: same tokens, tables and columns; rows compare position by position.
      {"diag-test-jobs-of-user-1", "SELECT job_id, job_name FROM jobs WHERE user_name = 'amara' ORDER BY job_id",
       "SELECT job_name, job_id FROM jobs WHERE user_name = 'amara' ORDER BY job_id", 0, 1, 1, 1, 1},
      // Wrong threshold: no sample reaches 95 C (the hottest is 93). Tokens: 12 each, 80 vs 95.
      {"diag-test-hot-gpus-3",
       "SELECT DISTINCT hostname, gpu_index FROM gpu_metrics WHERE temperature_c >= 80 ORDER BY hostname, gpu_index",
       "SELECT DISTINCT hostname, gpu_index FROM gpu_metrics WHERE temperature_c >= 95 ORDER BY hostname, gpu_index",
       0, 1, 11.0 / 13, 1, 1},
      // Wrong table: xid_errors instead of node_events. Tokens: reference 13, answer 10, shared 9
      // (select ts from where hostname = 'gpu-a100-001' order by). Tables and columns all missed.
      {"diag-test-reboots-of-node-1",
       "SELECT ts FROM node_events WHERE hostname = 'gpu-a100-001' AND event_type = 'reboot' ORDER BY ts",
       "SELECT ts FROM xid_errors WHERE hostname = 'gpu-a100-001' ORDER BY ts", 0, 1, 9.0 / 14, 0, 0},
      // Missing join: 10 users in all, 5 ran on gpu-a100-002. Tokens 17 vs 7, all shared.
      {"diag-test-users-on-node-1",
       "SELECT DISTINCT j.user_name FROM jobs j JOIN job_nodes jn ON jn.job_id = j.job_id WHERE jn.hostname = "
       "'gpu-a100-002' ORDER BY j.user_name",
       "SELECT DISTINCT user_name FROM jobs ORDER BY user_name", 0, 1, 7.0 / 17, 0.5, 0.25},
      // Wrong literal ('FAILED' for 'CANCELLED'): 36 vs 8 jobs. Tokens 9 each, 8 shared.
      {"diag-test-count-state-1", "SELECT COUNT(*) FROM jobs WHERE state = 'CANCELLED'",
       "SELECT COUNT(*) FROM jobs WHERE state = 'FAILED'", 0, 1, 8.0 / 10, 1, 1},
      // Same result, different SQL (ascending order written out, alias): everything but tokens is 1.
      // Tokens: reference {select ts event_type reason from node_events where hostname =
      // 'gpu-a100-001' order by event_id} (13); answer adds e and asc (15); shared 13.
      {"diag-test-timeline-of-node-1",
       "SELECT ts, event_type, reason FROM node_events WHERE hostname = 'gpu-a100-001' ORDER BY ts, event_id",
       "SELECT e.ts, e.event_type, e.reason FROM node_events e WHERE e.hostname = 'gpu-a100-001' ORDER BY e.ts ASC, "
       "e.event_id ASC",
       1, 1, 13.0 / 15, 1, 1},
      // Unknown column: does not prepare.
      {"diag-test-count-state-1", "SELECT COUNT(*) FROM jobs WHERE state = 'CANCELLED'",
       "SELECT COUNT(*) FROM jobs WHERE job_state = 'CANCELLED'", 0, 0, 8.0 / 10, 0, 0},
  };
  const Scorer& scorer = bundled_scorer();
  for (const auto& c : cases) {
    const Example ex = find_example(c.id);
    ASSERT_EQ(ex.fields.at("reference").get<std::string>(), c.expected_reference) << c.id;
    const auto rows = scorer.score(ex, c.answer, ScoringContext{});
    EXPECT_EQ(metric(rows, "execution_accuracy"), c.execution) << c.id << ": " << c.answer;
    EXPECT_EQ(metric(rows, "syntax_accuracy"), c.syntax) << c.id << ": " << c.answer;
    EXPECT_DOUBLE_EQ(metric(rows, "token_jaccard"), c.jaccard) << c.id << ": " << c.answer;
    EXPECT_DOUBLE_EQ(metric(rows, "table_score"), c.table) << c.id << ": " << c.answer;
    EXPECT_DOUBLE_EQ(metric(rows, "column_score"), c.column) << c.id << ": " << c.answer;
  }
}

bool have_python3() { return std::system("python3 -c 'import sqlite3' >/dev/null 2>&1") == 0; }

// Runs `script` from a copy in `dir` (the scripts write next to themselves).
int run_copy(const std::filesystem::path& dir, const std::string& script) {
  std::filesystem::copy_file(suite_dir() / script, dir / script);
  const std::string command = "python3 '" + (dir / script).string() + "' >/dev/null";
  return std::system(command.c_str());
}

TEST(DiagnosticsData, TelemetryGeneratorIsDeterministic) {
  if (!have_python3()) GTEST_SKIP() << "python3 is not installed";
  testing::ScratchDir dir;
  // Variant 4 reads the references of the examples (their comparisons' constants).
  for (const auto* file : {"telemetry_variants.py", "telemetry_boundaries.py", "test.jsonl", "dev.jsonl", "fewshot.jsonl"})
    std::filesystem::copy_file(suite_dir() / file, dir / file);
  ASSERT_EQ(run_copy(dir.path(), "generate_telemetry.py"), 0);
  for (const auto* file :
       {"telemetry.sql", "schema.sql", "telemetry-v1.sql", "telemetry-v2.sql", "telemetry-v3.sql", "telemetry-v4.sql"})
    EXPECT_TRUE(read_bytes(dir / file) == read_bytes(suite_dir() / file)) << file << " differs when regenerated";
}

TEST(DiagnosticsData, ExampleGeneratorIsDeterministic) {
  if (!have_python3()) GTEST_SKIP() << "python3 is not installed";
  testing::ScratchDir dir;
  std::filesystem::copy_file(suite_dir() / "telemetry.sql", dir / "telemetry.sql");
  ASSERT_EQ(run_copy(dir.path(), "make_examples.py"), 0);
  for (const auto* file : {"test.jsonl", "dev.jsonl", "fewshot.jsonl"})
    EXPECT_TRUE(read_bytes(dir / file) == read_bytes(suite_dir() / file)) << file << " differs when regenerated";
}

}  // namespace
}  // namespace aimicius
