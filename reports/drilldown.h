// The per-example view of runs for the HTML report, read from the store alone: each example's
// prompt and reference (stored with its prediction), raw output, answer, error and scores with
// their details (the execution outputs live there). No dataset is read.
//
// Invariants: a prompt or reference is shown only as the store holds it; rows written before the
// store kept them (schema version < 4) are counted in DrillSuite::without_texts and shown as not
// stored, never rebuilt from data on disk (which may not be what the run used). Failures (an
// error, or a headline score below 1; any score below 1 when the run recorded no headline) come
// first, and at most `max_rows` examples per run and suite are kept, with the total.
#pragma once

#include <string>
#include <vector>

#include "harness/store/store.h"

namespace aimicius {

struct DrillExample {
  StoredExample stored;  // with its prompt and reference when the store has them
  bool failed = false;
};

struct DrillSuite {
  int64_t run_id = 0;
  std::string suite;
  std::string headline;
  size_t total = 0;          // stored examples of this run and suite
  size_t failures = 0;
  size_t without_texts = 0;  // of `total`: stored without prompt or reference (older rows)
  std::vector<DrillExample> examples;  // failures first, at most max_rows
};

std::vector<DrillSuite> build_drilldown(Store& store, const std::vector<RunRecord>& runs, size_t max_rows);

}  // namespace aimicius
