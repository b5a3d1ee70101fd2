// Tables built from what the store holds: one run's scores and the list of runs (leaderboards are
// in reports/leaderboard.h, comparisons in reports/comparison.h). Scores are shown as percentages
// with one decimal. Oracle runs are labelled as such wherever a model name appears: they measure
// the scorers, not a model.
#pragma once

#include <vector>

#include "harness/store/store.h"
#include "reports/table.h"

namespace aimicius {

std::string model_label(const RunRecord& run);

// Suite | Metric | Score | Examples | Errors, for one run.
Table run_score_table(Store& store, const RunRecord& run);

// Runs | Model | Status | Created | Suites, for `list runs` (answer-loss runs say so after the model).
Table runs_table(const std::vector<RunRecord>& runs);

}  // namespace aimicius
