// `aimicius gate`: the CI regression gate (reports/gate.h). Exit 0 when the candidate passes, 1 on
// a regression (the only command whose failure is a verdict, not an error); InputError (exit 2)
// on bad input, such as runs on different data unless --allow-data-change.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/store/store.h"
#include "reports/gate.h"
#include "reports/output_file.h"

namespace aimicius {
namespace {

struct GateCommandOptions {
  int64_t baseline = 0;
  int64_t candidate = 0;
  double max_drop = 1.0;
  double alpha = 0.05;
  std::string metrics = "headline";  // headline | all
  std::filesystem::path junit;       // "" = none
  bool allow_data_change = false;
};

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

class GateCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "gate", "CI regression gate: exit 1 when the candidate's score drops significantly by more than --max-drop");
    cmd->add_option("--baseline", options_.baseline, "Baseline run id")->required();
    cmd->add_option("--candidate", options_.candidate, "Candidate run id")->required();
    cmd->add_option("--max-drop", options_.max_drop, "Largest tolerated drop, in points")->capture_default_str();
    cmd->add_option("--alpha", options_.alpha, "Significance level of the paired test")->capture_default_str();
    cmd->add_option("--metrics", options_.metrics, "headline | all")->capture_default_str();
    cmd->add_option("--junit", options_.junit, "Write JUnit XML here (one test case per suite/metric)");
    cmd->add_flag("--allow-data-change", options_.allow_data_change,
                  "Gate runs whose suite version or data differ (warned), instead of refusing");
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_gate(global, options_); }

 private:
  GateCommandOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_gate_command() { return std::make_unique<GateCommand>(); }

}  // namespace aimicius
