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

// "cmdgen: 3 examples not judged (infrastructure errors) in run 7; its scores are over the 40
// judged" - the one wording every report uses for infra_error examples (store.h).
std::string not_judged_note(const std::string& suite, int64_t not_judged, int64_t examples, int64_t run_id);

// Suite | Metric | Score | Examples | Errors, for one run.
Table run_score_table(Store& store, const RunRecord& run);

// Runs | Model | Status | Created | Suites, for `list runs` (answer-loss runs say so after the model).
Table runs_table(const std::vector<RunRecord>& runs);

}  // namespace aimicius
