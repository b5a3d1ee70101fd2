// Fuzz target: the command scorer's view of an answer (scorers/command/): the shell-word lexer,
// normalize_command, the canonicaliser over the tools' option grammars and canonical_match, and
// the cmdgen extractor (tasks/extractors/extract_command.h) on the raw text.
// Fine: std::invalid_argument from split_shell_words, parse_command_line and canonical_command (a
// line that does not lex). normalize_command, strip_shell_comment and extract_command never throw;
// canonical_match never throws for a reference that lexes (the scorer's references are checked
// when the suite loads). The input is split at its first NUL byte into a candidate and a
// reference for canonical_match.
#include <stdexcept>

#include "fuzz/fuzz_support.h"
#include "scorers/command/canonical_command.h"
#include "scorers/command/command_match.h"
#include "scorers/command/shell_words.h"
#include "tasks/extractors/extract_command.h"

namespace {
// canonical_command, with its documented error for a line that does not lex.
bool lexes(std::string_view text) {
  try {
    (void)aimicius::canonical_command(text);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  const std::string_view text = fuzz::as_text(data, size);
  try {
    const ShellWords words = split_shell_words(text);
    if (!words.segments.empty() && words.operators.size() != words.segments.size() - 1) std::abort();
    for (const auto& segment : words.segments) {
      if (segment.empty()) std::abort();  // shell_words.h: every segment is non-empty
      for (const auto& word : segment) (void)shell_quote(word);
    }
  } catch (const std::invalid_argument&) {
  }
  try {
    (void)parse_command_line(text);
  } catch (const std::invalid_argument&) {
  }
  (void)normalize_command(text);
  (void)strip_shell_comment(text);
  (void)extract_command(text);
  const size_t cut = text.find('\0');
  const std::string_view candidate = text.substr(0, cut);
  const std::string_view reference = cut == std::string_view::npos ? text : text.substr(cut + 1);
  const bool candidate_lexes = lexes(candidate), reference_lexes = lexes(reference);
  double a = -1, b = -1;
  if (reference_lexes) a = canonical_match(candidate, reference);
  if (candidate_lexes) b = canonical_match(reference, candidate);
  if (candidate_lexes && reference_lexes && a != b) std::abort();  // canonical_match is symmetric
  (void)exact_match(candidate, reference);
  return 0;
}
