// `aimicius corpus`: builds the training corpus (training/corpus/corpus_writer.h) into --out, then
// prints the contamination report against the dev/test splits (training/corpus/contamination.h,
// the check `validate --corpus` runs alone); InputError (exit 2) when a test split's 13-gram
// overlap exceeds --max-overlap. The logic lives in training/corpus/ (aimicius_corpus); this file
// maps options and prints.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "training/corpus/corpus_writer.h"

namespace aimicius {
namespace {

struct CorpusCommandOptions {
  std::filesystem::path out;
  uint64_t seed = 1;
  int64_t max_bytes = 0;
  double max_overlap = 0.01;
  int optiflow_train = 3000;          // corpus::CorpusOptions' train pool sizes
  int diagnostics_per_template = 150;
};

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

class CorpusCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "corpus", "Build the training corpus from the project's own material (never dev/test) and check its overlap");
    cmd->add_option("--out", options_.out, "Output folder (corpus.jsonl, manifest.json)")->required();
    cmd->add_option("--seed", options_.seed, "Seed of the generated train pools (0..999)")->capture_default_str();
    cmd->add_option("--max-bytes", options_.max_bytes, "Drop documents past this many bytes of text (0: no limit)")
        ->capture_default_str();
    cmd->add_option("--max-overlap", options_.max_overlap, "As validate --max-overlap")->capture_default_str();
    cmd->add_option("--optiflow-train", options_.optiflow_train,
                    "optiflow train candidates (random topologies; most are dropped as overlapping dev/test)")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    cmd->add_option("--diagnostics-per-template", options_.diagnostics_per_template,
                    "diagnostics train examples per few-shot template")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_corpus(global, options_); }

 private:
  CorpusCommandOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_corpus_command() { return std::make_unique<CorpusCommand>(); }

}  // namespace aimicius
