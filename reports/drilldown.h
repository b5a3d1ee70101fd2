// The per-example view of runs for the HTML report: what the store kept (raw output, answer,
// error, scores with their details: the execution outputs live there) joined with what it did not
// keep (the prompt text and the reference), rebuilt from the suite data on disk.
//
// Invariants: prompt and reference are shown only when the data on disk is the data the run used
// (same data_sha256 and prompt_version as the run recorded); otherwise the suite carries a note
// saying why they are missing, never text from other data. Each rebuilt prompt is also checked
// against the stored prompt_sha256 (a mismatch is flagged on the example). Failures (an error, or
// a headline score below 1; any score below 1 when the run recorded no headline) come first, and
// at most `max_rows` examples per run and suite are kept, with the total.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/store/store.h"

namespace aimicius {

struct DrillExample {
  StoredExample stored;
  std::string prompt;     // "" when not rebuilt (see DrillSuite::data_note)
  std::string reference;  // the raw output a perfect model gives (the suite's oracle output)
  bool prompt_mismatch = false;  // rebuilt prompt's sha256 differs from the stored one
  bool failed = false;
};

struct DrillSuite {
  int64_t run_id = 0;
  std::string suite;
  std::string headline;
  std::string data_note;  // why prompts/references are missing ("" when shown)
  size_t total = 0;       // stored examples of this run and suite
  size_t failures = 0;
  std::vector<DrillExample> examples;  // failures first, at most max_rows
};

std::vector<DrillSuite> build_drilldown(Store& store, const std::vector<RunRecord>& runs,
                                        const std::filesystem::path& data_dir, size_t max_rows);

}  // namespace aimicius
