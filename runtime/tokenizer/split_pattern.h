// The pattern of a Hugging Face `Split` pre-tokenizer: a known regex run by a hand-written scanner
// (known_split_patterns.h), any other regex run by RE2, or a literal string.
//
// Regexes for RE2 are first rewritten so that the Perl classes mean what they mean in Oniguruma
// with Unicode (the engine of `tokenizers`): \s and \S become the White_Space property, \d is
// \p{Nd}, \w is [\p{L}\p{M}\p{Nd}\p{Pc}]. A regex RE2 still cannot compile (look-around,
// backreferences, atomic groups, \S or \W inside a bracket) is an InputError naming the pattern.
// Invariant: find_matches returns non-empty, ordered, non-overlapping byte ranges on code point
// boundaries.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/known_split_patterns.h"
#include "runtime/tokenizer/unicode_classifier.h"

namespace re2 {
class RE2;
}

namespace aimicius::runtime {

// Where a pattern came from, for error messages: the file and the JSON path of the pattern.
struct PatternOrigin {
  std::string file;
  std::string json_path;
};

class SplitPattern {
 public:
  // `classifier` must outlive the pattern.
  static SplitPattern from_regex(const std::string& regex, const UnicodeClassifier& classifier,
                                 const PatternOrigin& origin);
  static SplitPattern from_literal(const std::string& literal);

  SplitPattern(SplitPattern&&) noexcept;
  SplitPattern& operator=(SplitPattern&&) noexcept;
  ~SplitPattern();

  std::vector<ByteRange> find_matches(std::string_view text) const;

  // Which scanner runs the pattern, for tests and diagnostics.
  std::optional<KnownSplitPattern> known_pattern() const { return known_; }
  bool uses_re2() const { return compiled_ != nullptr; }

 private:
  SplitPattern() = default;

  std::optional<KnownSplitPattern> known_;
  const UnicodeClassifier* classifier_ = nullptr;
  std::unique_ptr<re2::RE2> compiled_;
  std::string literal_;
};

// The RE2 spelling of an Oniguruma regex (see above); throws std::invalid_argument when a class
// cannot be rewritten.
std::string rewrite_regex_for_re2(std::string_view oniguruma_regex);

}  // namespace aimicius::runtime
