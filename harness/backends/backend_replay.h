// The replay backend answers from a JSONL file of outputs produced elsewhere (GPT-4 transcripts,
// another harness, a hand-written test file). Each line: {"suite": S, "example_id": ID,
// "output": RAW} — the raw model output, which goes through the suite's extraction like any
// other. An example missing from the file is a per-example error, not a crash.
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

 private:
  std::filesystem::path file_;
  std::string sha256_;
  std::map<std::pair<std::string, std::string>, std::string> outputs_;  // read-only after construction
};

}  // namespace aimicius
