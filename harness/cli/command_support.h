// Helpers that more than one `aimicius` subcommand needs: finding a stored run, the published
// figures' files, a model shape from --preset/--config, and the corpus contamination check that
// both `validate --corpus` and `corpus` end with. Each throws InputError naming what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "harness/runner/runner.h"
#include "harness/store/store.h"
#include "runtime/model_config.h"

namespace aimicius {

// The paths every command that scores takes from the global options (data, simulated tools,
// encoder, host profiles), copied into run options.
void set_global_paths(RunOptions& options, const GlobalOptions& global);

// The run `id` of `store`; InputError when there is none.
RunRecord require_run(Store& store, int64_t id);

// The run `id`, which must be an evaluation run: leaderboards, comparisons and the gate read
// scores, which answer-loss runs do not have. InputError otherwise.
RunRecord require_evaluation_run(Store& store, int64_t id);

// DATA_DIR/published/*.json in name order; InputError when there is none.
std::vector<std::filesystem::path> published_files(const std::filesystem::path& data_dir);

// A model shape from a preset name or a config.json (exactly one); InputError names `command`.
runtime::ModelConfig model_config_from(const std::string& preset, const std::filesystem::path& config_file,
                                       const std::string& command);

// `aimicius validate --corpus DIR`: prints the contamination report (training/corpus/contamination.h);
// InputError (exit 2) naming the suite and the worst example when a test split's 13-gram overlap
// exceeds max_overlap.
int command_validate_corpus(const GlobalOptions& global, const std::vector<std::string>& suites,
                            const std::filesystem::path& corpus_dir, double max_overlap);

}  // namespace aimicius
