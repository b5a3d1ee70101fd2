// canonical_command.h: the grammar's canonical form applied to each segment of a command line.
#include "scorers/command/canonical_command.h"

#include <stdexcept>

#include "scorers/command/shell_words.h"

namespace aimicius {

ParsedCommandLine parse_command_line(std::string_view command) {
  const ShellWords words = split_shell_words(command);
  ParsedCommandLine line;
  for (const auto& segment : words.segments) line.segments.push_back(grammar::parse_command_words(segment));
  line.operators = words.operators;
  return line;
}

std::string canonical_command(std::string_view command) {
  const ParsedCommandLine line = parse_command_line(command);
  std::string text;
  for (std::size_t i = 0; i < line.segments.size(); ++i) {
    if (i > 0) text += " " + line.operators[i - 1] + " ";
    text += grammar::canonical_text(line.segments[i]);
  }
  return text;
}

double canonical_match(std::string_view candidate, std::string_view reference) {
  std::string candidate_form;
  try {
    candidate_form = canonical_command(candidate);
  } catch (const std::invalid_argument&) {
    return 0.0;  // does not lex: not a command
  }
  if (candidate_form.empty()) return 0.0;
  return candidate_form == canonical_command(reference) ? 1.0 : 0.0;
}

}  // namespace aimicius
