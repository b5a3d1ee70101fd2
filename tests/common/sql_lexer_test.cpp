// The SQL comment / quote lexer on hand-made inputs: each kind of span, the doubled-quote escape,
// brackets without escapes, comments that look nested, unterminated spans, and comment markers
// inside strings (and quotes inside comments).
#include "common/sql_lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace aimicius {
namespace {

// The spans as "kind:text" strings, with a '!' after the kind of an unterminated one.
std::vector<std::string> spans_of(std::string_view text) {
  std::vector<std::string> out;
  for (const SqlSpan& span : sql_spans(text)) {
    std::string kind;
    switch (span.kind) {
      case SqlSpanKind::kCode: kind = "code"; break;
      case SqlSpanKind::kLineComment: kind = "line"; break;
      case SqlSpanKind::kBlockComment: kind = "block"; break;
      case SqlSpanKind::kString: kind = "string"; break;
      case SqlSpanKind::kQuotedIdentifier: kind = "ident"; break;
    }
    out.push_back(kind + (span.terminated ? "" : "!") + ":" + std::string(text.substr(span.begin, span.end - span.begin)));
  }
  return out;
}

using Spans = std::vector<std::string>;

TEST(SqlLexer, CodeAloneIsOneSpanAndEmptyTextNone) {
  EXPECT_EQ(spans_of("SELECT a FROM t"), Spans({"code:SELECT a FROM t"}));
  EXPECT_EQ(spans_of(""), Spans());
}

TEST(SqlLexer, EachKindOfSpan) {
  EXPECT_EQ(spans_of("SELECT 'x', \"c\", `d`, [e] FROM t"),
            Spans({"code:SELECT ", "string:'x'", "code:, ", "ident:\"c\"", "code:, ", "ident:`d`", "code:, ",
                   "ident:[e]", "code: FROM t"}));
  EXPECT_EQ(spans_of("a -- note\nb /* c */ d"),
            Spans({"code:a ", "line:-- note\n", "code:b ", "block:/* c */", "code: d"}));
}

TEST(SqlLexer, LineCommentTakesItsNewlineOrRunsToTheEnd) {
  EXPECT_EQ(spans_of("--a\n--b"), Spans({"line:--a\n", "line:--b"}));
  EXPECT_EQ(spans_of("x--"), Spans({"code:x", "line:--"}));
  EXPECT_EQ(spans_of("x - -y"), Spans({"code:x - -y"}));  // "- -" is no comment
}

TEST(SqlLexer, DoubledQuotesAreEscapesExceptInBrackets) {
  EXPECT_EQ(spans_of("'it''s' x"), Spans({"string:'it''s'", "code: x"}));
  EXPECT_EQ(spans_of("\"a\"\"b\" x"), Spans({"ident:\"a\"\"b\"", "code: x"}));
  EXPECT_EQ(spans_of("`a``b` x"), Spans({"ident:`a``b`", "code: x"}));
  // '' right after the opening quote: an empty string, then code.
  EXPECT_EQ(spans_of("'' x"), Spans({"string:''", "code: x"}));
  // A bracket has no escape: the first ']' closes it, the second is code.
  EXPECT_EQ(spans_of("[a]]b"), Spans({"ident:[a]", "code:]b"}));
  // Other quote characters inside a span are plain characters.
  EXPECT_EQ(spans_of("'say \"hi\" `x` [y]'"), Spans({"string:'say \"hi\" `x` [y]'"}));
}

TEST(SqlLexer, CommentsDoNotNest) {
  EXPECT_EQ(spans_of("/* a /* b */ c */"), Spans({"block:/* a /* b */", "code: c */"}));
  // The '*' of "/*" cannot close the comment too.
  EXPECT_EQ(spans_of("/*/ x */y"), Spans({"block:/*/ x */", "code:y"}));
  EXPECT_EQ(spans_of("/**/y"), Spans({"block:/**/", "code:y"}));
}

TEST(SqlLexer, UnterminatedSpansRunToTheEnd) {
  EXPECT_EQ(spans_of("SELECT 'abc"), Spans({"code:SELECT ", "string!:'abc"}));
  EXPECT_EQ(spans_of("SELECT \"abc"), Spans({"code:SELECT ", "ident!:\"abc"}));
  EXPECT_EQ(spans_of("[abc"), Spans({"ident!:[abc"}));
  EXPECT_EQ(spans_of("x /* open"), Spans({"code:x ", "block!:/* open"}));
  // A doubled quote at the very end is an escape, so the string is still open.
  EXPECT_EQ(spans_of("'a''"), Spans({"string!:'a''"}));
  EXPECT_EQ(spans_of("'"), Spans({"string!:'"}));
}

TEST(SqlLexer, CommentMarkersInsideStringsAreText) {
  EXPECT_EQ(spans_of("SELECT '--x', '/*' FROM t"),
            Spans({"code:SELECT ", "string:'--x'", "code:, ", "string:'/*'", "code: FROM t"}));
  EXPECT_EQ(spans_of("SELECT \"a--b\" -- c"), Spans({"code:SELECT ", "ident:\"a--b\"", "code: ", "line:-- c"}));
  // And quotes inside comments are text: the comment ends where it ends.
  EXPECT_EQ(spans_of("-- it's\n'x'"), Spans({"line:-- it's\n", "string:'x'"}));
  EXPECT_EQ(spans_of("/* \" */ y"), Spans({"block:/* \" */", "code: y"}));
}

TEST(SqlLexer, SpanAtAnswersCodeWhereNothingStarts) {
  const std::string_view text = "a 'b' c";
  const SqlSpan none = sql_span_at(text, 0);
  EXPECT_EQ(none.kind, SqlSpanKind::kCode);
  EXPECT_EQ(none.begin, 0u);
  EXPECT_EQ(none.end, 0u);
  const SqlSpan string = sql_span_at(text, 2);
  EXPECT_EQ(string.kind, SqlSpanKind::kString);
  EXPECT_EQ(string.begin, 2u);
  EXPECT_EQ(string.end, 5u);
  EXPECT_TRUE(string.terminated);
  EXPECT_EQ(sql_span_at(text, 7).end, 7u);   // at the end
  EXPECT_EQ(sql_span_at(text, 99).end, 99u); // past it
  EXPECT_TRUE(is_sql_comment(SqlSpanKind::kLineComment));
  EXPECT_TRUE(is_sql_comment(SqlSpanKind::kBlockComment));
  EXPECT_FALSE(is_sql_comment(SqlSpanKind::kString));
}

TEST(SqlLexer, BytesInsideSpansPassUntouched) {
  const std::string text = std::string("'\xE2\x82\xAC\xFF'") + "\xC3\xA9";
  EXPECT_EQ(spans_of(text), Spans({std::string("string:'\xE2\x82\xAC\xFF'"), std::string("code:\xC3\xA9")}));
}

}  // namespace
}  // namespace aimicius
