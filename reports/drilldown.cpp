#include "reports/drilldown.h"

#include <algorithm>
#include <map>

#include "reports/leaderboard.h"

namespace aimicius {
namespace {

bool is_failure(const StoredExample& ex, const std::string& headline) {
  if (ex.error) return true;
  for (const auto& s : ex.scores)
    if ((headline.empty() || s.metric == headline) && s.value < 1.0) return true;
  return false;
}

}  // namespace

std::vector<DrillSuite> build_drilldown(Store& store, const std::vector<RunRecord>& runs, size_t max_rows) {
  std::vector<DrillSuite> out;
  for (const auto& run : runs) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<StoredExample>> by_suite;
    for (auto& ex : store.stored_examples(run.id, ExampleTexts::kRead)) {
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
      for (auto& ex : stored) {
        DrillExample d;
        d.failed = is_failure(ex, ds.headline);
        ds.failures += d.failed ? 1 : 0;
        ds.without_texts += !ex.prompt || !ex.reference ? 1 : 0;
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
