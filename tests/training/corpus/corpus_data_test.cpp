// The training corpus built from the bundled data (once per test binary run, a static fixture):
// it holds no dev/test example's request or reference, its manifest names only few-shot and train
// splits, it is deterministic, it passes the contamination check, and planting a test example in
// a corpus makes the check (and `aimicius validate --corpus`) fail naming that example.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <unistd.h>

#include "common/sha256.h"
#include "training/corpus/contamination.h"
#include "training/corpus/eval_ngrams.h"
#include "training/corpus/corpus_writer.h"
#include "training/corpus/suite_prompt.h"
#include "training/corpus/text_normalize.h"
#include "tasks/dataset.h"
#include "tasks/suite.h"

namespace aimicius::corpus {
namespace {
namespace fs = std::filesystem;

const fs::path kData = AIMICIUS_BUNDLED_DATA_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

CorpusOptions options_for(uint64_t seed) {
  CorpusOptions o;
  o.data_dir = kData;
  o.generators_dir = AIMICIUS_CORPUS_GENERATORS_DIR;
  o.seed = seed;
  o.tool_version = "test";
  return o;
}

class RealCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("aimicius-corpus-test-" + std::to_string(::getpid())));
    build_ = new CorpusBuild(build_corpus(options_for(1)));
    manifest_ = new nlohmann::ordered_json(write_corpus(*dir_, *build_, options_for(1)));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete build_;
    delete manifest_;
  }
  // Every dev/test example of the bundled suites, with its suite's prompt machinery.
  struct Eval {
    std::string suite;
    Example ex;
  };
  static std::vector<Eval> eval_examples() {
    std::vector<Eval> out;
    for (const auto& suite : known_suite_names(kData)) {
      const Manifest m = read_manifest(kData / suite);
      for (const char* split : {"dev", "test"})
        for (auto& ex : load_examples(kData / suite, m, split)) out.push_back({suite, std::move(ex)});
    }
    return out;
  }
  static fs::path* dir_;
  static CorpusBuild* build_;
  static nlohmann::ordered_json* manifest_;
};
fs::path* RealCorpus::dir_ = nullptr;
CorpusBuild* RealCorpus::build_ = nullptr;
nlohmann::ordered_json* RealCorpus::manifest_ = nullptr;

TEST_F(RealCorpus, HasEverySourceAndAFewMegabytes) {
  std::set<std::string> sources;
  for (const auto& s : (*manifest_)["sources"]) {
    sources.insert(s["source"].get<std::string>());
    std::cout << "  " << s["source"].get<std::string>() << ": " << s["documents"] << " documents, " << s["text_bytes"]
              << " bytes\n";
  }
  // optiflow's few-shot pool is left out whole (its random topologies share program headers and
  // node lists with single test examples; the manifest's notes say so): its train pool stands in.
  for (const char* want : {"fewshot/cmdgen", "fewshot/infrawise", "fewshot/diagnostics", "hosts", "telemetry/diagnostics",
                           "telemetry/infrawise", "tools/hostsim", "train/optiflow", "train/diagnostics", "train/infrawise"})
    EXPECT_TRUE(sources.count(want)) << want;
  // Two megabytes at least. (It was three before optiflow's dev/test became mostly random
  // multi-host topologies: most random train topologies now share a 13-gram with one of them and
  // the contamination filter drops them, so the optiflow train pool holds few documents.)
  EXPECT_GE((*manifest_)["text_bytes"].get<int64_t>(), 2'000'000);
  EXPECT_EQ((*manifest_)["corpus_sha256"], sha256_file_hex(*dir_ / "corpus.jsonl"));
}

TEST_F(RealCorpus, ManifestListsOnlyFewshotAndTrainSplits) {
  const auto splits = (*manifest_)["splits_read"].get<std::vector<std::string>>();
  EXPECT_EQ(splits, (std::vector<std::string>{"fewshot", "train"}));
  for (const auto& f : (*manifest_)["files_read"]) {
    const std::string split = f["split"];
    EXPECT_TRUE(split == "fewshot" || split == "resource" || split == "host-profile") << f.dump();
    EXPECT_EQ(f["path"].get<std::string>().find("test.jsonl"), std::string::npos);
    EXPECT_EQ(f["path"].get<std::string>().find("dev.jsonl"), std::string::npos);
  }
  for (const auto& g : (*manifest_)["generated"]) EXPECT_EQ(g["split"], "train");
  // The manifest on disk is the one returned.
  EXPECT_EQ(nlohmann::ordered_json::parse(read_file(*dir_ / "manifest.json")), *manifest_);
}

TEST_F(RealCorpus, HoldsNoDevOrTestRequestOrReference) {
  // Requests (the prompt's first field: request, question, topology) never appear in the corpus.
  // A reference never appears as a line of a corpus document, nor anywhere when it is long (8+
  // words; a short command such as "nvidia-smi -L" may be shown in tool documentation) -- if it
  // is the reference of that example alone: a reference several dev/test examples share (an
  // optiflow schedule such as "direct all-gather on 8 GPUs" answers many topologies) is an answer
  // to a class of problems; those are counted and printed, not failed.
  std::string blob;
  std::set<std::string> lines;
  for (const auto& d : build_->documents) {
    blob += lower(d.text) + "\n\x02\n";
    std::istringstream in(d.text);
    for (std::string line; std::getline(in, line);) lines.insert(line);
  }
  const std::vector<Eval> evals = eval_examples();
  std::map<std::pair<std::string, std::string>, int> reference_count;  // (suite, reference) -> examples
  std::vector<std::string> references;
  for (const auto& [suite, ex] : evals) {
    references.push_back(SuitePrompt(kData / suite).render_answer(ex.fields, ex.origin));
    ++reference_count[{suite, references.back()}];
  }
  size_t checked = 0, shared_in_corpus = 0, shared = 0;
  for (size_t i = 0; i < evals.size(); ++i) {
    const auto& [suite, ex] = evals[i];
    const SuitePrompt prompt(kData / suite);
    const std::string& first = prompt.fields().front();
    ASSERT_TRUE(ex.fields.contains(first)) << ex.origin;
    const std::string request = ex.fields[first].is_string() ? ex.fields[first].get<std::string>() : ex.fields[first].dump();
    EXPECT_EQ(blob.find(lower(request)), std::string::npos) << suite << " " << ex.id << ": request in the corpus";
    const std::string& reference = references[i];
    const bool in_corpus = lines.count(reference) ||
                           (normalise_words(reference).size() >= 8 && blob.find(lower(reference)) != std::string::npos);
    // optiflow's "direct" schedule (every GPU sends its chunk to every other in one step) depends
    // on the GPU count alone: like a shared reference, it answers a class of problems.
    const bool class_answer = suite == "optiflow" && ex.fields.value("reference_strategy", "") == "direct";
    if (reference_count[{suite, reference}] > 1 || class_answer) {
      ++shared;
      shared_in_corpus += in_corpus;
    } else {
      EXPECT_FALSE(in_corpus) << suite << " " << ex.id << ": its reference is in the corpus";
    }
    ++checked;
  }
  std::cout << "  " << checked << " dev/test examples; " << shared << " have a reference another dev/test example shares, "
            << shared_in_corpus << " of those occur in the corpus\n";
  EXPECT_GT(checked, 1500u);
}

TEST_F(RealCorpus, PassesTheContaminationCheck) {
  ContaminationOptions o;
  o.data_dir = kData;
  o.corpus_dir = *dir_;
  const ContaminationReport report = check_contamination(o);
  std::cout << format_report(report);
  EXPECT_EQ(report.failure, "");
  size_t test_splits = 0;
  for (const auto& so : report.splits) {
    if (so.split != "test") continue;
    ++test_splits;
    EXPECT_LE(so.rate13(), 0.01) << so.suite;
  }
  EXPECT_EQ(test_splits, 4u);
}

TEST(CorpusBuild, DeterministicForAGivenSeed) {
  // Smaller train pools keep this quick; every source still runs.
  auto small = [](uint64_t seed) {
    CorpusOptions o = options_for(seed);
    o.optiflow_train = 40;
    o.diagnostics_per_template = 3;
    o.infrawise_train = 30;
    return o;
  };
  const fs::path a = fs::temp_directory_path() / ("aimicius-corpus-a-" + std::to_string(::getpid()));
  const fs::path b = fs::temp_directory_path() / ("aimicius-corpus-b-" + std::to_string(::getpid()));
  const auto ma = write_corpus(a, build_corpus(small(7)), small(7));
  const auto mb = write_corpus(b, build_corpus(small(7)), small(7));
  EXPECT_EQ(ma["corpus_sha256"], mb["corpus_sha256"]);
  EXPECT_EQ(read_file(a / "manifest.json"), read_file(b / "manifest.json"));
  const auto mc = write_corpus(b, build_corpus(small(8)), small(8));
  EXPECT_NE(ma["corpus_sha256"], mc["corpus_sha256"]) << "another seed draws other train examples";
  // --max-bytes trims documents from the end.
  CorpusOptions capped = small(7);
  capped.max_bytes = 100'000;
  const CorpusBuild cb = build_corpus(capped);
  int64_t total = 0;
  for (const auto& d : cb.documents) total += static_cast<int64_t>(d.text.size());
  EXPECT_LE(total, 100'000);
  EXPECT_GT(total, 50'000);
  fs::remove_all(a);
  fs::remove_all(b);
}

// A corpus holding the plain text of some test examples of a suite.
fs::path planted_corpus(const std::string& name, const std::string& suite, const std::vector<size_t>& which) {
  const fs::path dir = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const SuitePrompt prompt(kData / suite);
  const auto examples = load_examples(kData / suite, prompt.manifest(), "test");
  std::ofstream out(dir / "corpus.jsonl");
  out << nlohmann::json({{"source", "other"}, {"id", "1"}, {"text", "Some unrelated text about GPUs and clusters."}}).dump() << "\n";
  for (size_t i : which)
    out << nlohmann::json({{"source", "planted"}, {"id", examples.at(i).id}, {"text", prompt.plain_text(examples.at(i).fields)}}).dump()
        << "\n";
  return dir;
}

// Test examples of a suite that hold a 13-gram of their own (eval_ngrams.h): a copy of them is
// detectable (some examples are all format, e.g. short infrawise requests; the report counts them).
std::vector<size_t> detectable(const std::string& suite, const std::vector<Example>& test) {
  const SuitePrompt prompt(kData / suite);
  std::vector<FieldWords> eval;
  for (const char* split : {"dev", "test"})
    for (const auto& ex : load_examples(kData / suite, prompt.manifest(), split)) eval.push_back(field_words(prompt, ex.fields));
  const EvalNgrams ngrams(prompt, eval, 13);
  std::vector<size_t> out;
  for (size_t i = 0; i < test.size(); ++i)
    if (ngrams.shares_specific(field_words(prompt, test[i].fields))) out.push_back(i);
  return out;
}

TEST(Contamination, PlantedTestExampleFailsNamingIt) {
  const SuitePrompt prompt(kData / "infrawise");
  const auto examples = load_examples(kData / "infrawise", prompt.manifest(), "test");
  const std::vector<size_t> found = detectable("infrawise", examples);
  ASSERT_GT(found.size(), 250u);
  const size_t planted = found[40];
  // One planted example: found (13-gram hit), and the only one; over a zero threshold it fails.
  const fs::path one = planted_corpus("aimicius-planted-one", "infrawise", {planted});
  ContaminationOptions o;
  o.data_dir = kData;
  o.suites = {"infrawise"};
  o.corpus_dir = one;
  o.max_overlap = 0.0;
  ContaminationReport r = check_contamination(o);
  ASSERT_EQ(r.splits.size(), 2u);  // dev, test
  EXPECT_EQ(r.splits[1].split, "test");
  EXPECT_EQ(r.splits[1].hit13, 1u);
  EXPECT_EQ(r.splits[0].hit13, 0u);
  EXPECT_EQ(r.splits[1].worst.front().id, examples[planted].id);
  EXPECT_NE(r.failure.find(examples[planted].id), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("infrawise test"), std::string::npos) << r.failure;
  // Under the default 1% threshold one example of 320 passes; five (1.6%) fail.
  o.max_overlap = 0.01;
  EXPECT_EQ(check_contamination(o).failure, "");
  const fs::path five = planted_corpus("aimicius-planted-five", "infrawise", {found[3], found[50], found[100], found[150], found[200]});
  o.corpus_dir = five;
  r = check_contamination(o);
  EXPECT_EQ(r.splits[1].hit13, 5u);
  EXPECT_NE(r.failure, "");

  // The CLI: validate --corpus exits 2 and names the suite and the example.
  const std::string cmd = std::string(AIMICIUS_BIN) + " --data-dir " + kData.string() +
                          " validate --suite infrawise --corpus " + one.string() + " --max-overlap 0 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_NE(output.find("contamination: infrawise test split"), std::string::npos) << output;
  EXPECT_NE(output.find(examples[planted].id), std::string::npos) << output;
  fs::remove_all(one);
  fs::remove_all(five);
}

}  // namespace
}  // namespace aimicius::corpus
