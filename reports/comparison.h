// Comparing two runs, A (baseline) and B (candidate), metric by metric over the examples both
// scored: means, the difference B - A with its paired bootstrap 95% CI, a paired significance test
// (exact McNemar for 0/1 metrics, sign-flip permutation otherwise) and the examples that flipped.
// `aimicius compare` renders it; `aimicius gate` (reports/gate.h) decides on it.
//
// Invariants: only examples present in both runs count (pairing is by suite and example id);
// rows follow A's suite and metric order; flipped ids are complete here (renderers cap them).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/store/store.h"
#include "reports/leaderboard_render.h"
#include "reports/statistics.h"

namespace aimicius {

struct MetricComparison {
  std::string suite;
  std::string metric;
  bool headline = false;
  bool binary = false;  // every value 0 or 1 in both runs: McNemar; else permutation
  int64_t n = 0;        // shared examples
  double mean_a = 0.0, mean_b = 0.0;
  MeanCi diff;          // mean = mean_b - mean_a, paired bootstrap CI
  double p_value = 1.0;
  std::string test;     // "McNemar exact", "permutation exact", "permutation Monte Carlo"
  // Binary metrics: pass -> fail and fail -> pass. Others: lower in B and higher in B.
  std::vector<std::string> worse_ids, better_ids;
};

struct Comparison {
  RunRecord a, b;
  std::vector<MetricComparison> rows;
  std::vector<std::string> mismatches;  // suites whose version, prompt or data differ (see below)
  std::vector<std::string> only_in_a;   // suites A has and B lacks
  // One line per suite where either run has examples not judged (infra_error): the pairs cover
  // only the examples both runs judged, which the reader must be told.
  std::vector<std::string> not_judged;
  std::vector<std::string> setting_mismatches;  // run_setting_mismatches(a, b)
};

struct CompareOptions {
  bool headline_only = false;
  uint64_t seed = kDefaultSeed;
  int resamples = kDefaultResamples;
};

Comparison compare_runs(Store& store, const RunRecord& a, const RunRecord& b, const CompareOptions& options);

// One line per suite both runs have whose version, prompt_version or data_sha256 differ.
std::vector<std::string> run_data_mismatches(const RunRecord& a, const RunRecord& b);

// One line per generation setting both runs record and set differently: the engine that generated
// the answers (run_engine, e.g. "cpu avx512-amx": one checkpoint's greedy answers differ between
// AMX-BF16 and int8 prompt paths, README; API models name none), how prompts were built
// (config.prompt_style), the temperature, the seed when both sampled (temperature > 0), and per
// suite both have its max_new_tokens and stop strings (suites[s].generation). Such runs are
// compared as they are; the reader must know a difference may come from the setting.
std::vector<std::string> run_setting_mismatches(const RunRecord& a, const RunRecord& b);

// Suite | Metric | A | B | B-A | 95% CI | p | Test | n | Worse | Better, then the flipped ids
// (at most `max_ids` per row and direction, with the count) as notes.
Table comparison_table(const Comparison& c, size_t max_ids = 10);
nlohmann::json comparison_json(const Comparison& c, size_t max_ids = 50);
std::string render_comparison_csv(const Comparison& c);
// terminal / md / json / csv (html is refused: use `report --format html`).
std::string render_comparison(const Comparison& c, ReportFormat format);

}  // namespace aimicius
