// The replay backend answers from a JSONL file of outputs produced elsewhere (GPT-4 transcripts,
// another harness, a hand-written test file). Each line: {"suite": S, "example_id": ID,
// "output": RAW} — the raw model output, which goes through the suite's extraction like any
// other. An example missing from the file is a per-example error, not a crash; a line that can
// answer nothing (a suite the data folder lacks, an example its suite lacks: a typo, a file for
// other data) is bad input, found before a run starts by check_keys.
#pragma once

#include <filesystem>
#include <map>
#include <utility>

#include "harness/backends/backend.h"

namespace aimicius {

class ReplayBackend final : public Backend {
 public:
  // Throws InputError naming file and line for a malformed or duplicated line.
  explicit ReplayBackend(const std::filesystem::path& file);
  std::string spec() const override { return "replay:" + file_.string(); }
  std::string content_hash() const override { return sha256_; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;

  // Throws InputError naming the file and each line (the first ten) whose suite is not a suite of
  // `data_dir`, or whose suite is one of `suites` (those of the run) and has no such example in
  // any split. Lines for other suites of the folder are allowed: one file may answer every suite.
  // Also refuses a file that answers none of the examples the run asks for (the first `limit` of
  // each suite's).
  void check_keys(const std::filesystem::path& data_dir, const std::vector<LoadedSuite>& suites,
                  std::optional<int64_t> limit = std::nullopt) const;

 private:
  struct Entry {
    std::string output;
    int64_t line = 0;
  };
  std::filesystem::path file_;
  std::string sha256_;
  std::map<std::pair<std::string, std::string>, Entry> outputs_;  // read-only after construction
};

}  // namespace aimicius
