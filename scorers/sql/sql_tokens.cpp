// sql_tokens implementation: one left-to-right scan; each branch consumes at least one character,
// so the loop always ends. Comments and quoted spans are found by common/sql_lexer.h; behaviour is
// specified in sql_tokens.h.
#include "scorers/sql/sql_tokens.h"

#include <array>
#include <set>

#include "common/sql_lexer.h"

namespace aimicius {
namespace {

bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) { return is_word_start(c) || is_digit(c) || c == '$'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::size_t number_end(std::string_view sql, std::size_t pos) {
  std::size_t i = pos;
  if (sql.compare(i, 2, "0x") == 0 || sql.compare(i, 2, "0X") == 0) {
    i += 2;
    while (i < sql.size() && (is_digit(sql[i]) || (sql[i] >= 'a' && sql[i] <= 'f') || (sql[i] >= 'A' && sql[i] <= 'F')))
      ++i;
    return i;
  }
  while (i < sql.size() && is_digit(sql[i])) ++i;
  if (i < sql.size() && sql[i] == '.') {
    ++i;
    while (i < sql.size() && is_digit(sql[i])) ++i;
  }
  if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
    if (j < sql.size() && is_digit(sql[j])) {
      while (j < sql.size() && is_digit(sql[j])) ++j;
      i = j;
    }
  }
  return i;
}

constexpr std::array<std::string_view, 10> kLongOperators = {"->>", "->", "||", "<=", ">=",
                                                             "==",  "!=", "<>", "<<", ">>"};

}  // namespace

std::vector<std::string> sql_tokens(std::string_view sql) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (is_space(c) || c == '(' || c == ')' || c == ',' || c == ';') {
      ++i;
    } else if (const SqlSpan span = sql_span_at(sql, i); span.kind != SqlSpanKind::kCode) {
      if (span.kind == SqlSpanKind::kString) {
        tokens.push_back(lower(sql.substr(i, span.end - i)));
      } else if (span.kind == SqlSpanKind::kQuotedIdentifier) {
        // The inner text stops before a final quote character. For an unterminated identifier
        // that ends in a doubled quote ("ab"" or ```) this drops one of the pair: kept as it was
        // written, so that the Jaccard scores of stored runs do not move.
        const char close = sql[i] == '[' ? ']' : sql[i];
        const bool ends_with_quote = span.end > i + 1 && sql[span.end - 1] == close;
        const std::size_t inner_end = ends_with_quote ? span.end - 1 : span.end;
        std::string inner = lower(sql.substr(i + 1, inner_end - i - 1));
        if (!inner.empty()) tokens.push_back(std::move(inner));
      }  // a comment is a separator
      i = span.end;
    } else if (is_word_start(c)) {
      std::size_t end = i + 1;
      while (end < sql.size() && is_word_char(sql[end])) ++end;
      tokens.push_back(lower(sql.substr(i, end - i)));
      i = end;
    } else if (is_digit(c) || (c == '.' && i + 1 < sql.size() && is_digit(sql[i + 1]))) {
      const std::size_t end = number_end(sql, i);
      tokens.push_back(lower(sql.substr(i, end - i)));
      i = end;
    } else if (c == '.') {
      ++i;
    } else if (c == '?' || c == ':' || c == '@' || c == '$') {
      std::size_t end = i + 1;
      while (end < sql.size() && is_word_char(sql[end])) ++end;
      tokens.push_back(lower(sql.substr(i, end - i)));
      i = end;
    } else {
      std::size_t length = 1;
      for (const auto op : kLongOperators) {
        if (sql.compare(i, op.size(), op) == 0) {
          length = op.size();
          break;
        }
      }
      tokens.push_back(std::string(sql.substr(i, length)));
      i += length;
    }
  }
  return tokens;
}

double token_jaccard(std::string_view a, std::string_view b) {
  const auto ta = sql_tokens(a);
  const auto tb = sql_tokens(b);
  const std::set<std::string> sa(ta.begin(), ta.end());
  const std::set<std::string> sb(tb.begin(), tb.end());
  if (sa.empty() && sb.empty()) return 1.0;
  std::size_t shared = 0;
  for (const auto& token : sa) shared += sb.count(token);
  const std::size_t united = sa.size() + sb.size() - shared;
  return static_cast<double>(shared) / static_cast<double>(united);
}

}  // namespace aimicius
