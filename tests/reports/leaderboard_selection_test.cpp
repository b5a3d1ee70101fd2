// Which runs a default report shows (reports/leaderboard.h newest_complete_runs): per model and
// suite the newest complete run, so a model evaluated one suite per run shows every suite; and the
// note that says how a run built its prompts and what it generated with.
#include <gtest/gtest.h>

#include "reports/leaderboard.h"
#include "reports/leaderboard_render.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

// A run of `model` over `suites`, each with two examples scoring `accuracy`; returns its id.
int64_t add_run(Store& store, const std::string& model, const std::vector<std::string>& suites, double accuracy,
                const std::string& status = kRunComplete, nlohmann::json config = {{"split", "test"}}) {
  NewRun r;
  r.model_spec = model;
  r.model_hash = "hash-" + model;
  r.suites = nlohmann::json::object();
  for (const auto& s : suites)
    r.suites[s] = {{"version", "1"}, {"prompt_version", "p1"}, {"data_sha256", "d"}, {"headline", "accuracy"},
                   {"examples", 2}, {"generation", {{"max_new_tokens", 96}, {"stop", {"\n"}}}}};
  r.config = std::move(config);
  r.tool_version = "test";
  const int64_t id = store.create_run(r);
  for (const auto& s : suites)
    for (const char* ex : {"e1", "e2"}) {
      PredictionRecord p;
      p.run_id = id;
      p.suite = s;
      p.example_id = ex;
      p.prompt_sha256 = "sha";
      store.record_example(p, {{"accuracy", accuracy, {}}});
    }
  store.finish_run(id, status);
  return id;
}

TEST(LeaderboardSelection, AModelEvaluatedOneSuitePerRunShowsEverySuite) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  const int64_t old_cmdgen = add_run(store, "m", {"cmdgen"}, 0.0);
  const int64_t cmdgen = add_run(store, "m", {"cmdgen"}, 1.0);
  const int64_t diagnostics = add_run(store, "m", {"diagnostics"}, 0.5);
  add_run(store, "m", {"diagnostics"}, 0.0, kRunFailed);  // newer, but not complete
  const int64_t other = add_run(store, "other", {"cmdgen", "diagnostics"}, 1.0);

  const auto chosen = newest_complete_runs(store.list_runs());
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen[0].run.id, cmdgen);
  EXPECT_EQ(chosen[0].suites, std::set<std::string>{"cmdgen"});
  EXPECT_EQ(chosen[1].run.id, diagnostics);
  EXPECT_EQ(chosen[1].suites, std::set<std::string>{"diagnostics"});
  EXPECT_EQ(chosen[2].run.id, other);
  EXPECT_EQ(chosen[2].suites, (std::set<std::string>{"cmdgen", "diagnostics"}));
  for (const auto& c : chosen) EXPECT_NE(c.run.id, old_cmdgen);

  // The board holds model m's two suites, each from its own run, and nothing of the older run.
  const Leaderboard board = build_leaderboard(store, chosen, LeaderboardOptions{});
  ASSERT_EQ(board.runs.size(), 3u);
  std::map<std::string, double> m_scores;
  for (const auto& r : board.runs)
    if (r.run.model_spec == "m")
      for (const auto& c : r.cells) m_scores[c.suite] = c.stat.mean;
  EXPECT_EQ(m_scores, (std::map<std::string, double>{{"cmdgen", 1.0}, {"diagnostics", 0.5}}));
}

TEST(LeaderboardSelection, ARunOnlyPartlyNewestShowsOnlyItsNewestSuites) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  const int64_t both = add_run(store, "m", {"cmdgen", "diagnostics"}, 0.0);
  const int64_t cmdgen = add_run(store, "m", {"cmdgen"}, 1.0);
  const auto chosen = newest_complete_runs(store.list_runs());
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].run.id, both);
  EXPECT_EQ(chosen[0].suites, std::set<std::string>{"diagnostics"});
  EXPECT_EQ(chosen[1].run.id, cmdgen);
  const Leaderboard board = build_leaderboard(store, chosen, LeaderboardOptions{});
  for (const auto& c : board.runs[0].cells) EXPECT_EQ(c.suite, "diagnostics");
}

TEST(LeaderboardSelection, TheReportSaysHowPromptsWereBuiltAndTheLimits) {
  ScratchDir dir;
  Store store = Store::open_for_write((dir / "r.db").string());
  const int64_t id = add_run(store, "m", {"cmdgen"}, 1.0, kRunComplete,
                             {{"split", "test"}, {"prompt_style", {{"chat", true}, {"fewshot", "turns"}}}});
  const auto run = *store.find_run(id);
  EXPECT_EQ(run_generation_note(run), "run " + std::to_string(id) +
                                          ": prompts as chat, few-shot as user/assistant turns; cmdgen: "
                                          "max_new_tokens 96, stop [\"\\n\"]");
  // Only the suites a board shows from the run are described.
  EXPECT_EQ(run_generation_note(run, {"diagnostics"}),
            "run " + std::to_string(id) + ": prompts as chat, few-shot as user/assistant turns");
  const std::string text =
      render_leaderboard_text(build_leaderboard(store, newest_complete_runs(store.list_runs()), {}), TableFormat::kMarkdown);
  EXPECT_NE(text.find("few-shot as user/assistant turns"), std::string::npos) << text;
  // A run that recorded its engine (a local GGUF model's CPU kernels) says which.
  const int64_t on_amx = add_run(store, "m2", {"cmdgen"}, 1.0, kRunComplete,
                                 {{"prompt_style", {{"chat", false}, {"fewshot", "inline"}}}, {"engine", "cpu avx512-amx"}});
  EXPECT_EQ(run_generation_note(*store.find_run(on_amx), {"diagnostics"}),
            "run " + std::to_string(on_amx) + ": prompts as plain text, few-shot inline, on cpu avx512-amx");
  // A run stored before runs recorded their prompt style has no note.
  const int64_t old = add_run(store, "n", {"cmdgen"}, 1.0);
  EXPECT_EQ(run_generation_note(*store.find_run(old)), "");
}

}  // namespace
}  // namespace aimicius
