// The cmdgen dataset's reference commands that start with a simulated tool (test, dev and fewshot
// splits), for the hostsim tests that run them (dataset coverage, option visibility).
// Invariants: words are the reference split on whitespace, without VAR=value prefixes, the first
// word's path removed; a missing split file is an error, never an empty list.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim::testing {

struct DatasetCommand {
  std::string id, platform, host, command;
  bool execute = true;
  std::vector<std::string> words;  // without VAR=value prefixes, first word's path removed
};

// One split file's commands that start with a simulated tool; a missing file is an error.
inline void add_simulated_commands(const std::string& split, std::vector<DatasetCommand>& commands) {
  const std::string path = std::string(AIMICIUS_CMDGEN_DATA_DIR) + "/" + split;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    const auto row = nlohmann::json::parse(line);
    DatasetCommand command{row.at("id"), row.at("platform"), row.value("host", ""), row.at("reference"),
                           row.value("execute", true), {}};
    std::istringstream words(command.command);
    std::string word;
    while (words >> word) command.words.push_back(word);
    while (!command.words.empty() && command.words[0].find('=') != std::string::npos && command.words[0][0] != '-')
      command.words.erase(command.words.begin());
    if (command.words.empty()) continue;
    command.words[0] = command.words[0].substr(command.words[0].rfind('/') + 1);
    if (find_tool(command.words[0])) commands.push_back(command);
  }
}

inline std::vector<DatasetCommand> simulated_commands() {
  std::vector<DatasetCommand> commands;
  for (const char* split : {"test.jsonl", "dev.jsonl", "fewshot.jsonl"}) add_simulated_commands(split, commands);
  return commands;
}

// The profiles a command runs on: its example's "host", else by platform (nvidia -> dgx-h100,
// amd -> mi250x-node; linux -> dgx-h100 then mi250x-node, where the first that answers counts).
inline std::vector<std::string> candidate_profiles(const DatasetCommand& command) {
  if (!command.host.empty()) return {command.host};
  std::vector<std::string> profiles = {command.platform == "amd" ? "mi250x-node" : "dgx-h100"};
  if (command.platform == "linux") profiles.push_back("mi250x-node");
  return profiles;
}

}  // namespace aimicius::hostsim::testing
