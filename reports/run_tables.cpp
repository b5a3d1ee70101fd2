#include "reports/run_tables.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace aimicius {
namespace {

std::string percent(double v) { return fmt::format("{:.1f}", 100.0 * v); }

constexpr const char* kOracleNote =
    "oracle: the references themselves, scored to validate extraction and scorers; not a model.";

bool any_oracle(const std::vector<RunRecord>& runs) {
  for (const auto& r : runs)
    if (r.is_oracle) return true;
  return false;
}

}  // namespace

std::string model_label(const RunRecord& run) {
  return run.is_oracle ? "oracle (references, not a model)" : run.model_spec;
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
  if (run.is_oracle) t.notes.push_back(kOracleNote);
  if (run.status != kRunComplete)
    t.notes.push_back(fmt::format("run {} is {}: scores cover the examples stored so far", run.id, run.status));
  return t;
}

Table leaderboard_table(Store& store, const std::vector<RunRecord>& runs, bool all_metrics) {
  // Columns: the union of (suite, metric) over the runs, in first-seen order.
  std::vector<std::pair<std::string, std::string>> columns;
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::map<std::pair<std::string, std::string>, double>> values;
  std::vector<std::pair<int64_t, int64_t>> totals;  // examples, errors
  for (const auto& run : runs) {
    auto& row = values.emplace_back();
    for (const auto& m : store.metric_summaries(run.id)) {
      const std::string headline = run.suites.contains(m.suite) ? run.suites[m.suite].value("headline", "") : "";
      if (!all_metrics && !headline.empty() && m.metric != headline) continue;
      std::pair<std::string, std::string> key{m.suite, m.metric};
      if (seen.insert(key).second) columns.push_back(key);
      row[key] = m.mean;
    }
    auto& total = totals.emplace_back(0, 0);
    for (const auto& c : store.suite_counts(run.id)) {
      total.first += c.examples;
      total.second += c.errors;
    }
  }
  Table t;
  t.headers = {"Run", "Model", "Status"};
  for (const auto& [suite, metric] : columns) t.headers.push_back(suite + "/" + metric);
  t.headers.push_back("Examples");
  t.headers.push_back("Errors");
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::string> row = {std::to_string(runs[i].id), model_label(runs[i]), runs[i].status};
    for (const auto& key : columns) {
      auto it = values[i].find(key);
      row.push_back(it == values[i].end() ? "-" : percent(it->second));
    }
    row.push_back(std::to_string(totals[i].first));
    row.push_back(std::to_string(totals[i].second));
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back("Scores are percentages (mean over examples; errors score 0).");
  if (!all_metrics) t.notes.push_back("Each suite's headline metric; --all-metrics shows every metric.");
  if (any_oracle(runs)) t.notes.push_back(kOracleNote);
  return t;
}

Table compare_table(Store& store, const RunRecord& a, const RunRecord& b) {
  const auto sa = store.example_scores(a.id);
  const auto sb = store.example_scores(b.id);
  struct Acc {
    double sum_a = 0, sum_b = 0;
    int64_t n = 0, better = 0, worse = 0;
  };
  // Rows follow run A's metric order (the order its suites define them in).
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& m : store.metric_summaries(a.id)) order.emplace_back(m.suite, m.metric);
  std::map<std::pair<std::string, std::string>, Acc> acc;
  for (const auto& [key, va] : sa) {
    auto it = sb.find(key);
    if (it == sb.end()) continue;
    const auto& [suite, example, metric] = key;
    Acc& x = acc[{suite, metric}];
    x.sum_a += va;
    x.sum_b += it->second;
    ++x.n;
    if (it->second > va + 1e-12) ++x.better;
    if (it->second < va - 1e-12) ++x.worse;
  }
  Table t;
  t.headers = {"Suite", "Metric", fmt::format("A (run {})", a.id), fmt::format("B (run {})", b.id), "B-A",
               "Examples", "Better in B", "Worse in B"};
  for (const auto& k : order) {
    auto found = acc.find(k);
    if (found == acc.end()) continue;  // no shared example for this metric
    const Acc& x = found->second;
    const double ma = x.sum_a / x.n, mb = x.sum_b / x.n;
    t.rows.push_back({k.first, k.second, percent(ma), percent(mb), fmt::format("{:+.1f}", 100.0 * (mb - ma)),
                      std::to_string(x.n), std::to_string(x.better), std::to_string(x.worse)});
  }
  t.notes.push_back(fmt::format("A: run {} · {}", a.id, model_label(a)));
  t.notes.push_back(fmt::format("B: run {} · {}", b.id, model_label(b)));
  t.notes.push_back("Only examples scored in both runs are compared.");
  if (a.is_oracle || b.is_oracle) t.notes.push_back(kOracleNote);
  return t;
}

Table runs_table(const std::vector<RunRecord>& runs) {
  Table t;
  t.headers = {"Run", "Model", "Status", "Created", "Suites"};
  for (const auto& r : runs) {
    std::string suites;
    for (const auto& [name, info] : r.suites.items())
      suites += (suites.empty() ? "" : ", ") + name + "@" + info.value("version", "?");
    t.rows.push_back({std::to_string(r.id), model_label(r), r.status, r.created_at, suites});
  }
  return t;
}

}  // namespace aimicius
