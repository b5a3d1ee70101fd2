// `run --shard K/N` and `aimicius merge` (issue 21): the split is a function of each example's
// identity that covers every example once; N shard runs merged equal the unsharded run, prediction
// by prediction and score by score (on the fixture with a replay file of right and wrong answers,
// and on every bundled suite with the oracle); merging is idempotent; shards of different runs,
// of different N, incomplete or missing are refused (or, missing with allow_partial, stored as an
// incomplete run that a later merge completes).
#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/backend_oracle.h"
#include "harness/backends/backend_replay.h"
#include "harness/runner/merge.h"
#include "harness/runner/runner.h"
#include "harness/runner/shard.h"
#include "scorers/sandbox/sandbox.h"
#include "harness/engine_backend.h"
#include "model_requirements.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

// A score's detail without how long its executions took ("seconds", "wall_seconds"), which
// differs between any two executions of the same answer.
nlohmann::json untimed(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("seconds");
    j.erase("wall_seconds");
    for (auto& [key, value] : j.items()) value = untimed(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = untimed(value);
  }
  return j;
}

// Every stored example of a run with its scores, keyed by (suite, id), without what differs
// between two executions of the same run (row ids, timestamps, latency, execution timings).
std::map<std::pair<std::string, std::string>, std::string> contents(const std::string& db, int64_t run_id) {
  Store store = Store::open_for_read(db);
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const StoredExample& e : store.stored_examples(run_id, ExampleTexts::kRead)) {
    nlohmann::json j = {{"subset", e.subset},         {"prompt_sha256", e.prompt_sha256},
                        {"prompt", e.prompt.value_or("")}, {"reference", e.reference.value_or("")},
                        {"raw", e.raw_output},         {"answer", e.answer},
                        {"error", e.error.value_or("")}, {"infra_error", e.infra_error}};
    for (const auto& s : e.scores) j["scores"].push_back({s.metric, s.value, untimed(s.detail)});
    out[{e.suite, e.example_id}] = j.dump();
  }
  return out;
}

class ShardMergeTest : public ::testing::Test {
 protected:
  RunOptions options() const {
    RunOptions o;
    o.suites = {"cmdgen"};
    o.data_dir = testing::fixture_data_dir();
    o.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
    o.encoder_dir = AIMICIUS_ENCODER_MODEL_DIR;
    o.jobs = 2;
    return o;
  }
  // A run of `o` into `db` with the replay file's right and wrong answers (or the oracle); its id.
  int64_t run(const std::string& db, const RunOptions& o, bool execute = true) {
    Store store = Store::open_for_write(db);
    const RunPlan plan = plan_run(o);
    std::unique_ptr<Backend> backend;
    if (oracle_) backend = std::make_unique<OracleBackend>(plan.suites);
    else backend = std::make_unique<ReplayBackend>(testing::fixture_file("replay_hand_counted.jsonl"));
    if (!engine_.empty()) backend = std::make_unique<testing::EngineBackend>(std::move(backend), engine_);
    const int64_t id = create_run(store, plan, *backend);
    if (execute) {
      Progress quiet(stderr, Progress::Style::kQuiet);
      execute_run(store, id, plan, *backend, quiet);
    }
    return id;
  }
  int64_t shard(int64_t k, int64_t n) { return shard(k, n, options()); }
  int64_t shard(int64_t k, int64_t n, RunOptions o) {
    o.shard = Shard{k, n};
    return run(path(fmt::format("shard-{}-of-{}.db", k, n)), o);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  ScratchDir dir_;
  bool oracle_ = false;
  std::string engine_;  // Backend::engine of the runs (none when empty)
};

TEST(Shard, SplitDependsOnTheExampleAloneAndCoversEveryExampleOnce) {
  std::vector<int64_t> sizes(4, 0);
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "ex-" + std::to_string(i);
    const int64_t k = shard_of("cmdgen", id, 4);
    ASSERT_GE(k, 0);
    ASSERT_LT(k, 4);
    EXPECT_EQ(k, shard_of("cmdgen", id, 4)) << id;
    ++sizes[k];
    int64_t holders = 0;
    for (int64_t j = 0; j < 4; ++j) holders += in_shard(Shard{j, 4}, "cmdgen", id);
    EXPECT_EQ(holders, 1) << id;
    EXPECT_EQ(shard_of("cmdgen", id, 1), 0);
  }
  for (int64_t s : sizes) EXPECT_GT(s, 200) << "a hash split of 1000 examples in 4 this uneven is a bad hash";
  // The suite is part of the identity: the same id in two suites is split independently.
  int64_t differ = 0;
  for (int i = 0; i < 100; ++i)
    differ += shard_of("cmdgen", std::to_string(i), 2) != shard_of("infrawise", std::to_string(i), 2);
  EXPECT_GT(differ, 0);
  EXPECT_TRUE(in_shard(std::nullopt, "cmdgen", "anything"));
}

TEST(Shard, ParsesKOfNAndRefusesAnythingElse) {
  EXPECT_EQ(parse_shard("0/1"), (Shard{0, 1}));
  EXPECT_EQ(parse_shard("3/4"), (Shard{3, 4}));
  EXPECT_EQ(parse_shard("3/4").label(), "3/4");
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "1/0", "/2", "1/", "1/2/3", " 1/2"})
    EXPECT_THROW(parse_shard(bad), InputError) << bad;
}

TEST_F(ShardMergeTest, AShardRunsOnlyItsExamplesAndResumesAsItsShard) {
  RunOptions o = options();
  const RunPlan whole = plan_run(o);
  o.shard = Shard{1, 3};
  const std::string db = path("s.db");
  const int64_t id = run(db, o, false);
  Store store = Store::open_for_write(db);
  const RunPlan resumed = plan_resume(store, id, o.data_dir, 1, o.hostsim_binary, o.encoder_dir);
  ASSERT_TRUE(resumed.options.shard);
  EXPECT_EQ(*resumed.options.shard, (Shard{1, 3}));
  std::set<std::string> expected;
  for (const auto& ex : whole.suites[0].examples)
    if (shard_of("cmdgen", ex.id, 3) == 1) expected.insert(ex.id);
  std::set<std::string> planned;
  for (const auto& ex : resumed.suites[0].examples) planned.insert(ex.id);
  EXPECT_EQ(planned, expected);
  const RunRecord record = *store.find_run(id);
  EXPECT_EQ(record.suites.at("cmdgen").at("examples").get<size_t>(), expected.size());
  EXPECT_EQ(record.suites.at("cmdgen").at("unsharded_examples").get<size_t>(), whole.suites[0].examples.size());
}

TEST_F(ShardMergeTest, TwoShardsMergedEqualTheUnshardedRunAndMergingAgainChangesNothing) {
  const int64_t whole = run(path("whole.db"), options());
  shard(0, 2);
  shard(1, 2);
  const std::vector<std::string> shards = {path("shard-0-of-2.db"), path("shard-1-of-2.db")};
  const MergeSummary m = merge_shards(path("out.db"), shards, false);
  EXPECT_TRUE(m.created);
  EXPECT_EQ(m.status, kRunComplete);
  EXPECT_EQ(m.merged, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(m.missing.empty());
  const auto expected = contents(path("whole.db"), whole);
  ASSERT_EQ(expected.size(), 10u);
  EXPECT_EQ(m.examples_added, 10);
  EXPECT_EQ(contents(path("out.db"), m.run_id), expected);
  {
    Store a = Store::open_for_read(path("whole.db"));
    Store b = Store::open_for_read(path("out.db"));
    const RunRecord ra = *a.find_run(whole), rb = *b.find_run(m.run_id);
    EXPECT_EQ(rb.status, kRunComplete);
    EXPECT_EQ(rb.suites, ra.suites);
    EXPECT_EQ(rb.model_spec, ra.model_spec);
    EXPECT_EQ(run_identity_config(rb.config), run_identity_config(ra.config));
    const auto sa = a.metric_summaries(whole), sb = b.metric_summaries(m.run_id);
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      EXPECT_EQ(sb[i].metric, sa[i].metric);
      EXPECT_EQ(sb[i].examples, sa[i].examples);
      EXPECT_DOUBLE_EQ(sb[i].mean, sa[i].mean) << sa[i].metric;
    }
  }
  // Again, and with a shard given twice: the same run, nothing added, nothing changed.
  const MergeSummary again = merge_shards(path("out.db"), {shards[1], shards[0], shards[1]}, false);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.run_id, m.run_id);
  EXPECT_EQ(again.examples_added, 0);
  EXPECT_EQ(contents(path("out.db"), m.run_id), expected);
  EXPECT_EQ(Store::open_for_read(path("out.db")).list_runs().size(), 1u);
}

// Shards that ran on machines with other CPU kernel builds are one run: the merged run records
// each engine once, and a later merge adds the ones it brings.
TEST_F(ShardMergeTest, ShardsOnOtherEnginesMergeAndTheRunRecordsEachEngine) {
  engine_ = "cpu avx512-amx";
  shard(0, 3);
  shard(1, 3);
  engine_ = "cpu avx2";
  shard(2, 3);
  const MergeSummary m = merge_shards(path("out.db"), {path("shard-0-of-3.db"), path("shard-1-of-3.db")}, true);
  EXPECT_EQ(Store::open_for_read(path("out.db")).find_run(m.run_id)->config.at("engine"), "cpu avx512-amx");
  const MergeSummary all = merge_shards(path("out.db"), {path("shard-2-of-3.db")}, false);
  EXPECT_EQ(all.run_id, m.run_id);
  EXPECT_EQ(all.status, kRunComplete);
  EXPECT_EQ(Store::open_for_read(path("out.db")).find_run(m.run_id)->config.at("engine"), "cpu avx512-amx; cpu avx2");
}

TEST_F(ShardMergeTest, ShardsOfDifferentRunsOrOfDifferentNAreRefusedBeforeAnythingIsWritten) {
  shard(0, 2);
  RunOptions other = options();
  other.seed = 7;
  other.shard = Shard{1, 2};
  run(path("other-seed.db"), other);
  try {
    merge_shards(path("out.db"), {path("shard-0-of-2.db"), path("other-seed.db")}, false);
    FAIL() << "shards of runs with different seeds were merged";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("config.seed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("other-seed.db"), std::string::npos) << e.what();
  }
  shard(1, 3);
  try {
    merge_shards(path("out.db"), {path("shard-0-of-2.db"), path("shard-1-of-3.db")}, false);
    FAIL() << "shards of different N were merged";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("share N"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path("out.db")));
  EXPECT_THROW(merge_shards(path("shard-0-of-2.db"), {path("shard-0-of-2.db")}, true), InputError);
}

TEST_F(ShardMergeTest, AnIncompleteShardOrAPlainRunIsRefused) {
  RunOptions o = options();
  o.shard = Shard{0, 2};
  run(path("stopped.db"), o, /*execute=*/false);  // "running": as a killed task leaves it
  try {
    merge_shards(path("out.db"), {path("stopped.db")}, true);
    FAIL() << "an incomplete shard was merged";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  run(path("plain.db"), options());
  EXPECT_THROW(merge_shards(path("out.db"), {path("plain.db")}, true), InputError);
  EXPECT_THROW(merge_shards(path("out.db"), {path("no-such.db")}, true), InputError);
}

TEST_F(ShardMergeTest, AMissingShardIsRefusedOrStoredIncompleteUntilALaterMergeCompletesIt) {
  const int64_t whole = run(path("whole.db"), options());
  shard(0, 3);
  shard(2, 3);
  const std::vector<std::string> some = {path("shard-0-of-3.db"), path("shard-2-of-3.db")};
  try {
    merge_shards(path("out.db"), some, false);
    FAIL() << "a merge with a shard missing was stored";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("1/3"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path("out.db")));
  const MergeSummary partial = merge_shards(path("out.db"), some, true);
  EXPECT_EQ(partial.status, kRunFailed);
  EXPECT_EQ(partial.missing, (std::vector<int64_t>{1}));
  EXPECT_NE(Store::open_for_read(path("out.db")).find_run(partial.run_id)->error.find("1/3 missing"),
            std::string::npos);
  shard(1, 3);
  const MergeSummary rest = merge_shards(path("out.db"), {path("shard-1-of-3.db")}, false);
  EXPECT_EQ(rest.run_id, partial.run_id);
  EXPECT_EQ(rest.status, kRunComplete);
  EXPECT_EQ(rest.merged, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(contents(path("out.db"), rest.run_id), contents(path("whole.db"), whole));
}

// The bar: on every bundled suite (the oracle, the first 4 examples of each, scored by
// execution in the sandbox and by the encoder), two shards merged equal one unsharded run.
class ShardMergeBundled : public ShardMergeTest {};

TEST_F(ShardMergeBundled, TwoShardsEqualTheUnshardedRunOnEverySuite) {
  AIMICIUS_NEED_ENCODER_MODEL();  // cmdgen's similarity metrics
  oracle_ = true;
  RunOptions o = options();
  o.suites = {};  // every suite
  o.data_dir = testing::bundled_data_dir();
  o.limit = 4;
  int64_t whole = 0;
  try {
    whole = run(path("whole.db"), o);
  } catch (const SandboxUnavailable&) {
    GTEST_SKIP() << "bubblewrap cannot run here";
  } catch (const InputError& e) {
    if (std::string(e.what()).find("bubblewrap") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
  shard(0, 2, o);
  shard(1, 2, o);
  const MergeSummary m = merge_shards(path("out.db"), {path("shard-0-of-2.db"), path("shard-1-of-2.db")}, false);
  EXPECT_EQ(m.status, kRunComplete);
  const auto expected = contents(path("whole.db"), whole);
  std::set<std::string> suites;
  for (const auto& [key, value] : expected) suites.insert(key.first);
  EXPECT_EQ(suites.size(), 4u);
  EXPECT_EQ(expected.size(), 16u);
  const auto merged = contents(path("out.db"), m.run_id);
  EXPECT_EQ(merged.size(), expected.size());
  for (const auto& [key, value] : expected) {
    const auto it = merged.find(key);
    ASSERT_NE(it, merged.end()) << key.first << "/" << key.second << " is not in the merged run";
    EXPECT_EQ(it->second, value) << key.first << "/" << key.second;
  }
}

}  // namespace
}  // namespace aimicius
