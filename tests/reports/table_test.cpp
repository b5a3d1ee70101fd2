// Table rendering: alignment, Markdown escaping and unknown formats.
#include <gtest/gtest.h>

#include "common/errors.h"
#include "reports/table.h"

namespace aimicius {
namespace {

Table sample() {
  Table t;
  t.headers = {"Model", "Score"};
  t.rows = {{"a|b", "9.5"}, {"longer-name", "100.0"}};
  t.notes = {"note"};
  return t;
}

TEST(Table, TerminalAlignsTextLeftAndNumbersRight) {
  const std::string out = render_table(sample(), TableFormat::kTerminal);
  EXPECT_EQ(out,
            "Model        Score\n"
            "-----------  -----\n"
            "a|b            9.5\n"
            "longer-name  100.0\n"
            "note\n");
}

TEST(Table, MarkdownEscapesPipesAndMarksNumericColumns) {
  const std::string out = render_table(sample(), TableFormat::kMarkdown);
  EXPECT_EQ(out,
            "| Model | Score |\n"
            "| --- | ---: |\n"
            "| a\\|b | 9.5 |\n"
            "| longer-name | 100.0 |\n"
            "\nnote\n");
}

TEST(Table, UnknownFormatIsAnInputError) {
  EXPECT_EQ(parse_table_format("markdown"), TableFormat::kMarkdown);
  EXPECT_THROW(parse_table_format("html"), InputError);
}

}  // namespace
}  // namespace aimicius
