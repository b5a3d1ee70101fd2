// extract_command implementation: first pick the region of the answer that
// holds the command (select_command_text), then clean that region down to one
// line (finalize_command). Rules and their order are documented in the header;
// each helper below says why it exists.
//
// Invariants: functions here are pure; string_views never outlive the
// model_output they point into (finalize_command copies into std::string).
#include "tasks/extractors/extract_command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "scorers/command/shell_words.h"

namespace aimicius {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Lines without their '\n' (and a '\r' before it, for CRLF answers).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t first) {
  std::string joined;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (i > first) joined += '\n';
    joined.append(lines[i]);
  }
  return joined;
}

std::size_t run_length(std::string_view text, std::size_t start, char c) {
  std::size_t end = start;
  while (end < text.size() && text[end] == c) ++end;
  return end - start;
}

// Fence info strings that say "this is a shell command" (lower case).
bool is_shell_info(std::string_view info) {
  std::string lower;
  for (char c : trim(info)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* tag : {"bash", "sh", "shell", "console", "zsh", "shell-session", "terminal", "cmd"})
    if (lower == tag) return true;
  return false;
}

// Rule a. Why: markdown code fences are the most explicit "this is the
// command" signal a chat model gives. A block tagged as shell wins over the
// others (a chat answer may show sample output in a ```text block before the
// command); among equals, the first.
std::optional<std::string> first_fenced_block(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  std::optional<std::string> first;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view opening = trim(lines[i]);
    if (!starts_with(opening, "```") && !starts_with(opening, "~~~")) continue;
    const char fence_char = opening[0];
    const std::size_t fence_length = run_length(opening, 0, fence_char);
    const std::string fence(fence_length, fence_char);
    const std::string_view after_fence = opening.substr(fence_length);
    // Why: some models write a whole block on one line: ```nvidia-smi -L```.
    if (after_fence.size() > fence_length && ends_with(after_fence, fence)) {
      if (!first) first = std::string(after_fence.substr(0, after_fence.size() - fence_length));
      continue;
    }
    std::vector<std::string_view> body;
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      const std::string_view candidate_close = trim(lines[j]);
      const bool closes = !candidate_close.empty() &&
                          run_length(candidate_close, 0, fence_char) == candidate_close.size() &&
                          candidate_close.size() >= fence_length;
      if (closes) break;
      body.push_back(lines[j]);
    }
    std::string block = join_lines(body, 0);  // an unclosed fence (truncated answer) runs to the end
    if (is_shell_info(after_fence)) return block;
    if (!first) first = std::move(block);
    i = j;  // on after the closing fence
  }
  return first;
}

// Rule b. Why: "$ cmd" is how terminals and docs show a command to type.
std::optional<std::string> text_from_first_prompt_line(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (starts_with(trim_left(lines[i]), "$ ")) return join_lines(lines, i);
  }
  return std::nullopt;
}

// Inline `code` spans on one line (CommonMark-like: a run of n backticks is
// closed by the next run of exactly n backticks). Spans are trimmed.
std::vector<std::string_view> inline_code_spans(std::string_view line) {
  std::vector<std::string_view> spans;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] != '`') {
      ++i;
      continue;
    }
    const std::size_t opening_length = run_length(line, i, '`');
    std::size_t j = i + opening_length;
    std::optional<std::size_t> closing_start;
    while (j < line.size()) {
      if (line[j] != '`') {
        ++j;
        continue;
      }
      const std::size_t length = run_length(line, j, '`');
      if (length == opening_length) {
        closing_start = j;
        break;
      }
      j += length;
    }
    if (!closing_start) {
      i += opening_length;  // unmatched run: literal backticks
      continue;
    }
    const std::size_t content_start = i + opening_length;
    const std::string_view span = trim(line.substr(content_start, *closing_start - content_start));
    if (!span.empty()) spans.push_back(span);
    i = *closing_start + opening_length;
  }
  return spans;
}

std::string_view strip_word_punctuation(std::string_view word) {
  while (!word.empty() && std::string_view(",;:.!?").find(word.back()) != std::string_view::npos) {
    word.remove_suffix(1);
  }
  return word;
}

bool is_plain_word(std::string_view word) {
  word = strip_word_punctuation(word);
  if (word.empty()) return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '\'';
  });
}

std::vector<std::string_view> whitespace_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// Why: a command line never reads like an English sentence; these cues
// separate "Run `x` to ..." from a command that itself contains backticks.
bool is_prose(std::string_view line) {
  line = trim(line);
  const std::vector<std::string_view> words = whitespace_words(line);
  if (words.empty()) return false;
  static constexpr std::array<std::string_view, 11> kProseOpeners = {
      "Here", "To", "Use", "You", "This", "The", "Run", "Try", "Execute", "Sure", "First"};
  const std::string_view first_word = strip_word_punctuation(words.front());
  if (std::find(kProseOpeners.begin(), kProseOpeners.end(), first_word) != kProseOpeners.end()) {
    return true;
  }
  const bool ends_like_sentence = line.back() == ':' || line.back() == '.';
  bool has_two_plain_words = false;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    has_two_plain_words = has_two_plain_words || (is_plain_word(words[i]) && is_plain_word(words[i + 1]));
  }
  return ends_like_sentence && has_two_plain_words;
}

std::optional<std::size_t> first_non_empty_line(const std::vector<std::string_view>& lines,
                                                std::size_t from) {
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (!trim(lines[i]).empty()) return i;
  }
  return std::nullopt;
}

// Rule c. Why: prose answers quote the command inline; the longest span is the
// command rather than a mentioned flag or file name.
std::optional<std::string> longest_inline_span_after_prose(const std::vector<std::string_view>& lines,
                                                          std::size_t first_line) {
  if (!is_prose(lines[first_line])) return std::nullopt;
  for (std::size_t i = first_line; i < lines.size(); ++i) {
    const std::vector<std::string_view> spans = inline_code_spans(lines[i]);
    if (spans.empty()) continue;
    std::string_view longest = spans.front();
    for (const std::string_view span : spans) {
      if (span.size() > longest.size()) longest = span;
    }
    return std::string(longest);
  }
  return std::nullopt;
}

// Rule d. Why: "Here is the command:" followed by the bare command on its own
// line is a common answer shape without any markdown.
std::optional<std::string> text_after_leading_prose(const std::vector<std::string_view>& lines,
                                                   std::size_t first_line) {
  if (!is_prose(lines[first_line])) return std::nullopt;
  for (std::size_t i = first_line + 1; i < lines.size(); ++i) {
    if (trim(lines[i]).empty() || is_prose(lines[i])) continue;
    return join_lines(lines, i);
  }
  return std::nullopt;
}

std::string select_command_text(std::string_view model_output) {
  if (auto block = first_fenced_block(model_output)) return *block;
  if (auto prompted = text_from_first_prompt_line(model_output)) return *prompted;
  const std::vector<std::string_view> lines = split_lines(model_output);
  const std::optional<std::size_t> first_line = first_non_empty_line(lines, 0);
  if (!first_line) return "";
  if (auto span = longest_inline_span_after_prose(lines, *first_line)) return *span;
  if (auto after_prose = text_after_leading_prose(lines, *first_line)) return *after_prose;
  return join_lines(lines, *first_line);  // rule e
}

// Why: console-style blocks show "$ cmd"; the prompt is not part of the command.
std::string_view strip_prompt(std::string_view line) {
  const std::string_view content = trim_left(line);
  if (starts_with(content, "$ ")) return content.substr(2);
  if (content == "$") return "";
  return line;
}

bool ends_with_unescaped_backslash(std::string_view line) {
  std::size_t backslashes = 0;
  while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

bool ends_with_list_operator(std::string_view line) {
  line = trim(line);
  return ends_with(line, "|") || ends_with(line, "&&");  // "||" ends with "|"
}

enum class Continuation { kNone, kBackslash, kOperator };

// Why: long commands are often wrapped with "\" or broken after a pipe; the
// scorers need them as one line. A backslash join inserts one space where
// either side already had whitespace and none otherwise, keeping the shell's
// meaning (outside quotes); an operator join always inserts one space.
std::vector<std::string> join_continued_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> joined;
  Continuation pending = Continuation::kNone;
  for (const std::string& line : lines) {
    std::string piece = line;
    const bool backslash_continues = ends_with_unescaped_backslash(piece);
    if (backslash_continues) piece.pop_back();
    if (pending == Continuation::kNone || joined.empty()) {
      joined.push_back(piece);
    } else {
      std::string& previous = joined.back();
      const bool needs_space = pending == Continuation::kOperator || previous.empty() ||
                               is_space(previous.back()) || piece.empty() || is_space(piece.front());
      if (needs_space) {
        previous = std::string(trim(previous)) + " " + std::string(trim(piece));
      } else {
        previous += piece;
      }
    }
    if (backslash_continues) {
      pending = Continuation::kBackslash;
    } else if (ends_with_list_operator(piece)) {
      pending = Continuation::kOperator;
    } else {
      pending = Continuation::kNone;
    }
  }
  return joined;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// Why: some answers label the command ("Command: nvidia-smi -L").
std::string_view strip_command_label(std::string_view line) {
  line = trim(line);
  if (starts_with_ignoring_case(line, "command:")) return trim(line.substr(8));
  return line;
}

// Why: a bare `cmd` line is inline code, not part of the command.
std::string_view strip_surrounding_backticks(std::string_view line) {
  line = trim(line);
  if (line.size() >= 2 && line.front() == '`' && line.back() == '`') {
    return trim(line.substr(1, line.size() - 2));
  }
  return line;
}

std::string finalize_command(const std::string& selected_text) {
  std::vector<std::string> kept_lines;
  for (const std::string_view raw_line : split_lines(selected_text)) {
    const std::string_view line = strip_prompt(raw_line);
    // Why: "# list the GPUs" above the command explains it; it is not the command.
    if (starts_with(trim_left(line), "#")) continue;
    kept_lines.emplace_back(line);
  }
  for (const std::string& line : join_continued_lines(kept_lines)) {
    std::string_view command = trim(line);
    if (command.empty()) continue;
    command = strip_command_label(command);
    command = strip_surrounding_backticks(command);
    // Why: a trailing "# explanation" is ignored by the shell; scorers must ignore it too.
    const std::string without_comment = strip_shell_comment(command);
    // Why: "`cmd` # note" only shows its backticks once the comment is gone.
    return std::string(strip_surrounding_backticks(without_comment));
  }
  return "";
}

}  // namespace

std::string extract_command(std::string_view model_output) {
  return finalize_command(select_command_text(model_output));
}

}  // namespace aimicius
