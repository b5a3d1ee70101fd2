// A suite: how examples of one task become prompts, how raw model output becomes an answer, and
// how an answer is scored. Suites never know which backend produced an output (the oracle too is
// just a backend), so the same extraction and scoring apply to every model.
//
// Invariants: extract_answer and score are pure functions of their inputs (safe to call from
// worker threads concurrently; execution goes through the context's sandbox, which is too);
// score returns one row for every metric in metrics() that applies to the example, in that order,
// also for an empty answer (which scores as wrong, never as missing). A metric that does not
// apply to an example (e.g. execution where the reference cannot run on a simulated host) has
// no row for it, so its mean covers the examples it applies to and says how many.
//
// Suites are data: the one implementation is built from datasets/<suite>/suite.json
// (parsed by tasks/suite_spec.h, built by tasks/suite_definition.h), with the scorers it names
// (scorers/scorer.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/chat_turns.h"
#include "tasks/dataset.h"
#include "scorers/audit_variant.h"
#include "scorers/scoring.h"

namespace aimicius {

class Suite {
 public:
  virtual ~Suite() = default;

  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // Bumped whenever prompt wording changes: stored with each run next to the data checksums.
  virtual std::string prompt_version() const = 0;
  virtual std::vector<MetricSpec> metrics() const = 0;

  // Throws InputError naming ex.origin when a required field is missing or malformed.
  virtual void validate_example(const Example& ex) const = 0;
  virtual std::string prompt(const Example& ex) const = 0;
  // The prompt as chat turns with the few-shot examples as user/assistant turns
  // (tasks/chat_turns.h); a suite without few-shot examples gives one user turn holding prompt(ex).
  virtual std::vector<ChatTurn> prompt_turns(const Example& ex) const { return {{"user", prompt(ex)}}; }
  // The raw output a perfect model would give; used by the `oracle` backend only.
  virtual std::string oracle_output(const Example& ex) const = 0;
  // Where a generating model should stop (the extraction copes with more, this saves tokens).
  // `chat`: the model answers a chat conversation, whose answers are laid out differently (a
  // fenced block after a sentence) and end at the model's end of turn, so a suite may stop less.
  virtual std::vector<std::string> stop_sequences(bool chat = false) const {
    (void)chat;
    return {};
  }
  // The generation budget the suite's data needs (its longest reference fits), when it states one.
  virtual std::optional<int64_t> max_new_tokens() const { return std::nullopt; }
  virtual std::string extract_answer(std::string_view raw_output) const = 0;
  virtual std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                                      const ScoringContext& context) const = 0;
  // Whether score() runs commands (the harness then starts a sandbox, or stops with a clear error).
  virtual bool needs_sandbox() const { return false; }
  // Whether score() compares texts by embeddings (the harness then loads the encoder).
  virtual bool needs_embedder() const { return false; }
  // Checks `aimicius validate` runs on a reference beyond scoring it (see Scorer::check_reference).
  virtual std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const {
    (void)ex;
    (void)context;
    return {};
  }
  // Throws InputError naming the example when the context lacks what scoring it needs (see
  // Scorer::check_context).
  virtual void check_context(const Example& ex, const ScoringContext& context) const {
    (void)ex;
    (void)context;
  }
  // Right and wrong answers derived from the example's reference (see Scorer::audit_variants).
  virtual std::vector<AuditVariant> audit_variants(const Example& ex) const {
    (void)ex;
    return {};
  }
  // The suite's version (from its definition), stored with each run.
  virtual std::string version() const = 0;
  // The example's subset for per-subset scores (cmdgen: its platform), "" when the suite has none.
  virtual std::string subset(const Example& ex) const {
    (void)ex;
    return "";
  }
  // The split that holds few-shot examples ("" when none): never evaluated.
  virtual std::string fewshot_split() const { return ""; }
};

// A suite with its examples loaded and checked against the manifest.
struct LoadedSuite {
  std::shared_ptr<const Suite> suite;
  Manifest manifest;
  std::vector<Example> examples;
};

// The suites under data_dir (folders holding a suite.json), in display order: the paper's order
// for the four AIMicius suites, then the others by name.
std::vector<std::string> known_suite_names(const std::filesystem::path& data_dir);

// Throws InputError listing the known suites when `name` is not one of them.
std::shared_ptr<const Suite> make_suite(const std::string& name, const std::filesystem::path& data_dir);

// Loads `data_dir/<name>` and validates every example of `split` ("" = every split).
LoadedSuite load_suite(const std::string& name, const std::filesystem::path& data_dir,
                       const std::string& split);

}  // namespace aimicius
