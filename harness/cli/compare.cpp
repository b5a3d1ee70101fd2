// `aimicius compare A B`: two runs over the examples they share (reports/comparison.h): the
// difference per suite and metric with a paired bootstrap CI and p-value, and the flipped examples.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/store/store.h"
#include "reports/comparison.h"
#include "reports/leaderboard_render.h"
#include "reports/output_file.h"

namespace aimicius {
namespace {

int command_compare(const GlobalOptions& global, int64_t run_a, int64_t run_b, const std::string& format_name,
                    const std::filesystem::path& out) {
  const ReportFormat format = parse_report_format(format_name);
  Store store = Store::open_for_read(global.db_path);
  const RunRecord a = require_evaluation_run(store, run_a);
  const RunRecord b = require_evaluation_run(store, run_b);
  write_report_output(out, render_comparison(compare_runs(store, a, b, CompareOptions{}), format));
  return 0;
}

class CompareCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "compare", "Compare two runs over shared examples: difference, paired bootstrap CI, p-value, flipped examples");
    cmd->add_option("run_a", run_a_, "Baseline run id")->required();
    cmd->add_option("run_b", run_b_, "Candidate run id")->required();
    cmd->add_option("--format", format_, "terminal | md | json | csv")->capture_default_str();
    cmd->add_option("--out", out_, "Write to this file instead of stdout");
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_compare(global, run_a_, run_b_, format_, out_); }

 private:
  int64_t run_a_ = 0, run_b_ = 0;
  std::string format_ = "terminal";
  std::filesystem::path out_;
};

}  // namespace

std::unique_ptr<Command> make_compare_command() { return std::make_unique<CompareCommand>(); }

}  // namespace aimicius
