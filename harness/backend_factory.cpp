#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backend.h"
#include "harness/backend_oracle.h"
#include "harness/backend_replay.h"

namespace aimicius {

std::vector<std::pair<std::string, std::string>> backend_kinds() {
  return {
      {"oracle", "answers with the references (validates scorers; not a model)"},
      {"replay:FILE.jsonl", "answers from a file of {suite, example_id, output} lines"},
  };
}

std::unique_ptr<Backend> make_backend(const std::string& spec, const std::vector<LoadedSuite>& suites) {
  if (spec == "oracle") return std::make_unique<OracleBackend>(suites);
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "replay") {
    if (arg.empty()) throw InputError("model spec \"replay:\" needs a file: replay:FILE.jsonl");
    return std::make_unique<ReplayBackend>(arg);
  }
  if (kind == "local" || kind == "openai")
    throw InputError(fmt::format("model spec \"{}\": the {}: backend is not built yet (available: "
                                 "oracle, replay:FILE.jsonl)",
                                 spec, kind));
  throw InputError(fmt::format("unknown model spec \"{}\" (available: oracle, replay:FILE.jsonl)", spec));
}

}  // namespace aimicius
