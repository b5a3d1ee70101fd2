#include "harness/runner/run_record.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "common/errors.h"
#include "harness/store/run_lock.h"

#ifndef AIMICIUS_VERSION
#define AIMICIUS_VERSION "dev"
#endif

namespace aimicius {
namespace {

std::string headline_of(const Suite& suite) {
  for (const auto& m : suite.metrics())
    if (m.headline) return m.name;
  return "";
}

// The suite's metrics that follow the Sigma paper's definitions (reports label them as such).
nlohmann::json paper_metrics_of(const Suite& suite) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& m : suite.metrics())
    if (m.paper) names.push_back(m.name);
  return names;
}

}  // namespace

size_t planned_examples(const LoadedSuite& suite, std::optional<int64_t> limit) {
  return limit ? std::min<size_t>(static_cast<size_t>(*limit), suite.examples.size()) : suite.examples.size();
}

NewRun describe_run(const std::vector<LoadedSuite>& suites, std::optional<int64_t> limit, const Backend& backend,
                    nlohmann::json config) {
  NewRun run;
  run.model_spec = backend.spec();
  run.model_hash = backend.content_hash();
  run.is_oracle = backend.is_oracle();
  run.suites = nlohmann::json::object();
  for (const auto& s : suites)
    run.suites[s.suite->name()] = {{"version", s.suite->version()},
                                   {"prompt_version", s.suite->prompt_version()},
                                   {"data_sha256", s.manifest.data_sha256()},
                                   {"headline", headline_of(*s.suite)},
                                   {"paper_metrics", paper_metrics_of(*s.suite)},
                                   {"examples", planned_examples(s, limit)}};
  run.config = std::move(config);
  run.tool_version = AIMICIUS_VERSION;
  return run;
}

void check_suites_unchanged(const RunRecord& run, const std::vector<LoadedSuite>& suites) {
  for (const auto& s : suites) {
    const auto& stored = run.suites.at(s.suite->name());
    if (stored.at("data_sha256") != s.manifest.data_sha256() ||
        stored.at("prompt_version") != s.suite->prompt_version())
      throw InputError(fmt::format("run {}: suite {} changed since the run started (data or prompt); "
                                   "start a new run instead of resuming",
                                   run.id, s.suite->name()));
  }
}

void run_to_completion(Store& store, int64_t run_id, const std::function<void()>& work) {
  const RunLock held(store.path(), run_id);  // outside the try: a run held elsewhere is not failed here
  try {
    store.reopen_run(run_id);
    work();
    store.finish_run(run_id, kRunComplete);
  } catch (const std::exception& e) {
    try {
      store.finish_run(run_id, kRunFailed, e.what());
    } catch (...) {
      // The store itself is failing; the original error is the one to report.
    }
    throw;
  }
}

}  // namespace aimicius
