#include "tasks/cmdgen/cmdgen_suite.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "scorers/command_match.h"
#include "scorers/command_execution.h"
#include "scorers/shell_words.h"
#include "tasks/cmdgen/extract_command.h"

namespace aimicius {

std::string CmdgenSuite::description() const {
  return "request -> one shell command (NVIDIA, AMD, Linux cluster tools)";
}

std::vector<MetricSpec> CmdgenSuite::metrics() const {
  return {
      {"exact_match", "command equal to the reference after normalisation", true},
      {"command_score", "structure-aware score: utility, flag set and values (NLC2CMD-style)", false},
      {"execution_match", "same exit status, output and files as the reference on the simulated host", false},
      {"output_similarity", "token F1 of the command's output against the reference's (simulated host)", false},
  };
}

void CmdgenSuite::validate_example(const Example& ex) const {
  for (const char* key : {"request", "reference", "platform"}) {
    auto it = ex.fields.find(key);
    if (it == ex.fields.end() || !it->is_string() || it->get<std::string>().empty())
      throw InputError(fmt::format("{}: example \"{}\" needs a non-empty string \"{}\"", ex.origin,
                                   ex.id, key));
  }
  // The scorers lex the reference; a reference that does not lex is a data bug, caught at load.
  try {
    split_shell_words(ex.fields.at("reference").get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: example \"{}\": reference is not a valid command line: {}", ex.origin,
                                 ex.id, e.what()));
  }
}

std::string CmdgenSuite::prompt(const Example& ex) const {
  const std::string platform = ex.fields.at("platform").get<std::string>();
  return fmt::format(
      "You operate GPU clusters. Write the single shell command that does what the request asks "
      "on a {} system. Reply with the command only, on one line, without explanation.\n\n"
      "Request: {}\nCommand:",
      platform == "amd" ? "AMD GPU (ROCm)" : platform == "nvidia" ? "NVIDIA GPU (CUDA)" : "Linux",
      ex.fields.at("request").get<std::string>());
}

std::string CmdgenSuite::oracle_output(const Example& ex) const {
  return ex.fields.at("reference").get<std::string>();
}

std::string CmdgenSuite::extract_answer(std::string_view raw_output) const {
  return extract_command(raw_output);
}

namespace {

std::string host_of(const Example& ex) {
  if (auto it = ex.fields.find("host"); it != ex.fields.end() && it->is_string()) return it->get<std::string>();
  return ex.fields.at("platform").get<std::string>() == "amd" ? "mi250x-node" : "dgx-h100";
}

// The command without a leading `sudo` (and its -E), for execution.
std::string without_sudo(const std::string& command) {
  ShellWords words;
  try {
    words = split_shell_words(command);
  } catch (const std::invalid_argument&) {
    return command;  // runs as written and fails as written
  }
  if (words.segments.empty() || words.segments[0].empty() || words.segments[0][0] != "sudo") return command;
  const size_t at = command.find("sudo");
  std::string rest = command.substr(at + 4);
  const size_t start = rest.find_first_not_of(" \t");
  rest = start == std::string::npos ? "" : rest.substr(start);
  if (rest.rfind("-E ", 0) == 0) rest = rest.substr(3);
  return rest;
}

// Execution applies when the reference's first utility is a simulated tool and the example
// does not opt out.
bool executes(const Example& ex, const std::string& reference) {
  if (ex.fields.value("execute", true) == false) return false;
  try {
    const ShellWords words = split_shell_words(reference);
    if (words.segments.empty() || words.segments[0].empty()) return false;
    const std::string utility = std::filesystem::path(words.segments[0][0]).filename().string();
    for (const auto& tool : default_simulated_tools())
      if (tool == utility) return true;
  } catch (const std::invalid_argument&) {
  }
  return false;
}

}  // namespace

std::vector<ScoreRow> CmdgenSuite::score(const Example& ex, const std::string& answer,
                                         const ScoringContext& context) const {
  const std::string reference = ex.fields.at("reference").get<std::string>();
  CommandScore structure = command_structure_score(answer, reference);
  std::vector<ScoreRow> rows = {
      {"exact_match", exact_match(answer, reference), nlohmann::json::object()},
      {"command_score", structure.value, std::move(structure.detail)},
  };
  if (context.sandbox && executes(ex, reference)) {
    const std::string host = host_of(ex);
    const SimulatedHost simulated{context.hostsim_binary, context.hosts_dir / (host + ".json"),
                                  default_simulated_tools()};
    CommandExecutionScore exec = score_command_execution(*context.sandbox, simulated, without_sudo(answer),
                                                         reference, {}, SandboxLimits{});
    exec.detail["host"] = host;
    rows.push_back({"execution_match", exec.execution_match, exec.detail});
    rows.push_back({"output_similarity", exec.output_similarity, nlohmann::json::object()});
  }
  return rows;
}

}  // namespace aimicius
