// Examples not judged because the harness failed on them (infra_error, harness/store/store.h) in
// every report: the score is the mean over the judged examples, the count is shown per suite in
// the run table, the leaderboard (text, Markdown, HTML, JSON) and comparisons, and a comparison of
// runs whose judged sets differ says so rather than comparing silently.
#include <gtest/gtest.h>

#include "reports/comparison.h"
#include "reports/drilldown.h"
#include "reports/html_report.h"
#include "reports/leaderboard.h"
#include "reports/leaderboard_render.h"
#include "reports/run_tables.h"
#include "reports/constructed_runs.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(NotJudged, ReportsCountThemAndScoreOnlyTheJudged) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  auto examples = testing::toy_examples(10, 6);  // e000..e005 pass
  examples[0].infra_error = true;                 // a passing one and a failing one not judged
  examples[9].infra_error = true;
  const int64_t a = testing::add_toy_run(store, "model-a", examples);
  const int64_t b = testing::add_toy_run(store, "model-b", testing::toy_examples(10, 6));
  const auto run_a = *store.find_run(a);
  const auto run_b = *store.find_run(b);

  // One run: 5 of the 8 judged pass.
  const Table t = run_score_table(store, run_a);
  ASSERT_FALSE(t.rows.empty());
  EXPECT_EQ(t.rows[0][2], "62.5");
  EXPECT_EQ(t.rows[0][3], "8");
  const std::string text = render_table(t, TableFormat::kMarkdown);
  EXPECT_TRUE(contains(text, "toy: 2 examples not judged (infrastructure errors) in run " + std::to_string(a)))
      << text;

  // Leaderboard of both: counts per run, a warning that the judged sets differ; in every format.
  LeaderboardOptions options;
  const Leaderboard board = build_leaderboard(store, {run_a, run_b}, options);
  ASSERT_EQ(board.runs.size(), 2u);
  ASSERT_EQ(board.runs[0].not_judged.size(), 1u);
  EXPECT_EQ(std::get<1>(board.runs[0].not_judged[0]), 2);
  EXPECT_TRUE(board.runs[1].not_judged.empty());
  EXPECT_EQ(board.runs[0].cells[0].stat.n, 8);
  EXPECT_DOUBLE_EQ(board.runs[0].cells[0].stat.mean, 5.0 / 8.0);
  for (const auto format : {TableFormat::kTerminal, TableFormat::kMarkdown}) {
    const std::string out = render_leaderboard_text(board, format);
    EXPECT_TRUE(contains(out, "2 examples not judged (infrastructure errors)")) << out;
    EXPECT_TRUE(contains(out, "not judged on the same examples")) << out;
  }
  EXPECT_EQ(leaderboard_json(board)["runs"][0]["not_judged"]["toy"], 2);
  const std::string html = render_html_report(board, build_drilldown(store, {run_a}, 100), HtmlOptions{});
  EXPECT_TRUE(contains(html, "2 examples not judged (infrastructure errors)"));
  EXPECT_TRUE(contains(html, "NOT JUDGED (infrastructure error)"));

  // Compare: over the 8 examples both judged, saying why not 10.
  const Comparison c = compare_runs(store, run_a, run_b, CompareOptions{});
  ASSERT_FALSE(c.rows.empty());
  EXPECT_EQ(c.rows[0].n, 8);
  ASSERT_EQ(c.not_judged.size(), 1u);
  EXPECT_TRUE(contains(c.not_judged[0], "2 examples of run " + std::to_string(a) + " and 0 of run " + std::to_string(b)));
  EXPECT_TRUE(contains(render_comparison(c, ReportFormat::kMarkdown), "not judged (infrastructure errors)"));
  EXPECT_EQ(comparison_json(c)["not_judged"].size(), 1u);

  // Runs with the same judged sets: no warning.
  const Comparison same = compare_runs(store, run_b, run_b, CompareOptions{});
  EXPECT_TRUE(same.not_judged.empty());
}

}  // namespace
}  // namespace aimicius
