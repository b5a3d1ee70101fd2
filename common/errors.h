// Error types shared by every part of aimicius.
//
// InputError is for problems with what the user gave us: an unknown suite or model, a missing or
// corrupt dataset, a malformed JSONL line, an unwritable database. The CLI maps it to exit code 2.
// Every other exception is an internal failure (exit code 1). Messages always name the file, line,
// example or option at fault, so the user can act without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace aimicius {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace aimicius
