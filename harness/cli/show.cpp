// `aimicius show RUN`: one stored run: its configuration, suites with their data checksums, usage
// and cost, score table, and its first errors.
#include <cstdint>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/store/store.h"
#include "reports/answer_loss_table.h"
#include "reports/run_tables.h"
#include "reports/table.h"

namespace aimicius {
namespace {

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

class ShowCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("show", "Show one run: its configuration, scores and errors");
    cmd->add_option("run", run_id_, "Run id")->required();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_show(global, run_id_); }

 private:
  int64_t run_id_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_show_command() { return std::make_unique<ShowCommand>(); }

}  // namespace aimicius
