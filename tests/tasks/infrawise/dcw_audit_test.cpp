// Audit variants of the dcw scorer (scorers/dcw/dcw_audit.h): on the hand-made database, what is
// generated and how it scores; on the bundled dev and test splits, each metric's false-accept and
// false-reject rates, with canonicalisation and with the alias table alone (the 1.0.0 matching),
// printed as the table docs/VALIDITY.md holds, and the headline's targets asserted.
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scorers/dcw/dcw_scorer.h"
#include "tasks/dataset.h"

namespace aimicius {
namespace {

const std::filesystem::path kMini = AIMICIUS_INFRAWISE_TEST_DATA_DIR;
const std::filesystem::path kSuiteDir = std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "infrawise";

Example make_example(const std::string& id, const nlohmann::json& reference, const nlohmann::json& results) {
  Example ex;
  ex.id = id;
  ex.split = "test";
  ex.origin = "mini.jsonl:1";
  ex.fields = {{"id", id}, {"request", "r"}, {"reference", reference}, {"results", results}};
  return ex;
}

nlohmann::json dcw(const nlohmann::json& target, const nlohmann::json& baseline, const char* workload,
                   const char* criterion) {
  return {{"design", {{"target", target}, {"baseline", baseline}}}, {"workload", workload}, {"criterion", criterion}};
}

double metric(const Scorer& scorer, const Example& ex, const std::string& answer, const std::string& name) {
  for (const ScoreRow& row : scorer.score(ex, answer, ScoringContext{}))
    if (row.metric == name) return row.value;
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

TEST(DcwAuditMini, RightVariantsScoreOneAndWrongOnesZeroOnTheHeadline) {
  const auto scorer = make_dcw_scorer({"dcw", {{"database", "mini.sql"}, {"aliases", "mini_aliases.json"}}, kMini,
                                       "test suite.json: scorers[0]"});
  const Example with_baseline = make_example("a", dcw("Alpha X1", "Beta Y2", "ping", "speed"), {1, 2, 3});
  const Example without_baseline = make_example("b", dcw("Alpha X1", nullptr, "ping", "speed"), {1, 2});
  for (const Example* ex : {&with_baseline, &without_baseline}) {
    const std::vector<AuditVariant> variants = scorer->audit_variants(*ex);
    EXPECT_EQ(variants.size(), scorer->audit_variants(*ex).size());  // deterministic
    std::set<std::string> kinds;
    std::set<std::string> answers;
    int right = 0;
    for (const AuditVariant& v : variants) {
      kinds.insert(v.kind);
      EXPECT_TRUE(answers.insert(v.answer).second) << "repeated: " << v.answer;
      EXPECT_NE(v.answer, ex->fields.at("reference").dump()) << v.kind;
      EXPECT_EQ(metric(*scorer, *ex, v.answer, "strict_accuracy"), v.right ? 1.0 : 0.0) << v.kind << ": " << v.answer;
      right += v.right ? 1 : 0;
    }
    EXPECT_GE(right, 4);
    EXPECT_GE(static_cast<int>(variants.size()) - right, 2);
    for (const char* kind : {"keys-reordered", "case-separators", "padded", "alias", "glued", "same-family-target",
                             "other-criterion"})
      EXPECT_TRUE(kinds.count(kind)) << ex->id << " lacks " << kind;
  }
  const auto kinds_of = [&](const Example& ex) {
    std::set<std::string> kinds;
    for (const AuditVariant& v : scorer->audit_variants(ex)) kinds.insert(v.kind);
    return kinds;
  };
  EXPECT_TRUE(kinds_of(with_baseline).count("swap-target-baseline"));
  EXPECT_TRUE(kinds_of(with_baseline).count("baseline-dropped"));
  EXPECT_TRUE(kinds_of(without_baseline).count("baseline-added"));
  EXPECT_TRUE(kinds_of(without_baseline).count("no-baseline-spelled"));
  EXPECT_FALSE(kinds_of(without_baseline).count("swap-target-baseline"));
}

std::vector<Example> load_split(const std::string& split) {
  std::vector<Example> examples;
  for (const JsonlLine& line : read_jsonl_objects(kSuiteDir / (split + ".jsonl"))) {
    Example ex;
    ex.id = line.value.at("id");
    ex.split = split;
    ex.origin = split + ".jsonl:" + std::to_string(line.line_number);
    ex.fields = line.value;
    examples.push_back(ex);
  }
  return examples;
}

struct Rates {
  int right = 0, wrong = 0, false_rejects = 0, false_accepts = 0;
  std::string reject_example, accept_example;
  double fr() const { return right ? 100.0 * false_rejects / right : 0; }
  double fa() const { return wrong ? 100.0 * false_accepts / wrong : 0; }
};

// metric -> rates over every variant of every example of `examples`, scored by `scorer`; and
// (by_kind) metric -> variant kind -> rates.
using RatesByKind = std::map<std::string, std::map<std::string, Rates>>;
std::map<std::string, Rates> audit(const Scorer& generator, const Scorer& scorer, const std::vector<Example>& examples,
                                   RatesByKind* by_kind = nullptr) {
  std::map<std::string, Rates> rates;
  for (const Example& ex : examples) {
    for (const AuditVariant& v : generator.audit_variants(ex)) {
      for (const ScoreRow& row : scorer.score(ex, v.answer, ScoringContext{})) {
        for (Rates* r : {&rates[row.metric], by_kind ? &(*by_kind)[row.metric][v.kind] : nullptr}) {
          if (!r) continue;
          const std::string where = ex.id + " " + v.kind + ": " + v.answer;
          if (v.right) {
            ++r->right;
            if (row.value < 1.0 && r->false_rejects++ == 0) r->reject_example = where;
          } else {
            ++r->wrong;
            if (row.value > 0.0 && r->false_accepts++ == 0) r->accept_example = where;
          }
        }
      }
    }
  }
  return rates;
}

TEST(InfrawiseData, AuditRatesBeforeAndAfterCanonicalisation) {
  nlohmann::json params = {{"database", "benchmarks.sql"}, {"aliases", "aliases.json"}};
  const auto after = make_dcw_scorer({"dcw", params, kSuiteDir, "infrawise suite.json: scorers[0]"});
  params["names"] = "aliases";
  const auto before = make_dcw_scorer({"dcw", params, kSuiteDir, "infrawise suite.json: scorers[0]"});

  std::string table = "| split | metric | paper | false accept before | after | false reject before | after |\n"
                      "| --- | --- | --- | --- | --- | --- | --- |\n";
  std::string kinds = "| split | kind | right | variants | strict_accuracy accepts | result_accuracy accepts |\n"
                      "| --- | --- | --- | --- | --- | --- |\n";
  for (const std::string split : {"dev", "test"}) {
    const std::vector<Example> examples = load_split(split);
    RatesByKind by_kind;
    const auto old_rates = audit(*after, *before, examples);
    const auto new_rates = audit(*after, *after, examples, &by_kind);
    for (const MetricSpec& m : after->metrics()) {
      const Rates& o = old_rates.at(m.name);
      const Rates& n = new_rates.at(m.name);
      table += fmt::format("| {} | {} | {} | {:.1f}% | {:.1f}% | {:.1f}% | {:.1f}% |\n", split, m.name,
                           m.paper ? "yes" : "no", o.fa(), n.fa(), o.fr(), n.fr());
      if (!n.accept_example.empty() && m.name == "result_accuracy")
        std::printf("%s %s false accept, e.g. %s\n", split.c_str(), m.name.c_str(), n.accept_example.c_str());
    }
    auto accepted = [](const Rates& r) { return r.right ? r.right - r.false_rejects : r.false_accepts; };
    for (const auto& [kind, r] : by_kind.at("strict_accuracy"))
      kinds += fmt::format("| {} | {} | {} | {} | {} | {} |\n", split, kind, r.right ? "yes" : "no", r.right + r.wrong,
                           accepted(r), accepted(by_kind.at("result_accuracy").at(kind)));

    const Rates& strict = new_rates.at("strict_accuracy");
    EXPECT_GE(strict.right, 6 * static_cast<int>(examples.size())) << split;
    EXPECT_GE(strict.wrong, 5 * static_cast<int>(examples.size())) << split;
    // The targets for the headline.
    EXPECT_LE(strict.fa(), 2.0) << split << ", e.g. " << strict.accept_example;
    EXPECT_LE(strict.fr(), 5.0) << split << ", e.g. " << strict.reject_example;
    // The paper's result accuracy cannot tell a swapped design apart: it accepts every swap.
    EXPECT_EQ(by_kind.at("strict_accuracy").at("swap-target-baseline").false_accepts, 0);
    const Rates& swaps = by_kind.at("result_accuracy").at("swap-target-baseline");
    EXPECT_EQ(swaps.false_accepts, swaps.wrong);
    EXPECT_GT(new_rates.at("result_accuracy").fa(), strict.fa()) << split;
    // The alias table alone rejects paraphrases it does not list.
    EXPECT_GT(old_rates.at("strict_accuracy").fr(), 10.0) << split;
  }
  std::printf("%s\n%s", table.c_str(), kinds.c_str());
}

}  // namespace
}  // namespace aimicius
