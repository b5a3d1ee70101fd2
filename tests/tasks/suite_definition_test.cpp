// suite.json: a suite declared as data. Uses a small suite written by each test (the cmdgen
// fixture's examples with a definition of the test's own) so every rule of
// tasks/suite_definition.h is checked on its own.
#include <gtest/gtest.h>

#include "common/errors.h"
#include "tasks/chat_turns.h"
#include "tasks/dataset.h"
#include "tasks/prompt_template.h"
#include "tasks/suite.h"
#include "tasks/suite_spec.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A suite folder "mini" with test and fewshot splits and the given definition (files sealed).
std::filesystem::path write_mini_suite(const ScratchDir& dir, nlohmann::json def) {
  const auto suite_dir = dir / "data" / "mini";
  std::filesystem::create_directories(suite_dir);
  testing::write_file(suite_dir / "test.jsonl",
                      "{\"id\": \"a1\", \"platform\": \"nvidia\", \"request\": \"list GPUs\", \"reference\": \"nvidia-smi -L\"}\n"
                      "{\"id\": \"a2\", \"platform\": \"amd\", \"request\": \"show use\", \"reference\": \"rocm-smi --showuse\"}\n");
  testing::write_file(suite_dir / "fewshot.jsonl",
                      "{\"id\": \"f1\", \"platform\": \"amd\", \"request\": \"amd shot 1\", \"reference\": \"rocm-smi\"}\n"
                      "{\"id\": \"f2\", \"platform\": \"nvidia\", \"request\": \"nv shot 1\", \"reference\": \"nvidia-smi\"}\n"
                      "{\"id\": \"f3\", \"platform\": \"nvidia\", \"request\": \"nv shot 2\", \"reference\": \"nvidia-smi -q\"}\n"
                      "{\"id\": \"f4\", \"platform\": \"nvidia\", \"request\": \"nv shot 3\", \"reference\": \"nvidia-smi topo -m\"}\n");
  testing::write_file(suite_dir / "notes.txt", "NOTES");
  def["name"] = "mini";
  def["version"] = "0.1";
  def["files"] = {{{"path", "test.jsonl"}, {"split", "test"}},
                  {{"path", "fewshot.jsonl"}, {"split", "fewshot"}},
                  {{"path", "notes.txt"}, {"split", "resource"}}};
  testing::write_file(suite_dir / "suite.json", def.dump(2));
  refresh_manifest(suite_dir);
  return dir / "data";
}

nlohmann::json mini_definition() {
  return {
      {"description", "mini suite"},
      {"prompt",
       {{"version", "p1"},
        {"template", "{{notes}}|{{fewshot}}On {{label:platform}}: {{request}} {json: {\"x\": 1}}"},
        {"labels", {{"platform", {{"nvidia", "NV"}, {"amd", "AMD"}}}}},
        {"includes", {{"notes", "notes.txt"}}},
        {"fewshot", {{"split", "fewshot"}, {"count", 2}, {"match", {"platform"}}, {"template", "[{{request}}={{reference}}]"}}}}},
      {"oracle", "```\n{{reference}}\n```"},
      {"extractor", "command"},
      {"stop", {"\n\n"}},
      {"scorers", {{{"type", "command"}, {"execute", false}, {"embedding", false}}}},
      {"metrics", {{{"name", "exact_match"}, {"headline", true}}, "command_score"}},
  };
}

TEST(SuiteDefinition, PromptFewshotOracleAndMetricsFollowTheFile) {
  ScratchDir dir;
  const auto data = write_mini_suite(dir, mini_definition());
  const LoadedSuite loaded = load_suite("mini", data, "test");
  ASSERT_EQ(loaded.examples.size(), 2u);
  const Suite& suite = *loaded.suite;
  EXPECT_EQ(suite.version(), "0.1");
  EXPECT_EQ(suite.prompt_version(), "p1");
  // Shots: the first two of the pool with the same platform, in file order; braces of plain text kept.
  EXPECT_EQ(suite.prompt(loaded.examples[0]),
            "NOTES|[nv shot 1=nvidia-smi][nv shot 2=nvidia-smi -q]On NV: list GPUs {json: {\"x\": 1}}");
  EXPECT_EQ(suite.prompt(loaded.examples[1]), "NOTES|[amd shot 1=rocm-smi]On AMD: show use {json: {\"x\": 1}}");
  EXPECT_EQ(suite.oracle_output(loaded.examples[0]), "```\nnvidia-smi -L\n```");
  EXPECT_EQ(suite.extract_answer(suite.oracle_output(loaded.examples[0])), "nvidia-smi -L");
  EXPECT_EQ(suite.stop_sequences(), std::vector<std::string>{"\n\n"});
  ASSERT_EQ(suite.metrics().size(), 2u);
  EXPECT_TRUE(suite.metrics()[0].headline);
  const auto rows = suite.score(loaded.examples[0], "nvidia-smi -L -q", ScoringContext{});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].metric, "exact_match");
  EXPECT_EQ(rows[0].value, 0.0);
  EXPECT_EQ(rows[1].metric, "command_score");
  EXPECT_GT(rows[1].value, 0.0);
  EXPECT_FALSE(suite.needs_sandbox());
  EXPECT_FALSE(suite.needs_embedder());
  EXPECT_EQ(suite.subset(loaded.examples[1]), "");  // no subset_field declared
}

TEST(SuiteDefinition, SubsetFieldNamesEachExamplesSubset) {
  ScratchDir dir;
  nlohmann::json def = mini_definition();
  def["subset_field"] = "platform";
  const LoadedSuite loaded = load_suite("mini", write_mini_suite(dir, def), "test");
  EXPECT_EQ(loaded.suite->subset(loaded.examples[0]), "nvidia");
  EXPECT_EQ(loaded.suite->subset(loaded.examples[1]), "amd");
  ScratchDir other;
  def["subset_field"] = "host";
  const std::string err = error_of([&] { load_suite("mini", write_mini_suite(other, def), "test"); });
  EXPECT_NE(err.find("needs a string \"host\""), std::string::npos) << err;
}

TEST(SuiteDefinition, TheFewshotPoolIsNeverEvaluated) {
  ScratchDir dir;
  const auto data = write_mini_suite(dir, mini_definition());
  const std::string err = error_of([&] { load_suite("mini", data, "fewshot"); });
  EXPECT_NE(err.find("few-shot pool"), std::string::npos) << err;
}

TEST(SuiteDefinition, MistakesInTheFileAreNamed) {
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](nlohmann::json& d) { d["promt"] = 1; }, "unknown key \"promt\""},
      {[](nlohmann::json& d) { d["extractor"] = "regex"; }, "unknown extractor \"regex\""},
      {[](nlohmann::json& d) { d["scorers"][0]["type"] = "bleu"; }, "unknown scorer type \"bleu\""},
      {[](nlohmann::json& d) { d["scorers"][0]["treshold"] = 1; }, "unknown parameter \"treshold\""},
      {[](nlohmann::json& d) { d["metrics"] = {"exact_match"}; }, "exactly one metric must be the headline"},
      {[](nlohmann::json& d) { d["metrics"].push_back("bleu"); }, "metric \"bleu\" is produced by none"},
      {[](nlohmann::json& d) { d["prompt"]["template"] = "{{request"; }, "never closed"},
      {[](nlohmann::json& d) { d["prompt"]["includes"]["x"] = "test.jsonl"; }, "split \"resource\""},
      {[](nlohmann::json& d) { d["prompt"]["template"] = "{{request}}"; }, "no {{fewshot}}"},
      {[](nlohmann::json& d) { d["prompt"]["template"] = "{{fewshot}}{{host}}"; }, "needs field \"host\""},
      {[](nlohmann::json& d) { d["prompt"]["labels"]["platform"].erase("amd"); }, "no prompt label for platform \"amd\""},
      // Found with fuzz/suite_json_fuzz.cpp: a scorer parameter of the wrong JSON type threw
      // nlohmann's type_error (exit 1, no file named) instead of an InputError.
      {[](nlohmann::json& d) { d["scorers"][0]["execute"] = "yes"; }, "scorers[0]: execute: expected a boolean"},
      {[](nlohmann::json& d) { d["scorers"][0]["calibration_threshold"] = "0.9"; },
       "scorers[0]: calibration_threshold: expected a number"},
  };
  for (const auto& [mutate, expected] : cases) {
    ScratchDir dir;
    nlohmann::json def = mini_definition();
    mutate(def);
    const auto data = write_mini_suite(dir, def);
    const std::string err = error_of([&] { load_suite("mini", data, "test"); });
    EXPECT_NE(err.find(expected), std::string::npos) << "expected \"" << expected << "\", got: " << err;
  }
}

// One file under two splits (the test data listed again as the few-shot pool) would show the
// model test answers as shots: refused, naming both splits.
TEST(SuiteDefinition, AFileListedUnderTwoSplitsIsRefused) {
  ScratchDir dir;
  const auto data = write_mini_suite(dir, mini_definition());
  const auto manifest = data / "mini" / "suite.json";
  nlohmann::json def = nlohmann::json::parse(testing::read_file(manifest));
  nlohmann::json again = def["files"][0];
  again["split"] = "fewshot";
  def["files"].push_back(again);
  testing::write_file(manifest, def.dump(2));
  const std::string err = error_of([&] { load_suite("mini", data, "test"); });
  EXPECT_NE(err.find("\"test.jsonl\" is listed twice in \"files\" (splits \"test\" and \"fewshot\")"), std::string::npos) << err;
  // The same file under another name (a symlink, a hard link) too.
  for (const bool hard : {false, true}) {
    const auto other = data / "mini" / (hard ? "hard.jsonl" : "soft.jsonl");
    if (hard) std::filesystem::create_hard_link(data / "mini" / "test.jsonl", other);
    else std::filesystem::create_symlink("test.jsonl", other);
    def["files"].back()["path"] = other.filename().string();
    testing::write_file(manifest, def.dump(2));
    for (const std::string& e : {error_of([&] { load_suite("mini", data, "test"); }),
                                 error_of([&] { refresh_manifest(data / "mini"); })})
      EXPECT_NE(e.find("\"test.jsonl\" (split \"test\") and \"" + other.filename().string() +
                       "\" (split \"fewshot\") are the same file"), std::string::npos) << e;
  }
}

TEST(SuiteDefinition, ResourcesArePinnedByChecksum) {
  ScratchDir dir;
  const auto data = write_mini_suite(dir, mini_definition());
  testing::write_file(data / "mini" / "notes.txt", "CHANGED");
  const std::string err = error_of([&] { load_suite("mini", data, "test"); });
  EXPECT_NE(err.find("notes.txt: checksum mismatch"), std::string::npos) << err;
}

TEST(SuiteSpec, HoldsEveryPartOfTheFile) {
  ScratchDir dir;
  nlohmann::json def = mini_definition();
  def["subset_field"] = "platform";
  def["provenance"] = "written by the test";
  const auto suite_dir = write_mini_suite(dir, def) / "mini";
  const SuiteSpec spec = read_suite_spec(suite_dir);
  EXPECT_EQ(spec.file, (suite_dir / "suite.json").string());
  EXPECT_EQ(spec.name(), "mini");
  EXPECT_EQ(spec.version(), "0.1");
  EXPECT_EQ(spec.description, "mini suite");
  EXPECT_EQ(spec.manifest.provenance, "written by the test");
  ASSERT_EQ(spec.manifest.files.size(), 3u);
  EXPECT_EQ(spec.manifest.files[2].split, "resource");
  EXPECT_EQ(spec.manifest.files[0].count, 2);
  EXPECT_EQ(spec.prompt.version, "p1");
  EXPECT_EQ(spec.prompt.text.names(), (std::vector<std::string>{"notes", "fewshot", "label:platform", "request"}));
  EXPECT_EQ(spec.prompt.labels.at("platform").at("amd"), "AMD");
  EXPECT_EQ(spec.prompt.includes, (std::map<std::string, std::string>{{"notes", "notes.txt"}}));
  ASSERT_TRUE(spec.prompt.fewshot);
  EXPECT_EQ(spec.prompt.fewshot->split, "fewshot");
  EXPECT_EQ(spec.prompt.fewshot->count, 2u);
  EXPECT_EQ(spec.prompt.fewshot->match, std::vector<std::string>{"platform"});
  EXPECT_EQ(spec.prompt.fewshot->shot.names(), (std::vector<std::string>{"request", "reference"}));
  EXPECT_EQ(spec.oracle.names(), std::vector<std::string>{"reference"});
  EXPECT_EQ(spec.extractor, "command");
  EXPECT_EQ(spec.stop, std::vector<std::string>{"\n\n"});
  ASSERT_EQ(spec.scorers.size(), 1u);
  EXPECT_EQ(spec.scorers[0].type, "command");
  EXPECT_EQ(spec.scorers[0].params, (nlohmann::json{{"execute", false}, {"embedding", false}}));
  EXPECT_EQ(spec.scorers[0].where, spec.file + ": scorers[0]");
  ASSERT_EQ(spec.metrics.size(), 2u);
  EXPECT_EQ(spec.metrics[0].name, "exact_match");
  EXPECT_TRUE(spec.metrics[0].headline);
  EXPECT_EQ(spec.metrics[1].name, "command_score");
  EXPECT_FALSE(spec.metrics[1].headline);
  EXPECT_EQ(spec.subset_field, "platform");
  EXPECT_EQ(read_prompt_includes(spec), (std::map<std::string, std::string>{{"notes", "NOTES"}}));
}

TEST(SuiteSpec, StructuralMistakesNameTheFileAndKey) {
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](nlohmann::json& d) { d["prompt"]["fewshot"]["count"] = 0; }, "prompt.fewshot: \"count\" must be at least 1"},
      {[](nlohmann::json& d) { d["prompt"]["fewshot"]["match"] = "platform"; }, "\"match\" must be a list"},
      {[](nlohmann::json& d) { d["stop"] = "\n"; }, "\"stop\" must be a list of non-empty strings"},
      {[](nlohmann::json& d) { d["metrics"][0]["headline"] = "yes"; }, "\"headline\" of \"exact_match\" must be true or false"},
      {[](nlohmann::json& d) { d["metrics"].push_back("exact_match"); }, "metric \"exact_match\" listed twice"},
      {[](nlohmann::json& d) { d.erase("description"); }, "\"description\" must be a non-empty string"},
      {[](nlohmann::json& d) { d["prompt"]["labels"]["platform"]["amd"] = 1; }, "prompt.labels.platform.amd: expected a string"},
  };
  for (const auto& [mutate, expected] : cases) {
    ScratchDir dir;
    nlohmann::json def = mini_definition();
    mutate(def);
    const auto suite_dir = write_mini_suite(dir, def) / "mini";
    const std::string err = error_of([&] { read_suite_spec(suite_dir); });
    EXPECT_NE(err.find(expected), std::string::npos) << "expected \"" << expected << "\", got: " << err;
    EXPECT_EQ(err.rfind((suite_dir / "suite.json").string(), 0), 0u) << "names the file first: " << err;
  }
  // The name must be the folder's.
  ScratchDir dir;
  const auto suite_dir = write_mini_suite(dir, mini_definition()) / "mini";
  auto def = nlohmann::json::parse(testing::read_file(suite_dir / "suite.json"));
  def["name"] = "maxi";
  testing::write_file(suite_dir / "suite.json", def.dump());
  const std::string err = error_of([&] { read_suite_spec(suite_dir); });
  EXPECT_NE(err.find("names suite \"maxi\", but its folder is \"mini\""), std::string::npos) << err;
  // The pinning part is checked as strictly (also by `aimicius manifest`).
  def["name"] = "mini";
  def["provenance"] = 3;
  testing::write_file(suite_dir / "suite.json", def.dump());
  const std::string pinned = error_of([&] { read_manifest(suite_dir); });
  EXPECT_EQ(pinned, (suite_dir / "suite.json").string() + ": \"provenance\" must be a string");
  EXPECT_EQ(error_of([&] { read_suite_spec(suite_dir); }), pinned);
}

// `aimicius manifest` reads only the pinning part: data can be sealed while the rest of the
// definition has a mistake (which loading then names), and the file keeps its keys in order.
TEST(SuiteSpec, ManifestSealsDataWhileTheDefinitionIsMidEdit) {
  ScratchDir dir;
  nlohmann::ordered_json def = nlohmann::ordered_json::parse(mini_definition().dump());
  def["promt"] = "typo";
  nlohmann::ordered_json file;
  file["version"] = "0.1";  // not alphabetical: the order must survive
  file["name"] = "mini";
  file["files"] = {{{"path", "test.jsonl"}, {"split", "test"}}};
  for (const auto& [key, value] : def.items()) file[key] = value;
  const auto suite_dir = dir / "mini";
  std::filesystem::create_directories(suite_dir);
  testing::write_file(suite_dir / "test.jsonl", "{\"id\": \"a1\", \"request\": \"r\", \"reference\": \"x\"}\n");
  testing::write_file(suite_dir / "suite.json", file.dump(2));
  const Manifest m = refresh_manifest(suite_dir);
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].count, 1);
  EXPECT_EQ(m.files[0].sha256.size(), 64u);
  const auto sealed = nlohmann::ordered_json::parse(testing::read_file(suite_dir / "suite.json"));
  std::vector<std::string> keys;
  for (const auto& [key, _] : sealed.items()) keys.push_back(key);
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "version");
  EXPECT_EQ(keys[1], "name");
  EXPECT_EQ(sealed["promt"], "typo");
  EXPECT_EQ(sealed["files"][0]["sha256"], m.files[0].sha256);
  EXPECT_EQ(read_manifest(suite_dir).files[0].sha256, m.files[0].sha256);
  const std::string err = error_of([&] { read_suite_spec(suite_dir); });
  EXPECT_NE(err.find("unknown key \"promt\""), std::string::npos) << err;
}

TEST(PromptTemplate, RendersFieldsJsonAndExtras) {
  const PromptTemplate t("a {{x}} b {{ y }} c {{extra}} {single} }}", "here");
  EXPECT_EQ(t.render({{"x", "X"}, {"y", {{"k", 1}}}}, {}, {{"extra", "E"}}, "ex"), "a X b {\"k\":1} c E {single} }}");
  EXPECT_EQ(t.names(), (std::vector<std::string>{"x", "y", "extra"}));
  EXPECT_THROW(PromptTemplate("{{}}", "here"), InputError);
}

// Few-shot as turns (tasks/chat_turns.h): the instruction (the template before "{{fewshot}}") is
// the system turn, each shot a user turn (the request part with the shot's fields) and an
// assistant turn (its oracle answer), then the example's request: 1 + 2 * shots + 1 turns.
TEST(SuiteDefinition, FewshotAsTurnsGivesSystemThenUserAssistantPairsThenTheRequest) {
  ScratchDir dir;
  nlohmann::json def = mini_definition();
  def["prompt"]["fewshot"]["count"] = 3;
  def["prompt"]["template"] = "Write one command for {{label:platform}}.\n\n{{fewshot}}Request: {{request}}\nCommand:\n";
  def["prompt"]["fewshot"]["template"] = "Request: {{request}}\nCommand: {{reference}}\n\n";
  def["prompt"].erase("includes");
  const LoadedSuite loaded = load_suite("mini", write_mini_suite(dir, def), "test");
  const Suite& suite = *loaded.suite;
  const auto turns = suite.prompt_turns(loaded.examples[0]);  // nvidia: three shots in the pool
  ASSERT_EQ(turns.size(), 1u + 2u * 3u + 1u);
  EXPECT_EQ(turns[0].role, "system");
  EXPECT_EQ(turns[0].content, "Write one command for NV.");
  const std::vector<std::pair<std::string, std::string>> shots = {
      {"nv shot 1", "nvidia-smi"}, {"nv shot 2", "nvidia-smi -q"}, {"nv shot 3", "nvidia-smi topo -m"}};
  for (size_t i = 0; i < shots.size(); ++i) {
    EXPECT_EQ(turns[1 + 2 * i].role, "user");
    EXPECT_EQ(turns[1 + 2 * i].content, "Request: " + shots[i].first + "\nCommand:");
    EXPECT_EQ(turns[2 + 2 * i].role, "assistant");
    // The oracle's form, which the suite's extractor reads back as the reference.
    EXPECT_EQ(turns[2 + 2 * i].content, "```\n" + shots[i].second + "\n```");
    EXPECT_EQ(suite.extract_answer(turns[2 + 2 * i].content), shots[i].second);
  }
  EXPECT_EQ(turns.back().role, "user");
  EXPECT_EQ(turns.back().content, "Request: list GPUs\nCommand:");
  // The amd example has one shot in the pool: 1 + 2 + 1.
  EXPECT_EQ(suite.prompt_turns(loaded.examples[1]).size(), 4u);
  // Inline stays the one prompt text, shots inside it.
  EXPECT_EQ(suite.prompt(loaded.examples[1]),
            "Write one command for AMD.\n\nRequest: amd shot 1\nCommand: rocm-smi\n\nRequest: show use\nCommand:\n");
  EXPECT_EQ(render_turns_plain({{"system", "a"}, {"user", "b"}}), "<|system|>\na\n<|user|>\nb\n");
}

TEST(SuiteDefinition, ASuiteWithoutFewshotIsOneUserTurn) {
  ScratchDir dir;
  nlohmann::json def = mini_definition();
  def["prompt"].erase("fewshot");
  def["prompt"]["template"] = "{{notes}}|On {{label:platform}}: {{request}}\n\n";
  const LoadedSuite loaded = load_suite("mini", write_mini_suite(dir, def), "test");
  const auto turns = loaded.suite->prompt_turns(loaded.examples[0]);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].role, "user");
  EXPECT_EQ(turns[0].content, "NOTES|On NV: list GPUs");
}

// suite.json states its generation budget and, apart, the stops of chat answers.
TEST(SuiteDefinition, GenerationLimitsComeFromTheFile) {
  ScratchDir dir;
  nlohmann::json def = mini_definition();
  {
    const LoadedSuite loaded = load_suite("mini", write_mini_suite(dir, def), "test");
    EXPECT_FALSE(loaded.suite->max_new_tokens().has_value());
    EXPECT_EQ(loaded.suite->stop_sequences(true), std::vector<std::string>{"\n\n"});  // chat: same when not stated
  }
  def["max_new_tokens"] = 96;
  def["chat_stop"] = nlohmann::json::array();
  ScratchDir other;
  const LoadedSuite loaded = load_suite("mini", write_mini_suite(other, def), "test");
  EXPECT_EQ(loaded.suite->max_new_tokens(), 96);
  EXPECT_EQ(loaded.suite->stop_sequences(false), std::vector<std::string>{"\n\n"});
  EXPECT_TRUE(loaded.suite->stop_sequences(true).empty());
  for (const nlohmann::json bad : {nlohmann::json(0), nlohmann::json("64"), nlohmann::json(1.5)}) {
    ScratchDir third;
    def["max_new_tokens"] = bad;
    const std::string err = error_of([&] { load_suite("mini", write_mini_suite(third, def), "test"); });
    EXPECT_NE(err.find("\"max_new_tokens\" must be an integer >= 1"), std::string::npos) << err;
  }
}

// Reasoning is removed before extraction, for every suite (tasks/extractors/reasoning.h).
TEST(SuiteDefinition, ThinkBlocksAreNotTheAnswer) {
  ScratchDir dir;
  const LoadedSuite loaded = load_suite("mini", write_mini_suite(dir, mini_definition()), "test");
  const Suite& suite = *loaded.suite;
  EXPECT_EQ(suite.extract_answer("<think>maybe `rm -rf /`? no.</think>\n```bash\nnvidia-smi -L\n```"), "nvidia-smi -L");
  EXPECT_EQ(suite.extract_answer("<think>the user wants GPUs, `nvidia-smi -q`"), "");  // cut before answering
  EXPECT_EQ(suite.extract_answer("the template opened it\n`ls`\n</think>\nnvidia-smi -L"), "nvidia-smi -L");
}

}  // namespace
}  // namespace aimicius
