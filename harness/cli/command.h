// One subcommand of the `aimicius` command line, and the options every subcommand shares.
//
// Each subcommand is a Command in its own file (harness/cli/<name>.cpp): the object holds the
// subcommand's options, add_to() declares them to CLI11 bound to its own members, and run() is the
// body. main.cpp adds every command of all_commands() (all_commands.h) to the application, parses
// once, and runs the one the user named.
//
// Invariants: add_to() is called once per object, before parsing; the object outlives the parse
// (CLI11 writes the parsed values into its members); run() is called at most once, after a
// successful parse, and only on the command whose subcommand was parsed. run() returns the exit
// code; InputError (common/errors.h) escapes to main(), which prints it and exits with 2. Commands
// hold no state beyond their options: there is no global registry, main.cpp owns the list.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace aimicius {

// The options before the subcommand (`aimicius --db X run ...`), with main.cpp's defaults.
struct GlobalOptions {
  std::string db_path = "aimicius.db";
  std::filesystem::path data_dir;
  std::filesystem::path hostsim_binary;  // the simulated GPU/cluster tools
  std::filesystem::path encoder_dir;     // the embedding model of the similarity metrics
  std::filesystem::path hosts_dir;       // host profiles: <data dir>/hosts, else the bundled ones
  int verbosity = 0;
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds this command's subcommand to `parent` (the application, or a group such as `bench`),
  // its options bound to this object's members; returns the subcommand, which says after parsing
  // whether the user named it.
  virtual CLI::App* add_to(CLI::App& parent) = 0;
  // The subcommand's body, on the parsed options; returns the process exit code.
  virtual int run(const GlobalOptions& global) = 0;
};

// Commands added side by side to one CLI::App (the application, or a group such as `bench`), and
// which of them a parse named. Holds pointers only: the commands and the App outlive it.
class AddedCommands {
 public:
  void add(CLI::App& parent, Command& command);
  // The command whose subcommand was parsed; nullptr when none was.
  Command* parsed() const;

 private:
  std::vector<std::pair<const CLI::App*, Command*>> added_;
};

}  // namespace aimicius
