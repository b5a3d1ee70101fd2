// The scorer audit (`aimicius audit`): how often each metric of a suite accepts a wrong answer or
// rejects a right one. Each example's scorers derive right and wrong answers from its reference
// (Suite::audit_variants, scorers/audit_variant.h); every variant is scored like a model's answer
// and the scores are tallied per metric. docs/VALIDITY.md holds the figures.
//
// Definitions (one metric, over the examples the metric applies to):
// - a variant is *accepted* when its score is >= accept_at (1.0: "the metric says right");
// - false-accept rate = accepted wrong variants / scored wrong variants;
// - false-reject rate = not-accepted right variants / scored right variants;
// - inversions = share of (right, wrong) pairs of the same example where the wrong variant scores
//   strictly higher: for graded metrics, how often the metric ranks a wrong answer above a right one;
// - oracle = share of references (scored as their own answer) that are accepted.
// A variant whose scoring throws is counted in `errors` (with the first few messages) and in no
// rate: an audit never hides a scorer failure as a score.
//
// Invariants: audit_suite is deterministic for a given suite, split and limit (variants are a pure
// function of the example; scoring is), whatever `jobs` is; examples are reported in file order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/suite.h"

namespace aimicius {

struct AuditOptions {
  double accept_at = 1.0;
  int jobs = 1;
  std::optional<int64_t> limit;  // first N examples of the split
  int examples_per_metric = 3;   // false accepts / rejects kept per metric, for the report
};

// One misjudged variant, kept as evidence.
struct AuditCase {
  std::string example_id;
  std::string kind;
  std::string answer;
  double value = 0.0;
};

struct KindTally {
  int64_t scored = 0;
  int64_t misjudged = 0;  // accepted when wrong, rejected when right
};

struct MetricAudit {
  std::string metric;
  bool headline = false;
  bool paper = false;
  int64_t right = 0, wrong = 0;                // variants scored
  int64_t false_rejects = 0, false_accepts = 0;
  double sum_right = 0.0, sum_wrong = 0.0;     // for the mean score of each kind
  int64_t pairs = 0, inversions = 0;
  int64_t oracle_scored = 0, oracle_accepted = 0;
  std::map<std::string, KindTally> right_kinds, wrong_kinds;  // by AuditVariant::kind
  std::vector<AuditCase> false_accept_cases, false_reject_cases;

  double false_accept_rate() const { return wrong ? static_cast<double>(false_accepts) / wrong : 0.0; }
  double false_reject_rate() const { return right ? static_cast<double>(false_rejects) / right : 0.0; }
  double mean_right() const { return right ? sum_right / right : 0.0; }
  double mean_wrong() const { return wrong ? sum_wrong / wrong : 0.0; }
  double inversion_rate() const { return pairs ? static_cast<double>(inversions) / pairs : 0.0; }
};

struct SuiteAudit {
  std::string suite;
  std::string version;
  std::string split;
  int64_t examples = 0;
  int64_t examples_without_variants = 0;
  int64_t right_variants = 0, wrong_variants = 0;
  int64_t errors = 0;
  std::vector<std::string> error_messages;  // the first few, naming the example
  std::vector<MetricAudit> metrics;         // in the suite's metric order

  const MetricAudit* headline() const;
  nlohmann::json to_json() const;
};

// Audits the examples of `loaded` (already restricted to one split by load_suite).
SuiteAudit audit_suite(const LoadedSuite& loaded, const std::string& split, const ScoringContext& context,
                       const AuditOptions& options);

}  // namespace aimicius
