// `aimicius manifest SUITE_DIR`: recomputes the example counts and checksums in suite.json after
// its data was edited (tasks/dataset.h), for people maintaining the suites.
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "tasks/dataset.h"

namespace aimicius {
namespace {

int command_manifest(const GlobalOptions&, const std::filesystem::path& suite_dir) {
  const Manifest m = refresh_manifest(suite_dir);
  for (const auto& f : m.files)
    fmt::print("{}: {} examples, sha256 {}\n", (suite_dir / f.path).string(), f.count, f.sha256);
  return 0;
}

class ManifestCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "manifest", "Recompute counts and checksums in SUITE_DIR/suite.json after editing its data");
    cmd->add_option("suite_dir", suite_dir_, "Suite folder, e.g. datasets/cmdgen")->required();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_manifest(global, suite_dir_); }

 private:
  std::filesystem::path suite_dir_;
};

}  // namespace

std::unique_ptr<Command> make_manifest_command() { return std::make_unique<ManifestCommand>(); }

}  // namespace aimicius
