// `aimicius validate`: checks every example of every split of the requested suites the way an
// oracle run would, without storing anything: the reference, given as the model's answer, must go
// through extraction and score 1 on every metric that applies, and each suite's own reference checks
// must pass (a command runs on its simulated host and prints something, a query returns rows, a
// plan is valid with the solver's latency, a DCW's results exist). Each failure names the
// example's file and line. For people adding or editing data (after `aimicius manifest`).
// With --corpus DIR it then checks a training corpus' n-gram overlap with the dev/test splits
// (command_validate_corpus, command_support.h).
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/runner/runner.h"

namespace aimicius {

namespace {

// What is wrong with one example's reference ("" when nothing).
std::string check_example(const Suite& suite, const Example& ex, const ScoringContext& context) {
  std::string problem;
  try {
    const std::string answer = suite.extract_answer(suite.oracle_output(ex));
    for (const auto& row : suite.score(ex, answer, context))
      if (row.value != 1.0) problem += fmt::format(" {}={:.3f}", row.metric, row.value);
    if (!problem.empty()) problem = "the reference does not score 1:" + problem;
    for (const auto& p : suite.check_reference(ex, context)) problem += (problem.empty() ? "" : "; ") + p;
  } catch (const std::exception& e) {
    problem = e.what();
  }
  return problem;
}

int command_validate(const GlobalOptions& global, const std::vector<std::string>& suites, int jobs) {
  if (jobs < 1) throw InputError(fmt::format("--jobs must be at least 1 (got {})", jobs));
  RunOptions options;
  options.suites = suites;
  options.split = "";  // every split
  set_global_paths(options, global);
  const RunPlan plan = plan_run(options);
  int64_t checked = 0, failed = 0;
  for (const auto& loaded : plan.suites) {
    const Suite& suite = *loaded.suite;
    // Examples are checked by `jobs` threads (scorers are thread-safe) and reported in file order.
    std::vector<std::string> problems(loaded.examples.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    for (int j = 0; j < jobs; ++j)
      workers.emplace_back([&] {
        for (size_t i = next++; i < loaded.examples.size(); i = next++)
          problems[i] = check_example(suite, loaded.examples[i], plan.context);
      });
    for (auto& w : workers) w.join();
    for (size_t i = 0; i < problems.size(); ++i) {
      ++checked;
      if (problems[i].empty()) continue;
      ++failed;
      const Example& ex = loaded.examples[i];
      fmt::print("{}: {}/{}: {}\n", ex.origin, suite.name(), ex.id, problems[i]);
    }
    fmt::print(stderr, "{} v{}: {} examples checked\n", suite.name(), suite.version(), loaded.examples.size());
  }
  fmt::print("{} examples, {} failed\n", checked, failed);
  if (failed) throw InputError(fmt::format("{} of {} examples failed validation", failed, checked));
  return 0;
}

class ValidateCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("validate", "Check every reference of the suites' data: it must score 1 "
                                                  "on every metric and run where the suite executes");
    cmd->add_option("--suite", suites_, "Suite(s) (default: all)")->delimiter(',');
    cmd->add_option("--jobs,-j", jobs_, "Examples checked concurrently")->capture_default_str();
    cmd->add_option("--corpus", corpus_,
                    "Also check a training corpus (DIR/corpus.jsonl) for n-gram overlap with the dev/test splits");
    cmd->add_option("--max-overlap", max_overlap_,
                    "Largest allowed share of a test split's examples sharing a 13-gram with the corpus")
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override {
    const int rc = command_validate(global, suites_, jobs_);
    if (rc != 0 || corpus_.empty()) return rc;
    return command_validate_corpus(global, suites_, corpus_, max_overlap_);
  }

 private:
  std::vector<std::string> suites_;
  int jobs_ = 2;
  std::filesystem::path corpus_;
  double max_overlap_ = 0.01;
};

}  // namespace

std::unique_ptr<Command> make_validate_command() { return std::make_unique<ValidateCommand>(); }

}  // namespace aimicius
