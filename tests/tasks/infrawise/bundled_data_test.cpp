// The bundled infrawise data (datasets/infrawise) with the scorer that datasets/infrawise/suite.json
// declares: split sizes, splits are apart, and a perturbed-answers run over eight real examples
// scores what a hand count says (that every reference scores 1 is `aimicius validate`'s check).
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "common/json_file.h"
#include "tasks/dataset.h"
#include "scorers/dcw/dcw_names.h"
#include "scorers/dcw/dcw_scorer.h"
#include "tasks/suite_definition.h"

namespace aimicius {
namespace {

const std::filesystem::path kSuiteDir = std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "infrawise";

nlohmann::json suite_json() { return read_json_file(kSuiteDir / "suite.json"); }

std::unique_ptr<Scorer> bundled_scorer() {
  const nlohmann::json suite = suite_json();
  nlohmann::json params = suite.at("scorers").at(0);
  EXPECT_EQ(params.at("type"), "dcw");
  params.erase("type");
  return make_dcw_scorer({"dcw", params, kSuiteDir, "datasets/infrawise/suite.json: scorers[0]"});
}

std::vector<Example> load_split(const std::string& split) {
  std::vector<Example> examples;
  const nlohmann::json suite = suite_json();  // Why: a named object; iterating a temporary's member dangles.
  for (const auto& file : suite.at("files")) {
    if (file.at("split") != split) continue;
    const std::string path = file.at("path");
    for (const JsonlLine& line : read_jsonl_objects(kSuiteDir / path)) {
      Example ex;
      ex.id = line.value.at("id");
      ex.split = split;
      ex.origin = path + ":" + std::to_string(line.line_number);
      ex.fields = line.value;
      examples.push_back(ex);
    }
  }
  return examples;
}

std::map<std::string, double> scores(const Scorer& scorer, const Example& ex, const std::string& answer) {
  std::map<std::string, double> by_name;
  for (const ScoreRow& row : scorer.score(ex, answer, ScoringContext{})) by_name[row.metric] = row.value;
  return by_name;
}

// The prompt the suite declares: the whole catalogue (so every canonical name is in front of the
// model), three shots from the few-shot pool, then the request; the oracle goes through the
// declared extractor and scores 1.
TEST(InfrawiseSuite, PromptShowsTheCatalogueShotsAndRequest) {
  const auto suite = load_suite_definition(kSuiteDir);
  std::ifstream in(kSuiteDir / "catalogue.txt");
  const std::string catalogue((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(catalogue.empty());
  const Example ex = load_split("test").at(0);
  const std::string prompt = suite->prompt(ex);
  EXPECT_NE(prompt.find(catalogue), std::string::npos);
  for (const char* name : {"ND MI300X v5", "NDm A100 v4", "llama2-70b lora fine-tuning", "time to first token"})
    EXPECT_NE(prompt.find(name), std::string::npos) << name;
  const std::string request = ex.fields.at("request");
  ASSERT_GE(prompt.size(), request.size() + 5);
  EXPECT_EQ(prompt.substr(prompt.size() - request.size() - 5), request + "\nDCW:");
  std::size_t shots = 0;
  for (std::size_t at = prompt.find("\nDCW: {"); at != std::string::npos; at = prompt.find("\nDCW: {", at + 1)) ++shots;
  EXPECT_EQ(shots, 3u);
  EXPECT_NE(prompt.find(load_split("fewshot").at(0).fields.at("request").get<std::string>()), std::string::npos);

  const std::string answer = suite->extract_answer(suite->oracle_output(ex));
  for (const ScoreRow& row : suite->score(ex, answer, ScoringContext{})) EXPECT_EQ(row.value, 1.0) << row.metric;
  // A chatty answer with a json fence scores the same.
  const std::string chatty = "Sure! Here is the DCW.\n```json\n" + ex.fields.at("reference").dump(2) + "\n```\nDone.";
  for (const ScoreRow& row : suite->score(ex, suite->extract_answer(chatty), ScoringContext{}))
    EXPECT_EQ(row.value, 1.0) << row.metric;
}

TEST(InfrawiseData, SplitSizesMatchTheDataCard) {
  EXPECT_GE(load_split("test").size(), 300u);
  EXPECT_EQ(load_split("dev").size(), 60u);
  EXPECT_EQ(load_split("fewshot").size(), 20u);
}

TEST(InfrawiseData, SplitsShareNoIdAndNoDcw) {
  std::map<std::string, std::string> split_of_dcw;
  std::set<std::string> ids;
  std::set<std::string> requests;
  for (const std::string split : {"test", "dev", "fewshot"}) {
    for (const Example& ex : load_split(split)) {
      EXPECT_TRUE(ids.insert(ex.id).second) << "duplicate id " << ex.id;
      EXPECT_TRUE(requests.insert(normalise_name(ex.fields.at("request").get<std::string>())).second)
          << "duplicate request " << ex.origin;
      const std::string key = ex.fields.at("reference").dump();
      const auto [it, inserted] = split_of_dcw.emplace(key, ex.origin);
      EXPECT_TRUE(inserted) << ex.origin << " repeats the DCW of " << it->second;
    }
  }
}

// Eight real test examples, each with a hand-picked wrong baseline SKU (a system that has results
// for the example's workload and criterion) and a wrong workload.
struct Perturbation {
  const char* id;
  const char* wrong_baseline;
  const char* wrong_workload;
};
const Perturbation kPerturbed[] = {
    {"iw-test-002", "DGX A100", "all_reduce"},            // ib write / network bandwidth
    {"iw-test-004", "NC A100 v4", "resnet50 training"},    // llama2-70b inference / tokens per second
    {"iw-test-006", "ND H100 v5", "bert-large training"},  // resnet50 training / throughput
    {"iw-test-009", "DGX A100", "resnet50 training"},      // bert-large training / time to train
    {"iw-test-010", "ND H100 v5", "bert-large training"},  // llama2-70b lora fine-tuning / time to train
    {"iw-test-011", "NDm A100 v4", "all_gather"},          // all_reduce / bus bandwidth
    {"iw-test-015", "DGX H100", "all_reduce"},             // reduce_scatter / bus bandwidth
    {"iw-test-019", "NDm A100 v4", "gemm bf16"},           // babelstream / memory bandwidth
};

TEST(InfrawiseData, PerturbedAnswersScoreAsHandCounted) {
  const auto scorer = bundled_scorer();
  std::map<std::string, Example> by_id;
  for (const Example& ex : load_split("test")) by_id[ex.id] = ex;

  // Per perturbation, the hand count: target, baseline, workload, criterion, dcw, recall, accuracy.
  //   wrong baseline: the reference baseline's results go missing and the wrong one's come in.
  //   wrong workload: the other workload's results (or none) are retrieved; all reference ones miss.
  //   swapped target/baseline: same systems, so the same results; both design fields are wrong.
  //   missing criterion: nothing can be retrieved.
  //   malformed JSON (truncated): zero everywhere.
  //   aliases in place of canonical names: all right.
  const std::map<std::string, std::vector<double>> expected = {
      {"wrong baseline", {1, 0, 1, 1, 0, 0, 0}}, {"wrong workload", {1, 1, 0, 1, 0, 0, 0}},
      {"swapped", {0, 0, 1, 1, 0, 1, 1}},        {"missing criterion", {1, 1, 1, 0, 0, 0, 0}},
      {"malformed", {0, 0, 0, 0, 0, 0, 0}},      {"aliases", {1, 1, 1, 1, 1, 1, 1}},
  };
  const std::vector<std::string> order = {"target_accuracy", "baseline_accuracy", "workload_accuracy",
                                          "criterion_accuracy", "dcw_accuracy", "result_recall",
                                          "result_accuracy"};
  // Aliases used by the "aliases" perturbation (from aliases.json), canonical -> alias.
  const std::map<std::string, std::string> system_alias = {
      {"ND H100 v5", "H100 VM"},   {"ND H200 v5", "Standard_ND96isr_H200_v5"}, {"ND MI300X v5", "MI300X VM"},
      {"ND A100 v4", "NDv4"},      {"NDm A100 v4", "nd96amsr_a100_v4"},          {"NC A100 v4", "NC A100"},
      {"NCads H100 v5", "NC H100 v5"}, {"DGX H100", "dgx-h100"},                 {"DGX A100", "NVIDIA DGX A100"}};

  std::map<std::string, double> sums;
  int answers = 0;
  for (const Perturbation& p : kPerturbed) {
    ASSERT_TRUE(by_id.count(p.id)) << p.id;
    const Example& ex = by_id.at(p.id);
    const nlohmann::json ref = ex.fields.at("reference");
    const std::string target = ref["design"]["target"];
    ASSERT_TRUE(ref["design"]["baseline"].is_string()) << p.id << " needs a baseline";
    const std::string baseline = ref["design"]["baseline"];
    ASSERT_NE(p.wrong_baseline, target) << p.id;
    ASSERT_NE(p.wrong_baseline, baseline) << p.id;
    ASSERT_NE(p.wrong_workload, ref["workload"].get<std::string>()) << p.id;

    std::map<std::string, std::string> perturbed;
    nlohmann::json a = ref;
    a["design"]["baseline"] = p.wrong_baseline;
    perturbed["wrong baseline"] = a.dump();
    a = ref;
    a["workload"] = p.wrong_workload;
    perturbed["wrong workload"] = a.dump();
    a = ref;
    a["design"]["target"] = baseline;
    a["design"]["baseline"] = target;
    perturbed["swapped"] = a.dump();
    a = ref;
    a.erase("criterion");
    perturbed["missing criterion"] = a.dump();
    const std::string whole = ref.dump();
    perturbed["malformed"] = whole.substr(0, whole.size() - 2);
    a = ref;
    a["design"]["target"] = system_alias.at(target);
    a["design"]["baseline"] = system_alias.at(baseline);
    perturbed["aliases"] = a.dump();

    for (const auto& [kind, answer] : perturbed) {
      const auto got = scores(*scorer, ex, answer);
      const auto& want = expected.at(kind);
      for (std::size_t i = 0; i < order.size(); ++i) {
        EXPECT_EQ(got.at(order[i]), want[i]) << p.id << " " << kind << " " << order[i] << ": " << answer;
        sums[order[i]] += got.at(order[i]);
      }
      ++answers;
    }
  }
  // The run's means over 8 examples x 6 perturbations = 48 answers, by the same hand count:
  // target right in wrong-baseline, wrong-workload, missing-criterion, aliases: 4 x 8 = 32;
  // baseline right in wrong-workload, missing-criterion, aliases: 24; workload right in all but
  // wrong-workload and malformed: 32; criterion right in all but missing-criterion and malformed: 32;
  // dcw, recall and accuracy: aliases 8 (+ swapped 8 for recall and accuracy).
  ASSERT_EQ(answers, 48);
  EXPECT_DOUBLE_EQ(sums["target_accuracy"] / answers, 32.0 / 48);
  EXPECT_DOUBLE_EQ(sums["baseline_accuracy"] / answers, 24.0 / 48);
  EXPECT_DOUBLE_EQ(sums["workload_accuracy"] / answers, 32.0 / 48);
  EXPECT_DOUBLE_EQ(sums["criterion_accuracy"] / answers, 32.0 / 48);
  EXPECT_DOUBLE_EQ(sums["dcw_accuracy"] / answers, 8.0 / 48);
  EXPECT_DOUBLE_EQ(sums["result_recall"] / answers, 16.0 / 48);
  EXPECT_DOUBLE_EQ(sums["result_accuracy"] / answers, 16.0 / 48);
}

}  // namespace
}  // namespace aimicius
