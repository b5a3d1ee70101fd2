// `aimicius validate`: checks every example of every split of the requested suites the way an
// oracle run would, without storing anything: the reference, given as the model's answer, must go
// through extraction and score 1 on every metric that applies, and each suite's own reference checks
// must pass (a command runs on its simulated host and prints something, a query returns rows, a
// plan is valid with the solver's latency, a DCW's results exist). Each failure names the
// example's file and line. For people adding or editing data (after `aimicius manifest`).
// With --corpus DIR it then checks a training corpus' n-gram overlap with the dev/test splits
// (command_validate_corpus, command_support.h).
//
// --repeat N checks every reference N times and lists the flaky ones: an example whose status
// (its problem, or none), any metric value, or any score detail (which holds executed answers'
// exit codes and outputs) differs between repeats, naming what differed. Timings in details (keys
// ending in "seconds" or "_ms") measure the machine, not the answer, and are not compared. Exit 1
// when any example is flaky (2 when a reference fails, as without --repeat).
#include <atomic>
#include <filesystem>
#include <map>
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

// One check of one example's reference: what is wrong with it ("" when nothing) and its score rows.
struct ReferenceCheck {
  std::string problem;
  std::vector<ScoreRow> rows;
};

ReferenceCheck check_example(const Suite& suite, const Example& ex, const ScoringContext& context) {
  ReferenceCheck check;
  std::string& problem = check.problem;
  try {
    const std::string answer = suite.extract_answer(suite.oracle_output(ex));
    check.rows = suite.score(ex, answer, context);
    for (const auto& row : check.rows)
      if (row.value != 1.0) problem += fmt::format(" {}={:.3f}", row.metric, row.value);
    if (!problem.empty()) problem = "the reference does not score 1:" + problem;
    for (const auto& p : suite.check_reference(ex, context)) problem += (problem.empty() ? "" : "; ") + p;
  } catch (const std::exception& e) {
    problem = e.what();
  }
  return check;
}

// A score detail without its timings (keys ending in "seconds" or "_ms"), which differ on every run.
nlohmann::json without_timings(const nlohmann::json& j) {
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(without_timings(v));
    return out;
  }
  if (!j.is_object()) return j;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : j.items()) {
    const bool timing = (key.size() >= 7 && key.compare(key.size() - 7, 7, "seconds") == 0) ||
                        (key.size() >= 3 && key.compare(key.size() - 3, 3, "_ms") == 0);
    if (!timing) out[key] = without_timings(value);
  }
  return out;
}

// What differs between two checks of one example, each part a short phrase; empty when nothing.
std::vector<std::string> differences(const ReferenceCheck& a, const ReferenceCheck& b) {
  std::vector<std::string> out;
  auto status = [](const ReferenceCheck& c) { return c.problem.empty() ? std::string("ok") : c.problem; };
  if (a.problem != b.problem) out.push_back(fmt::format("status \"{}\" then \"{}\"", status(a), status(b)));
  std::map<std::string, const ScoreRow*> rows_b;
  for (const auto& r : b.rows) rows_b[r.metric] = &r;
  for (const auto& r : a.rows) {
    const auto it = rows_b.find(r.metric);
    if (it == rows_b.end()) {
      out.push_back(fmt::format("{} scored then not", r.metric));
      continue;
    }
    const ScoreRow& other = *it->second;
    rows_b.erase(it);
    if (r.value != other.value) out.push_back(fmt::format("{} {:.3f} then {:.3f}", r.metric, r.value, other.value));
    const auto patch = nlohmann::json::diff(without_timings(r.detail), without_timings(other.detail));
    if (patch.empty()) continue;
    std::string paths;
    for (size_t i = 0; i < patch.size() && i < 3; ++i) paths += (i ? ", " : "") + patch[i].value("path", "");
    if (patch.size() > 3) paths += fmt::format(" and {} more", patch.size() - 3);
    out.push_back(fmt::format("{} detail (outputs) at {}", r.metric, paths));
  }
  for (const auto& [metric, _] : rows_b) out.push_back(fmt::format("{} not scored then scored", metric));
  return out;
}

int command_validate(const GlobalOptions& global, const std::vector<std::string>& suites, int jobs, int repeat) {
  if (jobs < 1) throw InputError(fmt::format("--jobs must be at least 1 (got {})", jobs));
  if (repeat < 1) throw InputError(fmt::format("--repeat must be at least 1 (got {})", repeat));
  RunOptions options;
  options.suites = suites;
  options.split = "";  // every split
  set_global_paths(options, global);
  const RunPlan plan = plan_run(options);
  int64_t checked = 0, failed = 0, flaky = 0;
  for (const auto& loaded : plan.suites) {
    const Suite& suite = *loaded.suite;
    // Examples are checked by `jobs` threads (scorers are thread-safe) and reported in file order;
    // repeat r of every example runs after repeat r-1 of all, so a repeat is not its neighbour's
    // twin in time.
    const size_t n = loaded.examples.size();
    std::vector<std::vector<ReferenceCheck>> checks(n, std::vector<ReferenceCheck>(static_cast<size_t>(repeat)));
    for (size_t r = 0; r < static_cast<size_t>(repeat); ++r) {
      std::atomic<size_t> next{0};
      std::vector<std::thread> workers;
      for (int j = 0; j < jobs; ++j)
        workers.emplace_back([&] {
          for (size_t i = next++; i < n; i = next++) checks[i][r] = check_example(suite, loaded.examples[i], plan.context);
        });
      for (auto& w : workers) w.join();
    }
    for (size_t i = 0; i < n; ++i) {
      ++checked;
      const Example& ex = loaded.examples[i];
      const std::string& problem = checks[i][0].problem;
      if (!problem.empty()) {
        ++failed;
        fmt::print("{}: {}/{}: {}\n", ex.origin, suite.name(), ex.id, problem);
      }
      for (size_t r = 1; r < checks[i].size(); ++r) {
        const auto diff = differences(checks[i][0], checks[i][r]);
        if (diff.empty()) continue;
        ++flaky;
        std::string what;
        for (const auto& d : diff) what += (what.empty() ? "" : "; ") + d;
        fmt::print("{}: {}/{}: flaky: repeat 1 and repeat {} differ: {}\n", ex.origin, suite.name(), ex.id, r + 1, what);
        break;
      }
    }
    fmt::print(stderr, "{} v{}: {} examples checked{}\n", suite.name(), suite.version(), n,
               repeat > 1 ? fmt::format(", {} times each", repeat) : "");
  }
  fmt::print("{} examples, {} failed", checked, failed);
  if (repeat > 1) fmt::print(", {} flaky over {} repeats", flaky, repeat);
  fmt::print("\n");
  if (failed) throw InputError(fmt::format("{} of {} examples failed validation", failed, checked));
  if (flaky) {
    fmt::print(stderr, "{} of {} examples are flaky: their references do not score the same way every time\n", flaky,
               checked);
    return 1;
  }
  return 0;
}

class ValidateCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("validate", "Check every reference of the suites' data: it must score 1 "
                                                  "on every metric and run where the suite executes");
    cmd->add_option("--suite", suites_, "Suite(s) (default: all)")->delimiter(',');
    cmd->add_option("--jobs,-j", jobs_, "Examples checked concurrently")->capture_default_str();
    cmd->add_option("--repeat", repeat_,
                    "Check every reference N times and list the flaky ones (status, a metric or an output "
                    "differs between repeats); exit 1 when any is")
        ->capture_default_str();
    cmd->add_option("--corpus", corpus_,
                    "Also check a training corpus (DIR/corpus.jsonl) for n-gram overlap with the dev/test splits");
    cmd->add_option("--max-overlap", max_overlap_,
                    "Largest allowed share of a test split's examples sharing a 13-gram with the corpus")
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override {
    const int rc = command_validate(global, suites_, jobs_, repeat_);
    if (rc != 0 || corpus_.empty()) return rc;
    return command_validate_corpus(global, suites_, corpus_, max_overlap_);
  }

 private:
  std::vector<std::string> suites_;
  int jobs_ = 2;
  int repeat_ = 1;
  std::filesystem::path corpus_;
  double max_overlap_ = 0.01;
};

}  // namespace

std::unique_ptr<Command> make_validate_command() { return std::make_unique<ValidateCommand>(); }

}  // namespace aimicius
