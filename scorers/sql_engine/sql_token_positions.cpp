// sql_token_positions implementation (see the header): one left-to-right scan; every branch
// consumes at least one byte, so the loop ends. Comments and quoted spans come from
// common/sql_lexer.h.
#include "scorers/sql_engine/sql_token_positions.h"

#include <algorithm>
#include <array>

#include "common/sql_lexer.h"

namespace aimicius {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) { return is_word_start(c) || is_digit(c) || c == '$'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::size_t number_end(std::string_view text, std::size_t i) {
  if (text.compare(i, 2, "0x") == 0 || text.compare(i, 2, "0X") == 0) {
    i += 2;
    while (i < text.size() && is_hex(text[i])) ++i;
    return i;
  }
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < text.size() && is_digit(text[j])) {
      while (j < text.size() && is_digit(text[j])) ++j;
      i = j;
    }
  }
  return i;
}

constexpr std::array<std::string_view, 10> kLongOperators = {"->>", "->", "||", "<=", ">=",
                                                             "==",  "!=", "<>", "<<", ">>"};

}  // namespace

std::vector<SqlToken> sql_token_positions(std::string_view text) {
  std::vector<SqlToken> tokens;
  int depth = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (const SqlSpan span = sql_span_at(text, i); span.kind != SqlSpanKind::kCode) {
      if (!is_sql_comment(span.kind)) {
        const auto kind = span.kind == SqlSpanKind::kString ? SqlTokenKind::kString : SqlTokenKind::kIdentifier;
        tokens.push_back({kind, i, span.end, depth, {}});
      }
      i = span.end;
      continue;
    }
    SqlToken token;
    token.begin = i;
    token.depth = depth;
    if (is_word_start(c)) {
      std::size_t end = i + 1;
      while (end < text.size() && is_word_char(text[end])) ++end;
      token.kind = SqlTokenKind::kWord;
      token.end = end;
      token.upper = std::string(text.substr(i, end - i));
      std::transform(token.upper.begin(), token.upper.end(), token.upper.begin(),
                     [](char ch) { return (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch; });
    } else if (is_digit(c) || (c == '.' && i + 1 < text.size() && is_digit(text[i + 1]))) {
      token.kind = SqlTokenKind::kNumber;
      token.end = number_end(text, i);
    } else if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
      token.kind = SqlTokenKind::kPunct;
      token.end = i + 1;
      if (c == ')') {
        depth = std::max(0, depth - 1);
        token.depth = depth;
      } else if (c == '(') {
        ++depth;
      }
    } else {
      token.kind = SqlTokenKind::kOperator;
      std::size_t length = 1;
      for (const auto op : kLongOperators) {
        if (text.compare(i, op.size(), op) == 0) {
          length = op.size();
          break;
        }
      }
      token.end = i + length;
    }
    i = token.end;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace aimicius
