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

// Reads integers and one optional bracketed path from the text of one tuple "(s, d, c[, [p...]])".
std::optional<Transfer> tuple_from(std::string_view text) {
  std::vector<int> numbers, path;
  bool in_path = false;
  for (size_t i = 0; i < text.size();) {
    const char ch = text[i];
    if (ch == '[') {
      if (in_path || numbers.size() != 3) return std::nullopt;
      in_path = true;
      ++i;
    } else if (ch == ']') {
      in_path = false;
      ++i;
    } else if (ch >= '0' && ch <= '9') {
      size_t j = i;
      int value = 0;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9' && j - i < 9) value = value * 10 + (text[j++] - '0');
      (in_path ? path : numbers).push_back(value);
      i = j;
    } else if (ch == ',' || ch == ' ') {
      ++i;
    } else {
      return std::nullopt;
    }
  }
  if (numbers.size() != 3) return std::nullopt;
  return Transfer{numbers[0], numbers[1], numbers[2], std::move(path)};
}

}  // namespace

std::optional<Schedule> schedule_from_python(std::string_view program) {
  const std::string_view open = "STEPS = [\n";
  const size_t begin = program.find(open);
  if (begin == std::string_view::npos) return std::nullopt;
  Schedule schedule;
  size_t pos = begin + open.size();
  for (;;) {
    const size_t eol = program.find('\n', pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view line = program.substr(pos, eol - pos);
    pos = eol + 1;
    if (line == "]") break;
    if (line.size() < 7 || line.substr(0, 5) != "    [" || line.substr(line.size() - 2) != "],") return std::nullopt;
    line = line.substr(5, line.size() - 7);
    Step step;
    while (!line.empty()) {
      if (line.front() != '(') return std::nullopt;
      const size_t close = line.find(')');
      if (close == std::string_view::npos) return std::nullopt;
      auto transfer = tuple_from(line.substr(1, close - 1));
      if (!transfer) return std::nullopt;
      step.push_back(std::move(*transfer));
      line = line.substr(close + 1);
      if (line.substr(0, 2) == ", ") line = line.substr(2);
      else if (!line.empty()) return std::nullopt;
    }
    schedule.steps.push_back(std::move(step));
  }
  return schedule;
}

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
