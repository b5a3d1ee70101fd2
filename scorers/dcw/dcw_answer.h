// Parsing a DCW answer: the JSON object a model writes for an infrawise request,
//   {"design": {"target": "...", "baseline": "..." | null}, "workload": "...", "criterion": "..."}
// with names as the model spelled them (normalisation and aliases come later, dcw_names.h).
//
// Well-formed (otherwise parse_dcw() returns nullopt and the answer scores 0 on every metric): the
// text is one JSON value (surrounding whitespace allowed) that is an object, whose "design" is an
// object whose "target" is a string. Within a well-formed answer each other field is judged alone:
//   - baseline: absent, null, or a string that is empty or normalises to "none", "null" or "n a"
//     -> no baseline; another string -> that name; any other JSON type -> Invalid (always wrong);
//   - workload, criterion: a string -> that name; absent or another type -> missing (wrong).
// Extra keys are ignored. Pure functions; no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aimicius {

struct DcwAnswer {
  enum class Baseline { kNone, kNamed, kInvalid };
  std::string target;
  Baseline baseline_state = Baseline::kNone;
  std::string baseline;  // set when baseline_state == kNamed
  std::optional<std::string> workload;
  std::optional<std::string> criterion;
};

// nullopt when the text is not a well-formed DCW answer; `why` (optional) then says what is wrong.
std::optional<DcwAnswer> parse_dcw(std::string_view text, std::string* why = nullptr);

}  // namespace aimicius
