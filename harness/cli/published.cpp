// `aimicius published`: the figures papers published for the suites (DATA_DIR/published/*.json),
// labelled as published, never as reproduced here.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "reports/published_tables.h"
#include "reports/table.h"

namespace aimicius {
namespace {

int command_published(const GlobalOptions& global, const std::string& suite, const std::string& format_name) {
  const TableFormat format = parse_table_format(format_name);
  for (const auto& file : published_files(global.data_dir))
    fmt::print("{}", render_table(published_table(read_published_figures(file), suite), format));
  return 0;
}

class PublishedCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "published", "Show the figures the Sigma paper published for the suites (published, not reproduced)");
    cmd->add_option("--suite", suite_, "Only this suite");
    cmd->add_option("--format", format_, "terminal | markdown")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_published(global, suite_, format_); }

 private:
  std::string suite_, format_ = "terminal";
};

}  // namespace

std::unique_ptr<Command> make_published_command() { return std::make_unique<PublishedCommand>(); }

}  // namespace aimicius
