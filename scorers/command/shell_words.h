// shell_words: a small POSIX-like lexer for single command lines, used by the
// command scorers and by answer extraction.
//
// Why it exists: scoring "did the model produce the right command" must compare
// what the shell would see (words after quote removal), not raw text, so that
// `nvidia-smi -d "MEMORY"` and `nvidia-smi -d MEMORY` are the same command.
//
// What it understands (and nothing more; it never expands anything):
//   - single quotes: everything literal up to the next '.
//   - double quotes: backslash escapes only \" \\ \$ \` and backslash-newline
//     (removed); any other backslash is kept literally.
//   - backslash outside quotes escapes the next character; backslash-newline is
//     a line continuation and disappears; a backslash at the very end is kept.
//   - `$( ... )`, `${ ... }` and `` `...` `` are copied verbatim into the
//     current word (their inner `|`, `;`, spaces do not split anything).
//   - `{{ ... }}` (a tldr-pages placeholder) is copied verbatim into the current word: spaces,
//     quotes and `|` inside it split nothing (`{{cmd1|cmd2}}` is one word, not a pipe).
//   - unquoted `#` at the start of a word starts a comment up to end of line.
//   - list/pipeline operators `|`, `||`, `&&`, `;` and an unquoted newline
//     (recorded as ";") split segments. A single `&` is an ordinary character,
//     so redirections like `2>&1` stay one word. Redirections are plain words.
//
// Invariants of ShellWords:
//   - every segment is non-empty (empty segments, e.g. from a trailing ";",
//     are dropped together with the operator that introduced them);
//   - operators.size() == segments.size() - 1 when segments is non-empty, and
//     operators[i] is the operator written between segments[i] and [i + 1].
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

struct ShellWords {
  std::vector<std::vector<std::string>> segments;
  std::vector<std::string> operators;  // "|", "||", "&&" or ";"
};

// Splits a command line. Throws std::invalid_argument naming the problem and
// its position (e.g. "unterminated single quote at column 12") when a quote or
// substitution is not closed.
ShellWords split_shell_words(std::string_view command);

// Canonical text for exact matching: leading `sudo` / `sudo -E` removed from
// each segment, `--name=value` split into `--name value`, words joined with
// single spaces (re-quoted with single quotes when they hold anything but
// [A-Za-z0-9_./=:,+@%^~-]), segments joined by " <operator> ". Never throws: a
// command that does not lex is returned with its whitespace collapsed.
std::string normalize_command(std::string_view command);

// A word written so that the shell reads it back as that word: unchanged when it holds only
// [A-Za-z0-9_./=:,+@%^~-], else single-quoted. Redirection words (`>`, `2>&1`, `>>file`) are
// returned unchanged, so that written-back commands keep their redirections.
std::string shell_quote(const std::string& word);

// Returns the segment without a leading `sudo` (and a `-E` right after it).
// A segment that is only `sudo` is returned unchanged.
std::vector<std::string> drop_leading_sudo(std::vector<std::string> segment_words);

// Removes an unquoted trailing comment (an unquoted `#` at the start of a word)
// and the whitespace before it. A line that does not lex is returned unchanged.
std::string strip_shell_comment(std::string_view line);

}  // namespace aimicius
