// Fuzz target: the SQL text readers that see a model's answer before SQLite does: the answer
// extractor (tasks/extractors/extract_sql.h), the comment/quote lexer (common/sql_lexer.h), the
// positioned tokenizer (scorers/sql_engine/sql_token_positions.h), the ORDER BY key reader, the
// token Jaccard tokenizer (scorers/sql/sql_tokens.h) and the audit's rewrites. All are documented
// as pure functions that never throw; the target also checks the lexers' stated invariants (spans
// cover the text in order without gaps; tokens are in order, inside the text, not overlapping).
#include <cstdlib>

#include "common/sql_lexer.h"
#include "fuzz/fuzz_support.h"
#include "scorers/sql/sql_rewrites.h"
#include "scorers/sql/sql_tokens.h"
#include "scorers/sql_engine/sql_order_keys.h"
#include "scorers/sql_engine/sql_token_positions.h"
#include "tasks/extractors/extract_sql.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  const std::string_view text = fuzz::as_text(data, size);
  (void)extract_sql(text);

  size_t at = 0;
  for (const SqlSpan& span : sql_spans(text)) {
    if (span.begin != at || span.end <= span.begin || span.end > text.size()) std::abort();
    at = span.end;
  }
  if (at != text.size()) std::abort();

  size_t previous_end = 0;
  for (const SqlToken& token : sql_token_positions(text)) {
    if (token.begin < previous_end || token.end <= token.begin || token.end > text.size()) std::abort();
    previous_end = token.end;
  }

  (void)order_keys(text, {"a", "b", "count(*)"});
  (void)sql_tokens(text);
  (void)token_jaccard(text, "SELECT name FROM jobs WHERE state = 'FAILED'");
  (void)sql_right_rewrites(text);
  return 0;
}
