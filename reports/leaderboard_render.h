// Text renderings of a Leaderboard (reports/leaderboard.h): terminal and Markdown tables, JSON and
// CSV. HTML is in reports/html_report.h.
//
// Invariants: tables show percentages with one decimal, the CI as "[low, high]" (or "±h", half its
// width, in the wide summary); JSON and CSV carry fractions in [0, 1] as numbers (mean, ci_low,
// ci_high) with n, examples and errors as integers. Published figures are a separate table (text),
// a separate "published" array (JSON) and rows with kind "published" and empty CI (CSV).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reports/leaderboard.h"
#include "reports/table.h"

namespace aimicius {

enum class ReportFormat { kTerminal, kMarkdown, kHtml, kJson, kCsv };

// terminal | md (alias markdown) | html | json | csv; InputError otherwise.
ReportFormat parse_report_format(const std::string& name);

std::string percent_text(double fraction);            // "87.3"
std::string ci_text(const MeanCi& stat);              // "[85.1, 89.4]"
std::string mean_pm_text(const MeanCi& stat);         // "87.3 ±2.1"

// Run | Model | Status | <suite>/<metric> ("87.3 ±2.1") ... | Examples | Errors: whole suites only.
Table leaderboard_summary_table(const Leaderboard& board);
// Run | Model | Suite | Subset | Metric | Score | 95% CI | n | Examples | Errors: every cell.
Table leaderboard_detail_table(const Leaderboard& board);
// Row set | Model | Suite | Subset | Metric | Score | Source (empty rows when none).
Table published_figures_table(const Leaderboard& board);

// The three tables above (the published one only when there are figures), titled.
std::string render_leaderboard_text(const Leaderboard& board, TableFormat format);
nlohmann::json leaderboard_json(const Leaderboard& board);
std::string render_leaderboard_csv(const Leaderboard& board);

}  // namespace aimicius
