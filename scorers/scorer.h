// A scorer: the C++ half of a suite. A suite is data (datasets/<suite>/suite.json, see
// tasks/suite_spec.h); its "scorers" array names scorer types with parameters, and each
// type is a class implementing this interface, found through make_scorer(). A user adds a suite
// by writing data and suite.json; only a new *kind* of scoring needs C++.
//
// Invariants a scorer keeps:
// - Construction validates every parameter (unknown keys too) and throws InputError naming
//   spec.where and the parameter. Data files named by parameters are relative to spec.suite_dir.
// - metrics() is fixed for the scorer's lifetime; score() returns, for every metric that applies
//   to the example, one row, in metrics() order, also for an empty answer (which scores 0, never
//   "missing"). A metric that does not apply to an example (execution where the reference cannot
//   run) has no row, so its mean covers the examples it applies to.
// - score() and check_reference() are const and safe to call from several threads at once
//   (a scorer that holds per-thread resources, like SQLite connections, pools them itself).
// - A reference that fails to score (its command does not run, its query errors) is a data bug:
//   score() throws std::invalid_argument saying why; the runner stops naming the example.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/audit_variant.h"
#include "scorers/example.h"
#include "scorers/scoring.h"

namespace aimicius {

struct ScorerSpec {
  std::string type;                   // e.g. "command", "sql", "dcw", "topology_plan"
  nlohmann::json params;              // the scorer's object from suite.json, without "type"
  std::filesystem::path suite_dir;    // where the suite's files are
  std::string where;                  // "datasets/cmdgen/suite.json: scorers[0]", for errors
};

class Scorer {
 public:
  virtual ~Scorer() = default;

  virtual std::vector<MetricSpec> metrics() const = 0;
  // Throws InputError naming ex.origin when a field the scorer needs is missing or malformed.
  virtual void validate_example(const Example& ex) const = 0;
  virtual std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                                      const ScoringContext& context) const = 0;
  // Checks that `aimicius validate` runs on each reference beyond "it scores 1 as its own answer"
  // (its command prints something, its query returns rows, its results exist). Returns the
  // problems found, each a short sentence; empty when the reference is sound.
  virtual std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const {
    (void)ex;
    (void)context;
    return {};
  }
  // Checks, before anything runs, what score() will take from `context` for this example (a host
  // profile in context.hosts_dir); throws InputError naming ex.origin and the example, so a bad
  // suite stops the run at its start, not one example at a time as scoring errors.
  virtual void check_context(const Example& ex, const ScoringContext& context) const {
    (void)ex;
    (void)context;
  }
  // Right and wrong answers derived from the example's reference, for `aimicius audit`
  // (scorers/audit_variant.h states what right and wrong mean). Empty: the type has no generator.
  virtual std::vector<AuditVariant> audit_variants(const Example& ex) const {
    (void)ex;
    return {};
  }
  // Whether score() runs answers in the sandbox / needs the embedding model: the harness then
  // provides it in the context, or stops with a clear error before the run starts.
  virtual bool needs_sandbox() const { return false; }
  virtual bool needs_embedder() const { return false; }
};

// Builds the scorer `spec.type`; throws InputError naming spec.where and the known types when the
// type is unknown, or the scorer's own InputError for bad parameters.
std::unique_ptr<Scorer> make_scorer(const ScorerSpec& spec);
std::vector<std::string> known_scorer_types();

// Rejects parameters other than `allowed` (a typo in suite.json must not be silently ignored).
void check_params(const ScorerSpec& spec, const std::vector<std::string>& allowed);

}  // namespace aimicius
