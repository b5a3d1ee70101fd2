#include "reports/drilldown.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "reports/leaderboard.h"
#include "tasks/suite.h"

namespace aimicius {
namespace {

bool is_failure(const StoredExample& ex, const std::string& headline) {
  if (ex.error) return true;
  for (const auto& s : ex.scores)
    if ((headline.empty() || s.metric == headline) && s.value < 1.0) return true;
  return false;
}

// The suite data a run used, loaded once per (suite, split); a failure to load is kept as text.
struct SuiteData {
  std::optional<LoadedSuite> loaded;
  std::string error;
  std::map<std::string, const Example*> by_id;
};

}  // namespace

std::vector<DrillSuite> build_drilldown(Store& store, const std::vector<RunRecord>& runs,
                                        const std::filesystem::path& data_dir, size_t max_rows) {
  std::map<std::pair<std::string, std::string>, SuiteData> cache;
  std::vector<DrillSuite> out;
  for (const auto& run : runs) {
    const std::string split = run.config.is_object() ? run.config.value("split", "test") : "test";
    std::vector<std::string> order;
    std::map<std::string, std::vector<StoredExample>> by_suite;
    for (auto& ex : store.stored_examples(run.id)) {
      if (!by_suite.count(ex.suite)) order.push_back(ex.suite);
      by_suite[ex.suite].push_back(std::move(ex));
    }
    for (const auto& suite : order) {
      DrillSuite ds;
      ds.run_id = run.id;
      ds.suite = suite;
      ds.headline = run_headline(run, suite);
      auto& stored = by_suite[suite];
      ds.total = stored.size();

      auto key = std::make_pair(suite, split);
      if (!cache.count(key)) {
        SuiteData& d = cache[key];
        try {
          d.loaded = load_suite(suite, data_dir, split);
          for (const auto& ex : d.loaded->examples) d.by_id[ex.id] = &ex;
        } catch (const std::exception& e) {
          d.error = e.what();
        }
      }
      const SuiteData& data = cache[key];
      const nlohmann::json info = run.suites.is_object() && run.suites.contains(suite) ? run.suites[suite] : nlohmann::json::object();
      if (!data.loaded) {
        ds.data_note = fmt::format("prompts and references not shown: the suite data in {} could not be loaded ({})",
                                   data_dir.string(), data.error);
      } else if (info.value("data_sha256", "") != data.loaded->manifest.data_sha256() ||
                 info.value("prompt_version", "") != data.loaded->suite->prompt_version()) {
        ds.data_note = fmt::format(
            "prompts and references not shown: the data in {} (data sha256 {}, prompt {}) is not what run {} used "
            "(data sha256 {}, prompt {})",
            (data_dir / suite).string(), data.loaded->manifest.data_sha256().substr(0, 12),
            data.loaded->suite->prompt_version(), run.id, info.value("data_sha256", "?").substr(0, 12),
            info.value("prompt_version", "?"));
      }
      for (auto& ex : stored) {
        DrillExample d;
        d.failed = is_failure(ex, ds.headline);
        ds.failures += d.failed ? 1 : 0;
        if (ds.data_note.empty()) {
          auto it = data.by_id.find(ex.example_id);
          if (it != data.by_id.end()) {
            d.prompt = data.loaded->suite->prompt(*it->second);
            d.reference = data.loaded->suite->oracle_output(*it->second);
            d.prompt_mismatch = sha256_hex(d.prompt) != ex.prompt_sha256;
          }
        }
        d.stored = std::move(ex);
        ds.examples.push_back(std::move(d));
      }
      std::stable_partition(ds.examples.begin(), ds.examples.end(), [](const DrillExample& d) { return d.failed; });
      if (ds.examples.size() > max_rows) ds.examples.resize(max_rows);
      out.push_back(std::move(ds));
    }
  }
  return out;
}

}  // namespace aimicius
