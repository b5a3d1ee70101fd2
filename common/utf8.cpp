// UTF-8 decoding and encoding (see utf8.h).
#include "common/utf8.h"

namespace aimicius {

DecodedCodePoint decode_utf8_at(std::string_view text, std::size_t offset) {
  const auto byte_at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte_at(offset);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return {kInvalidCodePoint, 1};
  }
  if (offset + length > text.size()) return {kInvalidCodePoint, 1};
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char continuation = byte_at(offset + i);
    if ((continuation & 0xC0) != 0x80) return {kInvalidCodePoint, 1};
    value = (value << 6) | (continuation & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return {kInvalidCodePoint, 1};
  }
  return {value, length};
}

void append_utf8(char32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    int length = 0;
    char32_t c = 0;
    char32_t min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, c = lead & 0x1F, min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, c = lead & 0x0F, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, c = lead & 0x07, min = 0x10000;
    }
    int consumed = 1;
    for (; length > 0 && consumed < length && i + consumed < text.size(); ++consumed) {
      const auto next = static_cast<unsigned char>(text[i + consumed]);
      if ((next & 0xC0) != 0x80) break;
      c = (c << 6) | (next & 0x3F);
    }
    const bool complete = length > 0 && consumed == length;
    if (complete && c >= min && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF)) {
      out.push_back(c);
    } else {
      out.push_back(U'\uFFFD');
    }
    i += consumed;
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(c, out);
  return out;
}

std::string valid_utf8(std::string_view text) { return encode_utf8(decode_utf8(text)); }

std::string valid_utf8_bytewise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const DecodedCodePoint decoded = decode_utf8_at(text, pos);
    if (decoded.code_point == kInvalidCodePoint) {
      append_utf8(0xFFFD, out);
    } else {
      out.append(text.substr(pos, decoded.length));
    }
    pos += decoded.length;
  }
  return out;
}

std::size_t unfinished_utf8_tail(std::string_view text) {
  // Looks back over at most three continuation bytes for the lead byte they belong to.
  for (std::size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if (byte < 0x80) return 0;     // ASCII: nothing unfinished before it matters
    if (byte < 0xC0) continue;     // a continuation byte: its lead byte is further back
    const std::size_t announced = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
    return back < announced ? back : 0;
  }
  return 0;
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const std::string_view prefix = text.substr(0, max_bytes);
  return prefix.substr(0, prefix.size() - unfinished_utf8_tail(prefix));
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += decode_utf8_at(text, pos).length) ++count;
  return count;
}

}  // namespace aimicius
