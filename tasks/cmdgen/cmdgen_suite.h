// cmdgen: a natural-language request about GPU/cluster operations -> one shell command line
// (NVIDIA, AMD and Linux tools; modelled on CMDGen of the Sigma paper, arXiv 2501.13629).
//
// Example fields: id, platform ("nvidia" | "amd" | "linux"), category (tool family), request,
// reference (the command); optional "host" (a profile in datasets/hosts; default by platform:
// nvidia -> dgx-h100, amd -> mi250x-node, linux -> dgx-h100) and "execute": false for references
// that cannot run there (e.g. they need root). Scored by matching (exact match after
// normalisation, structure-aware command score; scorers/command_match.h) and, where the reference
// calls a simulated tool, by execution on the simulated host (execution_match, output_similarity;
// scorers/command_execution.h). A leading `sudo` is dropped before execution, as in matching: the
// sandbox user is never root, and sudo does not change what the command asks.
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
  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& context) const override;
  bool needs_sandbox() const override { return true; }
};

}  // namespace aimicius
