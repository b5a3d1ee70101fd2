// AddedCommands (command.h): which of the commands added to one CLI::App the parse named.
#include "harness/cli/command.h"

#include <CLI/CLI.hpp>

namespace aimicius {

void AddedCommands::add(CLI::App& parent, Command& command) { added_.emplace_back(command.add_to(parent), &command); }

Command* AddedCommands::parsed() const {
  for (const auto& [subcommand, command] : added_)
    if (subcommand->parsed()) return command;
  return nullptr;
}

}  // namespace aimicius
