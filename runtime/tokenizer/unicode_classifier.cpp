// Code point classes for the pre-tokenizer scanners (see unicode_classifier.h).
#include "runtime/tokenizer/unicode_classifier.h"

#include <re2/re2.h>

#include <stdexcept>
#include <string>

#include "common/utf8.h"

namespace aimicius::runtime {

namespace {
constexpr char32_t kBmpSize = 0x10000;
}  // namespace

UnicodeClassifier::UnicodeClassifier()
    : letter_pattern_(std::make_unique<re2::RE2>("\\p{L}")),
      number_pattern_(std::make_unique<re2::RE2>("\\p{N}")) {
  if (!letter_pattern_->ok() || !number_pattern_->ok()) {
    throw std::runtime_error("UnicodeClassifier: RE2 lacks the Unicode classes \\p{L} / \\p{N}");
  }
  bmp_classes_.resize(kBmpSize, CodePointClass::kOther);
  for (char32_t c = 0; c < kBmpSize; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;  // surrogates are not scalar values
    bmp_classes_[c] = classify_with_re2(c);
  }
}

UnicodeClassifier::~UnicodeClassifier() = default;

bool UnicodeClassifier::is_white_space_property(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

CodePointClass UnicodeClassifier::classify_with_re2(char32_t c) const {
  if (is_white_space_property(c)) return CodePointClass::kWhitespace;
  if (c < 0x80) {  // ASCII: no need to ask RE2
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CodePointClass::kLetter;
    if (c >= '0' && c <= '9') return CodePointClass::kNumber;
    return CodePointClass::kOther;
  }
  std::string encoded;
  append_utf8(c, encoded);
  if (re2::RE2::FullMatch(encoded, *letter_pattern_)) return CodePointClass::kLetter;
  if (re2::RE2::FullMatch(encoded, *number_pattern_)) return CodePointClass::kNumber;
  return CodePointClass::kOther;
}

CodePointClass UnicodeClassifier::classify(char32_t c) const {
  if (c < kBmpSize) return bmp_classes_[c];
  if (c == kInvalidCodePoint || c > 0x10FFFF) return CodePointClass::kOther;
  return classify_with_re2(c);
}

}  // namespace aimicius::runtime
