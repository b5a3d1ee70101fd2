// UTF-8 decoding, encoding, repair and cutting: the one place that knows how UTF-8 is built.
// Shared by the tokenizers and the sentence encoder, and by everything that must hand out valid
// UTF-8 (JSON details of the SQL scorer, the OpenAI-compatible server) or cut text without
// splitting a character (streamed output, shortened details, terminal column widths).
//
// Invariants: every function accepts any bytes and never reads past its input. decode_utf8_at
// always advances by at least one byte and reports a malformed or truncated sequence as
// kInvalidCodePoint of length one (byte-level scanners carry such bytes through unchanged);
// decode_utf8 turns each maximal ill-formed subpart into one U+FFFD (the Unicode-recommended
// replacement, as Hugging Face's normalizers do). Overlong forms, surrogates and values above
// U+10FFFF are ill-formed, so every decoded code point is a Unicode scalar value, and what
// valid_utf8 and valid_utf8_bytewise return is always valid UTF-8.
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

// The text with each maximal ill-formed subpart replaced by U+FFFD (decode_utf8's rule): valid
// text comes back unchanged, and the text's pieces cut at character boundaries repair to the
// pieces of its repair (what a stream of chunks needs).
std::string valid_utf8(std::string_view text);
// The text with each byte that does not start a well-formed sequence replaced by U+FFFD
// (decode_utf8_at's rule): one replacement per bad byte, so texts of different bad bytes stay as
// different as their lengths.
std::string valid_utf8_bytewise(std::string_view text);

// How many bytes at the end of `text` are a sequence still waiting for continuation bytes: a lead
// byte and fewer continuation bytes than it announces (0 to 3; 0 for text ending in a whole
// character, ASCII, or bytes that no continuation could make whole). A growing stream holds
// them back until the rest arrives.
std::size_t unfinished_utf8_tail(std::string_view text);

// The longest prefix of at most max_bytes bytes that does not end inside a character: when the
// cut would split a multi-byte sequence, the whole sequence is left out.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes);

// The number of code points, as decode_utf8_at steps through the text (each ill-formed byte
// counts one): the width of the text in a terminal's columns for the scripts the reports show.
std::size_t utf8_length(std::string_view text);

}  // namespace aimicius
