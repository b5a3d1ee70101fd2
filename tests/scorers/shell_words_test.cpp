// Tests for scorers/shell_words: lexing (quotes, escapes, comments, operators,
// continuations, error positions) and normalize_command's canonical form.
#include "scorers/command/shell_words.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace aimicius {
namespace {

using Words = std::vector<std::string>;

Words only_segment(const std::string& command) {
  const ShellWords parsed = split_shell_words(command);
  EXPECT_EQ(parsed.segments.size(), 1u) << command;
  return parsed.segments.empty() ? Words{} : parsed.segments.front();
}

std::string lex_error(const std::string& command) {
  try {
    split_shell_words(command);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "<no error>";
}

TEST(ShellWords, SplitsOnBlanks) {
  EXPECT_EQ(only_segment("  nvidia-smi\t-i   0 "), (Words{"nvidia-smi", "-i", "0"}));
}

TEST(ShellWords, SingleQuotesAreLiteral) {
  EXPECT_EQ(only_segment(R"(echo 'a  b' 'c"d\n')"), (Words{"echo", "a  b", "c\"d\\n"}));
}

TEST(ShellWords, EmptyQuotesMakeAnEmptyWord) {
  EXPECT_EQ(only_segment("echo '' \"\""), (Words{"echo", "", ""}));
}

TEST(ShellWords, DoubleQuotesHonourOnlyTheirEscapes) {
  // \" \\ \$ \` lose the backslash; \n keeps it.
  EXPECT_EQ(only_segment(R"(echo "a \"b\" \\ \$HOME \`x\` \n")"),
            (Words{"echo", "a \"b\" \\ $HOME `x` \\n"}));
}

TEST(ShellWords, BackslashOutsideQuotesEscapesNextChar) {
  EXPECT_EQ(only_segment(R"(echo a\ b \'c \|)"), (Words{"echo", "a b", "'c", "|"}));
}

TEST(ShellWords, AdjacentQuotedPartsFormOneWord) {
  EXPECT_EQ(only_segment(R"(cmd --name="a b"'c'd)"), (Words{"cmd", "--name=a bcd"}));
}

TEST(ShellWords, BackslashNewlineIsAContinuation) {
  EXPECT_EQ(only_segment("nvidia-smi \\\n  -q"), (Words{"nvidia-smi", "-q"}));
  EXPECT_EQ(only_segment("nvid\\\nia-smi -L"), (Words{"nvidia-smi", "-L"}));
  EXPECT_EQ(only_segment("echo \"a\\\nb\""), (Words{"echo", "ab"}));
}

TEST(ShellWords, CommentStartsOnlyAtWordStart) {
  EXPECT_EQ(only_segment("ls -l # list files | not a pipe"), (Words{"ls", "-l"}));
  EXPECT_EQ(only_segment("echo a#b '#c' \\#d"), (Words{"echo", "a#b", "#c", "#d"}));
  EXPECT_EQ(only_segment("# leading comment\nls"), (Words{"ls"}));
}

TEST(ShellWords, SplitsPipelinesAndListsKeepingOperators) {
  const ShellWords parsed = split_shell_words("a 1 | b || c && d ; e");
  EXPECT_EQ(parsed.segments,
            (std::vector<Words>{{"a", "1"}, {"b"}, {"c"}, {"d"}, {"e"}}));
  EXPECT_EQ(parsed.operators, (Words{"|", "||", "&&", ";"}));
}

TEST(ShellWords, OperatorsNeedNoSpaces) {
  const ShellWords parsed = split_shell_words("a|b&&c;d");
  EXPECT_EQ(parsed.segments, (std::vector<Words>{{"a"}, {"b"}, {"c"}, {"d"}}));
  EXPECT_EQ(parsed.operators, (Words{"|", "&&", ";"}));
}

TEST(ShellWords, SingleAmpersandAndRedirectionsStayInWords) {
  const ShellWords parsed = split_shell_words("cmd 2>&1 | tee log");
  EXPECT_EQ(parsed.segments, (std::vector<Words>{{"cmd", "2>&1"}, {"tee", "log"}}));
  EXPECT_EQ(parsed.operators, (Words{"|"}));
}

TEST(ShellWords, QuotedOperatorsDoNotSplit) {
  EXPECT_EQ(only_segment("grep 'a|b' \"c;d\""), (Words{"grep", "a|b", "c;d"}));
}

TEST(ShellWords, EmptySegmentsAreDropped) {
  const ShellWords trailing = split_shell_words("ls -l ;");
  EXPECT_EQ(trailing.segments, (std::vector<Words>{{"ls", "-l"}}));
  EXPECT_TRUE(trailing.operators.empty());

  const ShellWords doubled = split_shell_words("; ls ; ; pwd ;");
  EXPECT_EQ(doubled.segments, (std::vector<Words>{{"ls"}, {"pwd"}}));
  EXPECT_EQ(doubled.operators, (Words{";"}));

  EXPECT_TRUE(split_shell_words("   ").segments.empty());
  EXPECT_TRUE(split_shell_words("# only a comment").segments.empty());
}

TEST(ShellWords, NewlineSeparatesButNotAfterAnOperator) {
  const ShellWords two_lines = split_shell_words("a\nb");
  EXPECT_EQ(two_lines.segments, (std::vector<Words>{{"a"}, {"b"}}));
  EXPECT_EQ(two_lines.operators, (Words{";"}));

  const ShellWords wrapped_pipe = split_shell_words("a |\n  b");
  EXPECT_EQ(wrapped_pipe.operators, (Words{"|"}));
}

TEST(ShellWords, SubstitutionsAreKeptVerbatimInOneWord) {
  EXPECT_EQ(only_segment("echo $(ls | wc -l) x"), (Words{"echo", "$(ls | wc -l)", "x"}));
  EXPECT_EQ(only_segment("echo `date +%s`"), (Words{"echo", "`date +%s`"}));
  EXPECT_EQ(only_segment("echo \"n=$(nproc --all)\""), (Words{"echo", "n=$(nproc --all)"}));
  EXPECT_EQ(only_segment("echo ${X:-a b}"), (Words{"echo", "${X:-a b}"}));
}

TEST(ShellWords, PlaceholdersAreOneWordUnit) {
  EXPECT_EQ(only_segment("tar -xf {{path/to/archive.tar}}"), (Words{"tar", "-xf", "{{path/to/archive.tar}}"}));
  EXPECT_EQ(only_segment("{{cmd1|cmd2}} {{[-v|--verbose]}}"), (Words{"{{cmd1|cmd2}}", "{{[-v|--verbose]}}"}));
  EXPECT_EQ(only_segment("cp {{path/to/file1 path/to/file2 ...}} --target={{dir}}/x"),
            (Words{"cp", "{{path/to/file1 path/to/file2 ...}}", "--target={{dir}}/x"}));
  const ShellWords piped = split_shell_words("ps {{aux|-ef}} | grep {{name}}");
  ASSERT_EQ(piped.segments.size(), 2u);
  EXPECT_EQ(piped.operators, (Words{"|"}));
  // Without a closing pair the braces are ordinary characters.
  EXPECT_EQ(only_segment("echo {{x"), (Words{"echo", "{{x"}));
  EXPECT_EQ(only_segment("awk '{print $1}'"), (Words{"awk", "{print $1}"}));
}

TEST(ShellWords, UnterminatedQuotesNameTheProblemAndColumn) {
  // "echo " is 5 characters, so the quote is column 6.
  EXPECT_EQ(lex_error("echo 'abc"), "unterminated single quote at column 6");
  // "nvidia-smi -q -d " is 17 characters, so the quote is column 18.
  EXPECT_EQ(lex_error("nvidia-smi -q -d \"MEMORY"), "unterminated double quote at column 18");
  EXPECT_EQ(lex_error("ls\necho 'x"), "unterminated single quote at line 2, column 6");
  EXPECT_EQ(lex_error("echo $(ls"), "unterminated command substitution at column 6");
  EXPECT_EQ(lex_error("echo `ls"), "unterminated backquote at column 6");
  EXPECT_THROW(split_shell_words("a 'b"), std::invalid_argument);
}

TEST(NormalizeCommand, CollapsesWhitespace) {
  EXPECT_EQ(normalize_command("  nvidia-smi    -q\t-d  MEMORY  "), "nvidia-smi -q -d MEMORY");
}

TEST(NormalizeCommand, RequotesWordsWithSpacesOrSpecialChars) {
  EXPECT_EQ(normalize_command("echo \"hello world\""), "echo 'hello world'");
  EXPECT_EQ(normalize_command("echo 'hello world'"), "echo 'hello world'");
  EXPECT_EQ(normalize_command("echo hello\\ world"), "echo 'hello world'");
  EXPECT_EQ(normalize_command("echo \"it's\""), "echo 'it'\\''s'");
  EXPECT_EQ(normalize_command("find . -name \"*.cu\""), "find . -name '*.cu'");
  EXPECT_EQ(normalize_command("find . -name *.cu"), "find . -name '*.cu'");
  EXPECT_EQ(normalize_command("echo ''"), "echo ''");
}

TEST(NormalizeCommand, RemovesQuotesThatChangeNothing) {
  EXPECT_EQ(normalize_command("nvidia-smi -d \"MEMORY\""), "nvidia-smi -d MEMORY");
}

TEST(NormalizeCommand, DropsLeadingSudoPerSegment) {
  EXPECT_EQ(normalize_command("sudo nvidia-smi -r -i 0"), "nvidia-smi -r -i 0");
  EXPECT_EQ(normalize_command("sudo -E python train.py"), "python train.py");
  EXPECT_EQ(normalize_command("echo 1 | sudo tee /proc/x"), "echo 1 | tee /proc/x");
  EXPECT_EQ(normalize_command("sudo"), "sudo");
  EXPECT_EQ(normalize_command("echo sudo"), "echo sudo");
}

TEST(NormalizeCommand, SplitsLongOptionValues) {
  EXPECT_EQ(normalize_command("nvidia-smi --query-gpu=name,memory.used --format=csv"),
            "nvidia-smi --query-gpu name,memory.used --format csv");
  EXPECT_EQ(normalize_command("cmd --empty="), "cmd --empty ''");
  EXPECT_EQ(normalize_command("cmd -d=MEMORY"), "cmd -d=MEMORY");
}

TEST(NormalizeCommand, DropsTrailingSemicolonAndKeepsOperators) {
  EXPECT_EQ(normalize_command("ls -l;"), "ls -l");
  EXPECT_EQ(normalize_command("ls ; pwd ;"), "ls ; pwd");
  EXPECT_EQ(normalize_command("a&&b||c|d"), "a && b || c | d");
}

TEST(NormalizeCommand, DropsComments) {
  EXPECT_EQ(normalize_command("nvidia-smi -L # list GPUs"), "nvidia-smi -L");
}

TEST(NormalizeCommand, FallsBackToWhitespaceCollapseWhenUnlexable) {
  EXPECT_EQ(normalize_command("  echo   'abc    def "), "echo 'abc def");
  EXPECT_EQ(normalize_command(""), "");
}

TEST(DropLeadingSudo, KeepsABareSudo) {
  EXPECT_EQ(drop_leading_sudo({"sudo", "-E", "ls"}), (Words{"ls"}));
  EXPECT_EQ(drop_leading_sudo({"sudo", "-E"}), (Words{"sudo", "-E"}));
  EXPECT_EQ(drop_leading_sudo({"ls", "sudo"}), (Words{"ls", "sudo"}));
}

TEST(StripShellComment, RemovesOnlyUnquotedWordStartHash) {
  EXPECT_EQ(strip_shell_comment("nvidia-smi -L   # list GPUs"), "nvidia-smi -L");
  EXPECT_EQ(strip_shell_comment("echo '# kept' a#b"), "echo '# kept' a#b");
  EXPECT_EQ(strip_shell_comment("echo 'unterminated # x"), "echo 'unterminated # x");
}

}  // namespace
}  // namespace aimicius
