// schedule: the all-gather communication schedule a plan program prints, and its JSON format.
//
// What a plan program must print on stdout: one JSON document, either
//   [ step, step, ... ]                  (the canonical form, printed by reference plans), or
//   {"steps": [ step, step, ... ]}       (accepted too; other keys of the object are ignored)
// where each step is a list of transfers
//   {"src": 0, "dst": 1, "chunk": 0}                         (default route), or
//   {"src": 0, "dst": 1, "chunk": 0, "path": [0, 8, 1]}      (explicit route, node ids src..dst)
// src/dst are GPU ids, chunk is the id of the shard = the GPU that owns it at the start. All
// three are JSON integers (1.0 or "1" are rejected). Keys other than src/dst/chunk/path in a
// transfer are ignored (e.g. a "bytes" annotation). Semantics (checked by the simulator, not
// here): see simulator.h.
//
// Text handling: leading/trailing whitespace is ignored. If the whole stdout is not one JSON
// document (e.g. the program printed log lines before it), the last non-empty line that parses
// as JSON is used instead; the parse error of the whole text is reported if neither works.
//
// Switch fan-out / multicast (e.g. NVSwitch SHARP) is NOT modelled: every transfer is one
// GPU-to-GPU copy of one chunk; a switch only forwards.
//
// Limits: at most kMaxScheduleSteps steps and kMaxScheduleTransfers transfers in all, so that
// an adversarial plan cannot make simulation slow.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius::topology {

inline constexpr size_t kMaxScheduleSteps = 10'000;
inline constexpr size_t kMaxScheduleTransfers = 200'000;

struct Transfer {
  int src = 0;
  int dst = 0;
  int chunk = 0;
  std::vector<int> path;  // empty: the simulator's default route
};

using Step = std::vector<Transfer>;

struct Schedule {
  std::vector<Step> steps;
  size_t transfer_count() const;
};

// Either a schedule or why there is none ("step 2, transfer 0: \"chunk\" must be an integer").
struct ScheduleParse {
  std::optional<Schedule> schedule;
  std::string error;
};

ScheduleParse parse_schedule_json(const nlohmann::json& document);
ScheduleParse parse_schedule_text(std::string_view text);

// Canonical form: a list of steps; "path" only where a transfer has one.
nlohmann::json to_json(const Schedule& schedule);

}  // namespace aimicius::topology
