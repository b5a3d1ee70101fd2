// GPT-2's byte-level alphabet (`bytes_to_unicode`): every byte 0..255 is shown as one printable
// code point, so that a byte string becomes a Unicode string a BPE vocabulary can hold.
//
// Bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF stand for themselves; the other 68 bytes take
// U+0100, U+0101, ... in byte order (so the space 0x20 is U+0120 'Ġ', the newline 0x0A is 'Ċ').
// Invariant: the mapping is a bijection between the 256 bytes and 256 code points below U+0144.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace aimicius::runtime {

class ByteLevelAlphabet {
 public:
  ByteLevelAlphabet();

  // The UTF-8 text of the code point that stands for `byte`.
  const std::string& char_for_byte(unsigned char byte) const { return char_for_byte_[byte]; }

  // The byte a code point stands for, or nothing when the code point is not in the alphabet.
  std::optional<unsigned char> byte_for_char(char32_t code_point) const;

  // Maps every byte of `bytes` to its code point's UTF-8 text.
  std::string encode(std::string_view bytes) const;

  // Maps a token written in the alphabet back to bytes; nothing when some code point is not in the
  // alphabet (the caller then uses the token's text as is, as the Hugging Face decoder does).
  std::optional<std::string> decode(std::string_view token) const;

 private:
  static constexpr char32_t kCodePointLimit = 0x144;
  std::array<std::string, 256> char_for_byte_;
  std::array<int, kCodePointLimit> byte_for_code_point_;  // -1: not in the alphabet
};

}  // namespace aimicius::runtime
