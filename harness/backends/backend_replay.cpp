#include "harness/backends/backend_replay.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "tasks/dataset.h"

namespace aimicius {

ReplayBackend::ReplayBackend(const std::filesystem::path& file) : file_(file) {
  for (const auto& line : read_jsonl_objects(file)) {
    const std::string where = fmt::format("{}:{}", file.string(), line.line_number);
    const auto& v = line.value;
    for (const char* key : {"suite", "example_id", "output"})
      if (!v.contains(key) || !v[key].is_string())
        throw InputError(fmt::format("{}: replay line needs a string \"{}\"", where, key));
    auto key = std::make_pair(v["suite"].get<std::string>(), v["example_id"].get<std::string>());
    if (!outputs_.emplace(key, Entry{v["output"].get<std::string>(), line.line_number}).second)
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
      out[i].output = it->second.output;
  }
  return out;
}

void ReplayBackend::check_keys(const std::filesystem::path& data_dir, const std::vector<LoadedSuite>& suites,
                               std::optional<int64_t> limit) const {
  const auto names = known_suite_names(data_dir);
  const std::set<std::string> known(names.begin(), names.end());
  std::map<std::string, std::set<std::string>> ids;  // the run's suites: ids of every split
  for (const auto& s : suites) {
    auto& suite_ids = ids[s.suite->name()];
    for (const auto& ex : load_examples(data_dir / s.suite->name(), s.manifest, "")) suite_ids.insert(ex.id);
  }
  std::vector<std::pair<int64_t, std::string>> bad;  // (line, why)
  for (const auto& [key, entry] : outputs_) {
    const auto& [suite, id] = key;
    if (!known.count(suite))
      bad.emplace_back(entry.line, fmt::format("suite \"{}\" is not a suite of {}", suite, data_dir.string()));
    else if (const auto it = ids.find(suite); it != ids.end() && !it->second.count(id))
      bad.emplace_back(entry.line, fmt::format("suite {} has no example \"{}\"", suite, id));
  }
  if (bad.empty()) {
    // A file that answers none of the examples this run asks for (another split, examples past
    // --limit, an empty file) would give a run of nothing but "no output" errors.
    int64_t asked = 0, answered = 0;
    for (const auto& s : suites) {
      const size_t n = limit ? std::min<size_t>(static_cast<size_t>(std::max<int64_t>(*limit, 0)), s.examples.size())
                             : s.examples.size();
      for (size_t i = 0; i < n; ++i) {
        ++asked;
        answered += outputs_.count({s.suite->name(), s.examples[i].id}) ? 1 : 0;
      }
    }
    if (asked > 0 && answered == 0)
      throw InputError(fmt::format("{}: answers none of the {} example(s) this run asks for ({} line(s) in the file): "
                                   "check --suite, --split and --limit against the file",
                                   file_.string(), asked, outputs_.size()));
    return;
  }
  std::sort(bad.begin(), bad.end());
  std::string message = fmt::format("{}: {} line(s) answer nothing in this run's data:", file_.string(), bad.size());
  for (size_t i = 0; i < bad.size() && i < 10; ++i)
    message += fmt::format("\n  {}:{}: {}", file_.string(), bad[i].first, bad[i].second);
  if (bad.size() > 10) message += fmt::format("\n  ... and {} more", bad.size() - 10);
  throw InputError(message + fmt::format("\n(known suites: {})", fmt::join(names, ", ")));
}

}  // namespace aimicius
