// shell_words implementation: a single-pass character lexer (ShellLexer) that
// builds words, segments and operators at once.
//
// Invariants kept by ShellLexer while scanning:
//   - `word_in_progress_` is true iff the current word has started, even if it
//     is still empty (so `''` yields an empty word rather than nothing);
//   - a segment is only appended to the result when it holds at least one word,
//     and the operator recorded before it is the first operator seen after the
//     previous non-empty segment (so `a |\n b` keeps "|", `a ; ; b` keeps ";").
// Positions in error messages are 1-based and counted in bytes.
#include "scorers/command/shell_words.h"

#include <cctype>
#include <optional>
#include <stdexcept>
#include <utility>

namespace aimicius {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string describe_position(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  if (line == 1) return "column " + std::to_string(column);
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

class ShellLexer {
 public:
  explicit ShellLexer(std::string_view text) : text_(text) {}

  ShellWords run() {
    while (pos_ < text_.size()) step();
    finish_word();
    finish_segment("");
    return std::move(result_);
  }

  // Offset of the first comment's `#`, if the text had one.
  std::optional<std::size_t> first_comment_offset() const { return first_comment_offset_; }

 private:
  char peek(std::size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  void step() {
    const char c = text_[pos_];
    if (is_blank(c)) {
      finish_word();
      ++pos_;
    } else if (c == '\n') {
      finish_word();
      finish_segment(";");
      ++pos_;
    } else if (c == '#' && !word_in_progress_) {
      skip_comment();
    } else if (c == '\\') {
      read_unquoted_backslash();
    } else if (c == '\'') {
      read_single_quoted();
    } else if (c == '"') {
      read_double_quoted();
    } else if (c == '`') {
      copy_backquoted();
    } else if (c == '$' && (peek(1) == '(' || peek(1) == '{')) {
      copy_dollar_group();
    } else if (c == '{' && peek(1) == '{') {
      copy_placeholder();
    } else if (c == '|') {
      split_at_operator(peek(1) == '|' ? "||" : "|");
    } else if (c == '&' && peek(1) == '&') {
      split_at_operator("&&");
    } else if (c == ';') {
      split_at_operator(";");
    } else {
      append(c);
      ++pos_;
    }
  }

  void append(char c) {
    word_ += c;
    word_in_progress_ = true;
  }

  void finish_word() {
    if (!word_in_progress_) return;
    segment_.push_back(std::move(word_));
    word_.clear();
    word_in_progress_ = false;
  }

  void finish_segment(const std::string& following_operator) {
    if (segment_.empty()) return;  // empty segment: keep the earlier operator
    if (!result_.segments.empty()) result_.operators.push_back(pending_operator_);
    result_.segments.push_back(std::move(segment_));
    segment_.clear();
    pending_operator_ = following_operator;
  }

  void split_at_operator(const std::string& op) {
    finish_word();
    finish_segment(op);
    pos_ += op.size();
  }

  void skip_comment() {
    if (!first_comment_offset_) first_comment_offset_ = pos_;
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  }

  // Length of a backslash-newline at pos_ (also accepting \r\n), 0 if none.
  std::size_t continuation_length() const {
    if (peek(1) == '\n') return 2;
    if (peek(1) == '\r' && peek(2) == '\n') return 3;
    return 0;
  }

  void read_unquoted_backslash() {
    if (const std::size_t skip = continuation_length()) {
      pos_ += skip;
    } else if (pos_ + 1 < text_.size()) {
      append(text_[pos_ + 1]);
      pos_ += 2;
    } else {
      append('\\');  // trailing lone backslash: nothing to escape, keep it
      ++pos_;
    }
  }

  void read_single_quoted() {
    const std::size_t open = pos_;
    const std::size_t close = text_.find('\'', open + 1);
    if (close == std::string_view::npos) {
      throw std::invalid_argument("unterminated single quote at " + describe_position(text_, open));
    }
    word_in_progress_ = true;
    word_.append(text_.substr(open + 1, close - open - 1));
    pos_ = close + 1;
  }

  void read_double_quoted() {
    const std::size_t open = pos_;
    word_in_progress_ = true;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) {
        throw std::invalid_argument("unterminated double quote at " + describe_position(text_, open));
      }
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c == '\\') {
        const char next = peek(1);
        if (next == '"' || next == '\\' || next == '$' || next == '`') {
          word_ += next;
          pos_ += 2;
        } else if (const std::size_t skip = continuation_length()) {
          pos_ += skip;
        } else {
          word_ += '\\';
          ++pos_;
        }
      } else if (c == '`') {
        copy_backquoted();
      } else if (c == '$' && (peek(1) == '(' || peek(1) == '{')) {
        copy_dollar_group();
      } else {
        word_ += c;
        ++pos_;
      }
    }
  }

  // A tldr-pages style placeholder `{{...}}` is copied verbatim into the current word: its spaces,
  // quotes and `|` (`{{cmd1|cmd2}}`, `{{[-v|--verbose]}}`) split nothing. Without a closing `}}`
  // the braces are ordinary characters.
  void copy_placeholder() {
    const std::size_t close = text_.find("}}", pos_ + 2);
    if (close == std::string_view::npos) {
      append('{');
      ++pos_;
      return;
    }
    word_in_progress_ = true;
    word_.append(text_.substr(pos_, close + 2 - pos_));
    pos_ = close + 2;
  }

  // Copies `...` verbatim (backslash pairs included) into the current word.
  void copy_backquoted() {
    const std::size_t open = pos_;
    append('`');
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        word_.append(text_.substr(pos_, 2));
        pos_ += 2;
        continue;
      }
      word_ += c;
      ++pos_;
      if (c == '`') return;
    }
    throw std::invalid_argument("unterminated backquote at " + describe_position(text_, open));
  }

  // Copies $( ... ) or ${ ... } verbatim, tracking nesting and quotes inside.
  void copy_dollar_group() {
    const std::size_t open = pos_;
    const char open_char = text_[pos_ + 1];
    const char close_char = open_char == '(' ? ')' : '}';
    append('$');
    append(open_char);
    pos_ += 2;
    int depth = 1;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        word_.append(text_.substr(pos_, 2));
        pos_ += 2;
        continue;
      }
      if (c == '\'' || c == '"') {
        copy_quoted_verbatim(c);
        continue;
      }
      word_ += c;
      ++pos_;
      if (c == open_char) ++depth;
      if (c == close_char && --depth == 0) return;
    }
    const char* what = open_char == '(' ? "command substitution" : "parameter expansion";
    throw std::invalid_argument(std::string("unterminated ") + what + " at " +
                                describe_position(text_, open));
  }

  void copy_quoted_verbatim(char quote) {
    const std::size_t open = pos_;
    word_ += quote;
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (quote == '"' && c == '\\' && pos_ + 1 < text_.size()) {
        word_.append(text_.substr(pos_, 2));
        pos_ += 2;
        continue;
      }
      word_ += c;
      ++pos_;
      if (c == quote) return;
    }
    const char* what = quote == '\'' ? "single quote" : "double quote";
    throw std::invalid_argument(std::string("unterminated ") + what + " at " +
                                describe_position(text_, open));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string word_;
  bool word_in_progress_ = false;
  std::vector<std::string> segment_;
  std::string pending_operator_;
  ShellWords result_;
  std::optional<std::size_t> first_comment_offset_;
};

bool is_unquoted_safe(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  const std::string_view safe_punctuation = "_./=:,+@%^~-";
  return safe_punctuation.find(c) != std::string_view::npos;
}

std::string quote_word(const std::string& word) {
  bool needs_quotes = word.empty();
  for (const char c : word) needs_quotes = needs_quotes || !is_unquoted_safe(c);
  if (!needs_quotes) return word;
  std::string quoted = "'";
  for (const char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

// `--name=value` -> {"--name", "value"}; any other word -> {word}.
void append_with_long_option_split(const std::string& word, std::vector<std::string>& out) {
  const std::size_t equals = word.find('=');
  const bool is_long_option_with_value =
      word.size() > 2 && word.compare(0, 2, "--") == 0 && equals != std::string::npos && equals > 2;
  if (!is_long_option_with_value) {
    out.push_back(word);
    return;
  }
  out.push_back(word.substr(0, equals));
  out.push_back(word.substr(equals + 1));
}

std::string collapse_whitespace(std::string_view text) {
  std::string collapsed;
  bool pending_space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = !collapsed.empty();
      continue;
    }
    if (pending_space) collapsed += ' ';
    pending_space = false;
    collapsed += c;
  }
  return collapsed;
}

std::string rtrim(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(0, end));
}

}  // namespace

ShellWords split_shell_words(std::string_view command) { return ShellLexer(command).run(); }

std::string shell_quote(const std::string& word) {
  std::size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  const bool redirection = i < word.size() && (word[i] == '>' || word[i] == '<' || word.compare(i, 2, "&>") == 0);
  return redirection ? word : quote_word(word);
}

std::vector<std::string> drop_leading_sudo(std::vector<std::string> segment_words) {
  if (segment_words.empty() || segment_words.front() != "sudo") return segment_words;
  std::size_t words_to_drop = 1;
  if (segment_words.size() > 1 && segment_words[1] == "-E") words_to_drop = 2;
  if (segment_words.size() <= words_to_drop) return segment_words;  // nothing would remain
  segment_words.erase(segment_words.begin(),
                      segment_words.begin() + static_cast<std::ptrdiff_t>(words_to_drop));
  return segment_words;
}

std::string normalize_command(std::string_view command) {
  ShellWords parsed;
  try {
    parsed = split_shell_words(command);
  } catch (const std::invalid_argument&) {
    return collapse_whitespace(command);
  }
  std::string normalized;
  for (std::size_t i = 0; i < parsed.segments.size(); ++i) {
    if (i > 0) normalized += " " + parsed.operators[i - 1] + " ";
    std::vector<std::string> words;
    for (const std::string& word : drop_leading_sudo(parsed.segments[i])) {
      append_with_long_option_split(word, words);
    }
    for (std::size_t w = 0; w < words.size(); ++w) {
      if (w > 0) normalized += ' ';
      normalized += quote_word(words[w]);
    }
  }
  return normalized;
}

std::string strip_shell_comment(std::string_view line) {
  ShellLexer lexer(line);
  try {
    lexer.run();
  } catch (const std::invalid_argument&) {
    return std::string(line);
  }
  const std::optional<std::size_t> comment = lexer.first_comment_offset();
  if (!comment) return std::string(line);
  const std::size_t line_end = line.find('\n', *comment);
  std::string stripped = rtrim(line.substr(0, *comment));
  if (line_end != std::string_view::npos) stripped.append(line.substr(line_end));
  return stripped;
}

}  // namespace aimicius
