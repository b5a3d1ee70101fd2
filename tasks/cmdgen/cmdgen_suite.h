// cmdgen: a natural-language request about GPU/cluster operations -> one shell command line
// (NVIDIA, AMD and Linux tools; modelled on CMDGen of the Sigma paper, arXiv 2501.13629).
//
// Example fields: id, platform ("nvidia" | "amd" | "linux"), category (tool family), request,
// reference (the command). Scored by matching for now: exact match after normalisation and the
// structure-aware command score (scorers/command_match.h). Execution scoring comes with the sandbox.
#pragma once

#include "tasks/suite.h"

namespace aimicius {

class CmdgenSuite final : public Suite {
 public:
  std::string name() const override { return "cmdgen"; }
  std::string description() const override;
  std::string prompt_version() const override { return "cmdgen-prompt-1"; }
  std::vector<MetricSpec> metrics() const override;
  void validate_example(const Example& ex) const override;
  std::string prompt(const Example& ex) const override;
  std::string oracle_output(const Example& ex) const override;
  std::vector<std::string> stop_sequences() const override { return {"\n\n"}; }
  std::string extract_answer(std::string_view raw_output) const override;
  std::vector<ScoreRow> score(const Example& ex, const std::string& answer) const override;
};

}  // namespace aimicius
