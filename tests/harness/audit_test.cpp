// The audit's tally on a suite whose answers and scores are known: a metric that accepts exactly
// the answers equal to a key, and a graded one; each rate counted by hand below.
#include <gtest/gtest.h>

#include "harness/runner/audit.h"

namespace aimicius {
namespace {

// Examples carry "key" (the right answer) and "variants" ([[answer, right, kind], ...]).
// strict: 1 iff answer == key. lenient (paper): 1 iff the answer starts with the key's first
// letter. graded: 1 / (1 + |len(answer) - len(key)|). An answer "boom" makes score() throw.
class KnownSuite final : public Suite {
 public:
  std::string name() const override { return "known"; }
  std::string description() const override { return ""; }
  std::string prompt_version() const override { return "1"; }
  std::string version() const override { return "1.0.0"; }
  std::vector<MetricSpec> metrics() const override {
    return {{"strict", "", true, false}, {"lenient", "", false, true}, {"graded", "", false, false}};
  }
  void validate_example(const Example&) const override {}
  std::string prompt(const Example& ex) const override { return ex.id; }
  std::string oracle_output(const Example& ex) const override { return ex.fields.at("key"); }
  std::string extract_answer(std::string_view raw) const override { return std::string(raw); }
  std::vector<ScoreRow> score(const Example& ex, const std::string& answer, const ScoringContext&) const override {
    if (answer == "boom") throw std::invalid_argument("cannot score boom");
    const std::string key = ex.fields.at("key");
    const double len_gap = std::abs(static_cast<double>(answer.size()) - static_cast<double>(key.size()));
    return {{"strict", answer == key ? 1.0 : 0.0, {}},
            {"lenient", !answer.empty() && answer[0] == key[0] ? 1.0 : 0.0, {}},
            {"graded", 1.0 / (1.0 + len_gap), {}}};
  }
  std::vector<AuditVariant> audit_variants(const Example& ex) const override {
    std::vector<AuditVariant> out;
    for (const auto& v : ex.fields.at("variants")) out.push_back({v.at(0), v.at(1), v.at(2)});
    return out;
  }
};

Example example(const std::string& id, const std::string& key, nlohmann::json variants) {
  return {id, "dev", "known.jsonl:" + id, {{"key", key}, {"variants", std::move(variants)}}};
}

LoadedSuite known_suite() {
  LoadedSuite s;
  s.suite = std::make_shared<KnownSuite>();
  // e1: the strict metric rejects one right spelling ("Alpha") and accepts no wrong answer; the
  //     lenient one accepts the wrong "apple" and rejects "Alpha".
  s.examples.push_back(example("e1", "alpha",
                               {{"alpha", true, "same"}, {"Alpha", true, "case"}, {"apple", false, "one-letter"},
                                {"beta", false, "other"}}));
  // e2: one wrong answer fails to score: counted as an error, in no rate.
  s.examples.push_back(example("e2", "gamma", {{"gamma", true, "same"}, {"boom", false, "broken"}}));
  // e3: no variants at all.
  s.examples.push_back(example("e3", "delta", nlohmann::json::array()));
  return s;
}

const MetricAudit& metric(const SuiteAudit& a, const std::string& name) {
  for (const auto& m : a.metrics)
    if (m.metric == name) return m;
  throw std::runtime_error("no metric " + name);
}

TEST(Audit, RatesKindsAndErrorsAreCountedAsDefined) {
  AuditOptions options;
  options.jobs = 2;
  const SuiteAudit a = audit_suite(known_suite(), "dev", ScoringContext{}, options);
  EXPECT_EQ(a.examples, 3);
  EXPECT_EQ(a.examples_without_variants, 1);
  EXPECT_EQ(a.right_variants, 3);
  EXPECT_EQ(a.wrong_variants, 3);
  EXPECT_EQ(a.errors, 1);
  ASSERT_EQ(a.error_messages.size(), 1u);
  EXPECT_NE(a.error_messages[0].find("known.jsonl:e2: example \"e2\": scoring a broken variant failed"),
            std::string::npos)
      << a.error_messages[0];

  const MetricAudit& strict = metric(a, "strict");
  EXPECT_TRUE(strict.headline);
  EXPECT_FALSE(strict.paper);
  EXPECT_EQ(strict.right, 3);  // alpha, Alpha, gamma
  EXPECT_EQ(strict.wrong, 2);  // apple, beta (boom threw)
  EXPECT_EQ(strict.false_rejects, 1);  // Alpha
  EXPECT_EQ(strict.false_accepts, 0);
  EXPECT_DOUBLE_EQ(strict.false_reject_rate(), 1.0 / 3.0);
  EXPECT_EQ(strict.oracle_scored, 3);
  EXPECT_EQ(strict.oracle_accepted, 3);
  EXPECT_EQ(strict.right_kinds.at("case").misjudged, 1);
  EXPECT_EQ(strict.right_kinds.at("same").scored, 2);
  ASSERT_EQ(strict.false_reject_cases.size(), 1u);
  EXPECT_EQ(strict.false_reject_cases[0].answer, "Alpha");
  EXPECT_EQ(strict.false_reject_cases[0].example_id, "e1");

  const MetricAudit& lenient = metric(a, "lenient");
  EXPECT_TRUE(lenient.paper);
  EXPECT_EQ(lenient.false_accepts, 1);  // apple
  EXPECT_EQ(lenient.false_rejects, 1);  // Alpha
  EXPECT_EQ(lenient.false_accept_cases.at(0).answer, "apple");

  // graded on e1: the right alpha and Alpha have the key's length (1), so has the wrong apple (1);
  // beta is one shorter (1/2). Pairs (right, wrong) of e1: 2 x 2 = 4, none where the wrong one
  // scores strictly higher; e2 has no scored wrong variant, so no pair.
  const MetricAudit& graded = metric(a, "graded");
  EXPECT_EQ(graded.pairs, 4);
  EXPECT_EQ(graded.inversions, 0);
  EXPECT_DOUBLE_EQ(graded.mean_wrong(), (1.0 + 0.5) / 2);
  EXPECT_EQ(graded.false_accepts, 1);  // apple has the key's length: the graded score is 1
}

TEST(Audit, AcceptanceLevelAndLimitApply) {
  AuditOptions options;
  options.accept_at = 0.5;
  options.limit = 1;
  const SuiteAudit a = audit_suite(known_suite(), "dev", ScoringContext{}, options);
  EXPECT_EQ(a.examples, 1);
  const MetricAudit& graded = metric(a, "graded");
  EXPECT_EQ(graded.false_accepts, 2);  // apple (1) and beta (0.5) reach 0.5
  const nlohmann::json j = a.to_json();
  EXPECT_EQ(j.at("metrics").at(2).at("metric"), "graded");
  EXPECT_EQ(j.at("metrics").at(2).at("false_accepts"), 2);
  EXPECT_EQ(j.at("metrics").at(0).at("wrong_kinds").at("one-letter").at("misjudged"), 0);
}

}  // namespace
}  // namespace aimicius
