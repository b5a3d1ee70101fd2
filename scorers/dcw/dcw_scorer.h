// The "dcw" scorer of the infrawise suite (Sigma's Infrawise task, arXiv 2501.13629): an answer is
// a DCW JSON object (dcw_answer.h); the scorer maps its names onto the benchmark database's
// canonical names (dcw_names.h), retrieves the results the DCW selects (benchmark_db.h, one fixed
// query) and compares them with the example's reference results.
//
// suite.json: {"type": "dcw", "database": "benchmarks.sql", "aliases": "aliases.json"}
//   (both required; files relative to the suite folder; unknown parameters are an InputError), and
//   optionally "names": "canonicalise" (default: names are canonicalised, dcw_names.h) or "aliases"
//   (the alias table alone, the matching of suite version 1.0.0, to reproduce earlier figures).
//
// Example fields: "reference" = the DCW object with canonical names (baseline null when the
// request has none); "results" = non-empty array of result ids (integers) the reference selects.
//
// Metrics, each 0 or 1 per example (means in [0, 1]); a malformed answer (not a well-formed DCW
// object, see dcw_answer.h; "" included) scores 0 on all eight:
//   strict_accuracy     headline: the answer is right: target, baseline (none when the reference has
//                       none), workload and criterion each name the reference's after
//                       canonicalisation; an ambiguous or unknown name is wrong. Equal by value to
//                       dcw_accuracy; it is the headline under its own name because dcw_accuracy is the
//                       paper's name, and its detail says how each name was matched.
//   The paper's metrics (MetricSpec::paper), on the same canonicalised names:
//   target_accuracy     the answer's target names the reference target
//   baseline_accuracy   same for the baseline; "no baseline" matches only a null reference baseline
//   workload_accuracy   same for the workload
//   criterion_accuracy  same for the criterion (matched within the answer's workload)
//   dcw_accuracy        all four right
//   result_recall       every reference result is among the retrieved ones
//   result_accuracy     retrieved set == reference set (nothing missing, nothing irrelevant)
// Retrieval for an answer: systems = those of {target, baseline} that are known names; workload and
// criterion must be known names, else nothing is retrieved. So result equality accepts wrong DCWs:
// target and baseline swapped (the same rows), and a baseline added or changed to a system that has
// no results for the workload and criterion (an A100 system for gemm fp8, a system without
// InfiniBand for ib write); the headline does not.
//
// audit_variants(): dcw_audit.h.
// check_reference(): the reference results are non-empty, all exist in the database, and equal
// what the reference DCW retrieves. score() and check_reference() are const and thread-safe.
#pragma once

#include <memory>

#include "scorers/scorer.h"

namespace aimicius {

std::unique_ptr<Scorer> make_dcw_scorer(const ScorerSpec& spec);

}  // namespace aimicius
