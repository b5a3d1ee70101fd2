#include "reports/html_report.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "reports/escape.h"
#include "reports/leaderboard_render.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

constexpr const char* kColors[] = {"#3b6fb6", "#d9822b", "#3a9a5b", "#b5443c", "#7a5cb0", "#8c6d3f", "#c4579a", "#6b6b6b"};
constexpr size_t kNumColors = sizeof(kColors) / sizeof(kColors[0]);

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta,.note{color:#555;font-size:.9em}.warn{color:#8a4b00;background:#fff4e0;padding:6px 10px;border-radius:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}.scroll{overflow-x:auto;max-width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.published{background:#fbfaf4}table.published caption{text-align:left;font-weight:600;padding:4px 0}
.ci{color:#666;font-size:.85em}figure{display:inline-block;margin:8px 16px 8px 0}
figcaption{font-size:.85em;color:#444}
tr.fail td.status{color:#b5443c;font-weight:600}tr.pass td.status{color:#3a9a5b}
pre{white-space:pre-wrap;word-break:break-word;margin:4px 0;max-width:70em;font-size:.85em;background:#f7f7f9;padding:4px}
details summary{cursor:pointer;color:#3b6fb6}
.filter{margin:8px 0;padding:6px 10px;background:#f3f4f6;display:inline-block;border-radius:4px}
body:has(#only-failures:checked) tr.pass{display:none}
body.only-failures tr.pass{display:none}
)css";

std::string cut(const std::string& text, size_t max_text) {
  if (text.size() <= max_text) return html_escape(text);
  return html_escape(text.substr(0, max_text)) +
         fmt::format("\n<span class=\"note\">[cut: {} more bytes]</span>", text.size() - max_text);
}

std::string td_num(const std::string& s) { return "<td class=\"num\">" + html_escape(s) + "</td>"; }
std::string td(const std::string& s) { return "<td>" + html_escape(s) + "</td>"; }

std::string table_html(const Table& t, const std::string& cls, const std::string& caption = "") {
  // Wide tables (every metric of four suites) scroll inside their box, not the page.
  std::string h = "<div class=\"scroll\"><table" + (cls.empty() ? "" : " class=\"" + cls + "\"") + ">";
  if (!caption.empty()) h += "<caption>" + html_escape(caption) + "</caption>";
  h += "<thead><tr>";
  for (const auto& c : t.headers) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    h += "<tr>";
    for (const auto& cell : row) {
      const bool numeric = !cell.empty() && (std::isdigit(static_cast<unsigned char>(cell[0])) || cell[0] == '[' || cell == "-");
      h += numeric ? td_num(cell) : td(cell);
    }
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
  for (const auto& n : t.notes) h += "<p class=\"note\">" + html_escape(n) + "</p>\n";
  return h;
}

// The longest common prefix of the shown prompts, cut back to a line end; "" when short. Prompts
// of a suite share their instructions, schema and few-shot block: shown once, not per example.
std::string shared_prompt_preamble(const DrillSuite& ds) {
  const std::string* first = nullptr;
  size_t len = 0;
  for (const auto& d : ds.examples) {
    if (!d.stored.prompt) continue;
    const std::string& prompt = *d.stored.prompt;
    if (!first) {
      first = &prompt;
      len = prompt.size();
      continue;
    }
    size_t i = 0;
    while (i < len && i < prompt.size() && prompt[i] == (*first)[i]) ++i;
    len = i;
  }
  if (!first) return "";
  const size_t line_end = first->rfind('\n', len == 0 ? 0 : len - 1);
  if (line_end == std::string::npos || line_end + 1 < 200) return "";
  return first->substr(0, line_end + 1);
}

std::string scores_text(const StoredExample& ex) {
  std::string s;
  for (const auto& sc : ex.scores) s += fmt::format("{}{}={:.3f}", s.empty() ? "" : " ", sc.metric, sc.value);
  return s;
}

}  // namespace

std::string suite_bar_chart_svg(const Leaderboard& board, const std::string& suite) {
  std::vector<std::string> metrics;
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      if (c.suite == suite && c.subset.empty() && std::find(metrics.begin(), metrics.end(), c.metric) == metrics.end())
        metrics.push_back(c.metric);
  const double bar = 18, gap = 22, left = 40, top = 12, plot_h = 160, bottom = 48;
  const double bars_w = bar * static_cast<double>(std::max<size_t>(1, board.runs.size()));
  const double group_w = std::max(bars_w + gap, 100.0);  // room for a 16-character metric label
  // At least wide enough for the legend's run labels.
  const double width = std::max(420.0, left + group_w * static_cast<double>(std::max<size_t>(1, metrics.size())) + 10);
  const double legend_h = 16.0 * static_cast<double>(board.runs.size());
  const double height = top + plot_h + bottom + legend_h;
  auto y_of = [&](double v) { return top + plot_h * (1.0 - std::clamp(v, 0.0, 1.0)); };
  std::string s = fmt::format(
      "<svg class=\"chart\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"{2} scores with 95% CI\">\n",
      width, height, html_escape(suite));
  for (int tick = 0; tick <= 100; tick += 25) {
    const double y = y_of(tick / 100.0);
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e3e3\"/>"
                     "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{}</text>\n",
                     left, y, width - 10, y, left - 4, y + 3, tick);
  }
  for (size_t m = 0; m < metrics.size(); ++m) {
    const double gx = left + group_w * static_cast<double>(m) + (group_w - bars_w) / 2;
    for (size_t r = 0; r < board.runs.size(); ++r) {
      for (const auto& c : board.runs[r].cells) {
        if (c.suite != suite || !c.subset.empty() || c.metric != metrics[m]) continue;
        const double x = gx + bar * static_cast<double>(r);
        const double y = y_of(c.stat.mean);
        s += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                         "<title>run {} {}: {} {}</title></rect>\n",
                         x + 1, y, bar - 2, top + plot_h - y, kColors[r % kNumColors], board.runs[r].run.id,
                         html_escape(metrics[m]), percent_text(c.stat.mean), ci_text(c.stat));
        const double cx = x + bar / 2, ylo = y_of(c.stat.low), yhi = y_of(c.stat.high);
        s += fmt::format("<path class=\"errorbar\" d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
                         "stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>\n",
                         cx, ylo, yhi, cx - 4, cx + 4);
      }
    }
    std::string label = metrics[m].size() > 16 ? metrics[m].substr(0, 15) + "…" : metrics[m];
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">{}</text>\n",
                     gx + bar * static_cast<double>(board.runs.size()) / 2, top + plot_h + 14, html_escape(label));
  }
  for (size_t r = 0; r < board.runs.size(); ++r) {
    const double y = top + plot_h + bottom - 8 + 16.0 * static_cast<double>(r);
    std::string model = model_label(board.runs[r].run);
    if (model.size() > 56) model = "…" + model.substr(model.size() - 55);  // paths: keep the file name
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
                     "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#333\">run {}: {}</text>\n",
                     left, y, kColors[r % kNumColors], left + 14, y + 9, board.runs[r].run.id, html_escape(model));
  }
  return s + "</svg>";
}

std::string render_html_report(const Leaderboard& board, const std::vector<DrillSuite>& drill, const HtmlOptions& options) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" + html_escape(options.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + html_escape(options.title) + "</h1>\n";
  h += "<p class=\"meta\">" + html_escape(fmt::format("{} run(s){}. Scores in percent; 95% CI: percentile bootstrap "
                                                      "over examples ({} resamples, seed {}).",
                                                      board.runs.size(),
                                                      options.source.empty() ? "" : " from " + options.source,
                                                      board.resamples, board.seed)) +
       "</p>\n";
  h += "<nav class=\"meta\"><a href=\"#leaderboard\">Leaderboard</a> · <a href=\"#scores\">Scores</a> · "
       "<a href=\"#charts\">Charts</a> · <a href=\"#examples\">Examples</a></nav>\n";

  h += "<h2 id=\"leaderboard\">Leaderboard</h2>\n" + table_html(leaderboard_summary_table(board), "leaderboard");
  h += "<h2 id=\"scores\">Scores per suite and subset</h2>\n" + table_html(leaderboard_detail_table(board), "scores");
  if (!board.published.empty() || !board.published_notes.empty()) {
    std::set<std::string> labels;
    for (const auto& p : board.published) labels.insert(p.label);
    std::string caption = "Published figures, not aimicius runs";
    for (const auto& l : labels) caption += " · " + l;
    h += "<h2 id=\"published\">Published figures</h2>\n" +
         table_html(published_figures_table(board), "published", caption);
  }

  h += "<h2 id=\"charts\">Charts</h2>\n";
  std::vector<std::string> suites;
  for (const auto& r : board.runs)
    for (const auto& c : r.cells)
      if (std::find(suites.begin(), suites.end(), c.suite) == suites.end()) suites.push_back(c.suite);
  for (const auto& suite : suites)
    h += "<figure>" + suite_bar_chart_svg(board, suite) + "<figcaption>" + html_escape(suite) +
         ": mean with 95% CI (error bars)</figcaption></figure>\n";

  h += "<h2 id=\"examples\">Examples</h2>\n";
  h += "<div class=\"filter\"><label><input type=\"checkbox\" id=\"only-failures\"> show failures only</label></div>\n";
  h += "<p class=\"note\">A failure is an example with an error or a headline score below 100%. Failures are listed "
       "first. Click a row's texts to expand them.</p>\n";
  for (const auto& ds : drill) {
    h += fmt::format("<section class=\"drill\" id=\"run-{}-{}\">\n<h3>run {} · {}</h3>\n", ds.run_id,
                     html_escape(ds.suite), ds.run_id, html_escape(ds.suite));
    h += "<p class=\"note\">" +
         html_escape(fmt::format("{} examples, {} failures{}{}", ds.total, ds.failures,
                                 ds.headline.empty() ? "" : "; headline " + ds.headline,
                                 ds.examples.size() < ds.total
                                     ? fmt::format("; showing the first {} (failures first; cap {})", ds.examples.size(), options.max_rows)
                                     : "")) +
         "</p>\n";
    if (ds.without_texts > 0)
      h += "<p class=\"warn\">" +
           html_escape(fmt::format("{} of {} examples were stored without their prompt or reference (written by an "
                                   "aimicius that did not keep them): shown as not stored. They are not rebuilt "
                                   "from the suite data, which may not be what the run used.",
                                   ds.without_texts, ds.total)) +
           "</p>\n";
    const std::string preamble = shared_prompt_preamble(ds);
    if (!preamble.empty())
      h += fmt::format("<details class=\"preamble\"><summary>shared start of every prompt below ({} bytes)</summary>"
                       "<pre>{}</pre></details>\n",
                       preamble.size(), cut(preamble, 4 * options.max_text));
    h += "<table class=\"examples\"><thead><tr><th>Example</th><th>Subset</th><th>Status</th><th>Scores</th>"
         "<th>Prompt</th><th>Reference</th><th>Answer</th><th>Raw output</th><th>Outputs (score details)</th></tr></thead><tbody>\n";
    for (const auto& d : ds.examples) {
      const auto& ex = d.stored;
      h += fmt::format("<tr class=\"example {}\">", d.failed ? "fail" : "pass");
      h += td(ex.example_id) + td(ex.subset);
      h += "<td class=\"status\">" + std::string(ex.infra_error ? "NOT JUDGED (infrastructure error)" : d.failed ? "FAIL" : "pass") +
           (ex.error ? "<br><span class=\"note\">error: " + html_escape(*ex.error) + "</span>" : "") + "</td>";
      h += "<td><code>" + html_escape(scores_text(ex)) + "</code></td>";
      auto details = [&](const std::string& label, const std::string& text) {
        if (text.empty()) return std::string("<td class=\"note\">-</td>");
        return "<td><details><summary>" + html_escape(label) + "</summary><pre>" + cut(text, options.max_text) +
               "</pre></details></td>";
      };
      const std::string not_stored = "<td class=\"note\">not stored</td>";
      h += !ex.prompt ? not_stored
                      : details("prompt", preamble.empty() ? *ex.prompt : "[shared start] " + ex.prompt->substr(preamble.size()));
      h += !ex.reference ? not_stored : "<td><pre>" + cut(*ex.reference, options.max_text) + "</pre></td>";
      h += "<td><pre>" + cut(ex.answer, options.max_text) + "</pre></td>";
      h += details("raw output", ex.raw_output);
      std::string outputs;
      for (const auto& sc : ex.scores)
        if (sc.detail.is_object() && !sc.detail.empty())
          outputs += sc.metric + ": " + sc.detail.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      h += details("details", outputs);
      h += "</tr>\n";
    }
    h += "</tbody></table>\n</section>\n";
  }
  // Fallback for browsers without :has(): the same filter by a class on <body>.
  // "#only-failures" in the address opens the page filtered (a link to share).
  h += "<script>\n(function(){var b=document.getElementById('only-failures');if(!b)return;"
       "function apply(){document.body.classList.toggle('only-failures',b.checked);}"
       "b.addEventListener('change',apply);if(location.hash==='#only-failures'){b.checked=true;}apply();})();\n"
       "</script>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace aimicius
