// `aimicius merge OUT.db SHARD.db...`: joins the shard runs of one run (`run --shard K/N`, one
// database each) into one run in OUT.db (harness/runner/merge.h), then prints its score table.
// The global --db is not used: the databases are the arguments.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "harness/runner/merge.h"
#include "harness/store/store.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

class MergeCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "merge", "Merge the shard runs of one run (run --shard K/N, one db each) into one run in OUT.db");
    cmd->add_option("out", out_, "Database to merge into (created if needed; may hold other runs)")->required();
    cmd->add_option("shards", shards_, "The shards' databases")->required();
    cmd->add_flag("--partial", partial_,
                  "Merge even when shards are missing: the run is stored as failed (incomplete) until a later "
                  "merge adds them");
    cmd->add_option("--format", format_, "Result table: terminal | markdown")->capture_default_str();
    return cmd;
  }

  int run(const GlobalOptions&) override {
    const TableFormat format = parse_table_format(format_);
    const MergeSummary m = merge_shards(out_, shards_, partial_);
    fmt::print(stderr, "{} run {} in {}: {} example(s) added from {} database(s); shards {} of {} merged{}\n",
               m.created ? "merged into new" : "merged into", m.run_id, out_, m.examples_added, shards_.size(),
               m.merged.size(), m.shard_count, m.status == kRunComplete ? " (complete)" : " (incomplete: stored as failed)");
    Store store = Store::open_for_read(out_);
    fmt::print("{}", render_table(run_score_table(store, *store.find_run(m.run_id)), format));
    return 0;
  }

 private:
  std::string out_;
  std::vector<std::string> shards_;
  bool partial_ = false;
  std::string format_ = "terminal";
};

}  // namespace

std::unique_ptr<Command> make_merge_command() { return std::make_unique<MergeCommand>(); }

}  // namespace aimicius
