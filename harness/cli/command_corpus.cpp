// `aimicius corpus` (build the training corpus, then report its overlap with the evaluation
// splits) and `aimicius validate --corpus DIR` (the overlap report alone). The logic lives in
// training/corpus/ (aimicius_corpus); this file maps options and prints.
#include <fmt/format.h>

#include "common/errors.h"
#include "training/corpus/contamination.h"
#include "training/corpus/corpus_writer.h"
#include "harness/cli/commands.h"

namespace aimicius {

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

int command_corpus(const GlobalOptions& global, const CorpusCommandOptions& options) {
  corpus::CorpusOptions build_options;
  build_options.data_dir = global.data_dir;
  build_options.generators_dir = AIMICIUS_CORPUS_GENERATORS_DIR;
  build_options.seed = options.seed;
  build_options.max_bytes = options.max_bytes;
  build_options.optiflow_train = options.optiflow_train;
  build_options.diagnostics_per_template = options.diagnostics_per_template;
  build_options.tool_version = AIMICIUS_VERSION;
  const corpus::CorpusBuild build = corpus::build_corpus(build_options);
  const auto manifest = corpus::write_corpus(options.out, build, build_options);
  fmt::print("{}: {} documents, {} bytes of text, sha256 {}\n", (options.out / "corpus.jsonl").string(),
             manifest["documents"].get<size_t>(), manifest["text_bytes"].get<int64_t>(),
             manifest["corpus_sha256"].get<std::string>());
  for (const auto& s : manifest["sources"])
    fmt::print("  {:<24} {:>6} documents {:>10} bytes\n", s["source"].get<std::string>(), s["documents"].get<int64_t>(),
               s["text_bytes"].get<int64_t>());
  for (const auto& n : build.notes) fmt::print("  note: {}\n", n);
  fmt::print("\n");
  return command_validate_corpus(global, {}, options.out, options.max_overlap);
}

}  // namespace aimicius
