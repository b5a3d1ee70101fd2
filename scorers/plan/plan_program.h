// plan_program: a schedule written as a Python 3 program that prints it (the reference plan text,
// in the same shape as a model's answer).
//
// The program imports only json, holds the steps as lists of (src, dst, chunk) tuples
// ((src, dst, chunk, [path...]) where a transfer has an explicit path) and prints
// to_json(schedule) as one line of JSON on stdout, so that
// parse_schedule_text(stdout) == schedule; schedule_from_python(program) == schedule. `title` becomes a comment line (characters outside
// printable ASCII and any newline are replaced by '?').
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "scorers/topology/schedule.h"

namespace aimicius::topology {

std::string schedule_to_python(const Schedule& schedule, std::string_view title);

// The schedule held by a program that schedule_to_python wrote (its STEPS literal), read back
// without running it; nullopt when `program` does not have that shape. Used to derive audit
// variants from a stored reference program.
std::optional<Schedule> schedule_from_python(std::string_view program);

}  // namespace aimicius::topology
