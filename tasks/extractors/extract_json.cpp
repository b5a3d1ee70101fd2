// extract_json_object: see extract_json.h for the rules. string_views point into the caller's
// text and never outlive the call (results are copied into std::string).
#include "tasks/extractors/extract_json.h"

#include <algorithm>
#include <optional>

namespace aimicius {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// End (one past the closing '}') of the object opening at text[open], or nullopt if it never closes.
std::optional<std::size_t> balanced_end(std::string_view text, std::size_t open) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // skip the escaped character
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return i + 1;
  }
  return std::nullopt;
}

std::optional<std::string_view> first_balanced_object(std::string_view text) {
  for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    if (const auto end = balanced_end(text, open)) return text.substr(open, *end - open);
  }
  return std::nullopt;
}

// Body of the first ```json / ~~~json block (info string compared without case), if any.
std::optional<std::string_view> first_json_block(std::string_view text) {
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = trim(text.substr(line_start, line_end - line_start));
    if (line.size() >= 3 && (line.substr(0, 3) == "```" || line.substr(0, 3) == "~~~")) {
      const char fence_char = line[0];
      std::size_t fence = 0;
      while (fence < line.size() && line[fence] == fence_char) ++fence;
      if (equals_ignoring_case(trim(line.substr(fence)), "json")) {
        const std::size_t body_start = std::min(line_end + 1, text.size());
        std::size_t close_start = body_start;
        // The closing fence: a line of at least `fence` fence characters and nothing else.
        while (close_start < text.size()) {
          std::size_t close_end = text.find('\n', close_start);
          if (close_end == std::string_view::npos) close_end = text.size();
          const std::string_view candidate = trim(text.substr(close_start, close_end - close_start));
          if (candidate.size() >= fence && candidate.find_first_not_of(fence_char) == std::string_view::npos)
            return text.substr(body_start, close_start - body_start);
          close_start = close_end + 1;
        }
        return text.substr(body_start);
      }
    }
    line_start = line_end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string extract_json_object(std::string_view raw_output) {
  if (const auto block = first_json_block(raw_output)) {
    if (const auto object = first_balanced_object(*block)) return std::string(*object);
    return std::string(trim(*block));
  }
  if (const auto object = first_balanced_object(raw_output)) return std::string(*object);
  return "";
}

}  // namespace aimicius
