#include "reports/comparison.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/errors.h"
#include "reports/escape.h"
#include "reports/leaderboard.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

struct Pairs {
  std::vector<std::string> ids;
  std::vector<double> a, b;
};

std::string ids_text(const std::vector<std::string>& ids, size_t max_ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < max_ids; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > max_ids) out += fmt::format(", ... ({} more)", ids.size() - max_ids);
  return out;
}

std::string p_text(double p) { return p < 0.001 ? "<0.001" : fmt::format("{:.3f}", p); }

nlohmann::json capped(const std::vector<std::string>& ids, size_t max_ids) {
  return std::vector<std::string>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), max_ids)));
}

}  // namespace

std::vector<std::string> run_data_mismatches(const RunRecord& a, const RunRecord& b) {
  std::vector<std::string> out;
  if (!a.suites.is_object() || !b.suites.is_object()) return out;
  for (const auto& [suite, ia] : a.suites.items()) {
    if (!b.suites.contains(suite)) continue;
    const auto& ib = b.suites[suite];
    for (const char* key : {"version", "prompt_version", "data_sha256"}) {
      const std::string va = ia.value(key, ""), vb = ib.value(key, "");
      if (va != vb)
        out.push_back(fmt::format("suite {}: {} differs (run {}: {}, run {}: {})", suite, key, a.id,
                                  va.empty() ? "?" : va, b.id, vb.empty() ? "?" : vb));
    }
  }
  return out;
}

std::vector<std::string> run_setting_mismatches(const RunRecord& a, const RunRecord& b) {
  std::vector<std::string> out;
  // `what` differs when both hold it and the values are not equal; values are shown as JSON.
  auto differs = [&](const std::string& what, const nlohmann::json& va, const nlohmann::json& vb) {
    if (!va.is_null() && !vb.is_null() && va != vb)
      out.push_back(fmt::format("{} differs (run {}: {}, run {}: {})", what, a.id, va.dump(), b.id, vb.dump()));
  };
  auto at = [](const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) ? j.at(key) : nlohmann::json();
  };
  auto engine = [](const RunRecord& r) {
    const std::string e = run_engine(r);
    return e.empty() ? nlohmann::json() : nlohmann::json(e);
  };
  differs("engine", engine(a), engine(b));
  differs("prompt_style", at(a.config, "prompt_style"), at(b.config, "prompt_style"));
  const nlohmann::json ta = at(a.config, "temperature"), tb = at(b.config, "temperature");
  differs("temperature", ta, tb);
  if (ta.is_number() && tb.is_number() && ta.get<double>() > 0.0 && tb.get<double>() > 0.0)
    differs("seed (both sampled)", at(a.config, "seed"), at(b.config, "seed"));
  if (a.suites.is_object() && b.suites.is_object())
    for (const auto& [suite, ia] : a.suites.items()) {
      if (!b.suites.contains(suite)) continue;
      const nlohmann::json ga = at(ia, "generation"), gb = at(b.suites[suite], "generation");
      differs(fmt::format("suite {}: max_new_tokens", suite), at(ga, "max_new_tokens"), at(gb, "max_new_tokens"));
      differs(fmt::format("suite {}: stop", suite), at(ga, "stop"), at(gb, "stop"));
    }
  return out;
}

Comparison compare_runs(Store& store, const RunRecord& a, const RunRecord& b, const CompareOptions& options) {
  Comparison c;
  c.a = a;
  c.b = b;
  c.mismatches = run_data_mismatches(a, b);
  c.setting_mismatches = run_setting_mismatches(a, b);
  std::map<std::tuple<std::string, std::string, std::string>, double> vb;  // suite, example, metric
  std::map<std::string, bool> suites_in_b;
  std::map<std::string, std::pair<int64_t, int64_t>> not_judged;  // suite -> in A, in B
  std::vector<std::string> not_judged_order;
  auto count_not_judged = [&](const StoredExample& ex, bool in_a) {
    if (!ex.infra_error) return;
    if (!not_judged.count(ex.suite)) not_judged_order.push_back(ex.suite);
    ++(in_a ? not_judged[ex.suite].first : not_judged[ex.suite].second);
  };
  for (const auto& ex : store.stored_examples(b.id)) {
    suites_in_b[ex.suite] = true;
    count_not_judged(ex, false);
    for (const auto& s : ex.scores) vb[{ex.suite, ex.example_id, s.metric}] = s.value;
  }
  std::vector<std::pair<std::string, std::string>> order;  // A's suite/metric order
  std::map<std::pair<std::string, std::string>, Pairs> pairs;
  for (const auto& ex : store.stored_examples(a.id)) {
    count_not_judged(ex, true);
    if (!suites_in_b.count(ex.suite)) {
      if (std::find(c.only_in_a.begin(), c.only_in_a.end(), ex.suite) == c.only_in_a.end()) c.only_in_a.push_back(ex.suite);
      continue;
    }
    for (const auto& s : ex.scores) {
      const std::pair<std::string, std::string> key{ex.suite, s.metric};
      if (!pairs.count(key)) order.push_back(key);
      auto it = vb.find({ex.suite, ex.example_id, s.metric});
      Pairs& p = pairs[key];
      if (it == vb.end()) continue;
      p.ids.push_back(ex.example_id);
      p.a.push_back(s.value);
      p.b.push_back(it->second);
    }
  }
  for (const auto& key : order) {
    const Pairs& p = pairs[key];
    if (p.ids.empty()) continue;
    MetricComparison m;
    m.suite = key.first;
    m.metric = key.second;
    m.headline = run_headline(a, m.suite) == m.metric;
    if (options.headline_only && !run_headline(a, m.suite).empty() && !m.headline) continue;
    m.n = static_cast<int64_t>(p.ids.size());
    std::mt19937_64 rng(seed_for(options.seed, m.suite + "/" + m.metric));
    m.diff = paired_bootstrap_diff_ci(p.a, p.b, rng, options.resamples);
    m.mean_a = 0.0;
    m.mean_b = 0.0;
    for (size_t i = 0; i < p.ids.size(); ++i) {
      m.mean_a += p.a[i];
      m.mean_b += p.b[i];
      if (p.b[i] < p.a[i]) m.worse_ids.push_back(p.ids[i]);
      if (p.b[i] > p.a[i]) m.better_ids.push_back(p.ids[i]);
    }
    m.mean_a /= static_cast<double>(m.n);
    m.mean_b /= static_cast<double>(m.n);
    m.binary = all_binary(p.a) && all_binary(p.b);
    if (m.binary) {
      m.p_value = mcnemar_exact_p(static_cast<int64_t>(m.worse_ids.size()), static_cast<int64_t>(m.better_ids.size()));
      m.test = "McNemar exact";
    } else {
      std::vector<double> d(p.ids.size());
      for (size_t i = 0; i < d.size(); ++i) d[i] = p.b[i] - p.a[i];
      constexpr int kExactMaxN = 16;
      const auto nonzero = std::count_if(d.begin(), d.end(), [](double x) { return x != 0.0; });
      m.p_value = paired_permutation_p(d, rng, 10000, kExactMaxN);
      m.test = nonzero <= kExactMaxN ? "permutation exact" : "permutation Monte Carlo";
    }
    c.rows.push_back(std::move(m));
  }
  for (const auto& suite : not_judged_order) {
    const auto [in_a, in_b] = not_judged[suite];
    c.not_judged.push_back(fmt::format("{}: {} example{} of run {} and {} of run {} not judged (infrastructure "
                                       "errors): compared over the examples both runs judged",
                                       suite, in_a, in_a == 1 ? "" : "s", a.id, in_b, b.id));
  }
  return c;
}

Table comparison_table(const Comparison& c, size_t max_ids) {
  Table t;
  t.headers = {"Suite", "Metric", fmt::format("A (run {})", c.a.id), fmt::format("B (run {})", c.b.id), "B-A",
               "95% CI of B-A", "p", "Test", "n", "Worse in B", "Better in B"};
  for (const auto& m : c.rows)
    t.rows.push_back({m.suite, m.metric, percent_text(m.mean_a), percent_text(m.mean_b),
                      fmt::format("{:+.1f}", 100.0 * (m.mean_b - m.mean_a)),
                      fmt::format("[{:+.1f}, {:+.1f}]", 100.0 * m.diff.low, 100.0 * m.diff.high), p_text(m.p_value),
                      m.test, std::to_string(m.n), std::to_string(m.worse_ids.size()),
                      std::to_string(m.better_ids.size())});
  t.notes.push_back(fmt::format("A: run {} · {}", c.a.id, model_label(c.a)));
  t.notes.push_back(fmt::format("B: run {} · {}", c.b.id, model_label(c.b)));
  t.notes.push_back("Only examples scored in both runs are compared (n). Scores and differences in points; CI: "
                    "paired bootstrap over examples; p: exact McNemar for 0/1 metrics, sign-flip permutation otherwise.");
  for (const auto& m : c.rows) {
    const char* worse = m.binary ? "pass->fail" : "lower in B";
    const char* better = m.binary ? "fail->pass" : "higher in B";
    if (!m.worse_ids.empty())
      t.notes.push_back(fmt::format("{}/{} {} ({}): {}", m.suite, m.metric, worse, m.worse_ids.size(), ids_text(m.worse_ids, max_ids)));
    if (!m.better_ids.empty())
      t.notes.push_back(fmt::format("{}/{} {} ({}): {}", m.suite, m.metric, better, m.better_ids.size(), ids_text(m.better_ids, max_ids)));
  }
  for (const auto& s : c.only_in_a) t.notes.push_back(fmt::format("suite {} is in run {} only: not compared", s, c.a.id));
  for (const auto& w : c.mismatches) t.notes.push_back("warning: " + w + ": the runs did not see the same examples");
  for (const auto& w : c.not_judged) t.notes.push_back("warning: " + w);
  for (const auto& w : c.setting_mismatches)
    t.notes.push_back("warning: " + w + ": scores may differ for this setting, not for the model");
  if (c.a.is_oracle || c.b.is_oracle)
    t.notes.push_back("oracle: the references themselves, scored to validate extraction and scorers; not a model.");
  return t;
}

nlohmann::json comparison_json(const Comparison& c, size_t max_ids) {
  nlohmann::json j;
  j["a"] = {{"id", c.a.id}, {"model", c.a.model_spec}, {"status", c.a.status}};
  j["b"] = {{"id", c.b.id}, {"model", c.b.model_spec}, {"status", c.b.status}};
  j["values"] = "fractions in [0, 1]; diff = b - a";
  j["rows"] = nlohmann::json::array();
  for (const auto& m : c.rows)
    j["rows"].push_back({{"suite", m.suite},
                         {"metric", m.metric},
                         {"headline", m.headline},
                         {"binary", m.binary},
                         {"n", m.n},
                         {"a", m.mean_a},
                         {"b", m.mean_b},
                         {"diff", m.mean_b - m.mean_a},
                         {"diff_ci_low", m.diff.low},
                         {"diff_ci_high", m.diff.high},
                         {"p_value", m.p_value},
                         {"test", m.test},
                         {"worse_count", m.worse_ids.size()},
                         {"better_count", m.better_ids.size()},
                         {"worse_ids", capped(m.worse_ids, max_ids)},
                         {"better_ids", capped(m.better_ids, max_ids)}});
  j["mismatches"] = c.mismatches;
  j["only_in_a"] = c.only_in_a;
  j["not_judged"] = c.not_judged;
  j["setting_mismatches"] = c.setting_mismatches;
  return j;
}

std::string render_comparison_csv(const Comparison& c) {
  std::string out = "suite,metric,headline,binary,n,a,b,diff,diff_ci_low,diff_ci_high,p_value,test,worse_count,better_count\n";
  for (const auto& m : c.rows)
    out += fmt::format("{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{},{},{}\n", csv_field(m.suite),
                       csv_field(m.metric), m.headline ? 1 : 0, m.binary ? 1 : 0, m.n, m.mean_a, m.mean_b,
                       m.mean_b - m.mean_a, m.diff.low, m.diff.high, m.p_value, csv_field(m.test), m.worse_ids.size(),
                       m.better_ids.size());
  return out;
}

std::string render_comparison(const Comparison& c, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTerminal: return render_table(comparison_table(c), TableFormat::kTerminal);
    case ReportFormat::kMarkdown: return render_table(comparison_table(c), TableFormat::kMarkdown);
    case ReportFormat::kJson: return comparison_json(c).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    case ReportFormat::kCsv: return render_comparison_csv(c);
    case ReportFormat::kHtml: break;
  }
  throw InputError("compare writes terminal, md, json or csv (for HTML use `aimicius report A B --format html`)");
}

}  // namespace aimicius
