// The oracle backend answers every example with the suite's reference output. It exists to
// validate extraction and scorers (an oracle run must score 100 on every matching metric) and
// is always labelled as such in reports: it is not a model.
#pragma once

#include <map>
#include <utility>

#include "harness/backends/backend.h"

namespace aimicius {

class OracleBackend final : public Backend {
 public:
  explicit OracleBackend(const std::vector<LoadedSuite>& suites);
  std::string spec() const override { return "oracle"; }
  std::string content_hash() const override { return "oracle"; }
  bool is_oracle() const override { return true; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;

 private:
  std::map<std::pair<std::string, std::string>, std::string> references_;  // read-only after construction
};

}  // namespace aimicius
