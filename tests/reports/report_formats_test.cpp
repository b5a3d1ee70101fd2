// `aimicius report` and `compare` in every format, read back: JSON and CSV parsed and checked
// against the stored scores (means, CI bounds around them, n, errors, per-subset rows), published
// figures as their own labelled rows, and the HTML page's structure (self-contained, SVG chart,
// escaped model text, prompts and references read from the store alone, or said not stored).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "reports/constructed_runs.h"
#include "reports/drilldown.h"
#include "reports/escape.h"
#include "reports/html_report.h"
#include "reports/leaderboard.h"
#include "reports/leaderboard_render.h"
#include "reports/published_tables.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

Result run_cli(const ScratchDir& dir, const std::string& db, const std::string& data_dir, const std::string& args) {
  const auto out = dir / "stdout.txt";
  const auto err = dir / "stderr.txt";
  const std::string cmd = std::string("'") + AIMICIUS_BIN + "' --db '" + db + "' --data-dir '" + data_dir + "' " + args +
                          " >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_file(out), testing::read_file(err)};
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  // Enough of RFC 4180 for the report: quoted fields with doubled quotes, no embedded newlines
  // in the fields this test checks.
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
      else if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) fields.emplace_back();
      else fields.back() += c;
    }
    rows.push_back(fields);
  }
  return rows;
}

// Constructed runs (subsets, errors): JSON and CSV carry the numbers.
TEST(ReportFormats, JsonAndCsvCarryMeansCisCountsAndSubsets) {
  ScratchDir dir;
  const std::string db = (dir / "r.db").string();
  {
    Store store = Store::open_for_write(db);
    auto ex = testing::toy_examples(40, 30);
    ex[39].error = true;  // a failed generation: counts as an error (and scores 0)
    testing::add_toy_run(store, "model-a", ex);
  }
  const auto json_r = run_cli(dir, db, testing::fixture_data_dir().string(), "report 1 --format json --all-metrics");
  ASSERT_EQ(json_r.exit_code, 0) << json_r.err;
  const auto j = nlohmann::json::parse(json_r.out);
  ASSERT_EQ(j["runs"].size(), 1u);
  const auto& run = j["runs"][0];
  EXPECT_EQ(run["errors"], 1);
  EXPECT_EQ(run["examples"], 40);
  bool overall = false, nvidia = false;
  for (const auto& s : run["scores"]) {
    EXPECT_LE(s["ci_low"].get<double>(), s["mean"].get<double>());
    EXPECT_GE(s["ci_high"].get<double>(), s["mean"].get<double>());
    if (s["metric"] == "accuracy" && s["subset"].is_null()) {
      overall = true;
      EXPECT_DOUBLE_EQ(s["mean"].get<double>(), 30.0 / 40.0);
      EXPECT_EQ(s["n"], 40);
      EXPECT_EQ(s["errors"], 1);
      EXPECT_TRUE(s["headline"].get<bool>());
      EXPECT_LT(s["ci_low"].get<double>(), 0.75);
      EXPECT_GT(s["ci_high"].get<double>(), 0.75);
    }
    if (s["metric"] == "accuracy" && s["subset"] == "nvidia") {
      nvidia = true;  // even ids e000, e002, ... e038: 15 of 20 pass (ids < 30)
      EXPECT_DOUBLE_EQ(s["mean"].get<double>(), 15.0 / 20.0);
      EXPECT_EQ(s["n"], 20);
      EXPECT_EQ(s["errors"], 0);  // e039 is odd: amd
    }
  }
  EXPECT_TRUE(overall);
  EXPECT_TRUE(nvidia);

  const auto csv_r = run_cli(dir, db, testing::fixture_data_dir().string(), "report 1 --format csv --all-metrics");
  ASSERT_EQ(csv_r.exit_code, 0) << csv_r.err;
  const auto rows = parse_csv(csv_r.out);
  ASSERT_GE(rows.size(), 2u);
  const auto& h = rows[0];
  auto col = [&](const std::string& name) { return std::find(h.begin(), h.end(), name) - h.begin(); };
  ASSERT_LT(static_cast<size_t>(col("ci_high")), h.size());
  size_t subset_rows = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), h.size()) << i;
    EXPECT_EQ(rows[i][col("kind")], "local");
    const double mean = std::stod(rows[i][col("mean")]);
    EXPECT_LE(std::stod(rows[i][col("ci_low")]), mean);
    EXPECT_GE(std::stod(rows[i][col("ci_high")]), mean);
    if (!rows[i][col("subset")].empty()) ++subset_rows;
  }
  EXPECT_EQ(subset_rows, 4u);  // 2 subsets x 2 metrics
  EXPECT_EQ(rows.size(), 1u + 6u);

  // Terminal and Markdown show "mean ±half-width" and the interval.
  const auto md = run_cli(dir, db, testing::fixture_data_dir().string(), "report 1 --format md");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("| 75.0 ±"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| toy | nvidia | accuracy | 75.0 | ["), std::string::npos) << md.out;
  EXPECT_EQ(run_cli(dir, db, testing::fixture_data_dir().string(), "report 1 --format markdown").exit_code, 0);
  const auto bad = run_cli(dir, db, testing::fixture_data_dir().string(), "report 1 --format xml");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown format \"xml\""), std::string::npos) << bad.err;
}

TEST(ReportFormats, PublishedFiguresAreASeparateLabelledRowSet) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "p.db").string());
  NewRun r;
  r.model_spec = "local:ckpt";
  r.suites = {{"cmdgen", {{"headline", "accuracy"}}}};
  r.config = nlohmann::json::object();
  const int64_t id = store.create_run(r);
  for (const char* sub : {"nvidia", "amd"}) {
    PredictionRecord p;
    p.run_id = id;
    p.suite = "cmdgen";
    p.example_id = std::string("x-") + sub;
    p.subset = sub;
    store.record_example(p, {{"accuracy", 1.0, {}}});
  }
  store.finish_run(id, kRunComplete);
  Leaderboard board = build_leaderboard(store, {*store.find_run(id)}, {});
  const auto doc = read_published_figures(testing::bundled_data_dir() / "published" / "sigma-2501.13629.json");
  add_published_figures(board, doc, true);
  // cmdgen accuracy per platform for GPT-4 and Sigma, once each (Table 10 repeats Table 6's).
  ASSERT_EQ(board.published.size(), 4u);
  for (const auto& p : board.published) {
    EXPECT_EQ(p.metric, "accuracy");
    EXPECT_TRUE(p.subset == "nvidia" || p.subset == "amd") << p.subset;
    EXPECT_TRUE(p.model == "GPT-4" || p.model == "SIGMA-SYSTEM 10B") << p.model;
    EXPECT_EQ(p.label, "published, arXiv 2501.13629 Table 6");
    EXPECT_NE(p.source.find("arxiv.org/abs/2501.13629"), std::string::npos);
  }
  // The runs' rows are untouched; JSON keeps the figures in their own array.
  ASSERT_EQ(board.runs.size(), 1u);
  for (const auto& c : board.runs[0].cells) EXPECT_DOUBLE_EQ(c.stat.mean, 1.0);
  const auto j = leaderboard_json(board);
  EXPECT_EQ(j["published"].size(), 4u);
  EXPECT_EQ(j["runs"][0]["scores"].size(), 3u);  // overall + 2 subsets
  const std::string text = render_leaderboard_text(board, TableFormat::kTerminal);
  EXPECT_NE(text.find("Published figures (not aimicius runs)"), std::string::npos);
  EXPECT_NE(text.find("not reproduced by aimicius"), std::string::npos);
  // HTML: their own table, labelled, the source as text (never a link the page would load).
  const std::string html = render_html_report(board, {}, {});
  const size_t table = html.find("<table class=\"published\"><caption>Published figures, not aimicius runs");
  ASSERT_NE(table, std::string::npos);
  EXPECT_NE(html.find("published, arXiv 2501.13629 Table 6", table), std::string::npos);
  EXPECT_LT(html.find("<table class=\"leaderboard\">"), table);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // Unmatched: with every figure, other suites appear too.
  Leaderboard all = build_leaderboard(store, {*store.find_run(id)}, {});
  add_published_figures(all, doc, false);
  EXPECT_GT(all.published.size(), 20u);
}

// A run whose headline is strict and whose paper metrics are recorded as such: the headline view
// shows the headline alone; beside the published figures (report --published) the metric they are
// given in appears too, labelled "(paper)" in text and "paper": true in JSON.
TEST(ReportFormats, PaperMetricsAreLabelledAndShownBesideTheStrictHeadline) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "s.db").string());
  NewRun r;
  r.model_spec = "local:ckpt";
  r.suites = {{"cmdgen", {{"headline", "strict_accuracy"}, {"paper_metrics", {"accuracy", "cmd_score"}}}}};
  r.config = nlohmann::json::object();
  const int64_t id = store.create_run(r);
  for (const char* sub : {"nvidia", "amd"}) {
    PredictionRecord p;
    p.run_id = id;
    p.suite = "cmdgen";
    p.example_id = std::string("x-") + sub;
    p.subset = sub;
    store.record_example(p, {{"strict_accuracy", 0.0, {}}, {"accuracy", 1.0, {}}, {"execution_match", 1.0, {}}});
  }
  store.finish_run(id, kRunComplete);
  const RunRecord run = *store.find_run(id);
  EXPECT_TRUE(run_paper_metric(run, "cmdgen", "accuracy"));
  EXPECT_FALSE(run_paper_metric(run, "cmdgen", "strict_accuracy"));
  EXPECT_FALSE(run_paper_metric(run, "toy", "accuracy"));

  const Leaderboard headline_only = build_leaderboard(store, {run}, {});
  for (const auto& c : headline_only.runs[0].cells) EXPECT_EQ(c.metric, "strict_accuracy");

  const auto doc = read_published_figures(testing::bundled_data_dir() / "published" / "sigma-2501.13629.json");
  LeaderboardOptions with_paper;
  with_paper.also_metrics = published_metrics(doc);
  EXPECT_TRUE(with_paper.also_metrics.count({"cmdgen", "accuracy"}));
  EXPECT_FALSE(with_paper.also_metrics.count({"cmdgen", "execution_match"}));
  Leaderboard board = build_leaderboard(store, {run}, with_paper);
  std::set<std::string> metrics;
  for (const auto& c : board.runs[0].cells) {
    metrics.insert(c.metric);
    EXPECT_EQ(c.paper, c.metric == "accuracy") << c.metric;
    EXPECT_EQ(c.headline, c.metric == "strict_accuracy") << c.metric;
  }
  EXPECT_EQ(metrics, (std::set<std::string>{"strict_accuracy", "accuracy"}));  // not execution_match
  add_published_figures(board, doc, true);
  EXPECT_EQ(board.published.size(), 4u);  // cmdgen accuracy, GPT-4 and Sigma, two platforms
  const std::string text = render_leaderboard_text(board, TableFormat::kTerminal);
  EXPECT_NE(text.find("cmdgen/accuracy (paper)"), std::string::npos) << text;
  EXPECT_NE(text.find("cmdgen/strict_accuracy"), std::string::npos) << text;
  EXPECT_EQ(text.find("strict_accuracy (paper)"), std::string::npos) << text;
  EXPECT_NE(text.find("lenient by design"), std::string::npos) << text;
  const auto j = leaderboard_json(board);
  for (const auto& score : j["runs"][0]["scores"]) EXPECT_EQ(score["paper"], score["metric"] == "accuracy");
}

TEST(ReportFormats, EscapingForHtmlXmlAndCsv) {
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(html_escape("ok\xff\x01"), "ok\xEF\xBF\xBD\xEF\xBF\xBD");  // bad UTF-8, control char: U+FFFD
  EXPECT_EQ(html_escape("tab\tnl\n"), "tab\tnl\n");
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
}

// The fixture suite, an oracle run and a replay run whose answers carry markup.
class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string replay = (dir_ / "replay.jsonl").string();
    std::string lines;
    for (int i = 1; i <= 10; ++i) {
      const std::string id = i < 10 ? "t0" + std::to_string(i) : "t10";
      lines += nlohmann::json{{"suite", "cmdgen"}, {"example_id", id},
                              {"output", i == 1 ? "nvidia-smi -L" : "<script>alert('x')</script> & echo \"hi\""}}
                   .dump() + "\n";
    }
    testing::write_file(replay, lines);
    ASSERT_EQ(cli("run --model oracle").exit_code, 0);
    const auto r = cli("run --model replay:" + replay);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  Result cli(const std::string& args, const std::string& data_dir = "") {
    return run_cli(dir_, (dir_ / "h.db").string(), data_dir.empty() ? testing::fixture_data_dir().string() : data_dir, args);
  }
  ScratchDir dir_;
};

TEST_F(HtmlReport, SelfContainedWithChartsDrillDownAndEscapes) {
  const auto file = dir_ / "report.html";
  const auto r = cli("report 1 2 --format html --out '" + file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // went to the file
  const std::string html = testing::read_file(file);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // No network: nothing refers to http(s) (no published rows asked for), no external resource.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // One chart per suite with an error bar per run.
  EXPECT_NE(html.find("<svg class=\"chart\""), std::string::npos);
  size_t bars = 0;
  for (size_t at = 0; (at = html.find("class=\"errorbar\"", at)) != std::string::npos; ++at) ++bars;
  EXPECT_EQ(bars, 2u);  // cmdgen headline, two runs
  // The model's markup is text: the only <script> is the page's own.
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; echo &quot;hi&quot;"), std::string::npos);
  size_t scripts = 0;
  for (size_t at = 0; (at = html.find("<script", at)) != std::string::npos; ++at) ++scripts;
  EXPECT_EQ(scripts, 1u);
  // Drill-down: 20 rows (2 runs x 10), the replay's 9 failures marked, prompts and references
  // from the store.
  size_t rows = 0, fails = 0;
  for (size_t at = 0; (at = html.find("<tr class=\"example ", at)) != std::string::npos; ++at) {
    ++rows;
    if (html.compare(at, 24, "<tr class=\"example fail\"") == 0) ++fails;
  }
  EXPECT_EQ(rows, 20u);
  EXPECT_EQ(fails, 9u);
  EXPECT_NE(html.find("Request: List every GPU with its UUID."), std::string::npos) << "stored prompt";
  // t02's reference: the oracle run's reference and answer cells, and the replay run's reference.
  size_t reference_cells = 0;
  for (size_t at = 0; (at = html.find("<td><pre>nvidia-smi -i 0 -q -d MEMORY</pre></td>", at)) != std::string::npos; ++at)
    ++reference_cells;
  EXPECT_EQ(reference_cells, 3u);
  EXPECT_EQ(html.find("not stored"), std::string::npos);
  EXPECT_NE(html.find("id=\"only-failures\""), std::string::npos);

  // --max-rows caps the drill-down and says so.
  const auto capped = cli("report 2 --format html --max-rows 3 --out '" + file.string() + "'");
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  const std::string small = testing::read_file(file);
  EXPECT_NE(small.find("showing the first 3 (failures first; cap 3)"), std::string::npos);

  // --out naming a folder: exit 2 saying so (it said "cannot write DIR: Success").
  const auto folder = cli("report 2 --format html --out '" + file.parent_path().string() + "'");
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("it is a directory (name a file)"), std::string::npos) << folder.err;
}

TEST_F(HtmlReport, PromptsComeFromTheStoreNotTheData) {
  // The data changed since the run (re-sealed): the report shows what the run sent.
  const auto suites = testing::copy_fixture_suites(dir_);
  const auto data = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(data);
  text.replace(text.find("List every GPU with its UUID."), 29, "List all GPUs with their UUIDs");
  testing::write_file(data, text);
  ASSERT_EQ(cli("manifest '" + (suites / "cmdgen").string() + "'").exit_code, 0);
  const auto r = cli("report 1 --format html", suites.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("List every GPU with its UUID."), std::string::npos);
  EXPECT_EQ(r.out.find("List all GPUs with their UUIDs"), std::string::npos) << "never text from other data";
  // No data at all: the same page.
  const auto none = cli("report 1 --format html", (dir_ / "no-such-data").string());
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, r.out);
}

// Rows an older aimicius stored have no prompt or reference: said so, per suite and per row.
TEST(HtmlDrillDown, RowsWithoutStoredTextsAreSaidNotStored) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "d.db").string());
  const int64_t id = testing::add_toy_run(store, "model-a", testing::toy_examples(2, 1));  // no texts
  store.reopen_run(id);
  PredictionRecord p;
  p.run_id = id;
  p.suite = "toy";
  p.example_id = "e-new";
  p.prompt = "Question: <b>which GPU</b>?";
  p.reference = "GPU 3";
  p.answer = "the third GPU";
  store.record_example(p, {{"accuracy", 1.0, {}}, {"similarity", 1.0, {}}});
  store.finish_run(id, kRunComplete);
  const std::vector<RunRecord> runs = {*store.find_run(id)};
  const auto drill = build_drilldown(store, runs, 100);
  ASSERT_EQ(drill.size(), 1u);
  EXPECT_EQ(drill[0].total, 3u);
  EXPECT_EQ(drill[0].without_texts, 2u);
  const std::string html = render_html_report(build_leaderboard(store, runs, {}), drill, {});
  EXPECT_NE(html.find("2 of 3 examples were stored without their prompt or reference"), std::string::npos);
  size_t not_stored = 0;
  for (size_t at = 0; (at = html.find("<td class=\"note\">not stored</td>", at)) != std::string::npos; ++at) ++not_stored;
  EXPECT_EQ(not_stored, 4u);  // prompt and reference of the two older rows
  EXPECT_NE(html.find("Question: &lt;b&gt;which GPU&lt;/b&gt;?"), std::string::npos);
  EXPECT_NE(html.find("<td><pre>GPU 3</pre></td>"), std::string::npos);
}

TEST_F(HtmlReport, CompareListsFlipsWithPValues) {
  const auto r = cli("compare 1 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // exact_match: 9 pass -> fail, 0 back: McNemar p = 2 / 2^9 = 0.0039.
  EXPECT_NE(r.out.find("0.004"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("McNemar exact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cmdgen/exact_match pass->fail (9): t02, t03"), std::string::npos) << r.out;
  const auto j = cli("compare 1 2 --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  bool found = false;
  for (const auto& row : doc["rows"])
    if (row["metric"] == "exact_match") {
      found = true;
      EXPECT_EQ(row["n"], 10);
      EXPECT_NEAR(row["diff"].get<double>(), -0.9, 1e-12);
      EXPECT_NEAR(row["p_value"].get<double>(), 2.0 / 512.0, 1e-12);
      EXPECT_EQ(row["worse_count"], 9);
      EXPECT_LE(row["diff_ci_low"].get<double>(), -0.9);
    }
  EXPECT_TRUE(found);
  const auto csv = cli("compare 1 2 --format csv");
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.rfind("suite,metric,headline,binary,n,a,b,diff", 0), 0u);
  EXPECT_EQ(cli("compare 1 2 --format html").exit_code, 2);
}

}  // namespace
}  // namespace aimicius
