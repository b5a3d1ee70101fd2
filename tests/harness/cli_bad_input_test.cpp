// Bad input through the `aimicius` binary (issue 19 item 9): every class exits 2 with a message
// naming the file and line, key or example, before anything runs, and loses no stored result;
// and the store's own failures a user can act on (a full disk, a run held by another process, a
// database they may not write) are told so instead of as internal errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_fixture.h"
#include "common/json_file.h"
#include "common/sqlite_db.h"
#include "harness/store/run_lock.h"
#include "harness/store/store.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::Cli;
namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A replay line whose suite the data folder lacks, or whose example its suite lacks, answers
// nothing: the run would be all errors and exit 0. Each such line is named.
TEST_F(Cli, ReplayLinesThatAnswerNothingExitTwoNamingTheLines) {
  const auto replay = dir_ / "replay.jsonl";
  testing::write_file(replay,
                      "{\"suite\": \"cmdgen\", \"example_id\": \"t01\", \"output\": \"nvidia-smi -L\"}\n"
                      "{\"suite\": \"cmdgenx\", \"example_id\": \"t01\", \"output\": \"x\"}\n"
                      "{\"suite\": \"cmdgen\", \"example_id\": \"t99\", \"output\": \"x\"}\n");
  auto r = aimicius("run --model replay:" + replay.string() + " --limit 2");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "replay.jsonl:2: suite \"cmdgenx\" is not a suite of")) << r.err;
  EXPECT_TRUE(has(r.err, "replay.jsonl:3: suite cmdgen has no example \"t99\"")) << r.err;
  EXPECT_FALSE(has(r.err, "replay.jsonl:1:")) << r.err;
  EXPECT_EQ(run_count(), 0);
  // Wrong JSON types in a line: the line and the key.
  testing::write_file(replay, "{\"suite\": \"cmdgen\", \"example_id\": [], \"output\": \"x\"}\n");
  r = aimicius("run --model replay:" + replay.string() + " --limit 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "replay.jsonl:1: replay line needs a string \"example_id\"")) << r.err;
  // A file that answers only some examples of the run is fine: the others are per-example errors.
  testing::write_file(replay, "{\"suite\": \"cmdgen\", \"example_id\": \"t01\", \"output\": \"nvidia-smi -L\"}\n");
  r = aimicius("run --model replay:" + replay.string() + " --limit 2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // ...but one that answers none of them (empty, or only examples past --limit) is a run of
  // nothing but errors: refused before it starts.
  const int64_t runs = run_count();
  for (const std::string& text : {std::string(), std::string("\n \n"),
                                  std::string("{\"suite\": \"cmdgen\", \"example_id\": \"t05\", \"output\": \"x\"}\n")}) {
    testing::write_file(replay, text);
    r = aimicius("run --model replay:" + replay.string() + " --suite cmdgen --limit 2");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "replay.jsonl: answers none of the 2 example(s) this run asks for")) << r.err;
  }
  EXPECT_EQ(run_count(), runs);
}

// An answer past 1 MiB is that example's error (scored as no answer), stored cut to 1 MiB; the
// run goes on and the other example is judged as usual.
TEST_F(Cli, AnEnormousAnswerIsTheExamplesErrorAndStoredCut) {
  const auto replay = dir_ / "huge.jsonl";
  testing::write_file(replay, "{\"suite\": \"cmdgen\", \"example_id\": \"t01\", \"output\": \"nvidia-smi " +
                                  std::string(2u << 20, 'A') + "\"}\n"
                                  "{\"suite\": \"cmdgen\", \"example_id\": \"t02\", \"output\": \"x\"}\n");
  const auto r = aimicius("run --model replay:" + replay.string() + " --suite cmdgen --limit 2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Store store = Store::open_for_read(db());
  const auto errors = store.example_errors(1, 10);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].example_id, "t01");
  EXPECT_TRUE(has(errors[0].error, "the answer is 2097163 bytes, more than the 1048576 an answer may have")) << errors[0].error;
  EXPECT_EQ(store.prediction_count(1), 2);
  EXPECT_EQ(store.infra_error_count(1), 0);
}

// --jobs past what a process can start (100,000 threads) aborted the run with "terminate called"
// (exit 134), leaving it half-made; now it is refused before the run starts, and a --jobs far above
// the examples starts no more scoring threads than there are examples.
TEST_F(Cli, AbsurdJobCountsExitTwoBeforeTheRunStarts) {
  auto r = aimicius("run --model oracle --suite cmdgen --limit 1 --jobs 100000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "--jobs must be at most 1024 (got 100000)")) << r.err;
  EXPECT_EQ(run_count(), 0);
  r = aimicius("run --model oracle --suite cmdgen --limit 2 --jobs 1024");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run_count(), 1);
}

// serve's worker pool has a thread per connection: --max-batch 1e8 (connections 2e8 by default)
// hung the start making threads, deaf to SIGTERM. Both are bounded and refused at once.
TEST_F(Cli, ServeRefusesBatchAndConnectionCountsPastItsThreads) {
  auto r = aimicius("serve --model oracle --port 0 --max-batch 100000000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "--max-batch must be between 1 and 1024 (got 100000000)")) << r.err;
  r = aimicius("serve --model oracle --port 0 --max-connections 100000000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "must be at most 4096 (each connection is a thread)")) << r.err;
}

// A 50 MB answer to a cmdgen example was stored as an infrastructure error (bwrap could not be
// exec'd with it) and so left out of the score: a model could drop the examples it fails by
// answering at length. It is the answer's failure: judged, and wrong.
TEST_F(Cli, AnAnswerTooLongToExecuteIsJudgedWrongNotLeftOut) {
  const auto replay = dir_ / "replay.jsonl";
  testing::write_file(replay, nlohmann::json{{"suite", "cmdgen"}, {"example_id", "t01"},
                                             {"output", "nvidia-smi -L " + std::string(300000, 'x')}}
                                      .dump() +
                                  "\n");
  const auto r = aimicius("run --model replay:" + replay.string() + " --limit 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(has(r.out + r.err, "infrastructure")) << r.out << r.err;
  ASSERT_EQ(run_count(), 1);
  EXPECT_EQ(Store::open_for_read(db()).infra_error_count(1), 0);
}

// A cmdgen example whose host profile the hosts folder lacks: found when the run is planned,
// naming the example, not example by example at scoring time.
TEST_F(Cli, AMissingHostProfileStopsTheRunBeforeItStarts) {
  const auto data = testing::copy_fixture_suites(dir_);
  fs::remove(data / "hosts" / "mi250x-node.json");
  const auto r = aimicius("run --model oracle", data.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "test.jsonl:3: example \"t03\": no host profile \"mi250x-node\"")) << r.err;
  EXPECT_EQ(run_count(), 0);
}

// suite.json and example fields of the wrong JSON type: the file, the scorer or line, the key.
TEST_F(Cli, WrongJsonTypesInSuiteDataExitTwoNamingTheKey) {
  const auto data = testing::copy_fixture_suites(dir_);
  const auto suite_json = data / "cmdgen" / "suite.json";
  const std::string original = testing::read_file(suite_json);
  nlohmann::json def = nlohmann::json::parse(original);
  def["scorers"][0]["embedding"] = "no";
  testing::write_file(suite_json, def.dump(1));
  auto r = aimicius("run --model oracle", data.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "suite.json: scorers[0]: embedding: expected a boolean")) << r.err;

  testing::write_file(suite_json, original);
  const auto examples = data / "cmdgen" / "test.jsonl";
  std::string lines = testing::read_file(examples);
  lines.replace(lines.find("\"id\": \"t01\""), 11, "\"id\": \"t01\", \"execute\": \"no\"");
  testing::write_file(examples, lines);
  ASSERT_EQ(aimicius("manifest '" + (data / "cmdgen").string() + "'", data.string()).exit_code, 0);
  r = aimicius("run --model oracle", data.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "test.jsonl:1: example \"t01\": \"execute\" must be true or false")) << r.err;
  EXPECT_EQ(run_count(), 0);
}

// A write that fails for want of space (here a file size limit: EFBIG, as ENOSPC on a full
// disk) exits 2 saying so; the examples stored before it stay, and the run resumes once there is
// room.
TEST_F(Cli, AFullDiskExitsTwoAndLosesNothing) {
  ASSERT_EQ(aimicius("run --model oracle").exit_code, 0);
  const int64_t stored = Store::open_for_read(db()).prediction_count(1);
  ASSERT_EQ(stored, 10);
  // 64 blocks of 512 bytes: the write-ahead log outgrows it within a few examples. SIGXFSZ is
  // ignored so that the write fails instead of killing the process.
  const auto r = aimicius("run --model oracle", "", "ulimit -f 64 && trap '' XFSZ &&");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "the disk is full, the file reached a size limit")) << r.err;
  EXPECT_FALSE(has(r.err, "internal error")) << r.err;
  EXPECT_EQ(Store::open_for_read(db()).prediction_count(1), stored);
  const auto resumed = aimicius("run --resume 2");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(Store::open_for_read(db()).prediction_count(2), 10);
}

// While one process runs a run, a second `--resume` of it stops at once with a message (no raw
// UNIQUE-constraint error) and changes nothing; once the first is gone, it resumes.
TEST_F(Cli, ASecondResumeOfARunHeldElsewhereIsRefusedClearly) {
  ASSERT_EQ(aimicius("run --model oracle --limit 3").exit_code, 0);
  Store::open_for_write(db()).finish_run(1, kRunFailed, "stopped");
  {
    const RunLock held(db(), 1);  // as the first process would
    const auto r = aimicius("run --resume 1");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "run 1 in")) << r.err;
    EXPECT_TRUE(has(r.err, "is being run or resumed by another process")) << r.err;
    EXPECT_FALSE(has(r.err, "UNIQUE")) << r.err;
    const auto run = Store::open_for_read(db()).find_run(1);
    EXPECT_EQ(run->status, kRunFailed);  // the loser did not mark the holder's run
    // Another run is not held.
    EXPECT_EQ(aimicius("run --model oracle --limit 1").exit_code, 0);
  }
  const auto r = aimicius("run --resume 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Store::open_for_read(db()).find_run(1)->status, kRunComplete);
}

// Two resumes started together: whichever loses says so; the run ends with each example once.
TEST_F(Cli, TwoConcurrentResumesStoreEachExampleOnce) {
  ASSERT_EQ(aimicius("run --model oracle").exit_code, 0);
  {
    SqliteDb raw(db(), SqliteDb::Mode::kReadWriteCreate);
    raw.exec("DELETE FROM scores WHERE run_id = 1 AND example_id > 't04'");
    raw.exec("DELETE FROM predictions WHERE run_id = 1 AND example_id > 't04'");
    raw.exec("UPDATE runs SET status = 'running' WHERE id = 1");
  }
  const std::string bin = std::string("'") + AIMICIUS_BIN + "' --db '" + db() + "' --data-dir '" +
                          testing::fixture_data_dir().string() + "' run --resume 1";
  const auto a = dir_ / "io" / "a.txt", b = dir_ / "io" / "b.txt";
  fs::create_directories(dir_ / "io");
  const std::string both = "(" + bin + " >/dev/null 2>'" + a.string() + "'; echo $? >>'" + a.string() + "') & (" +
                           bin + " >/dev/null 2>'" + b.string() + "'; echo $? >>'" + b.string() + "') & wait";
  ASSERT_EQ(std::system(both.c_str()), 0);
  for (const auto& f : {a, b}) {
    const std::string text = testing::read_file(f);
    EXPECT_FALSE(has(text, "UNIQUE")) << text;
    EXPECT_FALSE(has(text, "internal error")) << text;
    const bool won = text.size() >= 2 && text.substr(text.size() - 2) == "0\n";
    // The loser is refused while the winner holds the run, or finds it complete after.
    EXPECT_TRUE(won || has(text, "is being run or resumed by another process") || has(text, "already complete"))
        << text;
  }
  auto store = Store::open_for_read(db());
  EXPECT_EQ(store.prediction_count(1), 10);
  EXPECT_EQ(store.find_run(1)->status, kRunComplete);
}

// `list` and `report` only read: they work on a database in a folder the user may not write, as
// a file the user may not write (run as nobody where the tests run as root, since root may write
// anything).
TEST_F(Cli, ReadCommandsWorkOnADatabaseTheyCannotWrite) {
  ASSERT_EQ(aimicius("run --model oracle --limit 2").exit_code, 0);
  std::string prefix;
  if (geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "root without setpriv";
    prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  }
  fs::permissions(db(), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir_.path(), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  const auto list = aimicius("list runs", "", prefix);
  const auto report = aimicius("report", "", prefix);
  fs::permissions(dir_.path(), fs::perms::owner_all);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(has(list.out, "oracle")) << list.out;
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(has(report.out, "exact_match")) << report.out;
  EXPECT_FALSE(fs::exists(db() + "-shm"));  // nothing was written beside it
}

// A --db that is a dangling symlink is named as one by the commands that read it (`list models`
// took it for no database and listed none; the others said "no database").
TEST_F(Cli, ADatabaseThatIsADanglingSymlinkIsNamedByTheReadCommands) {
  fs::create_symlink(dir_ / "gone.db", db());
  for (const char* command : {"list runs", "list models", "report", "show 1"}) {
    const auto r = aimicius(command);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_TRUE(has(r.err, db() + ": a symlink to a file that does not exist")) << command << ": " << r.err;
  }
}

#ifdef AIMICIUS_HAVE_RUNTIME
// A checkpoint folder without a tokenizer: the folder is named before its weights load, and no
// run is created (it was a run of per-example errors).
TEST_F(Cli, ACheckpointWithoutATokenizerExitsTwoNamingTheFolder) {
  const auto ckpt = tiny_checkpoint();
  fs::remove(ckpt / "tokenizer.json");
  const auto r = aimicius("run --model local:" + ckpt.string() + " --limit 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, ckpt.string() + ": the checkpoint folder has no tokenizer.json or tokenizer.model")) << r.err;
  EXPECT_EQ(run_count(), 0);
  // One that is there but dangling is named as such, also before the weights load.
  fs::create_symlink(ckpt / "gone.json", ckpt / "tokenizer.json");
  const auto dangling = aimicius("run --model local:" + ckpt.string() + " --limit 1");
  EXPECT_EQ(dangling.exit_code, 2) << dangling.err;
  EXPECT_TRUE(has(dangling.err, "tokenizer.json: a symlink to a file that does not exist")) << dangling.err;
  EXPECT_EQ(run_count(), 0);
}

// config.json values of the wrong JSON type: the file and the key, exit 2 (was nlohmann's
// type_error, exit 1 "internal error").
TEST_F(Cli, WrongJsonTypesInConfigJsonExitTwoNamingTheKey) {
  const auto ckpt = tiny_checkpoint();
  const auto config = ckpt / "config.json";
  const std::string original = testing::read_file(config);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"hidden_size": "big"})", "\"hidden_size\" must be an integer"},
      {R"({"rms_norm_eps": "small"})", "rms_norm_eps: expected a number"},
      {R"({"model_type": 5})", "model_type: expected a string"},
      {R"({"tie_word_embeddings": "yes"})", "tie_word_embeddings: expected a boolean"},
      {R"({"eos_token_id": ["a"]})", "eos_token_id[0]: expected an integer token id"},
      {R"({"rope_scaling": {"rope_type": "linear", "factor": "x"}})", "rope_scaling.factor: expected a number"},
      // Issue 20: keys that change the model in a way the runtime does not implement, and RoPE
      // forms it cannot follow, are refused naming the key (they were ignored: wrong answers).
      {R"({"hidden_act": "gelu"})", "\"hidden_act\" is \"gelu\": the MLP activation is SiLU or GELU's tanh"},
      {R"({"mlp_bias": true})", "\"mlp_bias\" is true"},
      {R"({"rope_parameters": {"rope_type": "longrope", "rope_theta": 10000.0}})",
       "rope type \"longrope\" is not supported"},
  };
  for (const auto& [patch, expected] : cases) {
    nlohmann::json j = nlohmann::json::parse(original);
    j.update(nlohmann::json::parse(patch));
    testing::write_file(config, j.dump());
    const auto r = aimicius("generate --model local:" + ckpt.string() + " hi");
    EXPECT_EQ(r.exit_code, 2) << patch << ": " << r.err;
    EXPECT_TRUE(has(r.err, "config.json")) << patch << ": " << r.err;
    EXPECT_TRUE(has(r.err, expected)) << patch << ": " << r.err;
  }
}

// A malformed GGUF file (local:FILE.gguf, or a folder holding it): exit 2 naming the file and
// what is wrong, no run created.
TEST_F(Cli, AMalformedGgufExitsTwoNamingTheFile) {
  const auto bad = dir_ / "bad.gguf";
  // Magic, version 3, 1 tensor, then a metadata count no file could hold.
  testing::write_file(bad, std::string("GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\x0f", 24));
  const auto g = aimicius("generate --model local:" + bad.string() + " hi");
  EXPECT_EQ(g.exit_code, 2) << g.err;
  EXPECT_TRUE(has(g.err, bad.string() + ": malformed GGUF at byte 16: metadata count")) << g.err;
  fs::create_directories(dir_ / "ggufdir");
  testing::write_file(dir_ / "ggufdir" / "m.gguf", "GGUF\x01");
  const auto r = aimicius("run --model local:" + (dir_ / "ggufdir").string() + " --limit 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, (dir_ / "ggufdir" / "m.gguf").string())) << r.err;
  EXPECT_EQ(run_count(), 0);
}
#endif

}  // namespace
}  // namespace aimicius
