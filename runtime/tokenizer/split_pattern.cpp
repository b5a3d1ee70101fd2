// Split patterns: known scanners, RE2, literals (see split_pattern.h).
#include "runtime/tokenizer/split_pattern.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <stdexcept>

#include "common/errors.h"
#include "common/utf8.h"

namespace aimicius::runtime {

namespace {

constexpr std::string_view kWhiteSpaceRanges =
    R"(\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
constexpr std::string_view kWordRanges = R"(\p{L}\p{M}\p{Nd}\p{Pc})";

std::size_t next_code_point_boundary(std::string_view text, std::size_t offset) {
  return offset + decode_utf8_at(text, offset).length;
}

}  // namespace

std::string rewrite_regex_for_re2(std::string_view regex) {
  std::string out;
  bool in_class = false;
  bool class_just_opened = false;  // a ']' right after '[' or '[^' is a literal
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      const char escaped = regex[++i];
      class_just_opened = false;
      switch (escaped) {
        case 's': out += in_class ? std::string(kWhiteSpaceRanges) : fmt::format("[{}]", kWhiteSpaceRanges); break;
        case 'S':
          if (in_class) throw std::invalid_argument("\\S inside a bracket expression");
          out += fmt::format("[^{}]", kWhiteSpaceRanges);
          break;
        case 'd': out += "\\p{Nd}"; break;
        case 'D': out += "\\P{Nd}"; break;
        case 'w': out += in_class ? std::string(kWordRanges) : fmt::format("[{}]", kWordRanges); break;
        case 'W':
          if (in_class) throw std::invalid_argument("\\W inside a bracket expression");
          out += fmt::format("[^{}]", kWordRanges);
          break;
        default: out += '\\'; out += escaped; break;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      class_just_opened = true;
      out += c;
      if (i + 1 < regex.size() && regex[i + 1] == '^') out += regex[++i];
      continue;
    }
    if (in_class && c == '[' && i + 1 < regex.size() && regex[i + 1] == ':') {  // [:alpha:]
      const std::size_t close = regex.find(":]", i + 2);
      if (close != std::string_view::npos) {
        out.append(regex.substr(i, close + 2 - i));
        i = close + 1;
        class_just_opened = false;
        continue;
      }
    }
    if (in_class && c == ']' && !class_just_opened) in_class = false;
    class_just_opened = false;
    out += c;
  }
  return out;
}

SplitPattern::SplitPattern(SplitPattern&&) noexcept = default;
SplitPattern& SplitPattern::operator=(SplitPattern&&) noexcept = default;
SplitPattern::~SplitPattern() = default;

SplitPattern SplitPattern::from_regex(const std::string& regex, const UnicodeClassifier& classifier,
                                      const PatternOrigin& origin) {
  SplitPattern pattern;
  pattern.classifier_ = &classifier;
  pattern.known_ = recognise_split_pattern(regex);
  if (pattern.known_) return pattern;
  std::string rewritten;
  try {
    rewritten = rewrite_regex_for_re2(regex);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}: unsupported split pattern '{}': {}", origin.file,
                                 origin.json_path, regex, e.what()));
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  pattern.compiled_ = std::make_unique<re2::RE2>(rewritten, options);
  if (!pattern.compiled_->ok()) {
    throw InputError(fmt::format(
        "{}: {}: unsupported split pattern '{}': it is not one of the known GPT-2 / Llama 3 / Qwen2 "
        "patterns and RE2 cannot run it ({})",
        origin.file, origin.json_path, regex, pattern.compiled_->error()));
  }
  return pattern;
}

SplitPattern SplitPattern::from_literal(const std::string& literal) {
  SplitPattern pattern;
  pattern.literal_ = literal;
  return pattern;
}

std::vector<ByteRange> SplitPattern::find_matches(std::string_view text) const {
  if (known_) return scan_known_pattern(*known_, text, *classifier_);
  std::vector<ByteRange> matches;
  if (compiled_) {
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece match;
    std::size_t position = 0;
    while (position <= text.size() &&
           compiled_->Match(input, position, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
      const std::size_t begin = static_cast<std::size_t>(match.data() - text.data());
      const std::size_t end = begin + match.size();
      if (end > begin) {
        matches.push_back({begin, end});
        position = end;
      } else if (begin < text.size()) {
        position = next_code_point_boundary(text, begin);
      } else {
        break;
      }
    }
    return matches;
  }
  if (literal_.empty()) return matches;
  for (std::size_t found = text.find(literal_); found != std::string_view::npos;
       found = text.find(literal_, found + literal_.size())) {
    matches.push_back({found, found + literal_.size()});
  }
  return matches;
}

}  // namespace aimicius::runtime
