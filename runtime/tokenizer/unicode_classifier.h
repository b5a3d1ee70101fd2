// Classifies code points into the four classes the pre-tokenizer patterns distinguish: letters
// (\p{L}), numbers (\p{N}), whitespace (\s as Oniguruma reads it with Unicode: the White_Space
// property) and everything else.
//
// Letters and numbers are decided by RE2's Unicode tables (`\p{L}`, `\p{N}`), never by hand-kept
// ranges. The Basic Multilingual Plane is classified once, in the constructor, into a 64 KiB table;
// code points above it are asked of RE2 on each call. Invariants: the object is immutable after
// construction and safe to share between threads; a kInvalidCodePoint (a malformed byte) is Other.
#pragma once

#include <memory>
#include <vector>

namespace re2 {
class RE2;
}

namespace aimicius::runtime {

enum class CodePointClass : unsigned char { kLetter, kNumber, kWhitespace, kOther };

class UnicodeClassifier {
 public:
  UnicodeClassifier();
  ~UnicodeClassifier();
  UnicodeClassifier(const UnicodeClassifier&) = delete;
  UnicodeClassifier& operator=(const UnicodeClassifier&) = delete;

  CodePointClass classify(char32_t code_point) const;

  bool is_letter(char32_t c) const { return classify(c) == CodePointClass::kLetter; }
  bool is_number(char32_t c) const { return classify(c) == CodePointClass::kNumber; }
  bool is_whitespace(char32_t c) const { return classify(c) == CodePointClass::kWhitespace; }

  // Oniguruma's Unicode \s (the White_Space property); needs no table.
  static bool is_white_space_property(char32_t code_point);

 private:
  CodePointClass classify_with_re2(char32_t code_point) const;

  std::unique_ptr<re2::RE2> letter_pattern_;
  std::unique_ptr<re2::RE2> number_pattern_;
  std::vector<CodePointClass> bmp_classes_;  // index: code point < 0x10000
};

}  // namespace aimicius::runtime
