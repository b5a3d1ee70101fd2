// Helpers shared by several subcommands (see command_support.h).
#include "harness/cli/command_support.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_file.h"
#include "training/corpus/contamination.h"

namespace aimicius {

void set_global_paths(RunOptions& options, const GlobalOptions& global) {
  options.data_dir = global.data_dir;
  options.hostsim_binary = global.hostsim_binary;
  options.encoder_dir = global.encoder_dir;
  options.hosts_dir = global.hosts_dir;
}

RunRecord require_run(Store& store, int64_t id) {
  auto run = store.find_run(id);
  if (!run) throw InputError(fmt::format("no run {} in the database", id));
  return *run;
}

RunRecord require_evaluation_run(Store& store, int64_t id) {
  RunRecord run = require_run(store, id);
  if (run.is_answer_loss())
    throw InputError(fmt::format("run {} is an answer-loss run: it has log-likelihoods, not scores "
                                 "(see `aimicius show {}`)",
                                 id, id));
  return run;
}

std::vector<std::filesystem::path> published_files(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "published";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  if (files.empty()) throw InputError(fmt::format("no published figures in {}", dir.string()));
  std::sort(files.begin(), files.end());
  return files;
}

runtime::ModelConfig model_config_from(const std::string& preset, const std::filesystem::path& config_file,
                                       const std::string& command) {
  if (preset.empty() == config_file.empty())
    throw InputError(fmt::format("{} needs exactly one of --preset NAME and --config FILE", command));
  if (!preset.empty()) return runtime::preset_config(preset);
  return runtime::parse_model_config(read_json_file(config_file), config_file.string());
}

int command_validate_corpus(const GlobalOptions& global, const std::vector<std::string>& suites,
                            const std::filesystem::path& corpus_dir, double max_overlap) {
  if (max_overlap < 0 || max_overlap > 1)
    throw InputError(fmt::format("--max-overlap must be a fraction in [0, 1] (got {})", max_overlap));
  corpus::ContaminationOptions options;
  options.data_dir = global.data_dir;
  options.suites = suites;
  options.corpus_dir = corpus_dir;
  options.max_overlap = max_overlap;
  const corpus::ContaminationReport report = corpus::check_contamination(options);
  fmt::print("{}", corpus::format_report(report));
  if (!report.failure.empty()) throw InputError("contamination: " + report.failure);
  return 0;
}

}  // namespace aimicius
