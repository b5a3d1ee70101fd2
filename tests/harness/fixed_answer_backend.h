// A test backend that answers the same text to every request (runner and infra_error tests).
#pragma once

#include <string>
#include <vector>

#include "harness/backends/backend.h"

namespace aimicius::testing {

class FixedAnswerBackend final : public Backend {
 public:
  explicit FixedAnswerBackend(std::string answer) : answer_(std::move(answer)) {}
  std::string spec() const override { return "fixed"; }
  std::string content_hash() const override { return "f"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                         const GenerationParams&) override {
    std::vector<GenerationResult> out(requests.size());
    for (auto& r : out) r.output = answer_;
    return out;
  }

 private:
  std::string answer_;
};

}  // namespace aimicius::testing
