// extract_python: fence and bare-code detection (rules in extract_python.h).
#include "tasks/extractors/extract_python.h"

#include <vector>

namespace aimicius {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  if (!text.empty() && text.back() == '\n') lines.pop_back();  // no line after the last newline
  return lines;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string lower(std::string text) {
  for (char& ch : text)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return text;
}

std::string trim(const std::string& text) {
  const char* space = " \t";
  const auto first = text.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

bool is_python_marker(const std::string& line) {
  return starts_with(line, "import ") || starts_with(line, "def ") || starts_with(line, "print(") ||
         starts_with(line, "#!") ||
         (starts_with(line, "from ") && line.find(" import ") != std::string::npos);
}

bool blank(const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; }

struct Fence {
  std::string tag;  // lower-case, trimmed
  std::string body;
};

std::vector<Fence> fences(const std::vector<std::string>& lines) {
  std::vector<Fence> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!starts_with(lines[i], "```")) continue;
    Fence fence;
    fence.tag = lower(trim(lines[i].substr(3)));
    size_t j = i + 1;
    for (; j < lines.size() && !starts_with(lines[j], "```"); ++j) fence.body += lines[j] + "\n";
    out.push_back(std::move(fence));
    i = j;  // skip the closing fence
  }
  return out;
}

}  // namespace

std::optional<std::string> extract_python_program(std::string_view answer) {
  const std::vector<std::string> lines = split_lines(answer);
  const std::vector<Fence> all = fences(lines);
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    if ((it->tag == "python" || it->tag == "py" || it->tag == "python3") && !blank(it->body))
      return it->body;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!it->tag.empty() || blank(it->body)) continue;
    for (const std::string& line : split_lines(it->body))
      if (is_python_marker(line)) return it->body;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!is_python_marker(lines[i])) continue;
    std::string program;
    for (size_t j = i; j < lines.size(); ++j) program += lines[j] + "\n";
    return program;
  }
  return std::nullopt;
}

std::string extract_python(std::string_view raw_output) { return extract_python_program(raw_output).value_or(""); }

}  // namespace aimicius
