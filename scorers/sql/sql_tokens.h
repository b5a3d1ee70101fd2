// sql_tokens: the lexical view of a SQL query used by the diagnostics suite's token_jaccard metric
// (the paper's "Jaccard similarity of query tokens", Sigma arXiv 2501.13629 Appendix C).
//
// sql_tokens(sql) splits SQLite SQL into lower-cased tokens, in order:
//   - words (keywords and identifiers: [A-Za-z_][A-Za-z0-9_$]*) lower-cased;
//   - quoted identifiers "x", `x` and [x] give their inner text lower-cased, so "Jobs" and jobs
//     are the same token;
//   - string literals '...' ('' escapes) keep their quotes and are lower-cased ('FAILED' and
//     'failed' are one token: the metric is about vocabulary, execution checks values);
//   - numbers (123, 1.5, .5, 1e3, 0x1F) as written, lower-cased;
//   - operators: the longest of ->> -> || <= >= == != <> << >> then one of + - * / % < > = & | ~;
//   - parameters (? ?1 :name @name $name) as written;
//   - any other character that is not whitespace, ( ) , ; or . is a token of its own.
// Whitespace, comments (-- to end of line, /* */), parentheses, commas, semicolons and the dot of
// qualified names are separators, not tokens. An unterminated string, quoted identifier or block
// comment runs to the end of the text.
//
// token_jaccard(a, b) = |A ∩ B| / |A ∪ B| for the SETS A, B of tokens of a and b (duplicates do
// not count); 1 when both are empty, 0 when exactly one is. Symmetric, in [0, 1].
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

std::vector<std::string> sql_tokens(std::string_view sql);

double token_jaccard(std::string_view a, std::string_view b);

}  // namespace aimicius
