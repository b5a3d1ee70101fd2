// Scanners for the GPT-2, Llama 3 and Qwen2 split patterns (see known_split_patterns.h).
//
// Each scanner tries the pattern's alternatives in order at the current code point and takes the
// first that matches, with the length the regex engine would give it (greedy, with backtracking
// worked out by hand in the comments below).
#include "runtime/tokenizer/known_split_patterns.h"

#include <string>

#include "common/utf8.h"

namespace aimicius::runtime {

namespace {

constexpr std::string_view kGpt2Source =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Source =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Source =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The text as code points with their classes; offsets[i] is the byte offset of code point i and
// offsets[size] == text.size().
struct CodePoints {
  std::vector<char32_t> values;
  std::vector<CodePointClass> classes;
  std::vector<std::size_t> offsets;

  std::size_t size() const { return values.size(); }
  char32_t at(std::size_t i) const { return i < values.size() ? values[i] : kInvalidCodePoint; }
  bool is(std::size_t i, CodePointClass c) const { return i < classes.size() && classes[i] == c; }
  bool is_letter(std::size_t i) const { return is(i, CodePointClass::kLetter); }
  bool is_number(std::size_t i) const { return is(i, CodePointClass::kNumber); }
  bool is_space(std::size_t i) const { return is(i, CodePointClass::kWhitespace); }
  bool is_other(std::size_t i) const { return is(i, CodePointClass::kOther); }
  bool is_cr_or_lf(std::size_t i) const { return at(i) == U'\r' || at(i) == U'\n'; }
};

CodePoints decode_with_classes(std::string_view text, const UnicodeClassifier& classifier) {
  CodePoints cps;
  cps.values.reserve(text.size());
  cps.classes.reserve(text.size());
  cps.offsets.reserve(text.size() + 1);
  for (std::size_t offset = 0; offset < text.size();) {
    const DecodedCodePoint decoded = decode_utf8_at(text, offset);
    cps.values.push_back(decoded.code_point);
    cps.classes.push_back(classifier.classify(decoded.code_point));
    cps.offsets.push_back(offset);
    offset += decoded.length;
  }
  cps.offsets.push_back(text.size());
  return cps;
}

bool equals_folded(char32_t c, char32_t lower_ascii, bool ignore_case) {
  if (c == lower_ascii) return true;
  if (!ignore_case) return false;
  if (c == lower_ascii - U'a' + U'A') return true;
  return lower_ascii == U's' && c == 0x017F;  // LATIN SMALL LETTER LONG S folds to 's'
}

// Length in code points of the contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
std::size_t match_contraction(const CodePoints& cps, std::size_t i, bool ignore_case) {
  if (cps.at(i) != U'\'') return 0;
  const char32_t first = cps.at(i + 1);
  const auto is = [&](char32_t c, char32_t lower) { return equals_folded(c, lower, ignore_case); };
  if (is(first, U's') || is(first, U't') || is(first, U'm') || is(first, U'd')) return 2;
  const char32_t second = cps.at(i + 2);
  if ((is(first, U'r') && is(second, U'e')) || (is(first, U'v') && is(second, U'e')) ||
      (is(first, U'l') && is(second, U'l'))) {
    return 3;
  }
  return 0;
}

std::size_t end_of_run(const CodePoints& cps, std::size_t i, CodePointClass c) {
  while (cps.is(i, c)) ++i;
  return i;
}

// `\s+(?!\S)|\s+` at a whitespace code point i: the whole run when it reaches the end of the text,
// else the run less its last code point (which then prefixes the next token), but never empty.
std::size_t match_trailing_whitespace(const CodePoints& cps, std::size_t i) {
  const std::size_t run_end = end_of_run(cps, i, CodePointClass::kWhitespace);
  if (run_end == cps.size()) return run_end;
  return run_end - 1 > i ? run_end - 1 : run_end;
}

std::size_t next_gpt2_match(const CodePoints& cps, std::size_t i) {
  if (const std::size_t n = match_contraction(cps, i, false)) return i + n;
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space then a run of one class.
  const std::size_t body = (cps.at(i) == U' ' && !cps.is_space(i + 1) && i + 1 < cps.size()) ? i + 1 : i;
  if (!cps.is_space(body)) return end_of_run(cps, body, cps.classes[body]);
  return match_trailing_whitespace(cps, i);
}

std::size_t next_llama3_match(const CodePoints& cps, std::size_t i, std::size_t max_digits) {
  if (const std::size_t n = match_contraction(cps, i, true)) return i + n;
  // `[^\r\n\p{L}\p{N}]?\p{L}+`
  if (cps.is_letter(i)) return end_of_run(cps, i, CodePointClass::kLetter);
  if (!cps.is_cr_or_lf(i) && !cps.is_number(i) && cps.is_letter(i + 1)) {
    return end_of_run(cps, i + 1, CodePointClass::kLetter);
  }
  // `\p{N}{1,3}` (Qwen2: `\p{N}`)
  if (cps.is_number(i)) {
    std::size_t end = i;
    while (end - i < max_digits && cps.is_number(end)) ++end;
    return end;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  const std::size_t body = (cps.at(i) == U' ' && cps.is_other(i + 1)) ? i + 1 : i;
  if (cps.is_other(body)) {
    std::size_t end = end_of_run(cps, body, CodePointClass::kOther);
    while (cps.is_cr_or_lf(end)) ++end;
    return end;
  }
  // Here cps[i] is whitespace. `\s*[\r\n]+`: \s* backs off to the last \r or \n of the run, and
  // [\r\n]+ takes it (nothing but non-\r\n whitespace follows it in the run).
  const std::size_t run_end = end_of_run(cps, i, CodePointClass::kWhitespace);
  for (std::size_t j = run_end; j > i; --j) {
    if (cps.is_cr_or_lf(j - 1)) return j;
  }
  return match_trailing_whitespace(cps, i);
}

}  // namespace

std::string_view known_pattern_source(KnownSplitPattern pattern) {
  switch (pattern) {
    case KnownSplitPattern::kGpt2: return kGpt2Source;
    case KnownSplitPattern::kLlama3: return kLlama3Source;
    case KnownSplitPattern::kQwen2: return kQwen2Source;
  }
  return {};
}

std::optional<KnownSplitPattern> recognise_split_pattern(std::string_view regex) {
  // tiktoken spells cl100k with possessive quantifiers (`]?+`, `]++`); in these patterns they
  // match exactly what the greedy ones do (what follows cannot match what they would give back).
  std::string greedy(regex);
  for (const std::string_view possessive : {"]?+", "]++"}) {
    for (std::size_t at = greedy.find(possessive); at != std::string::npos; at = greedy.find(possessive, at)) {
      greedy.erase(at + 2, 1);
    }
  }
  for (const auto pattern :
       {KnownSplitPattern::kGpt2, KnownSplitPattern::kLlama3, KnownSplitPattern::kQwen2}) {
    if (greedy == known_pattern_source(pattern)) return pattern;
  }
  return std::nullopt;
}

std::vector<ByteRange> scan_known_pattern(KnownSplitPattern pattern, std::string_view text,
                                          const UnicodeClassifier& classifier) {
  const CodePoints cps = decode_with_classes(text, classifier);
  std::vector<ByteRange> matches;
  for (std::size_t i = 0; i < cps.size();) {
    std::size_t end = 0;
    switch (pattern) {
      case KnownSplitPattern::kGpt2: end = next_gpt2_match(cps, i); break;
      case KnownSplitPattern::kLlama3: end = next_llama3_match(cps, i, 3); break;
      case KnownSplitPattern::kQwen2: end = next_llama3_match(cps, i, 1); break;
    }
    if (end <= i) end = i + 1;  // unreachable by construction; keeps the tiling invariant
    matches.push_back({cps.offsets[i], cps.offsets[end]});
    i = end;
  }
  return matches;
}

}  // namespace aimicius::runtime
