// extract_command: turns a raw model answer for a CMDGen task into one command
// line, or "" when the answer holds none.
//
// Deterministic: the same text always gives the same command; no model, no
// randomness, no locale-dependent behaviour beyond ASCII classification.
//
// Which part of the answer holds the command (first rule that applies):
//   a. the body of the first fenced code block (``` or ~~~) whose info string
//      is a shell (bash, sh, shell, console, zsh, shell-session, terminal, cmd;
//      any case), else of the first fenced block of any kind (an unclosed fence
//      runs to the end; a one-line ```cmd``` counts too);
//   b. the text from the first line that starts with the prompt "$ ";
//   c. if the first non-empty line is prose (see below) and the answer has
//      inline `code` spans: the longest span (first on ties) on the first line
//      that has one;
//   d. if the first non-empty line is prose: the text from the first non-prose
//      non-empty line after it (answers like "Here is the command:\n<cmd>");
//   e. the text from the first non-empty line.
// A line is prose when it has two consecutive plain words and ends with ':' or
// '.', or its first word is one of Here/To/Use/You/This/The/Run/Try/Execute/
// Sure/First.
//
// Then, within that text: "$ " prompts at line starts are removed; lines that
// are only comments are dropped; backslash-continued lines and lines ending in
// | || && are joined with the next; the first non-empty line is taken; a
// "Command:" prefix (any case), surrounding whitespace, one pair of surrounding
// backticks and an unquoted trailing `# comment` are removed.
#pragma once

#include <string>
#include <string_view>

namespace aimicius {

std::string extract_command(std::string_view model_output);

}  // namespace aimicius
