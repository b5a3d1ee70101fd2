// Read-only subcommands: list, show, report, compare, gate, and the data-maintenance `manifest`.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/commands.h"
#include "reports/answer_loss_table.h"
#include "reports/comparison.h"
#include "reports/drilldown.h"
#include "reports/gate.h"
#include "reports/html_report.h"
#include "reports/leaderboard.h"
#include "reports/leaderboard_render.h"
#include "reports/output_file.h"
#include "reports/published_tables.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

RunRecord require_run(Store& store, int64_t id) {
  auto run = store.find_run(id);
  if (!run) throw InputError(fmt::format("no run {} in the database", id));
  return *run;
}

// Leaderboards, comparisons and the gate read scores, which answer-loss runs do not have.
RunRecord require_evaluation_run(Store& store, int64_t id) {
  RunRecord run = require_run(store, id);
  if (run.is_answer_loss())
    throw InputError(fmt::format("run {} is an answer-loss run: it has log-likelihoods, not scores "
                                 "(see `aimicius show {}`)",
                                 id, id));
  return run;
}

// DATA_DIR/published/*.json in name order; InputError when there is none.
std::vector<std::filesystem::path> published_files(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "published";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  if (files.empty()) throw InputError(fmt::format("no published figures in {}", dir.string()));
  std::sort(files.begin(), files.end());
  return files;
}

int list_suites(const GlobalOptions& global) {
  Table t;
  t.headers = {"Suite", "Version", "Examples (test)", "Description"};
  for (const auto& name : known_suite_names(global.data_dir)) {
    try {
      const auto loaded = load_suite(name, global.data_dir, "test");
      t.rows.push_back({name, loaded.suite->version(), std::to_string(loaded.examples.size()),
                        loaded.suite->description()});
    } catch (const InputError& e) {
      t.rows.push_back({name, "-", "-", fmt::format("data not usable: {}", e.what())});
    }
  }
  t.notes.push_back(fmt::format("data: {}", global.data_dir.string()));
  fmt::print("{}", render_table(t, TableFormat::kTerminal));
  return 0;
}

int list_models(const GlobalOptions& global) {
  Table kinds;
  kinds.headers = {"Model spec", "What it is"};
  for (const auto& [spec, what] : backend_kinds()) kinds.rows.push_back({spec, what});
  fmt::print("{}", render_table(kinds, TableFormat::kTerminal));
  if (!std::filesystem::exists(global.db_path)) return 0;
  Store store = Store::open_for_read(global.db_path);
  std::map<std::string, int64_t> runs_per_model;
  for (const auto& r : store.list_runs()) ++runs_per_model[model_label(r)];
  Table seen;
  seen.headers = {"Model in " + global.db_path, "Runs"};
  for (const auto& [model, n] : runs_per_model) seen.rows.push_back({model, std::to_string(n)});
  fmt::print("\n{}", render_table(seen, TableFormat::kTerminal));
  return 0;
}

}  // namespace

int command_list(const GlobalOptions& global, const std::string& what) {
  if (what == "suites") return list_suites(global);
  if (what == "models") return list_models(global);
  if (what == "runs") {
    Store store = Store::open_for_read(global.db_path);
    fmt::print("{}", render_table(runs_table(store.list_runs()), TableFormat::kTerminal));
    return 0;
  }
  throw InputError(fmt::format("cannot list \"{}\" (suites, models, runs)", what));
}

int command_show(const GlobalOptions& global, int64_t run_id) {
  Store store = Store::open_for_read(global.db_path);
  const RunRecord run = require_run(store, run_id);
  fmt::print("run {}\n  model     {}\n  hash      {}\n  status    {}{}\n  created   {}\n  finished  {}\n"
             "  tool      aimicius {}\n  config    {}\n",
             run.id, model_label(run), run.model_hash, run.status,
             run.error.empty() ? "" : " (" + run.error + ")", run.created_at,
             run.finished_at.empty() ? "-" : run.finished_at, run.tool_version, run.config.dump());
  for (const auto& [name, info] : run.suites.items())
    fmt::print("  suite     {} v{} ({}), {} examples, data sha256 {}\n", name,
               info.value("version", "?"), info.value("prompt_version", "?"),
               info.value("examples", int64_t{0}), info.value("data_sha256", "?"));
  if (run.is_answer_loss()) {
    fmt::print("\n{}", render_answer_loss(answer_loss_summary(store, run), run, "terminal"));
    return 0;
  }
  const RunUsage usage = store.run_usage(run_id);
  fmt::print("  usage     {} examples stored ({} from the response cache, no cost); API tokens in {}, out {}; "
             "cost ${:.4f}\n",
             usage.examples, usage.cached, usage.tokens_in, usage.tokens_out, usage.cost_usd);
  fmt::print("\n{}", render_table(run_score_table(store, run), TableFormat::kTerminal));
  const auto errors = store.example_errors(run_id, 10);
  if (!errors.empty()) {
    fmt::print("\nfirst errors:\n");
    for (const auto& e : errors) fmt::print("  {}/{}: {}\n", e.suite, e.example_id, e.error);
  }
  return 0;
}

int command_report(const GlobalOptions& global, const ReportOptions& options) {
  const ReportFormat format = parse_report_format(options.format);
  Store store = Store::open_for_read(global.db_path);
  std::vector<RunRecord> runs;
  if (!options.run_ids.empty()) {
    for (int64_t id : options.run_ids) runs.push_back(require_evaluation_run(store, id));
  } else {
    // Default: the newest complete run of each model (all runs with --all); answer-loss runs
    // have no scores to rank.
    std::map<std::string, RunRecord> latest;
    for (auto& r : store.list_runs()) {
      if (r.is_answer_loss()) continue;
      if (options.all_runs) runs.push_back(r);
      else if (r.status == kRunComplete) latest[r.model_spec] = r;
    }
    for (auto& [_, r] : latest) runs.push_back(std::move(r));
  }
  if (runs.empty()) throw InputError(fmt::format("no complete runs in {} (try --all)", global.db_path));
  LeaderboardOptions lo;
  lo.all_metrics = options.all_metrics;
  Leaderboard board = build_leaderboard(store, runs, lo);
  if (options.published)
    for (const auto& file : published_files(global.data_dir))
      add_published_figures(board, read_published_figures(file), /*only_matching=*/true);
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
      text = render_html_report(board, build_drilldown(store, runs, global.data_dir, options.max_rows), ho);
      break;
    }
  }
  write_report_output(options.out, text);
  return 0;
}

int command_compare(const GlobalOptions& global, int64_t run_a, int64_t run_b, const std::string& format_name,
                    const std::filesystem::path& out) {
  const ReportFormat format = parse_report_format(format_name);
  Store store = Store::open_for_read(global.db_path);
  const RunRecord a = require_evaluation_run(store, run_a);
  const RunRecord b = require_evaluation_run(store, run_b);
  write_report_output(out, render_comparison(compare_runs(store, a, b, CompareOptions{}), format));
  return 0;
}

int command_gate(const GlobalOptions& global, const GateCommandOptions& options) {
  if (options.metrics != "headline" && options.metrics != "all")
    throw InputError(fmt::format("--metrics must be headline or all (got \"{}\")", options.metrics));
  Store store = Store::open_for_read(global.db_path);
  const RunRecord baseline = require_evaluation_run(store, options.baseline);
  const RunRecord candidate = require_evaluation_run(store, options.candidate);
  GateOptions go;
  go.max_drop = options.max_drop;
  go.alpha = options.alpha;
  go.all_metrics = options.metrics == "all";
  go.allow_data_change = options.allow_data_change;
  const GateResult result = run_gate(store, baseline, candidate, go);
  if (!options.junit.empty()) write_report_output(options.junit, gate_junit_xml(result));
  fmt::print("{}", gate_summary_text(result));
  return result.passed() ? 0 : 1;
}

int command_published(const GlobalOptions& global, const std::string& suite, const std::string& format_name) {
  const TableFormat format = parse_table_format(format_name);
  for (const auto& file : published_files(global.data_dir))
    fmt::print("{}", render_table(published_table(read_published_figures(file), suite), format));
  return 0;
}

int command_manifest(const GlobalOptions&, const std::filesystem::path& suite_dir) {
  const Manifest m = refresh_manifest(suite_dir);
  for (const auto& f : m.files)
    fmt::print("{}: {} examples, sha256 {}\n", (suite_dir / f.path).string(), f.count, f.sha256);
  return 0;
}

}  // namespace aimicius
