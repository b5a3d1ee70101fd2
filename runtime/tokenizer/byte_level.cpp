// GPT-2 byte-level alphabet (see byte_level.h).
#include "runtime/tokenizer/byte_level.h"

#include "common/utf8.h"

namespace aimicius::runtime {

namespace {
bool stands_for_itself(unsigned byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
}
}  // namespace

ByteLevelAlphabet::ByteLevelAlphabet() {
  byte_for_code_point_.fill(-1);
  char32_t next_extra = 0x100;
  for (unsigned byte = 0; byte < 256; ++byte) {
    const char32_t code_point = stands_for_itself(byte) ? byte : next_extra++;
    append_utf8(code_point, char_for_byte_[byte]);
    byte_for_code_point_[code_point] = static_cast<int>(byte);
  }
}

std::optional<unsigned char> ByteLevelAlphabet::byte_for_char(char32_t code_point) const {
  if (code_point >= kCodePointLimit) return std::nullopt;
  const int byte = byte_for_code_point_[code_point];
  if (byte < 0) return std::nullopt;
  return static_cast<unsigned char>(byte);
}

std::string ByteLevelAlphabet::encode(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char byte : bytes) out += char_for_byte_[static_cast<unsigned char>(byte)];
  return out;
}

std::optional<std::string> ByteLevelAlphabet::decode(std::string_view token) const {
  std::string out;
  out.reserve(token.size());
  for (std::size_t offset = 0; offset < token.size();) {
    const DecodedCodePoint decoded = decode_utf8_at(token, offset);
    const auto byte = byte_for_char(decoded.code_point);
    if (!byte) return std::nullopt;
    out.push_back(static_cast<char>(*byte));
    offset += decoded.length;
  }
  return out;
}

}  // namespace aimicius::runtime
