// The numbers of a leaderboard report, before any rendering: for each run, each suite, each
// subset (overall and e.g. cmdgen per platform) and each metric, the mean with its 95% bootstrap
// CI, the number of scored examples and the number of errors; optionally the paper's published
// figures as a separate row set. Renderers (leaderboard_render.h, html_report.h) only format this.
//
// Invariants: published figures are never mixed into runs: they live in `published`, carry their
// source table, have no CI, and are matched to local (suite, subset, metric) names only where the
// names are the same. Values are fractions in [0, 1] (renderers show percentages). A cell's CI
// depends only on its own scores and the seed (see statistics.h: seed_for).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/store/store.h"
#include <tuple>

#include "reports/statistics.h"

namespace aimicius {

struct ScoreCell {
  std::string suite;
  std::string subset;  // "" for the whole suite
  std::string metric;
  bool headline = false;
  bool paper = false;   // the Sigma paper's definition of the metric (lenient; for published figures)
  MeanCi stat;          // mean, ci low/high, n scored examples
  int64_t errors = 0;   // predictions of this suite/subset that failed to generate
  int64_t examples = 0; // predictions of this suite/subset
};

struct RunScores {
  RunRecord run;
  std::vector<ScoreCell> cells;  // suites in run order, overall cell before its subsets
  int64_t examples = 0;
  int64_t errors = 0;
  // Per suite (run order), examples stored as infra_error (not judged: in no cell's n) and stored.
  std::vector<std::tuple<std::string, int64_t, int64_t>> not_judged;  // suite, not judged, examples
};

// One figure published by a paper, matched to a local (suite, subset, metric).
struct PublishedFigure {
  std::string model;   // as the paper names it
  std::string suite;
  std::string subset;  // e.g. "nvidia" for the paper's "cmdgen-nvidia"; "" for the whole suite
  std::string metric;
  double value = 0.0;  // fraction
  std::string table;   // e.g. "Table 6"
  std::string label;   // "published, arXiv 2501.13629 Table 6"
  std::string source;  // URL of the paper version the figure comes from
};

struct Leaderboard {
  std::vector<RunScores> runs;
  std::vector<PublishedFigure> published;
  std::vector<std::string> published_notes;
  bool all_metrics = false;
  uint64_t seed = kDefaultSeed;
  int resamples = kDefaultResamples;
};

struct LeaderboardOptions {
  bool all_metrics = false;  // every metric; else each suite's headline metric (subsets too)
  // (suite, metric) pairs shown beside the headlines (report --published: the metrics the published
  // figures are given in, so that each figure has our number next to it).
  std::set<std::pair<std::string, std::string>> also_metrics;
  uint64_t seed = kDefaultSeed;
  int resamples = kDefaultResamples;
};

Leaderboard build_leaderboard(Store& store, const std::vector<RunRecord>& runs, const LeaderboardOptions& options);

// A run and the suites of it a leaderboard shows (empty: all of them).
struct LeaderboardRun {
  RunRecord run;
  std::set<std::string> suites;
};
Leaderboard build_leaderboard(Store& store, const std::vector<LeaderboardRun>& runs, const LeaderboardOptions& options);

// What `report` shows by default: for each model (its spec) and each suite, the newest complete
// evaluation run that holds that suite (runs are newer by id). A model evaluated one suite per run
// so shows every suite, each from its own run; a run none of whose suites is the newest is left
// out. In run id order.
std::vector<LeaderboardRun> newest_complete_runs(const std::vector<RunRecord>& runs);

// One line saying how a run built its prompts and what it generated with (runs.config.prompt_style,
// runs.suites[s].generation) for the suites in `shown` (empty: all), or "" for a run stored before
// runs recorded them.
std::string run_generation_note(const RunRecord& run, const std::set<std::string>& shown = {});

// The engine that generated a run's answers (its config's "engine", Backend::engine: e.g.
// "cpu avx512-amx"; several joined by "; " after a merge), or "" when the run names none.
std::string run_engine(const RunRecord& run);

// The headline metric a run recorded for `suite` ("" when it recorded none).
std::string run_headline(const RunRecord& run, const std::string& suite);
// Whether the run recorded `metric` of `suite` as the paper's definition (runs stored before
// metrics were marked record none, and show no label).
bool run_paper_metric(const RunRecord& run, const std::string& suite, const std::string& metric);

// The Sigma paper's figures for Sigma and GPT-4 from a published-figures document
// (reports/published_tables.h reads it): the paper's "cmdgen-nvidia" task becomes suite cmdgen,
// subset "nvidia"; a figure repeated in a later table (same model, suite, subset, metric) is kept
// once, from the first table that lists it. Only metrics present in `board` when
// `only_matching` (so a leaderboard shows figures next to the columns they match).
void add_published_figures(Leaderboard& board, const nlohmann::json& doc, bool only_matching);

// The (suite, metric) pairs in which `doc` gives figures of the compared models (Sigma, GPT-4):
// what a report beside those figures shows next to each suite's headline.
std::set<std::pair<std::string, std::string>> published_metrics(const nlohmann::json& doc);

}  // namespace aimicius
