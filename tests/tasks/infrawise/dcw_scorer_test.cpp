// The "dcw" scorer on a hand-made database (data/mini.sql, data/mini_aliases.json): retrieval,
// every metric on hand-counted answers, reference checks, bad parameters, and concurrent use.
//
// mini.sql results (id: system, workload, criterion):
//   1, 2: Alpha X1 ping speed   3: Beta Y2 ping speed   4: Gamma Z3 ping speed
//   5: Alpha X1 ping delay      6: Beta Y2 sort speed   7: Alpha X1 sort speed
//   8: Beta Y2 ping delay       9: O'Brien 9 ping speed
#include "scorers/dcw/dcw_scorer.h"

#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "common/errors.h"
#include "scorers/dcw/benchmark_db.h"

namespace aimicius {
namespace {

const std::filesystem::path kData = AIMICIUS_INFRAWISE_TEST_DATA_DIR;

ScorerSpec mini_spec(nlohmann::json params = {{"database", "mini.sql"}, {"aliases", "mini_aliases.json"}}) {
  return {"dcw", std::move(params), kData, "test suite.json: scorers[0]"};
}

Example make_example(const nlohmann::json& reference, const nlohmann::json& results) {
  Example ex;
  ex.id = "mini-1";
  ex.split = "test";
  ex.origin = "mini.jsonl:1";
  ex.fields = {{"id", ex.id}, {"request", "r"}, {"reference", reference}, {"results", results}};
  return ex;
}

nlohmann::json dcw(const nlohmann::json& target, const nlohmann::json& baseline, const nlohmann::json& workload,
                   const nlohmann::json& criterion) {
  return {{"design", {{"target", target}, {"baseline", baseline}}}, {"workload", workload}, {"criterion", criterion}};
}

// Metric name -> value, checking the rows come in metrics() order.
std::map<std::string, double> scores(const Scorer& scorer, const Example& ex, const std::string& answer) {
  const std::vector<ScoreRow> rows = scorer.score(ex, answer, ScoringContext{});
  const std::vector<MetricSpec> metrics = scorer.metrics();
  EXPECT_EQ(rows.size(), metrics.size());
  std::map<std::string, double> by_name;
  for (std::size_t i = 0; i < rows.size() && i < metrics.size(); ++i) {
    EXPECT_EQ(rows[i].metric, metrics[i].name);
    by_name[rows[i].metric] = rows[i].value;
  }
  return by_name;
}

// Expected values in the order target, baseline, workload, criterion, dcw, recall, accuracy.
void expect_scores(const Scorer& scorer, const Example& ex, const std::string& answer,
                   const std::vector<double>& expected) {
  const std::vector<std::string> order = {"target_accuracy", "baseline_accuracy", "workload_accuracy",
                                          "criterion_accuracy", "dcw_accuracy", "result_recall",
                                          "result_accuracy"};
  const auto got = scores(scorer, ex, answer);
  for (std::size_t i = 0; i < order.size(); ++i)
    EXPECT_EQ(got.at(order[i]), expected[i]) << order[i] << " for answer " << answer;
  // The headline is "every field right", whatever the retrieval says.
  EXPECT_EQ(got.at("strict_accuracy"), expected[4]) << "strict_accuracy for answer " << answer;
}

class DcwScorerMini : public ::testing::Test {
 protected:
  std::unique_ptr<Scorer> scorer = make_dcw_scorer(mini_spec());
  // Alpha X1 against Beta Y2, ping speed: results 1, 2 (Alpha) and 3 (Beta).
  Example with_baseline = make_example(dcw("Alpha X1", "Beta Y2", "ping", "speed"), {3, 1, 2});
  // Alpha X1 alone, ping speed: results 1, 2.
  Example without_baseline = make_example(dcw("Alpha X1", nullptr, "ping", "speed"), {1, 2});
};

TEST_F(DcwScorerMini, MetricsAreStrictAccuracyHeadlineThenThePapersSeven) {
  const auto metrics = scorer->metrics();
  ASSERT_EQ(metrics.size(), 8u);
  EXPECT_EQ(metrics.front().name, "strict_accuracy");
  EXPECT_TRUE(metrics.front().headline);
  EXPECT_FALSE(metrics.front().paper);
  EXPECT_EQ(metrics.back().name, "result_accuracy");
  int headlines = 0;
  int paper = 0;
  for (const auto& m : metrics) {
    headlines += m.headline ? 1 : 0;
    paper += m.paper ? 1 : 0;
    EXPECT_FALSE(m.headline && m.paper) << m.name;
  }
  EXPECT_EQ(headlines, 1);
  EXPECT_EQ(paper, 7);
}

TEST_F(DcwScorerMini, ExactAndAliasSpellingsScoreOne) {
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Beta Y2", "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  expect_scores(*scorer, with_baseline, dcw("alpha", "BETA_y2", "PingPong", "rate").dump(), {1, 1, 1, 1, 1, 1, 1});
  expect_scores(*scorer, with_baseline, dcw(" ax-1 ", "beta", "ping-pong test", "Ops per second").dump(),
                {1, 1, 1, 1, 1, 1, 1});
  // Extra keys are ignored; whitespace around the object is fine.
  expect_scores(*scorer, with_baseline,
                "\n " + dcw("Alpha X1", "Beta Y2", "ping", "speed").dump() + " \n",
                {1, 1, 1, 1, 1, 1, 1});
}

TEST_F(DcwScorerMini, ParaphrasesCountOnlyWhenCanonicalising) {
  const std::string glued = dcw("AlphaX1", "NVIDIA Beta-Y2 server", "PING", "Speeds").dump();
  expect_scores(*scorer, with_baseline, glued, {1, 1, 1, 1, 1, 1, 1});
  const auto aliases_only = make_dcw_scorer(mini_spec({{"database", "mini.sql"}, {"aliases", "mini_aliases.json"},
                                                       {"names", "aliases"}}));
  expect_scores(*aliases_only, with_baseline, glued, {0, 0, 1, 0, 0, 0, 0});
  const auto rows = scorer->score(with_baseline, glued, {});
  EXPECT_EQ(rows.front().detail.at("matched_by").at("target"), "spelling");
  EXPECT_EQ(rows.front().detail.at("matched_by").at("baseline"), "tokens");
}

TEST_F(DcwScorerMini, AnAmbiguousNameIsWrongAndSaysWhy) {
  // "Alpha" could be Alpha X1 only in this catalogue (Gamma Z3 and O'Brien 9 differ): right.
  expect_scores(*scorer, without_baseline, dcw("Alpha", nullptr, "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  // "X1"... and a name no entry holds: wrong, nothing retrieved for it.
  expect_scores(*scorer, without_baseline, dcw("Alpha X2", nullptr, "ping", "speed").dump(), {0, 1, 1, 1, 0, 0, 0});
}

TEST_F(DcwScorerMini, SwappedTargetAndBaselineRetrievesTheSameResults) {
  expect_scores(*scorer, with_baseline, dcw("Beta Y2", "Alpha X1", "ping", "speed").dump(), {0, 0, 1, 1, 0, 1, 1});
}

TEST_F(DcwScorerMini, WrongBaselineMissesAndAddsResults) {
  // Retrieves 1, 2, 4: 3 missing, 4 irrelevant.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Gamma Z3", "ping", "speed").dump(), {1, 0, 1, 1, 0, 0, 0});
  const auto rows = scorer->score(with_baseline, dcw("Alpha X1", "Gamma Z3", "ping", "speed").dump(), {});
  EXPECT_EQ(rows.back().detail.at("retrieved"), nlohmann::json({1, 2, 4}));
  EXPECT_EQ(rows.back().detail.at("missing"), nlohmann::json({3}));
  EXPECT_EQ(rows.back().detail.at("irrelevant"), nlohmann::json({4}));
}

TEST_F(DcwScorerMini, MissingBaselineMissesTheBaselinesResults) {
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", nullptr, "ping", "speed").dump(), {1, 0, 1, 1, 0, 0, 0});
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "none", "ping", "speed").dump(), {1, 0, 1, 1, 0, 0, 0});
  // A baseline of the wrong JSON type is wrong; only the target's results are retrieved.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", 5, "ping", "speed").dump(), {1, 0, 1, 1, 0, 0, 0});
}

TEST_F(DcwScorerMini, ExtraBaselineKeepsRecallButNotAccuracy) {
  // Retrieves 1, 2, 3 where the reference is 1, 2: nothing missing, 3 irrelevant.
  expect_scores(*scorer, without_baseline, dcw("Alpha X1", "Beta Y2", "ping", "speed").dump(), {1, 0, 1, 1, 0, 1, 0});
}

TEST_F(DcwScorerMini, NoBaselineSpellings) {
  expect_scores(*scorer, without_baseline, dcw("Alpha X1", nullptr, "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  expect_scores(*scorer, without_baseline, dcw("Alpha X1", "N/A", "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  expect_scores(*scorer, without_baseline, dcw("Alpha X1", "", "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  expect_scores(*scorer, without_baseline,
                R"({"design": {"target": "Alpha X1"}, "workload": "ping", "criterion": "speed"})",
                {1, 1, 1, 1, 1, 1, 1});
}

TEST_F(DcwScorerMini, WrongCriterionOrWorkload) {
  // delay: retrieves 5, 8.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Beta Y2", "ping", "delay").dump(), {1, 1, 1, 0, 0, 0, 0});
  // sort speed: retrieves 6, 7.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Beta Y2", "sort", "speed").dump(), {1, 1, 0, 1, 0, 0, 0});
  // Unknown workload: nothing retrieved.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Beta Y2", "pang", "speed").dump(), {1, 1, 0, 1, 0, 0, 0});
  // "pong" is a word of ping's alias "ping-pong test" and of no other workload: canonicalised to ping.
  expect_scores(*scorer, with_baseline, dcw("Alpha X1", "Beta Y2", "pong", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
}

TEST_F(DcwScorerMini, MissingOrNonStringFields) {
  expect_scores(*scorer, with_baseline, R"({"design": {"target": "Alpha X1", "baseline": "Beta Y2"}, "workload": "ping"})",
                {1, 1, 1, 0, 0, 0, 0});
  expect_scores(*scorer, with_baseline,
                R"({"design": {"target": "Alpha X1", "baseline": "Beta Y2"}, "workload": ["ping"], "criterion": "speed"})",
                {1, 1, 0, 1, 0, 0, 0});
}

TEST_F(DcwScorerMini, UnknownTargetRetrievesOnlyTheBaseline) {
  // Retrieves 3 only: 1 and 2 missing.
  expect_scores(*scorer, with_baseline, dcw("Alpha X9", "Beta Y2", "ping", "speed").dump(), {0, 1, 1, 1, 0, 0, 0});
}

TEST_F(DcwScorerMini, MalformedAnswersScoreZeroEverywhere) {
  for (const std::string answer :
       {"", "not json", "[1, 2]", "\"Alpha X1\"", R"({"design": "Alpha X1", "workload": "ping", "criterion": "speed"})",
        R"({"design": {"baseline": "Beta Y2"}, "workload": "ping", "criterion": "speed"})",
        R"({"design": {"target": 7}, "workload": "ping", "criterion": "speed"})",
        R"({"target": "Alpha X1", "baseline": "Beta Y2", "workload": "ping", "criterion": "speed"})",
        R"({"design": {"target": "Alpha X1", "baseline": "Beta Y2"}, "workload": "ping", "criterion": "speed"} trailing)"}) {
    expect_scores(*scorer, with_baseline, answer, {0, 0, 0, 0, 0, 0, 0});
    const auto rows = scorer->score(with_baseline, answer, {});
    EXPECT_NE(rows.front().detail.at("reason").get<std::string>().find("malformed"), std::string::npos);
  }
}

TEST_F(DcwScorerMini, QuotesInNamesAreSafe) {
  const Example ex = make_example(dcw("O'Brien 9", nullptr, "ping", "speed"), {9});
  EXPECT_TRUE(scorer->check_reference(ex, {}).empty());
  expect_scores(*scorer, ex, dcw("o brien 9", nullptr, "ping", "speed").dump(), {1, 1, 1, 1, 1, 1, 1});
  // An injection attempt is just an unknown name.
  expect_scores(*scorer, ex, dcw("x') OR 1=1 --", nullptr, "ping", "speed").dump(), {0, 1, 1, 1, 0, 0, 0});
}

TEST_F(DcwScorerMini, CheckReferenceAcceptsExactResults) {
  EXPECT_TRUE(scorer->check_reference(with_baseline, {}).empty());
  EXPECT_TRUE(scorer->check_reference(without_baseline, {}).empty());
}

TEST_F(DcwScorerMini, CheckReferenceFindsWrongResults) {
  const auto too_few = scorer->check_reference(make_example(dcw("Alpha X1", "Beta Y2", "ping", "speed"), {1, 2}), {});
  ASSERT_EQ(too_few.size(), 1u);
  EXPECT_NE(too_few[0].find("differ"), std::string::npos) << too_few[0];

  const auto absent = scorer->check_reference(make_example(dcw("Alpha X1", "Beta Y2", "ping", "speed"), {1, 2, 3, 99}), {});
  ASSERT_EQ(absent.size(), 2u);
  EXPECT_NE(absent[0].find("99"), std::string::npos) << absent[0];
  EXPECT_NE(absent[0].find("not in"), std::string::npos) << absent[0];

  // Gamma Z3 has no sort results: the DCW retrieves nothing.
  const auto empty = scorer->check_reference(make_example(dcw("Gamma Z3", nullptr, "sort", "delay"), {6}), {});
  ASSERT_EQ(empty.size(), 2u);
  EXPECT_NE(empty[0].find("retrieves no results"), std::string::npos) << empty[0];
}

void expect_invalid(const Scorer& scorer, const Example& ex, const std::string& needle) {
  try {
    scorer.validate_example(ex);
    ADD_FAILURE() << "no InputError for " << ex.fields.dump();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("mini.jsonl:1"), std::string::npos) << error.what();
  }
}

TEST_F(DcwScorerMini, ValidateExampleRejectsBadReferences) {
  EXPECT_NO_THROW(scorer->validate_example(with_baseline));
  expect_invalid(*scorer, make_example(dcw("alpha", "Beta Y2", "ping", "speed"), {1}), "not a canonical name");
  expect_invalid(*scorer, make_example(dcw("Alpha X1", "Beta Y2", "pingpong", "speed"), {1}), "not a canonical name");
  expect_invalid(*scorer, make_example(dcw("Alpha X1", "Beta Y2", "ping", nullptr), {1}), "not a complete DCW");
  expect_invalid(*scorer, make_example("Alpha X1", {1}), "must be a DCW object");
  expect_invalid(*scorer,
                 make_example(nlohmann::json::parse(R"({"design": {"target": "Alpha X1"}, "workload": "ping", "criterion": "speed"})"), {1}),
                 "\"baseline\": null");
  expect_invalid(*scorer, make_example(dcw("Alpha X1", nullptr, "ping", "speed"), nlohmann::json::array()), "non-empty array");
  expect_invalid(*scorer, make_example(dcw("Alpha X1", nullptr, "ping", "speed"), {"1"}), "not an integer id");
  expect_invalid(*scorer, make_example(dcw("Alpha X1", nullptr, "ping", "speed"), {1, 1}), "twice");
  Example no_results = with_baseline;
  no_results.fields.erase("results");
  expect_invalid(*scorer, no_results, "\"results\"");
}

void expect_spec_error(const nlohmann::json& params, const std::string& needle) {
  try {
    make_dcw_scorer(mini_spec(params));
    ADD_FAILURE() << "no InputError for " << params.dump();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
  }
}

TEST(DcwScorerParams, BadParametersAreInputErrors) {
  expect_spec_error({{"database", "mini.sql"}}, "\"aliases\"");
  expect_spec_error({{"aliases", "mini_aliases.json"}}, "\"database\"");
  expect_spec_error({{"database", "mini.sql"}, {"aliases", "mini_aliases.json"}, {"alias", "x"}}, "unknown parameter");
  expect_spec_error({{"database", "missing.sql"}, {"aliases", "mini_aliases.json"}}, "missing.sql");
  expect_spec_error({{"database", "mini.sql"}, {"aliases", "missing.json"}}, "missing.json");
  expect_spec_error({{"database", "mini.sql"}, {"aliases", "collide_aliases.json"}}, "would name both");
  expect_spec_error({{"database", "mini_aliases.json"}, {"aliases", "mini_aliases.json"}}, "does not execute");
  expect_spec_error({{"database", "mini.sql"}, {"aliases", "mini_aliases.json"}, {"names", "exact"}}, "\"names\"");
}

TEST(BenchmarkDb, RetrievalIsTheDocumentedQuery) {
  const BenchmarkDb db(kData / "mini.sql");
  EXPECT_EQ(db.retrieve({"Alpha X1", "Beta Y2"}, "ping", "speed"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(db.retrieve({"Beta Y2"}, "ping", "delay"), (std::vector<int64_t>{8}));
  EXPECT_EQ(db.retrieve({}, "ping", "speed"), (std::vector<int64_t>{}));
  EXPECT_EQ(db.retrieve({"alpha x1"}, "ping", "speed"), (std::vector<int64_t>{}));  // exact names only
  EXPECT_EQ(db.existing_ids({1, 5, 42}), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(db.names("systems"), (std::vector<std::string>{"Alpha X1", "Beta Y2", "Gamma Z3", "O'Brien 9"}));
  EXPECT_EQ(sql_quote("O'Brien"), "'O''Brien'");
}

TEST_F(DcwScorerMini, ConcurrentScoringGivesTheSameAnswers) {
  const std::string right = dcw("alpha", "beta", "ping", "speed").dump();
  const std::string wrong = dcw("Alpha X1", "Gamma Z3", "ping", "speed").dump();
  std::vector<std::thread> threads;
  std::vector<int> correct(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const auto a = scorer->score(with_baseline, right, {});
        const auto b = scorer->score(with_baseline, wrong, {});
        if (a.back().value == 1.0 && b.back().value == 0.0) ++correct[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(correct[t], 100);
}

}  // namespace
}  // namespace aimicius
