// extract_sql implementation: select the region (fenced_body, then unfenced_query), then cut it to
// one statement (first_statement). Rules and their order are in the header.
//
// Invariants: pure functions; string_views point into the caller's model_output and never outlive
// it (the result is copied into a std::string).
#include "tasks/extractors/extract_sql.h"

#include <optional>
#include <vector>

#include "common/sql_lexer.h"

namespace aimicius {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(text[i]) != lower(prefix[i])) return false;
  return true;
}

// Whether `word` (any case) is a whole word at `pos`.
bool word_at(std::string_view text, std::size_t pos, std::string_view word, bool exact_case) {
  if (pos + word.size() > text.size()) return false;
  if (pos > 0 && is_word_char(text[pos - 1])) return false;
  if (pos + word.size() < text.size() && is_word_char(text[pos + word.size()])) return false;
  const auto piece = text.substr(pos, word.size());
  return exact_case ? piece == word : starts_with_ignoring_case(piece, word);
}

struct Line {
  std::size_t begin;  // first character
  std::size_t end;    // one past the last character, before '\n'
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const auto newline = text.find('\n', begin);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    lines.push_back({begin, end});
    if (newline == std::string_view::npos) break;
    begin = newline + 1;
  }
  return lines;
}

struct Fenced {
  std::string_view info;
  std::string_view body;
};

// All fenced blocks, in order. A fence is ``` or ~~~ (3 or more) after optional spaces at a line
// start; the block ends at a line whose trimmed text starts with the same fence, or at the end.
std::vector<Fenced> fenced_blocks(std::string_view text) {
  std::vector<Fenced> blocks;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line = text.substr(lines[i].begin, lines[i].end - lines[i].begin);
    const auto stripped = trim(line);
    if (stripped.size() < 3) continue;
    const char mark = stripped[0];
    if ((mark != '`' && mark != '~') || stripped[1] != mark || stripped[2] != mark) continue;
    std::size_t fence_length = 3;
    while (fence_length < stripped.size() && stripped[fence_length] == mark) ++fence_length;
    const std::string_view fence = stripped.substr(0, fence_length);
    const auto rest = stripped.substr(fence_length);
    // One-line block: ```SELECT 1``` (or ```sql SELECT 1```).
    if (const auto close = rest.find(fence); close != std::string_view::npos) {
      auto body = trim(rest.substr(0, close));
      std::string_view info;
      if (starts_with_ignoring_case(body, "sqlite ") || starts_with_ignoring_case(body, "sql ")) {
        const auto space = body.find(' ');
        info = body.substr(0, space);
        body = trim(body.substr(space));
      }
      blocks.push_back({info, body});
      continue;
    }
    const std::size_t body_begin = lines[i].end < text.size() ? lines[i].end + 1 : text.size();
    std::size_t body_end = text.size();
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      const auto candidate = trim(text.substr(lines[j].begin, lines[j].end - lines[j].begin));
      if (candidate.substr(0, fence_length) == fence) {
        body_end = lines[j].begin;
        break;
      }
    }
    blocks.push_back({trim(rest), text.substr(body_begin, body_end > body_begin ? body_end - body_begin : 0)});
    i = j;  // continue after the closing fence
  }
  return blocks;
}

std::optional<std::string_view> fenced_body(std::string_view text) {
  const auto blocks = fenced_blocks(text);
  for (const auto& block : blocks)
    if (starts_with_ignoring_case(block.info, "sql")) return block.body;  // also "sqlite"
  if (!blocks.empty()) return blocks.front().body;
  return std::nullopt;
}

// Whether a WITH at `pos` opens a common table expression: WITH [RECURSIVE] name ( or AS.
bool opens_cte(std::string_view text, std::size_t pos) {
  std::size_t i = pos + 4;
  const auto skip_spaces = [&] {
    while (i < text.size() && is_space(text[i])) ++i;
  };
  skip_spaces();
  if (word_at(text, i, "recursive", false)) {
    i += 9;
    skip_spaces();
  }
  const std::size_t name_begin = i;
  while (i < text.size() && is_word_char(text[i])) ++i;
  if (i == name_begin) return false;
  skip_spaces();
  return (i < text.size() && text[i] == '(') || word_at(text, i, "as", false);
}

std::optional<std::size_t> query_start(std::string_view text) {
  // 1. SELECT or WITH starting a line.
  for (const auto& line : split_lines(text)) {
    std::size_t pos = line.begin;
    while (pos < line.end && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    // A leading label ("SQL: SELECT ...", as the prompt's own "SQL:" invites) is not the query.
    for (const std::string_view label : {std::string_view("sql:"), std::string_view("query:")})
      if (starts_with_ignoring_case(text.substr(pos, line.end - pos), label)) {
        pos += label.size();
        while (pos < line.end && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
        break;
      }
    if (word_at(text, pos, "select", false)) return pos;
    if (word_at(text, pos, "with", false) && opens_cte(text, pos)) return pos;
  }
  // 2. An upper-case SELECT anywhere; 3. a WITH that opens a CTE anywhere.
  std::optional<std::size_t> first_with;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (word_at(text, pos, "SELECT", true)) return pos;
    if (!first_with && word_at(text, pos, "with", false) && opens_cte(text, pos)) first_with = pos;
  }
  return first_with;
}

std::string_view unfenced_query(std::string_view text, std::size_t start) {
  std::string_view rest = text.substr(start);
  if (start > 0 && text[start - 1] == '`') {
    if (const auto tick = rest.find('`'); tick != std::string_view::npos) rest = rest.substr(0, tick);
  }
  // A blank line ends the query: what follows is prose.
  for (std::size_t pos = rest.find('\n'); pos != std::string_view::npos; pos = rest.find('\n', pos + 1)) {
    std::size_t next = pos + 1;
    while (next < rest.size() && (rest[next] == ' ' || rest[next] == '\t' || rest[next] == '\r')) ++next;
    if (next >= rest.size() || rest[next] == '\n') return rest.substr(0, pos);
  }
  return rest;
}

// The text up to the first ';' outside strings, quoted identifiers and comments.
std::string_view first_statement(std::string_view text) {
  for (const SqlSpan& span : sql_spans(text)) {
    if (span.kind != SqlSpanKind::kCode) continue;
    const auto semicolon = text.substr(span.begin, span.end - span.begin).find(';');
    if (semicolon != std::string_view::npos) return text.substr(0, span.begin + semicolon);
  }
  return text;
}

}  // namespace

std::string extract_sql(std::string_view model_output) {
  std::string_view region;
  if (const auto body = fenced_body(model_output)) {
    region = *body;
  } else if (const auto start = query_start(model_output)) {
    region = unfenced_query(model_output, *start);
  } else {
    return "";
  }
  return std::string(trim(first_statement(trim(region))));
}

}  // namespace aimicius
