// UTF-8 decoding and encoding, shared by the tokenizers and the sentence encoder.
//
// Invariants: both decoders accept any bytes and never read past their input. decode_utf8_at
// always advances by at least one byte and reports a malformed or truncated sequence as
// kInvalidCodePoint of length one (byte-level scanners carry such bytes through unchanged);
// decode_utf8 turns each maximal ill-formed subpart into one U+FFFD (the Unicode-recommended
// replacement, as Hugging Face's normalizers do). Overlong forms, surrogates and values above
// U+10FFFF are ill-formed, so every decoded code point is a Unicode scalar value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aimicius {

// Not a Unicode scalar value: marks a byte that does not start a well-formed UTF-8 sequence.
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

struct DecodedCodePoint {
  char32_t code_point;  // kInvalidCodePoint for a malformed byte
  std::size_t length;   // bytes consumed, 1..4
};

// Decodes the code point starting at `offset` (< text.size()).
DecodedCodePoint decode_utf8_at(std::string_view text, std::size_t offset);

// The whole text as code points, ill-formed parts replaced by U+FFFD.
std::u32string decode_utf8(std::string_view text);

// Appends the UTF-8 encoding of a Unicode scalar value.
void append_utf8(char32_t code_point, std::string& out);
std::string encode_utf8(std::u32string_view text);

}  // namespace aimicius
