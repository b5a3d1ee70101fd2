#include "tasks/cmdgen/cmdgen_suite.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "scorers/command_match.h"
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

std::vector<ScoreRow> CmdgenSuite::score(const Example& ex, const std::string& answer) const {
  const std::string reference = ex.fields.at("reference").get<std::string>();
  CommandScore structure = command_structure_score(answer, reference);
  return {
      {"exact_match", exact_match(answer, reference), nlohmann::json::object()},
      {"command_score", structure.value, std::move(structure.detail)},
  };
}

}  // namespace aimicius
