// Tests of the sql scorer's audit variants: the rewriter on hand-made queries (expected texts
// written out), and, on the bundled data, that right variants score 1 and wrong ones 0 on the
// headline. DiagnosticsData.AuditFigures prints the false-accept / false-reject table of every
// metric for docs/VALIDITY.md (dev split; AIMICIUS_AUDIT_SPLITS="dev test" for both).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scorers/sql/sql_rewrites.h"
#include "scorers/sql/sql_scorer.h"
#include "tests/tasks/diagnostics/diagnostics_test_support.h"

namespace aimicius {
namespace {

using diagnostics_test::bundled_scorer;
using diagnostics_test::load_split;
using diagnostics_test::metric;

std::map<std::string, std::string> by_kind(const std::vector<SqlRewrite>& rewrites) {
  std::map<std::string, std::string> out;
  for (const auto& r : rewrites) out.emplace(r.kind, r.answer);
  return out;
}

TEST(SqlRewrites, RightRewritesOfAJoinQuery) {
  const std::string reference =
      "SELECT e.ts, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
      "WHERE n.cluster = 'h100-east' AND e.xid IN (13, 31) GROUP BY e.ts ORDER BY e.ts";
  const auto rewrites = sql_right_rewrites(reference);
  for (const auto& r : rewrites) {
    EXPECT_TRUE(r.right) << r.kind;
    EXPECT_NE(r.answer, reference) << r.kind;
  }
  const auto kinds = by_kind(rewrites);
  EXPECT_EQ(kinds.at("count-1"),
            "SELECT e.ts, COUNT(1) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE n.cluster = 'h100-east' AND e.xid IN (13, 31) GROUP BY e.ts ORDER BY e.ts");
  EXPECT_EQ(kinds.at("table-alias"),
            "SELECT e_1.ts, COUNT(*) FROM xid_errors e_1 JOIN nodes n_1 ON n_1.hostname = e_1.hostname "
            "WHERE n_1.cluster = 'h100-east' AND e_1.xid IN (13, 31) GROUP BY e_1.ts ORDER BY e_1.ts");
  EXPECT_EQ(kinds.at("where-order"),
            "SELECT e.ts, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE e.xid IN (13, 31) AND n.cluster = 'h100-east' GROUP BY e.ts ORDER BY e.ts");
  EXPECT_EQ(kinds.at("in-or"),
            "SELECT e.ts, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE n.cluster = 'h100-east' AND (e.xid = 13 OR e.xid = 31) GROUP BY e.ts ORDER BY e.ts");
  EXPECT_EQ(kinds.at("column-alias"),
            "SELECT e.ts AS col_1, COUNT(*) AS col_2 FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE n.cluster = 'h100-east' AND e.xid IN (13, 31) GROUP BY e.ts ORDER BY e.ts");
  EXPECT_EQ(kinds.at("explicit-asc"),
            "SELECT e.ts, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE n.cluster = 'h100-east' AND e.xid IN (13, 31) GROUP BY e.ts ORDER BY e.ts ASC");
  EXPECT_EQ(kinds.at("operand-swap"),
            "SELECT e.ts, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname "
            "WHERE 'h100-east' = n.cluster AND e.xid IN (13, 31) GROUP BY e.ts ORDER BY e.ts");
  EXPECT_EQ(kinds.count("between"), 0u);
}

TEST(SqlRewrites, BetweenAndSingleTableAlias) {
  const auto kinds = by_kind(sql_right_rewrites(
      "SELECT COUNT(*) FROM gpu_metrics WHERE ts >= '2026-03-02T00:00:00Z' AND hostname = 'x' AND "
      "ts <= '2026-03-02T06:00:00Z'"));
  EXPECT_EQ(kinds.at("between"),
            "SELECT COUNT(*) FROM gpu_metrics WHERE ts BETWEEN '2026-03-02T00:00:00Z' AND '2026-03-02T06:00:00Z' AND "
            "hostname = 'x'");
  EXPECT_EQ(kinds.at("table-alias"),
            "SELECT COUNT(*) FROM gpu_metrics AS t0 WHERE ts >= '2026-03-02T00:00:00Z' AND hostname = 'x' AND "
            "ts <= '2026-03-02T06:00:00Z'");
  // A WHERE with a top-level OR is not reordered (AND binds tighter).
  EXPECT_EQ(by_kind(sql_right_rewrites("SELECT a FROM t WHERE a = 1 OR b = 2 AND c = 3")).count("where-order"), 0u);
}

TEST(SqlRewrites, WrongRewritesChangeOneThing) {
  SqlRewriteCatalog catalog;
  catalog.other_value = [](const std::string& column, const std::string& literal) {
    return column == "HOSTNAME" && literal == "'gpu-a100-001'" ? std::string("'gpu-a100-002'") : std::string();
  };
  const std::string reference =
      "SELECT DISTINCT hostname FROM xid_errors WHERE hostname = 'gpu-a100-001' AND gpu_index > 3 "
      "ORDER BY hostname LIMIT 3";
  const auto kinds = by_kind(sql_wrong_rewrites(reference, catalog));
  EXPECT_EQ(kinds.at("literal-value"),
            "SELECT DISTINCT hostname FROM xid_errors WHERE hostname = 'gpu-a100-002' AND gpu_index > 3 "
            "ORDER BY hostname LIMIT 3");
  EXPECT_EQ(kinds.at("comparison"),
            "SELECT DISTINCT hostname FROM xid_errors WHERE hostname = 'gpu-a100-001' AND gpu_index >= 3 "
            "ORDER BY hostname LIMIT 3");
  EXPECT_EQ(kinds.at("limit"),
            "SELECT DISTINCT hostname FROM xid_errors WHERE hostname = 'gpu-a100-001' AND gpu_index > 3 "
            "ORDER BY hostname LIMIT 2");
  EXPECT_EQ(kinds.at("distinct"),
            "SELECT hostname FROM xid_errors WHERE hostname = 'gpu-a100-001' AND gpu_index > 3 "
            "ORDER BY hostname LIMIT 3");
  EXPECT_EQ(kinds.at("order-direction"),
            "SELECT DISTINCT hostname FROM xid_errors WHERE hostname = 'gpu-a100-001' AND gpu_index > 3 "
            "ORDER BY hostname DESC LIMIT 3");
  EXPECT_EQ(kinds.at("dropped-condition"),
            "SELECT DISTINCT hostname FROM xid_errors WHERE gpu_index > 3 ORDER BY hostname LIMIT 3");
  for (const auto& r : sql_wrong_rewrites(reference, catalog)) EXPECT_FALSE(r.right) << r.kind;
}

TEST(SqlRewrites, LiteralsCommentsAndQuotedNamesAreLeftAlone) {
  const std::string reference = "SELECT 'SELECT x FROM y' AS \"FROM\" FROM jobs -- WHERE a > 1\n WHERE job_id > 5";
  for (const auto& r : sql_right_rewrites(reference)) {
    EXPECT_NE(r.answer.find("'SELECT x FROM y'"), std::string::npos) << r.kind << ": " << r.answer;
    EXPECT_NE(r.answer.find("-- WHERE a > 1"), std::string::npos) << r.kind << ": " << r.answer;
  }
}

// ---- on the bundled data -------------------------------------------------------------------

struct Tally {
  double sum = 0.0;
  int count = 0;
  void add(double v) {
    sum += v;
    ++count;
  }
  double mean() const { return count == 0 ? 0.0 : sum / count; }
};

struct SplitFigures {
  int examples = 0, right = 0, wrong = 0;
  std::map<std::string, Tally> on_right, on_wrong;
  std::vector<std::string> false_accepts, false_rejects;  // of the headline
  double seconds_per_score = 0.0;
};

SplitFigures audit_split(const std::string& split) {
  const Scorer& scorer = bundled_scorer();
  SplitFigures figures;
  int scored = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& ex : load_split(split)) {
    ++figures.examples;
    for (const auto& variant : scorer.audit_variants(ex)) {
      const auto rows = scorer.score(ex, variant.answer, ScoringContext{});
      ++scored;
      (variant.right ? figures.right : figures.wrong) += 1;
      for (const auto& row : rows) (variant.right ? figures.on_right : figures.on_wrong)[row.metric].add(row.value);
      const double headline = metric(rows, "test_suite_accuracy");
      const std::string line = fmt::format("{} [{}] {}", ex.id, variant.kind, variant.answer);
      if (variant.right && headline < 1.0) figures.false_rejects.push_back(line);
      if (!variant.right && headline > 0.0) figures.false_accepts.push_back(line);
    }
  }
  figures.seconds_per_score =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / std::max(scored, 1);
  return figures;
}

// Per metric: false accept = mean score of wrong variants, false reject = 1 - mean score of right
// variants (for 0/1 metrics these are the rates).
std::string table(const std::string& split, const SplitFigures& f) {
  std::ostringstream out;
  out << fmt::format("split {}: {} examples, {} right and {} wrong variants, {:.2f} ms per score (audit incl.)\n",
                     split, f.examples, f.right, f.wrong, 1000 * f.seconds_per_score);
  out << fmt::format("  {:<22} {:>13} {:>13}\n", "metric", "false accept", "false reject");
  for (const auto& [name, tally] : f.on_right)
    out << fmt::format("  {:<22} {:>12.1f}% {:>12.1f}%\n", name, 100 * f.on_wrong.at(name).mean(),
                       100 * (1 - tally.mean()));
  for (const auto& line : f.false_accepts) out << "  headline false accept: " << line << "\n";
  for (const auto& line : f.false_rejects) out << "  headline false reject: " << line << "\n";
  return out.str();
}

TEST(DiagnosticsData, AuditVariantsAreSeparatedByTheHeadline) {
  std::vector<std::string> splits = {"dev"};
  if (const char* env = std::getenv("AIMICIUS_AUDIT_SPLITS")) {
    splits.clear();
    std::istringstream words(env);
    for (std::string word; words >> word;) splits.push_back(word);
  }
  for (const auto& split : splits) {
    const SplitFigures f = audit_split(split);
    std::cout << table(split, f);
    // Several of each per example on average.
    EXPECT_GE(f.right, 4 * f.examples) << split;
    EXPECT_GE(f.wrong, 4 * f.examples) << split;
    EXPECT_EQ(f.false_rejects.size(), 0u) << split;
    EXPECT_LE(static_cast<double>(f.false_accepts.size()), 0.02 * f.wrong) << split;
  }
}

// Prints the cost of scoring one answer (the reference, which runs on every database, and a wrong
// answer, which stops at the base) with and without the variants.
TEST(DiagnosticsData, ScoringCostPerExample) {
  auto spec = diagnostics_test::bundled_spec();
  spec.params.erase("variants");
  const auto base_only = make_sql_scorer(spec);
  const auto examples = load_split("dev");
  for (const Scorer* scorer : std::vector<const Scorer*>{base_only.get(), &bundled_scorer()}) {
    const auto start = std::chrono::steady_clock::now();
    for (const auto& ex : examples) {
      const auto reference = ex.fields.at("reference").get<std::string>();
      EXPECT_EQ(metric(scorer->score(ex, reference, ScoringContext{}), "execution_accuracy"), 1.0) << ex.id;
      scorer->score(ex, "SELECT COUNT(*) FROM jobs", ScoringContext{});
    }
    const double ms = 1000 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << fmt::format("{}: {:.2f} ms per example (right + wrong answer)\n",
                             scorer == base_only.get() ? "base database only" : "base + variants",
                             ms / examples.size());
  }
}

}  // namespace
}  // namespace aimicius
