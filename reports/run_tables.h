// Tables built from what the store holds: one run's scores, a leaderboard across runs, and a
// comparison of two runs. Scores are shown as percentages with one decimal. Oracle runs are
// labelled as such wherever a model name appears: they measure the scorers, not a model.
#pragma once

#include <vector>

#include "harness/store.h"
#include "reports/table.h"

namespace aimicius {

std::string model_label(const RunRecord& run);

// Suite | Metric | Score | Examples | Errors, for one run.
Table run_score_table(Store& store, const RunRecord& run);

// One row per run: Run | Model | Status | <suite>/<metric>... | Examples | Errors.
// Each suite's headline metric (as the run recorded it; every metric for runs that did not), or
// every metric when `all_metrics`.
Table leaderboard_table(Store& store, const std::vector<RunRecord>& runs, bool all_metrics = false);

// Suite | Metric | A | B | Delta | Better in B | Worse in B, over examples both runs scored.
Table compare_table(Store& store, const RunRecord& a, const RunRecord& b);

// Runs | Model | Status | Created | Suites, for `list runs`.
Table runs_table(const std::vector<RunRecord>& runs);

}  // namespace aimicius
