#include "reports/run_tables.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace aimicius {
namespace {

std::string percent(double v) { return fmt::format("{:.1f}", 100.0 * v); }

constexpr const char* kOracleNote =
    "oracle: the references themselves, scored to validate extraction and scorers; not a model.";

}  // namespace

std::string model_label(const RunRecord& run) {
  return run.is_oracle ? "oracle (references, not a model)" : run.model_spec;
}

std::string not_judged_note(const std::string& suite, int64_t not_judged, int64_t examples, int64_t run_id) {
  return fmt::format("{}: {} example{} not judged (infrastructure errors) in run {}; its scores are over the {} "
                     "judged (`aimicius run --resume {} --retry-errors` runs them again)",
                     suite, not_judged, not_judged == 1 ? "" : "s", run_id, examples - not_judged, run_id);
}

Table run_score_table(Store& store, const RunRecord& run) {
  Table t;
  t.headers = {"Suite", "Metric", "Score", "Examples", "Errors"};
  std::map<std::string, SuiteCounts> counts;
  for (const auto& c : store.suite_counts(run.id)) counts[c.suite] = c;
  for (const auto& m : store.metric_summaries(run.id)) {
    const auto& c = counts[m.suite];
    t.rows.push_back({m.suite, m.metric, percent(m.mean), std::to_string(m.examples), std::to_string(c.errors)});
  }
  // Per-subset rows (e.g. cmdgen's NVIDIA and AMD halves, as the paper reports them).
  // Only the suite's headline metric, where the run recorded one: the full breakdown is in the db.
  for (const auto& m : store.subset_summaries(run.id)) {
    const std::string headline = run.suites.contains(m.suite) ? run.suites[m.suite].value("headline", "") : "";
    if (!headline.empty() && m.metric != headline) continue;
    t.rows.push_back({m.suite + " · " + m.subset, m.metric, percent(m.mean), std::to_string(m.examples), ""});
  }
  t.notes.push_back(fmt::format("run {} · model {} · {}", run.id, model_label(run), run.status));
  for (const auto& [suite, c] : counts)
    if (c.infra_errors) t.notes.push_back(not_judged_note(suite, c.infra_errors, c.examples, run.id));
  if (run.is_oracle) t.notes.push_back(kOracleNote);
  if (run.status != kRunComplete)
    t.notes.push_back(fmt::format("run {} is {}: scores cover the examples stored so far", run.id, run.status));
  return t;
}

Table runs_table(const std::vector<RunRecord>& runs) {
  Table t;
  t.headers = {"Run", "Model", "Status", "Created", "Suites"};
  for (const auto& r : runs) {
    std::string suites;
    for (const auto& [name, info] : r.suites.items())
      suites += (suites.empty() ? "" : ", ") + name + "@" + info.value("version", "?");
    const std::string model = r.is_answer_loss() ? model_label(r) + " (answer-loss)" : model_label(r);
    t.rows.push_back({std::to_string(r.id), model, r.status, r.created_at, suites});
  }
  return t;
}

}  // namespace aimicius
