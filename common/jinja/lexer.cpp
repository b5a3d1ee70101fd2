// Template source -> tokens (see lexer.h for the whitespace rules).
#include "common/jinja/lexer.h"

#include <algorithm>
#include <cstring>

#include "common/jinja/value.h"
#include "common/utf8.h"

namespace aimicius::jinja {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  Lexer(const std::string& source, const std::string& name) : name_(name) {
    src_.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {  // \r\n and \r read as \n
      if (source[i] == '\r') {
        src_ += '\n';
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_ += source[i];
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();  // keep_trailing_newline=False
  }

  std::vector<Token> run() {
    std::size_t pos = 0;
    bool strip_next = false;          // the previous tag ended with '-'
    bool trim_next_newline = false;   // the previous tag was a block or comment (trim_blocks)
    while (pos <= src_.size()) {
      const std::size_t open = find_opener(pos);
      const std::size_t text_end = open == std::string::npos ? src_.size() : open;
      std::string text = src_.substr(pos, text_end - pos);
      if (strip_next) {
        text.erase(0, std::min(text.size(), static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), is_space) - text.begin())));
      } else if (trim_next_newline && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
      }
      strip_next = trim_next_newline = false;
      if (open == std::string::npos) {
        emit_text(text, line_);
        break;
      }
      const char kind = src_[open + 1];
      const char modifier = open + 2 < src_.size() ? src_[open + 2] : '\0';
      if (modifier == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if ((kind == '%' || kind == '#') && modifier != '+') {
        std::size_t j = open;
        while (j > pos && (src_[j - 1] == ' ' || src_[j - 1] == '\t')) --j;
        if ((j == 0 || src_[j - 1] == '\n') && open - j <= text.size()) text.resize(text.size() - (open - j));
      }
      const int text_line = line_;
      line_ += static_cast<int>(std::count(src_.begin() + static_cast<std::ptrdiff_t>(pos),
                                           src_.begin() + static_cast<std::ptrdiff_t>(open), '\n'));
      emit_text(text, text_line);
      std::size_t p = open + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0);
      if (kind == '#') {
        const std::size_t close = src_.find("#}", p);
        if (close == std::string::npos) fail("unterminated comment");
        line_ += static_cast<int>(std::count(src_.begin() + static_cast<std::ptrdiff_t>(p),
                                             src_.begin() + static_cast<std::ptrdiff_t>(close), '\n'));
        if (close > p && src_[close - 1] == '-') strip_next = true;
        else trim_next_newline = true;
        pos = close + 2;
        continue;
      }
      const bool block = kind == '%';
      const std::size_t begin_index = tokens_.size();
      tokens_.push_back({block ? Token::Type::kBlockBegin : Token::Type::kVariableBegin, "", line_});
      bool stripped = false;
      p = lex_expression(p, block ? '%' : '}', stripped);
      tokens_.push_back({block ? Token::Type::kBlockEnd : Token::Type::kVariableEnd, "", line_});
      strip_next = stripped;
      trim_next_newline = block && !stripped;
      pos = p;
      if (block && tokens_.size() == begin_index + 3 && tokens_[begin_index + 1].type == Token::Type::kName &&
          tokens_[begin_index + 1].text == "raw") {
        tokens_.resize(begin_index);
        pos = lex_raw(pos, strip_next, trim_next_newline);
      }
    }
    tokens_.push_back({Token::Type::kEnd, "", line_});
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw TemplateError("template " + name_ + ", line " + std::to_string(line_) + ": " + what);
  }

  std::size_t find_opener(std::size_t from) const {
    for (std::size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  void emit_text(const std::string& text, int line) {
    if (!text.empty()) tokens_.push_back({Token::Type::kText, text, line});
  }

  // Tokens up to the closing `}}` / `%}` (at bracket depth 0); returns the position after it.
  std::size_t lex_expression(std::size_t p, char closer, bool& stripped) {
    int depth = 0;
    while (true) {
      if (p >= src_.size()) fail(closer == '%' ? "unterminated block tag (no %})" : "unterminated {{ (no }})");
      const char c = src_[p];
      if (is_space(c)) {
        if (c == '\n') ++line_;
        ++p;
        continue;
      }
      if (depth == 0) {
        if (c == '-' && p + 2 < src_.size() + 0 && src_[p + 1] == closer && src_[p + 2] == '}') {
          stripped = true;
          return p + 3;
        }
        if (c == closer && p + 1 < src_.size() && src_[p + 1] == '}') return p + 2;
      }
      if (is_name_start(c)) {
        std::size_t e = p;
        while (e < src_.size() && (is_name_start(src_[e]) || is_digit(src_[e]))) ++e;
        tokens_.push_back({Token::Type::kName, src_.substr(p, e - p), line_});
        p = e;
      } else if (is_digit(c)) {
        p = lex_number(p);
      } else if (c == '\'' || c == '"') {
        p = lex_string(p);
      } else {
        static const char* kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
        std::string op;
        for (const char* two : kTwo) {
          if (src_.compare(p, 2, two) == 0) op = two;
        }
        if (op.empty()) {
          if (std::strchr("+-*/%~<>=()[]{},.:|", c) == nullptr) fail(std::string("unexpected character '") + c + "'");
          op = std::string(1, c);
        }
        if (op == "(" || op == "[" || op == "{") ++depth;
        if (op == ")" || op == "]" || op == "}") --depth;
        tokens_.push_back({Token::Type::kOperator, op, line_});
        p += op.size();
      }
    }
  }

  std::size_t lex_number(std::size_t p) {
    auto digits = [&](std::size_t q) {
      while (q < src_.size() && (is_digit(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() && is_digit(src_[q + 1])))) ++q;
      return q;
    };
    std::size_t e = digits(p);
    bool is_float = false;
    const bool after_dot = !tokens_.empty() && tokens_.back().type == Token::Type::kOperator && tokens_.back().text == ".";
    if (!after_dot && e + 1 < src_.size() && src_[e] == '.' && is_digit(src_[e + 1])) {
      e = digits(e + 1);
      is_float = true;
    }
    if (!after_dot && e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      std::size_t q = e + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && is_digit(src_[q])) {
        e = digits(q);
        is_float = true;
      }
    }
    std::string text = src_.substr(p, e - p);
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    tokens_.push_back({is_float ? Token::Type::kFloat : Token::Type::kInteger, text, line_});
    return e;
  }

  std::size_t lex_string(std::size_t p) {
    const char quote = src_[p];
    const int start_line = line_;
    std::string out;
    std::size_t i = p + 1;
    while (true) {
      if (i >= src_.size()) {
        line_ = start_line;
        fail("unterminated string");
      }
      const char c = src_[i];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\' || i + 1 >= src_.size()) {
        out += c;
        ++i;
        continue;
      }
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'a': out += '\a'; break;
        case '0': out += '\0'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': ++line_; break;  // a line continuation
        case 'x':
        case 'u':
        case 'U': {
          const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n > src_.size()) fail("truncated \\" + std::string(1, e) + " escape in a string");
          const std::string hex = src_.substr(i, n);
          if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            fail("bad \\" + std::string(1, e) + " escape in a string");
          }
          const unsigned long cp = std::stoul(hex, nullptr, 16);
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail("escape outside Unicode scalar values");
          append_utf8(static_cast<char32_t>(cp), out);
          i += n;
          break;
        }
        default:  // Python keeps unknown escapes as written
          out += '\\';
          out += e;
      }
    }
    tokens_.push_back({Token::Type::kString, out, start_line});
    return i + 1;
  }

  // After `{% raw %}`: text up to `{% endraw %}`, whose own whitespace control applies.
  std::size_t lex_raw(std::size_t pos, bool& strip_next, bool& trim_next_newline) {
    for (std::size_t i = src_.find("{%", pos); i != std::string::npos; i = src_.find("{%", i + 1)) {
      std::size_t q = i + 2;
      const char modifier = q < src_.size() ? src_[q] : '\0';
      if (modifier == '-' || modifier == '+') ++q;
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      bool stripped = false;
      if (q < src_.size() && src_[q] == '-') {
        stripped = true;
        ++q;
      }
      if (src_.compare(q, 2, "%}") != 0) continue;
      std::string text = src_.substr(pos, i - pos);
      if (strip_next) {
        text.erase(0, static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), is_space) - text.begin()));
      } else if (trim_next_newline && !text.empty() && text[0] == '\n') {
        text.erase(0, 1);
      }
      if (modifier == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      }
      emit_text(text, line_);
      line_ += static_cast<int>(std::count(src_.begin() + static_cast<std::ptrdiff_t>(pos),
                                           src_.begin() + static_cast<std::ptrdiff_t>(q), '\n'));
      strip_next = stripped;
      trim_next_newline = !stripped;
      return q + 2;
    }
    fail("{% raw %} without {% endraw %}");
  }

  const std::string& name_;
  std::string src_;
  std::vector<Token> tokens_;
  int line_ = 1;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source, const std::string& template_name) {
  return Lexer(source, template_name).run();
}

}  // namespace aimicius::jinja
