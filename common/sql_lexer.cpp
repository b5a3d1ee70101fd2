// sql_lexer implementation (rules in sql_lexer.h). Every loop moves forward through the text and
// stops at its end, so malformed input (unclosed quotes or comments) cannot make it run on.
#include "common/sql_lexer.h"

namespace aimicius {

SqlSpan sql_span_at(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return {SqlSpanKind::kCode, pos, pos, true};
  if (text.compare(pos, 2, "--") == 0) {
    const std::size_t newline = text.find('\n', pos + 2);
    return {SqlSpanKind::kLineComment, pos, newline == std::string_view::npos ? text.size() : newline + 1, true};
  }
  if (text.compare(pos, 2, "/*") == 0) {
    // Searching from pos + 2: the '*' of the opener cannot also be the '*' of the closer ("/*/").
    const std::size_t close = text.find("*/", pos + 2);
    if (close == std::string_view::npos) return {SqlSpanKind::kBlockComment, pos, text.size(), false};
    return {SqlSpanKind::kBlockComment, pos, close + 2, true};
  }
  const char open = text[pos];
  if (open != '\'' && open != '"' && open != '`' && open != '[') return {SqlSpanKind::kCode, pos, pos, true};
  const SqlSpanKind kind = open == '\'' ? SqlSpanKind::kString : SqlSpanKind::kQuotedIdentifier;
  const char close = open == '[' ? ']' : open;
  const bool doubled_escapes = open != '[';
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (text[i] != close) continue;
    if (doubled_escapes && i + 1 < text.size() && text[i + 1] == close) {
      ++i;  // an escaped quote: both characters belong to the span
      continue;
    }
    return {kind, pos, i + 1, true};
  }
  return {kind, pos, text.size(), false};
}

std::vector<SqlSpan> sql_spans(std::string_view text) {
  std::vector<SqlSpan> spans;
  std::size_t code_begin = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const SqlSpan span = sql_span_at(text, pos);
    if (span.kind == SqlSpanKind::kCode) {
      ++pos;
      continue;
    }
    if (code_begin < pos) spans.push_back({SqlSpanKind::kCode, code_begin, pos, true});
    spans.push_back(span);
    pos = code_begin = span.end;
  }
  if (code_begin < text.size()) spans.push_back({SqlSpanKind::kCode, code_begin, text.size(), true});
  return spans;
}

}  // namespace aimicius
