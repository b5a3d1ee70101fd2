// The CI regression gate: a candidate run against a baseline, one verdict per suite/metric.
// A case fails only when the candidate's score dropped by MORE than `max_drop` points AND the drop
// is significant (p < alpha, reports/comparison.h's paired test): a small drop is noise-level by
// policy, a large but insignificant one is noise by evidence; either alone never fails a build.
//
// Invariants: the gate refuses (InputError, exit 2) runs it cannot compare fairly: a baseline or
// candidate that is not complete, a suite of the baseline the candidate lacks or shares no example
// with, and suites whose version, prompt version or data checksum differ, unless
// `allow_data_change` (then each case says so). Every case has a one-line verdict saying why it
// passes or fails, with the numbers. The JUnit XML is well-formed (every text escaped) with one
// <testcase classname="aimicius.<suite>" name="<metric>"> per case.
#pragma once

#include <string>
#include <vector>

#include "reports/comparison.h"

namespace aimicius {

struct GateOptions {
  double max_drop = 1.0;  // points (percentage points of the score)
  double alpha = 0.05;
  bool all_metrics = false;  // every metric; else each suite's headline
  bool allow_data_change = false;
  uint64_t seed = kDefaultSeed;
  int resamples = kDefaultResamples;
};

struct GateCase {
  MetricComparison cmp;
  bool failed = false;
  std::string verdict;  // e.g. "pass: drop 2.3 not significant (p=0.210 >= 0.05)"
};

struct GateResult {
  RunRecord baseline, candidate;
  GateOptions options;
  std::vector<GateCase> cases;
  std::vector<std::string> warnings;
  bool passed() const;
};

// Throws InputError as described above.
GateResult run_gate(Store& store, const RunRecord& baseline, const RunRecord& candidate, const GateOptions& options);

// The verdict of one comparison under the options (pure; run_gate applies it to every row).
GateCase judge(const MetricComparison& cmp, const GateOptions& options);

// "PASS"/"FAIL" lines, one per case, and a summary line.
std::string gate_summary_text(const GateResult& result);
std::string gate_junit_xml(const GateResult& result);

}  // namespace aimicius
