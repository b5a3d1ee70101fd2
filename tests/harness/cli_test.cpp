// The `aimicius` binary as a user runs it: exit codes (0 ok, 2 bad input), messages that name
// what is wrong, and no run left behind (or marked complete) by a failed start.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_fixture.h"
#include "harness/store/store.h"
#include "model_requirements.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::Cli;
using testing::CommandResult;
using testing::ScratchDir;


// The names of the "Subcommands:" section of a CLI11 help text, in its order. A name line starts
// with two spaces; a description too long for its column goes on lines indented further.
std::vector<std::string> listed_subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help);
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:") {
      in_section = true;
    } else if (in_section && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_section && !line.empty() && line[0] != ' ') {
      break;  // the next section
    }
  }
  return names;
}

// Every subcommand, in the order the CLI declares them, each with a help that exits 0; builds
// without the runtime (LibTorch) have neither train, eval-loss nor bench generate.
TEST_F(Cli, HelpListsTheSubcommands) {
  const auto r = aimicius("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"run", "list", "show", "report", "compare"})
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub;

  const std::vector<std::string> expected = {
      "run", "merge", "list", "show", "report", "compare", "gate", "make-checkpoint", "generate", "answer-loss", "bench",
#ifdef AIMICIUS_HAVE_RUNTIME
      "train",
#endif
      "train-tokenizer",
#ifdef AIMICIUS_HAVE_RUNTIME
      "eval-loss",
#endif
      "tokenize", "prompts", "published", "validate", "audit", "corpus", "manifest", "serve"};
  const std::vector<std::string> bench_expected = {
      "sandbox", "api",
#ifdef AIMICIUS_HAVE_RUNTIME
      "generate", "eval",
#endif
  };
  EXPECT_EQ(listed_subcommands(r.out), expected) << r.out;
  for (const auto& name : expected) {
    const auto help = aimicius(name + " --help");
    EXPECT_EQ(help.exit_code, 0) << name << ": " << help.err;
    EXPECT_NE(help.out.find("Usage: "), std::string::npos) << name << ": " << help.out;
    EXPECT_NE(help.out.find(" " + name + " "), std::string::npos) << name << ": " << help.out;
    if (name == "bench") {
      EXPECT_EQ(listed_subcommands(help.out), bench_expected) << help.out;
    }
  }
  for (const auto& name : bench_expected) {
    const auto help = aimicius("bench " + name + " --help");
    EXPECT_EQ(help.exit_code, 0) << "bench " << name << ": " << help.err;
    EXPECT_NE(help.out.find(" " + name + " "), std::string::npos) << "bench " << name << ": " << help.out;
  }
  // A subcommand is required, and so is bench's: usage errors exit 2.
  EXPECT_EQ(aimicius("").exit_code, 2);
  EXPECT_EQ(aimicius("bench").exit_code, 2);
}

// The table line of `metric` holds `value` (columns are padded to the widest cell).
bool line_has(const std::string& text, const std::string& metric, const std::string& value) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(" " + metric + " ") != std::string::npos && line.find(" " + value + " ") != std::string::npos)
      return true;
  return false;
}

TEST_F(Cli, OracleRunScoresFullMarksAndIsLabelled) {
  const auto r = aimicius("run --model oracle --suite cmdgen");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* metric : {"exact_match", "command_score", "execution_match", "output_similarity"})
    EXPECT_TRUE(line_has(r.out, metric, "100.0")) << metric << "\n" << r.out;
  EXPECT_NE(r.out.find("oracle (references, not a model)"), std::string::npos) << r.out;
  // Not a TTY: plain progress lines, no carriage-return redraws.
  EXPECT_NE(r.err.find("cmdgen: 10/10"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

// `run` without --model evaluates the bundled trained checkpoint where the runtime is built.
TEST_F(Cli, DefaultModelIsTheBundledCheckpointWhereTheRuntimeIsBuilt) {
  const auto r = aimicius("run --suite cmdgen --limit 2 --max-new-tokens 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
#ifdef AIMICIUS_HAVE_RUNTIME
  EXPECT_NE(r.out.find("checkpoints/sigma-mini"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("oracle"), std::string::npos) << r.out;
#else
  EXPECT_NE(r.out.find("oracle (references, not a model)"), std::string::npos) << r.out;
#endif
}

TEST_F(Cli, ReportsShowAndCompareReadTheStore) {
  ASSERT_EQ(aimicius("run --model oracle").exit_code, 0);
  const std::string replay = testing::fixture_file("replay_hand_counted.jsonl").string();
  ASSERT_EQ(aimicius("run --model replay:" + replay).exit_code, 0);

  const auto md = aimicius("report --format markdown");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  // The fixture suite's headline is exact match, the paper's metric: labelled as such.
  EXPECT_NE(md.out.find("| cmdgen/exact_match (paper) |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| 2 | replay:" + replay + " | complete | 40.0 ±"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("oracle: the references themselves"), std::string::npos) << md.out;
  EXPECT_EQ(md.out.find("cmdgen/command_score"), std::string::npos) << "headlines only by default:\n" << md.out;
  const auto all = aimicius("report --format markdown --all-metrics");
  EXPECT_NE(all.out.find("| cmdgen/exact_match (paper) | cmdgen/command_score |"), std::string::npos) << all.out;

  const auto show = aimicius("show 2");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("cmdgen/t07: no output"), std::string::npos) << show.out;

  const auto cmp = aimicius("compare 1 2");
  ASSERT_EQ(cmp.exit_code, 0) << cmp.err;
  EXPECT_NE(cmp.out.find("exact_match"), std::string::npos);
  EXPECT_NE(cmp.out.find("-60.0"), std::string::npos) << cmp.out;

  const auto runs = aimicius("list runs");
  EXPECT_EQ(runs.exit_code, 0);
  EXPECT_NE(runs.out.find("cmdgen@0.0.1-test"), std::string::npos) << runs.out;
}

// `prompts` prints the requests a run would send, one JSON line per example, without a model.
TEST_F(Cli, PromptsPrintsTheRequestsARunSends) {
  const auto plain = aimicius("prompts --suite cmdgen --limit 2");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::istringstream lines(plain.out);
  std::vector<nlohmann::json> requests;
  for (std::string line; std::getline(lines, line);) requests.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(requests.size(), 2u) << plain.out;
  EXPECT_EQ(requests[0]["suite"], "cmdgen");
  EXPECT_EQ(requests[0]["example_id"], "t01");
  EXPECT_EQ(requests[1]["example_id"], "t02");
  EXPECT_NE(requests[0]["prompt"].get<std::string>().find("Request: List every GPU with its UUID.\nCommand:"),
            std::string::npos) << requests[0]["prompt"];
  EXPECT_FALSE(requests[0].contains("messages"));
  EXPECT_TRUE(requests[0]["stop"].is_array());
  EXPECT_GT(requests[0]["max_new_tokens"].get<int64_t>(), 0);
  EXPECT_EQ(run_count(), 0);  // nothing is stored

  const auto chat = aimicius("prompts --suite cmdgen --limit 1 --chat");
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  const auto request = nlohmann::json::parse(chat.out);
  ASSERT_TRUE(request["messages"].is_array()) << chat.out;
  EXPECT_EQ(request["messages"].back()["role"], "user");
  EXPECT_NE(request["messages"].back()["content"].get<std::string>().find("List every GPU with its UUID."),
            std::string::npos) << chat.out;

  const auto bad = aimicius("prompts --suite cmdgen --fewshot turns");  // turns need a chat model
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("fewshot=turns needs a chat model"), std::string::npos) << bad.err;
}

TEST_F(Cli, BadInputExitsWithTwoAndLeavesNoRun) {
  auto r = aimicius("run --suite nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown suite \"nosuch\""), std::string::npos) << r.err;

  r = aimicius("run --model gpt4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown model spec \"gpt4\""), std::string::npos) << r.err;

  r = aimicius("run --model replay:/no/such.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/no/such.jsonl"), std::string::npos) << r.err;

  r = aimicius("run --model oracle", (dir_ / "empty").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("empty: No such file"), std::string::npos) << r.err;

  r = aimicius("run --limit 0");
  EXPECT_EQ(r.exit_code, 2);

  r = aimicius("run --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);

  EXPECT_EQ(run_count(), 0);
}

TEST_F(Cli, CorruptDatasetIsRefused) {
  const auto suites = testing::copy_fixture_suites(dir_);
  const auto file = suites / "cmdgen" / "test.jsonl";
  testing::write_file(file, testing::read_file(file) + "{\"id\": \"t11\"\n");
  const auto r = aimicius("run --model oracle", suites.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(run_count(), 0);
}

TEST_F(Cli, UnwritableDatabaseIsRefused) {
  const std::string bad = (dir_ / "missing-dir" / "x.db").string();
  const std::string cmd = std::string("'") + AIMICIUS_BIN + "' --db '" + bad + "' --data-dir '" +
                          testing::fixture_data_dir().string() + "' run >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  // A database path that is a folder.
  std::filesystem::create_directories(dir_ / "folder.db");
  const std::string cmd2 = std::string("'") + AIMICIUS_BIN + "' --db '" + (dir_ / "folder.db").string() +
                           "' --data-dir '" + testing::fixture_data_dir().string() + "' run >/dev/null 2>&1";
  const int status2 = std::system(cmd2.c_str());
  ASSERT_TRUE(WIFEXITED(status2));
  EXPECT_EQ(WEXITSTATUS(status2), 2);
}

TEST_F(Cli, ResumeOfACompleteOrUnknownRunIsRefused) {
  ASSERT_EQ(aimicius("run --limit 2").exit_code, 0);
  auto r = aimicius("run --resume 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already complete"), std::string::npos) << r.err;
  r = aimicius("run --resume 7");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no run 7"), std::string::npos) << r.err;
  r = aimicius("run --resume 1 --suite cmdgen");  // a resume takes the run's own options
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(aimicius("show 9").exit_code, 2);
}

TEST_F(Cli, ValidateChecksEveryBundledReferenceAndNamesBrokenOnes) {
  AIMICIUS_NEED_ENCODER_MODEL();  // cmdgen's embedding metrics
  const auto bundled = aimicius("validate", testing::bundled_data_dir().string());
  EXPECT_EQ(bundled.exit_code, 0) << bundled.out << bundled.err;
  EXPECT_NE(bundled.out.find(", 0 failed"), std::string::npos) << bundled.out;

  // A reference that needs root cannot run on the simulated host: named by file, line and id.
  const auto suites = testing::copy_fixture_suites(dir_);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text.replace(text.find("rocm-smi --showuse"), 18, "rocm-smi --setperflevel high");
  testing::write_file(file, text);
  ASSERT_EQ(aimicius("manifest " + (suites / "cmdgen").string()).exit_code, 0);
  const auto broken = aimicius("validate", suites.string());
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.out.find("test.jsonl:3: cmdgen/t03"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("10 examples, 1 failed"), std::string::npos) << broken.out;
}

TEST_F(Cli, ReadCommandsOnAMissingDatabaseExplain) {
  const auto r = aimicius("report");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no database at"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace aimicius

namespace aimicius {
namespace {

#ifdef AIMICIUS_HAVE_RUNTIME
// The whole path with the project's runtime: a random checkpoint, a run through local:, stored
// generations with token counts. (Random weights: the answers are noise, the plumbing is real.)
TEST_F(Cli, LocalCheckpointRunsEndToEnd) {
  const auto ckpt = tiny_checkpoint();
  const auto r = aimicius("run --model local:" + ckpt.string() + " --limit 3 --max-new-tokens 6 --batch-size 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("exact_match"), std::string::npos);
  Store store = Store::open_for_read(db());
  const auto run = store.find_run(1);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, kRunComplete);
  EXPECT_EQ(run->model_hash.size(), 64u);
  EXPECT_EQ(store.prediction_count(1), 3);
  EXPECT_TRUE(store.example_errors(1, 10).empty());

  const auto bad = aimicius("run --model local:" + ckpt.string() + "?device=tpu --limit 1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown device \"tpu\""), std::string::npos) << bad.err;
  const auto missing = aimicius("run --model local:" + (dir_ / "nothing").string() + " --limit 1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("is not a folder"), std::string::npos) << missing.err;
}

// `bench generate --prompt-len-min` draws the prompt lengths that bench/hf_generate_bench.py draws
// for the same arguments (157 tokens: its lengths 28, 27, 8, 37, 26, 31), so the two peers
// prefill the same work; a minimum past --prompt-len is a usage error.
TEST_F(Cli, BenchGenerateDrawsThePeersPromptLengths) {
  const auto ckpt = tiny_checkpoint();
  const std::string bench = "bench generate --checkpoint " + ckpt.string() + " --batch 6 --prompt-len 40 ";
  const auto r = aimicius(bench + "--prompt-len-min 8 --new-tokens 2 --repeats 1 --warmup 0 --prefill-tokens 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("batch 6 prompt 8..40 (157 tokens) new 2"), std::string::npos) << r.out;
  const auto bad = aimicius(bench + "--prompt-len-min 41");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--prompt-len-min 41"), std::string::npos) << bad.err;
}

// `bench eval` where examples cannot be generated (here: a context of 8 tokens, shorter than every
// prompt) names how many and the first one's error, and fails: its figures would describe a
// smaller workload. (An H100 run whose cache did not fit printed an internal error instead.)
TEST_F(Cli, BenchEvalFailsAndNamesExamplesThatWereNotGenerated) {
  const auto ckpt = tiny_checkpoint();
  const auto config_path = ckpt / "config.json";
  nlohmann::json config = nlohmann::json::parse(testing::read_file(config_path));
  config["max_position_embeddings"] = 8;
  testing::write_file(config_path, config.dump());
  const auto r = aimicius("bench eval --model local:" + ckpt.string() +
                          " --limit 1 --max-new-tokens 2 --hashing-embedder --prompts-out " +
                          (dir_ / "prompts.jsonl").string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("1 examples not generated, the first: cmdgen t01: prompt of "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exceeds the model's context of 8 tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 1 examples not generated"), std::string::npos) << r.err;
}

// `bench generate --max-active 2` runs six prompts through two cache slots and prints the last
// run's schedule: three waves of 3 tokens (end-of-sequence ignored), 2 decode steps each; with
// --new-tokens-min the budgets (2, 3, 1, 1, 2, 1: splitmix64 from seed 2) free slots unevenly,
// and the prompts with budget 1 pass through a slot on their prefill alone. A slot holds 20 + 3 tokens.
TEST_F(Cli, BenchGenerateMaxActivePrintsTheSchedule) {
  const auto ckpt = tiny_checkpoint();
  const std::string bench = "bench generate --checkpoint " + ckpt.string() + " --batch 6 --prompt-len 20 ";
  const auto r = aimicius(bench + "--max-active 2 --new-tokens 3 --repeats 1 --warmup 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("schedule: 2 slots of 23 tokens, 3 prefill forwards, 6 decode steps, "
                       "2.00 active slots per step"),
            std::string::npos) << r.out;
  const auto uneven = aimicius(bench + "--max-active 2 --new-tokens-min 1 --new-tokens 3 --repeats 1 --warmup 0");
  ASSERT_EQ(uneven.exit_code, 0) << uneven.err;
  EXPECT_NE(uneven.out.find("batch 6 prompt 20 new 1..3 (10 tokens)"), std::string::npos) << uneven.out;
  EXPECT_NE(uneven.out.find("schedule: 2 slots of 23 tokens, 5 prefill forwards, 2 decode steps, "
                            "2.00 active slots per step"),
            std::string::npos) << uneven.out;
  for (const char* bad_option : {"--max-active -1", "--new-tokens-min 4 --new-tokens 3"}) {
    const auto bad = aimicius(bench + bad_option);
    EXPECT_EQ(bad.exit_code, 2) << bad_option;
    EXPECT_NE(bad.err.find(std::string(bad_option).substr(0, 12)), std::string::npos) << bad.err;
  }
}
#endif

}  // namespace
}  // namespace aimicius

namespace aimicius {
namespace {

// `validate --repeat N`: the fixture's references score the same way every time (exit 0); one
// whose executed output differs between repeats (random bytes on stderr, which no metric compares,
// so it still scores 1) is listed as flaky with what differed, and the exit code is 1.
TEST_F(Cli, ValidateRepeatListsFlakyReferences) {
  const auto steady = aimicius("validate --repeat 2");
  EXPECT_EQ(steady.exit_code, 0) << steady.out << steady.err;
  EXPECT_NE(steady.out.find("10 examples, 0 failed, 0 flaky over 2 repeats"), std::string::npos) << steady.out;

  const auto suites = testing::copy_fixture_suites(dir_);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  const std::string steady_reference = "\"reference\": \"nvidia-smi -L\"";
  text.replace(text.find(steady_reference), steady_reference.size(),
               "\"reference\": \"nvidia-smi -L; head -c 8 /dev/urandom | od -An -tx1 >&2\"");
  testing::write_file(file, text);
  ASSERT_EQ(aimicius("manifest " + (suites / "cmdgen").string()).exit_code, 0);
  EXPECT_EQ(aimicius("validate", suites.string()).exit_code, 0) << "without --repeat it is a sound reference";
  const auto flaky = aimicius("validate --repeat 2", suites.string());
  EXPECT_EQ(flaky.exit_code, 1) << flaky.out << flaky.err;
  EXPECT_NE(flaky.out.find("test.jsonl:1: cmdgen/t01: flaky: repeat 1 and repeat 2 differ: execution_match detail "
                           "(outputs) at /candidate/stderr"),
            std::string::npos)
      << flaky.out;
  EXPECT_NE(flaky.out.find("10 examples, 0 failed, 1 flaky over 2 repeats"), std::string::npos) << flaky.out;
  EXPECT_EQ(aimicius("validate --repeat 0").exit_code, 2);
}

}  // namespace
}  // namespace aimicius
