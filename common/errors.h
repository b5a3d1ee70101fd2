// Error types shared by every part of aimicius.
//
// InputError is for problems with what the user gave us: an unknown suite or model, a missing or
// corrupt dataset, a malformed JSONL line, an unwritable database. The CLI maps it to exit code 2.
// Every other exception is an internal failure (exit code 1). Messages always name the file, line,
// example or option at fault, so the user can act without a debugger.
//
// InfraError is for a failure of the harness or its machine while handling one example, not of the
// model's answer: the sandbox could not be set up or bubblewrap failed to start, a simulator or
// host failure, the harness's own time limit, an API that failed after all its retries, a disk or
// SQLite error while scoring. The runner stores such an example as `infra_error` (not judged, out
// of every score's denominator, retried by `run --resume --retry-errors`). Never throw it for
// anything a model's answer can cause: a wrong or malformed answer is judged (and scores 0).
#pragma once

#include <stdexcept>
#include <string>

namespace aimicius {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InfraError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace aimicius
