// `aimicius validate`: checks every example of every split of the requested suites the way an
// oracle run would, without storing anything: the reference, given as the model's answer, must go
// through extraction and score 1 on every metric that applies, and each suite's own reference checks
// must pass (a command runs on its simulated host and prints something, a query returns rows, a
// plan is valid with the solver's latency, a DCW's results exist). Each failure names the
// example's file and line. For people adding or editing data (after `aimicius manifest`).
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/commands.h"

namespace aimicius {

int command_validate(const GlobalOptions& global, const std::vector<std::string>& suites) {
  RunOptions options;
  options.suites = suites;
  options.split = "";  // every split
  options.data_dir = global.data_dir;
  options.hostsim_binary = global.hostsim_binary;
  options.encoder_dir = global.encoder_dir;
  const RunPlan plan = plan_run(options);
  int64_t checked = 0, failed = 0;
  for (const auto& loaded : plan.suites) {
    const Suite& suite = *loaded.suite;
    for (const auto& ex : loaded.examples) {
      ++checked;
      std::string problem;
      try {
        const std::string answer = suite.extract_answer(suite.oracle_output(ex));
        for (const auto& row : suite.score(ex, answer, plan.context))
          if (row.value != 1.0) problem += fmt::format(" {}={:.3f}", row.metric, row.value);
        if (!problem.empty()) problem = "the reference does not score 1:" + problem;
        for (const auto& p : suite.check_reference(ex, plan.context)) problem += (problem.empty() ? "" : "; ") + p;
      } catch (const std::exception& e) {
        problem = e.what();
      }
      if (!problem.empty()) {
        ++failed;
        fmt::print("{}: {}/{}: {}\n", ex.origin, suite.name(), ex.id, problem);
      }
    }
    fmt::print(stderr, "{} v{}: {} examples checked\n", suite.name(), suite.version(), loaded.examples.size());
  }
  fmt::print("{} examples, {} failed\n", checked, failed);
  if (failed) throw InputError(fmt::format("{} of {} examples failed validation", failed, checked));
  return 0;
}

}  // namespace aimicius
