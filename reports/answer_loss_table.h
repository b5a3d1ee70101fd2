// The summary of an answer-loss run (harness/runner/answer_loss_run.h), read from the store: per
// suite, the examples scored and skipped (with why), the mean nats per answer byte with its 95%
// bootstrap CI (bytes, not tokens, so models with different tokenizers compare) and the mean nats
// per answer token; printed as a table (terminal, Markdown) or one JSON object per suite.
//
// Invariants: means cover the scored examples only (an example with an error is counted as
// skipped, never part of a mean); examples are read in their split's order and the CI's seed
// depends only on the suite's name, so the same stored rows always print the same bytes, whether
// the run went through at once or was resumed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/store/store.h"
#include "reports/statistics.h"

namespace aimicius {

struct AnswerLossSuite {
  std::string suite;
  std::vector<LoglikelihoodRecord> examples;  // in split order
  int64_t scored = 0;
  MeanCi nats_per_byte;
  double nats_per_token = 0.0;
};

// The run's suites in its order (runs.config "suites"), each with its stored examples.
std::vector<AnswerLossSuite> answer_loss_summary(Store& store, const RunRecord& run);

// Throws InputError unless `format` is "json" or a table format (terminal, md).
void check_answer_loss_format(const std::string& format);

// "json": one line per suite {suite, split, model, scored, skipped, nats_per_byte,
// nats_per_byte_ci95, nats_per_token, skipped_examples}; else the table in that format, with the
// first skipped examples of each suite and their reasons under it.
std::string render_answer_loss(const std::vector<AnswerLossSuite>& suites, const RunRecord& run,
                               const std::string& format);

}  // namespace aimicius
