// `aimicius`: the command-line driver. Declares the global options and their defaults (from the
// environment and the build), adds every subcommand of all_commands() (each wires its own options,
// harness/cli/<name>.cpp), parses (CLI11), resolves the host profiles, runs the one subcommand
// named, and maps failures to exit codes: 0 success, 2 bad input (usage, unknown suite or model,
// missing or corrupt data, unwritable database), 1 anything else (and, for `gate`, a regression).
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"

#ifndef AIMICIUS_DEFAULT_DATA_DIR
#define AIMICIUS_DEFAULT_DATA_DIR "datasets"
#endif
#ifndef AIMICIUS_DEFAULT_ENCODER_DIR
#define AIMICIUS_DEFAULT_ENCODER_DIR "models/all-MiniLM-L6-v2"
#endif
#ifndef AIMICIUS_DEFAULT_MODEL
#define AIMICIUS_DEFAULT_MODEL "oracle"
#endif
#ifndef AIMICIUS_HOSTSIM_BIN
#define AIMICIUS_HOSTSIM_BIN "aimicius-hostsim"
#endif
#ifndef AIMICIUS_VERSION
#define AIMICIUS_VERSION "dev"
#endif

namespace {

std::filesystem::path default_hostsim_binary() {
  if (const char* env = std::getenv("AIMICIUS_HOSTSIM"); env && *env) return env;
  return AIMICIUS_HOSTSIM_BIN;
}

// The model `run` evaluates without --model: the bundled trained checkpoint in builds with the
// runtime, the oracle otherwise; $AIMICIUS_MODEL overrides both.
std::string default_model() {
  if (const char* env = std::getenv("AIMICIUS_MODEL"); env && *env) return env;
  return AIMICIUS_DEFAULT_MODEL;
}

std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("AIMICIUS_DATA_DIR"); env && *env) return env;
  return AIMICIUS_DEFAULT_DATA_DIR;
}

std::filesystem::path default_encoder_dir() {
  if (const char* env = std::getenv("AIMICIUS_ENCODER"); env && *env) return env;
  return AIMICIUS_DEFAULT_ENCODER_DIR;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aimicius;
  CLI::App app{"aimicius: evaluate system-domain language models on the AIMicius suites.\n"
               "Answers are scored, every result is kept in SQLite, and runs become leaderboards."};
  app.set_version_flag("--version", AIMICIUS_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  global.data_dir = default_data_dir();
  global.hostsim_binary = default_hostsim_binary();
  global.encoder_dir = default_encoder_dir();
  app.add_option("--db", global.db_path, "SQLite results database")->capture_default_str();
  app.add_option("--data-dir", global.data_dir, "Folder holding one subfolder per suite (env AIMICIUS_DATA_DIR)")
      ->capture_default_str();
  app.add_option("--encoder", global.encoder_dir,
                 "Embedding model of the similarity metrics (env AIMICIUS_ENCODER)")
      ->capture_default_str();
  app.add_option("--hosts-dir", global.hosts_dir,
                 "Host profiles of the simulated tools (default: DATA_DIR/hosts, else the bundled ones)");
  app.add_flag("-v,--verbose", global.verbosity, "More detail on stderr (repeatable)");

  const std::vector<std::unique_ptr<Command>> commands = all_commands(default_model());
  AddedCommands added;
  for (const auto& command : commands) added.add(app, *command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  // Host profiles: the data folder's own, else the bundled ones (a user's suite folder can run
  // commands on the bundled simulated hosts without copying them).
  if (global.hosts_dir.empty()) {
    global.hosts_dir = global.data_dir / "hosts";
    if (!std::filesystem::exists(global.hosts_dir)) global.hosts_dir = std::filesystem::path(AIMICIUS_DEFAULT_DATA_DIR) / "hosts";
  }

  try {
    if (Command* command = added.parsed()) return command->run(global);
  } catch (const InputError& e) {
    fmt::print(stderr, "aimicius: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "aimicius: internal error: {}\n", e.what());
    return 1;
  }
  return 2;
}
