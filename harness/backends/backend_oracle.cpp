#include "harness/backends/backend_oracle.h"

namespace aimicius {

OracleBackend::OracleBackend(const std::vector<LoadedSuite>& suites) {
  for (const auto& loaded : suites)
    for (const auto& ex : loaded.examples)
      references_[{loaded.suite->name(), ex.id}] = loaded.suite->oracle_output(ex);
}

std::vector<GenerationResult> OracleBackend::generate(const std::vector<GenerationRequest>& batch,
                                                      const GenerationParams&) {
  std::vector<GenerationResult> out(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = references_.find({batch[i].suite, batch[i].example_id});
    if (it == references_.end())
      out[i].error = "oracle has no reference for " + batch[i].suite + "/" + batch[i].example_id;
    else
      out[i].output = it->second;
  }
  return out;
}

}  // namespace aimicius
