#include "reports/gate.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/errors.h"
#include "reports/escape.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

std::string numbers(const MetricComparison& m) {
  return fmt::format("baseline {:.1f}, candidate {:.1f}, diff {:+.1f} [95% CI {:+.1f}, {:+.1f}], p={:.3g} ({}), "
                     "n={}, worse {}, better {}",
                     100.0 * m.mean_a, 100.0 * m.mean_b, 100.0 * (m.mean_b - m.mean_a), 100.0 * m.diff.low,
                     100.0 * m.diff.high, m.p_value, m.test, m.n, m.worse_ids.size(), m.better_ids.size());
}

}  // namespace

bool GateResult::passed() const {
  return std::none_of(cases.begin(), cases.end(), [](const GateCase& c) { return c.failed; });
}

GateCase judge(const MetricComparison& cmp, const GateOptions& options) {
  GateCase g;
  g.cmp = cmp;
  const double drop = 100.0 * (cmp.mean_a - cmp.mean_b);  // points; negative = improvement
  const bool significant = cmp.p_value < options.alpha;
  if (drop <= 0.0) {
    g.verdict = drop < 0.0 ? fmt::format("pass: improved by {:.1f}", -drop) : "pass: no change";
  } else if (drop <= options.max_drop) {
    g.verdict = fmt::format("pass: drop {:.1f} within max-drop {:.1f}{}", drop, options.max_drop,
                            significant ? fmt::format(" (significant, p={:.3g})", cmp.p_value) : "");
  } else if (!significant) {
    g.verdict = fmt::format("pass: drop {:.1f} not significant (p={:.3g} >= {:.3g})", drop, cmp.p_value, options.alpha);
  } else {
    g.failed = true;
    g.verdict = fmt::format("regression: drop {:.1f} > max-drop {:.1f} and significant (p={:.3g} < {:.3g})", drop,
                            options.max_drop, cmp.p_value, options.alpha);
  }
  return g;
}

GateResult run_gate(Store& store, const RunRecord& baseline, const RunRecord& candidate, const GateOptions& options) {
  if (options.max_drop < 0.0) throw InputError(fmt::format("--max-drop must be >= 0 (got {})", options.max_drop));
  if (!(options.alpha > 0.0 && options.alpha < 1.0))
    throw InputError(fmt::format("--alpha must be in (0, 1) (got {})", options.alpha));
  for (const RunRecord* r : {&baseline, &candidate})
    if (r->status != kRunComplete)
      throw InputError(fmt::format("run {} is {}: the gate compares complete runs only", r->id, r->status));
  GateResult result;
  result.baseline = baseline;
  result.candidate = candidate;
  result.options = options;
  const auto mismatches = run_data_mismatches(baseline, candidate);
  if (!mismatches.empty()) {
    std::string all;
    for (const auto& m : mismatches) all += "\n  " + m;
    if (!options.allow_data_change)
      throw InputError(fmt::format("runs {} and {} did not evaluate the same data:{}\n(--allow-data-change to gate anyway)",
                                   baseline.id, candidate.id, all));
    for (const auto& m : mismatches) result.warnings.push_back(m);
  }
  CompareOptions co;
  co.headline_only = !options.all_metrics;
  co.seed = options.seed;
  co.resamples = options.resamples;
  const Comparison cmp = compare_runs(store, baseline, candidate, co);
  if (!cmp.only_in_a.empty())
    throw InputError(fmt::format("candidate run {} lacks suite {} of baseline run {}", candidate.id, cmp.only_in_a.front(),
                                 baseline.id));
  for (const auto& [suite, _] : baseline.suites.items()) {
    const bool covered = std::any_of(cmp.rows.begin(), cmp.rows.end(), [&](const MetricComparison& m) { return m.suite == suite; });
    if (!covered)
      throw InputError(fmt::format("runs {} and {} share no scored example of suite {}", baseline.id, candidate.id, suite));
  }
  for (const auto& w : cmp.not_judged) result.warnings.push_back(w);
  for (const auto& w : cmp.setting_mismatches) result.warnings.push_back(w);
  for (const auto& row : cmp.rows) result.cases.push_back(judge(row, options));
  return result;
}

std::string gate_summary_text(const GateResult& r) {
  std::string out = fmt::format("gate: baseline run {} ({}) vs candidate run {} ({}); max-drop {:.1f} points, alpha {}\n",
                                r.baseline.id, model_label(r.baseline), r.candidate.id, model_label(r.candidate),
                                r.options.max_drop, r.options.alpha);
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  size_t failed = 0;
  for (const auto& c : r.cases) {
    failed += c.failed ? 1 : 0;
    out += fmt::format("{} {}/{}: {} ({:.1f} -> {:.1f}, n={})\n", c.failed ? "FAIL" : "PASS", c.cmp.suite, c.cmp.metric,
                       c.verdict, 100.0 * c.cmp.mean_a, 100.0 * c.cmp.mean_b, c.cmp.n);
  }
  out += fmt::format("gate {}: {} of {} checks failed\n", failed ? "FAILED" : "passed", failed, r.cases.size());
  return out;
}

std::string gate_junit_xml(const GateResult& r) {
  size_t failures = 0;
  for (const auto& c : r.cases) failures += c.failed ? 1 : 0;
  const std::string suite_name =
      fmt::format("aimicius gate: run {} vs run {}", r.baseline.id, r.candidate.id);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"aimicius gate\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", r.cases.size(), failures);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
                   html_escape(suite_name), r.cases.size(), failures);
  x += "    <properties>\n";
  auto prop = [&](const std::string& k, const std::string& v) {
    x += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", html_escape(k), html_escape(v));
  };
  prop("baseline", fmt::format("{} {}", r.baseline.id, model_label(r.baseline)));
  prop("candidate", fmt::format("{} {}", r.candidate.id, model_label(r.candidate)));
  prop("max_drop", fmt::format("{}", r.options.max_drop));
  prop("alpha", fmt::format("{}", r.options.alpha));
  for (const auto& w : r.warnings) prop("warning", w);
  x += "    </properties>\n";
  for (const auto& c : r.cases) {
    x += fmt::format("    <testcase classname=\"aimicius.{}\" name=\"{}\" time=\"0\">\n", html_escape(c.cmp.suite),
                     html_escape(c.cmp.metric));
    if (c.failed)
      x += fmt::format("      <failure message=\"{}\" type=\"regression\">{}</failure>\n", html_escape(c.verdict),
                       html_escape(numbers(c.cmp)));
    x += fmt::format("      <system-out>{}: {}</system-out>\n", html_escape(c.verdict), html_escape(numbers(c.cmp)));
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace aimicius
