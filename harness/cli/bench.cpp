// `aimicius bench`: the group of benchmark subcommands, and its two that every build has: `bench
// sandbox` (sandboxed executions per second) and `bench api` (the harness' overhead per example on
// the openai: path). The measuring lives in bench/ (bench/bench_commands.h); this file holds the
// options and their wiring. `bench generate` needs the runtime and has its own file
// (bench_generate.cpp); all_commands.cpp decides which subcommands the group gets.
#include <memory>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/bench_commands.h"
#include "harness/cli/all_commands.h"

namespace aimicius {
namespace {

class BenchCommand final : public Command {
 public:
  explicit BenchCommand(std::vector<std::unique_ptr<Command>> subcommands) : subcommands_(std::move(subcommands)) {}

  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("bench", "Benchmarks (results go to docs/PERFORMANCE.md)");
    cmd->require_subcommand(1);
    for (const auto& subcommand : subcommands_) added_.add(*cmd, *subcommand);
    return cmd;
  }
  // require_subcommand(1) makes the parse fail without one, so there is always one to run.
  int run(const GlobalOptions& global) override { return added_.parsed()->run(global); }

 private:
  std::vector<std::unique_ptr<Command>> subcommands_;
  AddedCommands added_;
};

class BenchSandboxCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("sandbox", "Sandboxed executions per second");
    cmd->add_option("--command", options_.command, "Command to run")->capture_default_str();
    cmd->add_option("--runs", options_.runs, "Executions per repeat")->capture_default_str();
    cmd->add_option("--jobs", options_.jobs, "Concurrent executions")->capture_default_str();
    cmd->add_option("--repeats", options_.repeats, "Timed repeats (median reported)")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_bench_sandbox(options_); }

 private:
  BenchSandboxOptions options_;
};

class BenchApiCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "api", "Harness overhead per example on the openai: path, against an in-process server that answers at once");
    cmd->add_option("--jobs", options_.jobs, "Worker counts to measure (comma-separated)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--examples", options_.examples, "Examples per run")->capture_default_str();
    cmd->add_option("--repeats", options_.repeats, "Timed repeats (median reported)")->capture_default_str();
    cmd->add_option("--batch-size", options_.batch_size, "Examples per backend call")->capture_default_str();
    cmd->add_option("--format", options_.format, "terminal | markdown")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_bench_api(options_); }

 private:
  BenchApiOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_bench_command(std::vector<std::unique_ptr<Command>> subcommands) {
  return std::make_unique<BenchCommand>(std::move(subcommands));
}
std::unique_ptr<Command> make_bench_sandbox_command() { return std::make_unique<BenchSandboxCommand>(); }
std::unique_ptr<Command> make_bench_api_command() { return std::make_unique<BenchApiCommand>(); }

}  // namespace aimicius
