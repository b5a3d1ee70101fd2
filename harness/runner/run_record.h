// What a run stores about itself in its runs row, and the check a resume makes against it, for
// every kind of run (evaluation runs in runner.h, answer-loss runs in answer_loss_run.h).
//
// Invariants: a run records, per suite, the suite's version, prompt version, data checksum,
// headline metric and planned example count, so it is reproducible from the store; a resume
// refuses a suite whose data or prompt changed since the run started; a run is "complete" only
// after its work returned, "failed" (with the reason) when the work threw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/backends/backend.h"
#include "harness/store/store.h"

namespace aimicius {

// The examples a run plans for a suite: all of them, or the first `limit`.
size_t planned_examples(const LoadedSuite& suite, std::optional<int64_t> limit);

// The runs row of a new run of `backend` over `suites` with `config` (the options that define it).
NewRun describe_run(const std::vector<LoadedSuite>& suites, std::optional<int64_t> limit, const Backend& backend,
                    nlohmann::json config);

// Throws InputError naming the run and the suite when a suite's data or prompt changed since the
// run started.
void check_suites_unchanged(const RunRecord& run, const std::vector<LoadedSuite>& suites);

// Executes a run's `work` holding the run (harness/store/run_lock.h): the run is "running" while
// it works, then "complete"; when the work throws, "failed" with the reason, and the exception
// propagates. When another process holds the run, throws InputError and changes nothing.
void run_to_completion(Store& store, int64_t run_id, const std::function<void()>& work);

}  // namespace aimicius
