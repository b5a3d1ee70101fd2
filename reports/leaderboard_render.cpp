#include "reports/leaderboard_render.h"

#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "reports/escape.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

constexpr const char* kCiNote =
    "95% CI: percentile bootstrap over examples ({} resamples, seed {}); ± is half its width. "
    "Errors score 0 and count in n.";

bool any_oracle(const Leaderboard& board) {
  for (const auto& r : board.runs)
    if (r.run.is_oracle) return true;
  return false;
}

std::string subset_text(const std::string& subset) { return subset.empty() ? "(all)" : subset; }

// The metric as tables name it: the paper's lenient definitions are labelled so that nobody reads
// them as the strict headline.
std::string metric_label(const ScoreCell& c) { return c.paper ? c.metric + " (paper)" : c.metric; }

bool any_paper(const Leaderboard& board) {
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      if (c.paper) return true;
  return false;
}

constexpr const char* kRoleNote =
    "Headline: the strict metric (\"this answer is right\"); (paper): the Sigma paper's definition, lenient by "
    "design, kept beside it to compare with published figures (docs/VALIDITY.md).";

}  // namespace

ReportFormat parse_report_format(const std::string& name) {
  if (name == "terminal") return ReportFormat::kTerminal;
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  if (name == "html") return ReportFormat::kHtml;
  if (name == "json") return ReportFormat::kJson;
  if (name == "csv") return ReportFormat::kCsv;
  throw InputError(fmt::format("unknown format \"{}\" (terminal, md, html, json, csv)", name));
}

std::string percent_text(double fraction) { return fmt::format("{:.1f}", 100.0 * fraction); }

std::string ci_text(const MeanCi& s) { return fmt::format("[{:.1f}, {:.1f}]", 100.0 * s.low, 100.0 * s.high); }

std::string mean_pm_text(const MeanCi& s) {
  return fmt::format("{:.1f} ±{:.1f}", 100.0 * s.mean, 50.0 * (s.high - s.low));
}

Table leaderboard_summary_table(const Leaderboard& board) {
  std::vector<std::pair<std::string, std::string>> columns;
  std::vector<std::string> labels;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      if (c.subset.empty() && seen.insert({c.suite, c.metric}).second) {
        columns.emplace_back(c.suite, c.metric);
        labels.push_back(c.suite + "/" + metric_label(c));
      }
  Table t;
  t.headers = {"Run", "Model", "Status"};
  for (const auto& label : labels) t.headers.push_back(label);
  t.headers.push_back("Examples");
  t.headers.push_back("Errors");
  for (const auto& r : board.runs) {
    std::vector<std::string> row = {std::to_string(r.run.id), model_label(r.run), r.run.status};
    for (const auto& [suite, metric] : columns) {
      std::string cell = "-";
      for (const auto& c : r.cells)
        if (c.subset.empty() && c.suite == suite && c.metric == metric) cell = mean_pm_text(c.stat);
      row.push_back(cell);
    }
    row.push_back(std::to_string(r.examples));
    row.push_back(std::to_string(r.errors));
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back("Scores are percentages (mean over judged examples; errors score 0).");
  bool any_not_judged = false;
  for (const auto& r : board.runs)
    for (const auto& [suite, not_judged, examples] : r.not_judged) {
      t.notes.push_back(not_judged_note(suite, not_judged, examples, r.run.id));
      any_not_judged = true;
    }
  if (any_not_judged && board.runs.size() > 1)
    t.notes.push_back("warning: the runs above were not judged on the same examples (infrastructure errors): "
                      "their scores cover different example sets");
  for (const auto& r : board.runs) {
    std::set<std::string> shown;
    for (const auto& c : r.cells) shown.insert(c.suite);
    if (const std::string note = run_generation_note(r.run, shown); !note.empty()) t.notes.push_back(note);
  }
  t.notes.push_back(fmt::format(kCiNote, board.resamples, board.seed));
  if (!board.all_metrics) t.notes.push_back("Each suite's headline metric; --all-metrics shows every metric.");
  if (any_paper(board)) t.notes.push_back(kRoleNote);
  if (any_oracle(board))
    t.notes.push_back("oracle: the references themselves, scored to validate extraction and scorers; not a model.");
  return t;
}

Table leaderboard_detail_table(const Leaderboard& board) {
  Table t;
  t.headers = {"Run", "Model", "Suite", "Subset", "Metric", "Score", "95% CI", "n", "Examples", "Errors"};
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      t.rows.push_back({std::to_string(r.run.id), model_label(r.run), c.suite, subset_text(c.subset), metric_label(c),
                        percent_text(c.stat.mean), ci_text(c.stat), std::to_string(c.stat.n),
                        std::to_string(c.examples), std::to_string(c.errors)});
  t.notes.push_back("n: examples scored on the metric (a metric may not apply to every example).");
  return t;
}

Table published_figures_table(const Leaderboard& board) {
  Table t;
  t.headers = {"Row set", "Model (published)", "Suite", "Subset", "Metric", "Score", "Source"};
  for (const auto& p : board.published)
    t.rows.push_back({p.label, p.model, p.suite, subset_text(p.subset), p.metric, percent_text(p.value), p.source});
  t.notes = board.published_notes;
  return t;
}

std::string render_leaderboard_text(const Leaderboard& board, TableFormat format) {
  const bool md = format == TableFormat::kMarkdown;
  auto title = [&](const std::string& s) { return md ? "## " + s + "\n\n" : s + "\n\n"; };
  std::string out = title("Leaderboard") + render_table(leaderboard_summary_table(board), format);
  out += "\n" + title("Scores with 95% confidence intervals, per suite and subset") +
         render_table(leaderboard_detail_table(board), format);
  if (!board.published.empty() || !board.published_notes.empty())
    out += "\n" + title("Published figures (not aimicius runs)") + render_table(published_figures_table(board), format);
  return out;
}

nlohmann::json leaderboard_json(const Leaderboard& board) {
  nlohmann::json j;
  j["ci"] = {{"level", kConfidenceLevel}, {"method", "percentile bootstrap over examples"},
             {"resamples", board.resamples}, {"seed", board.seed}};
  j["values"] = "fractions in [0, 1]";
  j["all_metrics"] = board.all_metrics;
  j["runs"] = nlohmann::json::array();
  for (const auto& r : board.runs) {
    nlohmann::json run = {{"id", r.run.id},
                          {"model", r.run.model_spec},
                          {"model_label", model_label(r.run)},
                          {"is_oracle", r.run.is_oracle},
                          {"status", r.run.status},
                          {"created_at", r.run.created_at},
                          {"suites", r.run.suites},
                          {"examples", r.examples},
                          {"errors", r.errors}};
    if (r.run.config.is_object() && r.run.config.contains("prompt_style"))
      run["prompt_style"] = r.run.config["prompt_style"];  // chat, fewshot layout (suites hold the generation)
    run["not_judged"] = nlohmann::json::object();  // suite -> examples not judged (infrastructure errors)
    for (const auto& [suite, not_judged, examples] : r.not_judged) run["not_judged"][suite] = not_judged;
    run["scores"] = nlohmann::json::array();
    for (const auto& c : r.cells)
      run["scores"].push_back({{"suite", c.suite},
                               {"subset", c.subset.empty() ? nlohmann::json() : nlohmann::json(c.subset)},
                               {"metric", c.metric},
                               {"headline", c.headline},
                               {"paper", c.paper},
                               {"mean", c.stat.mean},
                               {"ci_low", c.stat.low},
                               {"ci_high", c.stat.high},
                               {"n", c.stat.n},
                               {"examples", c.examples},
                               {"errors", c.errors}});
    j["runs"].push_back(std::move(run));
  }
  j["published"] = nlohmann::json::array();
  for (const auto& p : board.published)
    j["published"].push_back({{"label", p.label},
                              {"model", p.model},
                              {"suite", p.suite},
                              {"subset", p.subset.empty() ? nlohmann::json() : nlohmann::json(p.subset)},
                              {"metric", p.metric},
                              {"value", p.value},
                              {"table", p.table},
                              {"source", p.source}});
  if (!board.published_notes.empty()) j["published_notes"] = board.published_notes;
  return j;
}

std::string render_leaderboard_csv(const Leaderboard& board) {
  std::string out = "kind,run,model,suite,subset,metric,headline,mean,ci_low,ci_high,n,examples,errors,source\n";
  auto num = [](double v) { return fmt::format("{:.6f}", v); };
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      out += fmt::format("local,{},{},{},{},{},{},{},{},{},{},{},{},\n", r.run.id, csv_field(model_label(r.run)),
                         csv_field(c.suite), csv_field(c.subset), csv_field(c.metric), c.headline ? 1 : 0,
                         num(c.stat.mean), num(c.stat.low), num(c.stat.high), c.stat.n, c.examples, c.errors);
  for (const auto& p : board.published)
    out += fmt::format("published,,{},{},{},{},,{},,,,,,{}\n", csv_field(p.model), csv_field(p.suite),
                       csv_field(p.subset), csv_field(p.metric), num(p.value), csv_field(p.label + " " + p.source));
  return out;
}

}  // namespace aimicius
