#include "harness/backends/backend_replay.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"

namespace aimicius {

ReplayBackend::ReplayBackend(const std::filesystem::path& file) : file_(file) {
  for (const auto& line : read_jsonl_objects(file)) {
    const std::string where = fmt::format("{}:{}", file.string(), line.line_number);
    const auto& v = line.value;
    for (const char* key : {"suite", "example_id", "output"})
      if (!v.contains(key) || !v[key].is_string())
        throw InputError(fmt::format("{}: replay line needs a string \"{}\"", where, key));
    auto key = std::make_pair(v["suite"].get<std::string>(), v["example_id"].get<std::string>());
    if (!outputs_.emplace(key, v["output"].get<std::string>()).second)
      throw InputError(fmt::format("{}: second output for {}/{}", where, key.first, key.second));
  }
  sha256_ = sha256_file_hex(file);
}

std::vector<GenerationResult> ReplayBackend::generate(const std::vector<GenerationRequest>& batch,
                                                      const GenerationParams&) {
  std::vector<GenerationResult> out(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = outputs_.find({batch[i].suite, batch[i].example_id});
    if (it == outputs_.end())
      out[i].error = fmt::format("no output for {}/{} in {}", batch[i].suite, batch[i].example_id,
                                 file_.string());
    else
      out[i].output = it->second;
  }
  return out;
}

}  // namespace aimicius
