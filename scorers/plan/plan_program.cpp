// plan_program: Python emission of schedules (see plan_program.h).
#include "scorers/plan/plan_program.h"

#include <fmt/format.h>

namespace aimicius::topology {
namespace {

std::string comment_safe(std::string_view text) {
  std::string out;
  for (char ch : text) out.push_back(ch >= 0x20 && ch < 0x7f ? ch : '?');
  return out;
}

std::string tuple_of(const Transfer& t) {
  if (t.path.empty()) return fmt::format("({}, {}, {})", t.src, t.dst, t.chunk);
  return fmt::format("({}, {}, {}, [{}])", t.src, t.dst, t.chunk, fmt::join(t.path, ", "));
}

}  // namespace

std::string schedule_to_python(const Schedule& schedule, std::string_view title) {
  std::string program;
  program += fmt::format("# {}\n", comment_safe(title));
  program +=
      "# All-gather schedule: each step is a list of (src, dst, chunk[, path]) transfers that\n"
      "# run concurrently; it is printed as JSON on stdout.\n"
      "import json\n\n"
      "STEPS = [\n";
  for (const Step& step : schedule.steps) {
    program += "    [";
    for (size_t i = 0; i < step.size(); ++i) {
      if (i > 0) program += ", ";
      program += tuple_of(step[i]);
    }
    program += "],\n";
  }
  program +=
      "]\n\n"
      "KEYS = (\"src\", \"dst\", \"chunk\", \"path\")\n"
      "print(json.dumps([[dict(zip(KEYS, t)) for t in step] for step in STEPS]))\n";
  return program;
}

}  // namespace aimicius::topology
