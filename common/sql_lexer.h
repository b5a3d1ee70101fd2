// sql_lexer: where the comments and quoted spans of SQL text begin and end. Written once for every
// reader that must not look inside them: the token view of the Jaccard metric (scorers/sql/), the
// single-statement check and ORDER BY detector of the execution scorer (scorers/sql_engine/), the
// SQL answer extractor (tasks/extractors/) and the schema describer of the corpus (training/).
//
// SQLite's lexical rules for these spans, and only these:
//   - a line comment runs from "--" through the end of its line, the '\n' included (or to the
//     end of the text);
//   - a block comment runs from "/*" through the first "*/" after it: comments do not nest, so in
//     "/* a /* b */ c */" the comment ends after "b */" and " c */" is code;
//   - a string literal '...' and the quoted identifiers "..." and `...` run through their closing
//     quote; a doubled quote inside ('' "" ``) is an escaped quote and does not close them;
//   - a bracketed identifier [...] runs through the first ']' (it has no escape).
// A block comment or quoted span whose closing mark is missing runs to the end of the text
// (`terminated` is false), as SQLite reads it. Everything else is code; the lexer says nothing
// about words, numbers or operators, which each reader tokenizes its own way.
//
// Invariants: positions are byte offsets into the text given; a span is never empty except the
// kCode answer of sql_span_at where no span starts; the lexer reads bytes, so any bytes inside a
// span (UTF-8 or not) are passed over untouched. Pure functions; no state between calls.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace aimicius {

enum class SqlSpanKind { kCode, kLineComment, kBlockComment, kString, kQuotedIdentifier };

struct SqlSpan {
  SqlSpanKind kind = SqlSpanKind::kCode;
  std::size_t begin = 0;   // first byte
  std::size_t end = 0;     // one past the last byte
  bool terminated = true;  // false: a block comment or quoted span cut off by the end of the text
};

inline bool is_sql_comment(SqlSpanKind kind) {
  return kind == SqlSpanKind::kLineComment || kind == SqlSpanKind::kBlockComment;
}

// The comment or quoted span that starts at `pos`; when none starts there (or pos is at or past
// the end), a kCode span with begin = end = pos, so a scanner steps past that byte its own way.
SqlSpan sql_span_at(std::string_view text, std::size_t pos);

// The whole text cut into spans, in order and without gaps: each comment and quoted span, and the
// non-empty runs of code between them. Empty text gives no spans.
std::vector<SqlSpan> sql_spans(std::string_view text);

}  // namespace aimicius
