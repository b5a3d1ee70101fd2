// sql_token_positions: SQLite SQL cut into tokens that remember where they are (byte offsets) and
// how deep in parentheses they sit. The one tokenizer for every reader that must find or rewrite
// clauses of a query: the ORDER BY detector and the ORDER BY key reader of the execution scorer
// (sql_execution.h, sql_order_keys.h) and the audit rewriter of the sql scorer (scorers/sql/).
// (token_jaccard keeps its own lower-cased view, scorers/sql/sql_tokens.h, which must not move.)
//
// Tokens, in order (comments and whitespace are skipped; they separate tokens):
//   kWord        [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*; `upper` holds it upper-cased
//   kNumber      123  1.5  .5  1e3  0x1F
//   kString      '...' with '' escapes, quotes included
//   kIdentifier  "x"  `x`  [x], quotes included
//   kPunct       ( ) , ; .
//   kOperator    the longest of ->> -> || <= >= == != <> << >> else one other character
//                (including parameters' first characters ? : @ $)
// depth: the number of '(' open before the token; '(' itself has the depth outside it and ')'
// the depth after it, so a parenthesised group's parentheses share the depth around it.
// An unterminated string, identifier or block comment runs to the end (common/sql_lexer.h).
//
// Invariants: text.substr(begin, end - begin) is exactly the token as written; tokens do not
// overlap and come in text order; a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

enum class SqlTokenKind { kWord, kNumber, kString, kIdentifier, kPunct, kOperator };

struct SqlToken {
  SqlTokenKind kind = SqlTokenKind::kWord;
  std::size_t begin = 0;
  std::size_t end = 0;
  int depth = 0;
  std::string upper;  // kWord only: the word upper-cased (ASCII)

  bool is_word(std::string_view upper_word) const { return kind == SqlTokenKind::kWord && upper == upper_word; }
  bool is_punct(char c, std::string_view text) const {
    return kind == SqlTokenKind::kPunct && text[begin] == c;
  }
};

std::vector<SqlToken> sql_token_positions(std::string_view text);

}  // namespace aimicius
