// The HTML report: one self-contained file (inline CSS, inline SVG charts, a few lines of inline
// JS; no network, no external resource) holding the leaderboard, the scores with CIs per suite and
// subset, the published figures (when asked for) as their own labelled table, a bar chart per suite
// with CI error bars, and the per-example drill-down with a failures-only filter.
//
// Invariants: every text from the store, the data or the user is HTML-escaped (reports/escape.h);
// the page is fully readable without JS (the filter is a CSS :has() rule, with a JS fallback);
// long texts are cut at `max_text` bytes with a note, so the file stays a few MB at most.
#pragma once

#include <string>
#include <vector>

#include "reports/drilldown.h"
#include "reports/leaderboard.h"

namespace aimicius {

struct HtmlOptions {
  std::string title = "aimicius report";
  std::string source;      // e.g. the database path, shown in the header
  size_t max_rows = 100;   // the cap build_drilldown used (for the note)
  size_t max_text = 4000;  // bytes per shown text field
};

std::string render_html_report(const Leaderboard& board, const std::vector<DrillSuite>& drill, const HtmlOptions& options);

// One suite's bar chart: a group of bars per metric, a bar per run, CI error bars (inline SVG).
std::string suite_bar_chart_svg(const Leaderboard& board, const std::string& suite);

}  // namespace aimicius
