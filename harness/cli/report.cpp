// `aimicius report`: the leaderboard of stored runs with 95% CIs (reports/leaderboard.h) in any
// format, by default over the newest complete run of each model and suite, optionally beside the Sigma
// paper's published figures; HTML adds a per-example drill-down.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/store/store.h"
#include "reports/drilldown.h"
#include "reports/html_report.h"
#include "reports/leaderboard.h"
#include "reports/leaderboard_render.h"
#include "reports/output_file.h"
#include "reports/published_tables.h"

namespace aimicius {
namespace {

struct ReportOptions {
  std::vector<int64_t> run_ids;  // empty: the newest complete run per model (every run with all_runs)
  bool all_runs = false;
  std::string format = "terminal";  // terminal | md | html | json | csv
  std::filesystem::path out;        // "" = stdout
  bool all_metrics = false;
  bool published = false;  // the Sigma paper's figures for Sigma and GPT-4, as their own rows
  size_t max_rows = 100;   // HTML drill-down rows per run and suite (failures first)
};

int command_report(const GlobalOptions& global, const ReportOptions& options) {
  const ReportFormat format = parse_report_format(options.format);
  Store store = Store::open_for_read(global.db_path);
  std::vector<LeaderboardRun> runs;
  if (!options.run_ids.empty()) {
    for (int64_t id : options.run_ids) runs.push_back({require_evaluation_run(store, id), {}});
  } else if (options.all_runs) {
    for (auto& r : store.list_runs())
      if (!r.is_answer_loss()) runs.push_back({std::move(r), {}});
  } else {
    // Default: per model and suite, the newest complete run (reports/leaderboard.h); answer-loss
    // runs have no scores to rank.
    runs = newest_complete_runs(store.list_runs());
  }
  if (runs.empty()) throw InputError(fmt::format("no complete runs in {} (try --all)", global.db_path));
  LeaderboardOptions lo;
  lo.all_metrics = options.all_metrics;
  std::vector<nlohmann::json> published;
  if (options.published)
    for (const auto& file : published_files(global.data_dir)) {
      published.push_back(read_published_figures(file));
      // The figures are given in the paper's metrics: show ours in the same metrics beside them.
      for (const auto& key : published_metrics(published.back())) lo.also_metrics.insert(key);
    }
  Leaderboard board = build_leaderboard(store, runs, lo);
  std::vector<RunRecord> run_records;
  for (const auto& r : runs) run_records.push_back(r.run);
  for (const auto& doc : published) add_published_figures(board, doc, /*only_matching=*/true);
  std::string text;
  switch (format) {
    case ReportFormat::kTerminal: text = render_leaderboard_text(board, TableFormat::kTerminal); break;
    case ReportFormat::kMarkdown: text = render_leaderboard_text(board, TableFormat::kMarkdown); break;
    case ReportFormat::kJson:
      text = leaderboard_json(board).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      break;
    case ReportFormat::kCsv: text = render_leaderboard_csv(board); break;
    case ReportFormat::kHtml: {
      HtmlOptions ho;
      ho.source = global.db_path;
      ho.max_rows = options.max_rows;
      text = render_html_report(board, build_drilldown(store, run_records, options.max_rows), ho);
      break;
    }
  }
  write_report_output(options.out, text);
  return 0;
}

class ReportCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("report", "Leaderboard of stored runs with 95% CIs (default: newest complete run per model and suite)");
    cmd->add_option("run_ids", options_.run_ids, "Run ids to include (default: newest complete run per model and suite)");
    cmd->add_option("--runs", options_.run_ids, "Run ids to include (comma-separated)")->delimiter(',');
    cmd->add_flag("--all", options_.all_runs, "Every run, complete or not");
    cmd->add_flag("--all-metrics", options_.all_metrics, "Every metric of every suite, not only the headlines");
    cmd->add_option("--format", options_.format, "terminal | md | html | json | csv")->capture_default_str();
    cmd->add_option("--out", options_.out, "Write to this file instead of stdout");
    cmd->add_flag("--published", options_.published,
                  "Add the Sigma paper's figures for Sigma and GPT-4 as separate, labelled rows");
    cmd->add_option("--max-rows", options_.max_rows, "HTML: examples shown per run and suite (failures first)")
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_report(global, options_); }

 private:
  ReportOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_report_command() { return std::make_unique<ReportCommand>(); }

}  // namespace aimicius
