#include "harness/runner/audit.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

namespace aimicius {
namespace {

constexpr size_t kMaxErrorMessages = 5;

// Everything scored for one example, computed on a worker thread and tallied in file order.
struct ExampleResult {
  std::vector<AuditVariant> variants;
  std::vector<std::optional<std::vector<ScoreRow>>> scores;  // per variant; nullopt: scoring threw
  std::optional<std::vector<ScoreRow>> oracle;
  std::vector<std::string> errors;
};

std::optional<std::vector<ScoreRow>> score_or_note(const Suite& suite, const Example& ex, const std::string& answer,
                                                   const ScoringContext& context, const std::string& what,
                                                   std::vector<std::string>& errors) {
  try {
    return suite.score(ex, answer, context);
  } catch (const std::exception& e) {
    errors.push_back(fmt::format("{}: example \"{}\": scoring {} failed: {}", ex.origin, ex.id, what, e.what()));
    return std::nullopt;
  }
}

ExampleResult audit_example(const Suite& suite, const Example& ex, const ScoringContext& context) {
  ExampleResult r;
  try {
    r.variants = suite.audit_variants(ex);
  } catch (const std::exception& e) {
    r.errors.push_back(fmt::format("{}: example \"{}\": generating variants failed: {}", ex.origin, ex.id, e.what()));
  }
  r.oracle = score_or_note(suite, ex, suite.extract_answer(suite.oracle_output(ex)), context, "the reference", r.errors);
  for (const auto& v : r.variants)
    r.scores.push_back(score_or_note(suite, ex, v.answer, context, fmt::format("a {} variant", v.kind), r.errors));
  return r;
}

const ScoreRow* find_row(const std::vector<ScoreRow>& rows, const std::string& metric) {
  for (const auto& row : rows)
    if (row.metric == metric) return &row;
  return nullptr;
}

void tally(MetricAudit& m, const Example& ex, const ExampleResult& r, const AuditOptions& options) {
  if (r.oracle)
    if (const ScoreRow* row = find_row(*r.oracle, m.metric)) {
      ++m.oracle_scored;
      m.oracle_accepted += row->value >= options.accept_at;
    }
  std::vector<double> right_values, wrong_values;
  for (size_t i = 0; i < r.variants.size(); ++i) {
    if (!r.scores[i]) continue;
    const ScoreRow* row = find_row(*r.scores[i], m.metric);
    if (!row) continue;  // the metric does not apply to this example
    const AuditVariant& v = r.variants[i];
    const bool accepted = row->value >= options.accept_at;
    const bool misjudged = v.right != accepted;
    KindTally& kind = (v.right ? m.right_kinds : m.wrong_kinds)[v.kind];
    ++kind.scored;
    kind.misjudged += misjudged;
    auto& cases = v.right ? m.false_reject_cases : m.false_accept_cases;
    if (misjudged && static_cast<int>(cases.size()) < options.examples_per_metric)
      cases.push_back({ex.id, v.kind, v.answer, row->value});
    if (v.right) {
      ++m.right;
      m.false_rejects += misjudged;
      m.sum_right += row->value;
      right_values.push_back(row->value);
    } else {
      ++m.wrong;
      m.false_accepts += misjudged;
      m.sum_wrong += row->value;
      wrong_values.push_back(row->value);
    }
  }
  for (double right : right_values)
    for (double wrong : wrong_values) {
      ++m.pairs;
      m.inversions += wrong > right;
    }
}

nlohmann::json kinds_json(const std::map<std::string, KindTally>& kinds) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [kind, t] : kinds) out[kind] = {{"scored", t.scored}, {"misjudged", t.misjudged}};
  return out;
}

nlohmann::json cases_json(const std::vector<AuditCase>& cases) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : cases)
    out.push_back({{"example_id", c.example_id}, {"kind", c.kind}, {"answer", c.answer}, {"value", c.value}});
  return out;
}

}  // namespace

const MetricAudit* SuiteAudit::headline() const {
  for (const auto& m : metrics)
    if (m.headline) return &m;
  return nullptr;
}

nlohmann::json SuiteAudit::to_json() const {
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : metrics)
    ms.push_back({{"metric", m.metric},
                  {"headline", m.headline},
                  {"paper", m.paper},
                  {"right_variants", m.right},
                  {"wrong_variants", m.wrong},
                  {"false_accepts", m.false_accepts},
                  {"false_rejects", m.false_rejects},
                  {"false_accept_rate", m.false_accept_rate()},
                  {"false_reject_rate", m.false_reject_rate()},
                  {"mean_right", m.mean_right()},
                  {"mean_wrong", m.mean_wrong()},
                  {"inversion_rate", m.inversion_rate()},
                  {"oracle_scored", m.oracle_scored},
                  {"oracle_accepted", m.oracle_accepted},
                  {"right_kinds", kinds_json(m.right_kinds)},
                  {"wrong_kinds", kinds_json(m.wrong_kinds)},
                  {"false_accept_examples", cases_json(m.false_accept_cases)},
                  {"false_reject_examples", cases_json(m.false_reject_cases)}});
  return {{"suite", suite},
          {"version", version},
          {"split", split},
          {"examples", examples},
          {"examples_without_variants", examples_without_variants},
          {"right_variants", right_variants},
          {"wrong_variants", wrong_variants},
          {"errors", errors},
          {"error_messages", error_messages},
          {"metrics", ms}};
}

SuiteAudit audit_suite(const LoadedSuite& loaded, const std::string& split, const ScoringContext& context,
                       const AuditOptions& options) {
  const Suite& suite = *loaded.suite;
  size_t count = loaded.examples.size();
  if (options.limit) count = std::min<size_t>(count, static_cast<size_t>(std::max<int64_t>(0, *options.limit)));

  std::vector<ExampleResult> results(count);
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < std::max(1, options.jobs); ++j)
    workers.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) results[i] = audit_example(suite, loaded.examples[i], context);
    });
  for (auto& w : workers) w.join();

  SuiteAudit audit;
  audit.suite = suite.name();
  audit.version = suite.version();
  audit.split = split;
  audit.examples = static_cast<int64_t>(count);
  for (const auto& spec : suite.metrics()) {
    MetricAudit m;
    m.metric = spec.name;
    m.headline = spec.headline;
    m.paper = spec.paper;
    audit.metrics.push_back(std::move(m));
  }
  for (size_t i = 0; i < count; ++i) {
    const ExampleResult& r = results[i];
    audit.examples_without_variants += r.variants.empty();
    for (const auto& v : r.variants) ++(v.right ? audit.right_variants : audit.wrong_variants);
    audit.errors += static_cast<int64_t>(r.errors.size());
    for (const auto& e : r.errors)
      if (audit.error_messages.size() < kMaxErrorMessages) audit.error_messages.push_back(e);
    for (auto& m : audit.metrics) tally(m, loaded.examples[i], r, options);
  }
  return audit;
}

}  // namespace aimicius
