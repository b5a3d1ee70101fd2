#include "reports/answer_loss_table.h"

#include <algorithm>
#include <map>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/table.h"

namespace aimicius {
namespace {

// The means over the scored examples; the CI seed depends only on the suite's name.
void summarize(AnswerLossSuite& s) {
  std::vector<double> per_byte;
  double per_token_sum = 0.0;
  for (const auto& e : s.examples) {
    if (!e.error.empty()) continue;
    per_byte.push_back(e.nll / static_cast<double>(e.bytes));
    per_token_sum += e.nll / static_cast<double>(e.tokens);
  }
  s.scored = static_cast<int64_t>(per_byte.size());
  std::mt19937_64 rng(seed_for(kDefaultSeed, "answer-loss/" + s.suite));
  s.nats_per_byte = bootstrap_mean_ci(per_byte, rng);
  s.nats_per_token = per_byte.empty() ? 0.0 : per_token_sum / static_cast<double>(per_byte.size());
}

std::string config_text(const RunRecord& run, const char* key) {
  return run.config.is_object() ? run.config.value(key, "") : "";
}

}  // namespace

std::vector<AnswerLossSuite> answer_loss_summary(Store& store, const RunRecord& run) {
  std::map<std::string, std::vector<LoglikelihoodRecord>> by_suite;
  for (auto& r : store.loglikelihoods(run.id)) by_suite[r.suite].push_back(std::move(r));
  std::vector<AnswerLossSuite> out;
  const nlohmann::json names = run.config.is_object() ? run.config.value("suites", nlohmann::json::array())
                                                      : nlohmann::json::array();
  for (const auto& name : names) {
    AnswerLossSuite s;
    s.suite = name.get<std::string>();
    s.examples = std::move(by_suite[s.suite]);
    std::stable_sort(s.examples.begin(), s.examples.end(),
                     [](const LoglikelihoodRecord& a, const LoglikelihoodRecord& b) { return a.position < b.position; });
    summarize(s);
    out.push_back(std::move(s));
  }
  return out;
}

void check_answer_loss_format(const std::string& format) {
  if (format != "json") parse_table_format(format);
}

std::string render_answer_loss(const std::vector<AnswerLossSuite>& suites, const RunRecord& run,
                               const std::string& format) {
  const std::string split = config_text(run, "split");
  const std::string model = config_text(run, "model");
  if (format == "json") {
    std::string text;
    for (const auto& s : suites) {
      nlohmann::json skipped = nlohmann::json::array();
      for (const auto& e : s.examples)
        if (!e.error.empty()) skipped.push_back({{"id", e.example_id}, {"error", e.error}});
      const nlohmann::json j = {{"suite", s.suite},
                                {"split", split},
                                {"model", model},
                                {"scored", s.scored},
                                {"skipped", static_cast<int64_t>(s.examples.size()) - s.scored},
                                {"nats_per_byte", s.nats_per_byte.mean},
                                {"nats_per_byte_ci95", {s.nats_per_byte.low, s.nats_per_byte.high}},
                                {"nats_per_token", s.nats_per_token},
                                {"skipped_examples", skipped}};
      text += j.dump() + "\n";
    }
    return text;
  }
  Table t;
  t.headers = {"suite", "split", "scored", "skipped", "nats/byte", "95% CI", "nats/token"};
  for (const auto& s : suites) {
    const int64_t skipped = static_cast<int64_t>(s.examples.size()) - s.scored;
    const bool any = s.scored > 0;
    t.rows.push_back({s.suite, split, std::to_string(s.scored), std::to_string(skipped),
                      any ? fmt::format("{:.4f}", s.nats_per_byte.mean) : "-",
                      any ? fmt::format("[{:.4f}, {:.4f}]", s.nats_per_byte.low, s.nats_per_byte.high) : "-",
                      any ? fmt::format("{:.4f}", s.nats_per_token) : "-"});
    // Why examples were skipped: the first few, then a count (all of them are in --out).
    int shown = 0;
    for (const auto& e : s.examples) {
      if (e.error.empty()) continue;
      if (shown++ < 3) t.notes.push_back(fmt::format("skipped {}/{}: {}", s.suite, e.example_id, e.error));
    }
    if (shown > 3) t.notes.push_back(fmt::format("... and {} more skipped in {}", shown - 3, s.suite));
  }
  t.notes.push_back(fmt::format("model {}: -log p of the oracle's answer after the suite's prompt; means over the "
                                "scored examples, 95% percentile bootstrap CI",
                                model));
  return render_table(t, parse_table_format(format));
}

}  // namespace aimicius
