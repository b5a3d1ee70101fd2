// Python's case mappings on UTF-8 (see case_map.h).
#include "common/jinja/case_map.h"

#include <clocale>
#include <cwctype>
#include <locale.h>

#include "common/jinja/value.h"
#include "common/utf8.h"

namespace aimicius::jinja {

namespace {

// glibc's C.UTF-8 character tables, opened once and never changed (null when unavailable).
locale_t unicode_locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return locale;
}

enum class Map { kUpper, kLower, kTitle };

bool python_differs(char32_t c, Map map) {
  if (c == 0x130 || c == 0x149 || c == 0x1F0 || c == 0x390 || c == 0x3B0 || c == 0x587) return true;
  if ((c >= 0x1E96 && c <= 0x1E9A) || (c >= 0x1F50 && c <= 0x1FFF) || (c >= 0xFB00 && c <= 0xFB17)) return true;
  if (map == Map::kLower && c == 0x3A3) return true;  // Σ: ς at the end of a word in Python
  return false;
}

// The title-case form of the digraphs DŽ/Dž/dž, LJ/Lj/lj, NJ/Nj/nj, DZ/Dz/dz (the middle one of each triple).
char32_t title_digraph(char32_t c) {
  if (c >= 0x1C4 && c <= 0x1CC) return 0x1C5 + 3 * ((c - 0x1C4) / 3);
  return 0x1F2;  // U+01F1-U+01F3
}

char32_t map_one(char32_t c, Map map) {
  if (c < 0x80) {
    if (map == Map::kLower) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return (c >= 'a' && c <= 'z') ? c - 32 : c;
  }
  if (c == kInvalidCodePoint) return c;
  if (map == Map::kTitle && ((c >= 0x1C4 && c <= 0x1CC) || (c >= 0x1F1 && c <= 0x1F3))) return title_digraph(c);
  if (python_differs(c, map)) {
    std::string ch;
    append_utf8(c, ch);
    throw ValueError("case mapping of '" + ch + "' is not supported (Python maps it specially)");
  }
  const locale_t locale = unicode_locale();
  if (!locale) throw ValueError("case mapping of non-ASCII text needs the C.UTF-8 locale");
  const wint_t w = static_cast<wint_t>(c);
  return static_cast<char32_t>(map == Map::kLower ? towlower_l(w, locale) : towupper_l(w, locale));
}

bool is_cased(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  const locale_t locale = unicode_locale();
  if (!locale || c == kInvalidCodePoint) return false;
  const wint_t w = static_cast<wint_t>(c);
  return iswupper_l(w, locale) || iswlower_l(w, locale);
}

template <typename Pick>
std::string map_text(const std::string& text, Pick pick) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0, index = 0;
  bool previous_cased = false;
  while (i < text.size()) {
    const DecodedCodePoint d = decode_utf8_at(text, i);
    if (d.code_point == kInvalidCodePoint) {
      out.append(text, i, d.length);
    } else {
      const Map map = pick(index, d.code_point, previous_cased);
      if (d.code_point == 0xDF && map != Map::kLower) {
        out += map == Map::kUpper ? "SS" : "Ss";  // ß: Python's full mapping
      } else {
        append_utf8(map_one(d.code_point, map), out);
      }
    }
    previous_cased = is_cased(d.code_point);
    i += d.length;
    ++index;
  }
  return out;
}

}  // namespace

std::string to_upper(const std::string& text) {
  return map_text(text, [](std::size_t, char32_t, bool) { return Map::kUpper; });
}

std::string to_lower(const std::string& text) {
  return map_text(text, [](std::size_t, char32_t, bool) { return Map::kLower; });
}

std::string capitalize(const std::string& text) {
  return map_text(text, [](std::size_t index, char32_t, bool) { return index == 0 ? Map::kTitle : Map::kLower; });
}

std::string title_case(const std::string& text) {
  return map_text(text, [](std::size_t, char32_t c, bool previous_cased) {
    if (!is_cased(c)) return Map::kLower;  // uncased characters map to themselves either way
    return previous_cased ? Map::kLower : Map::kTitle;
  });
}

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

int64_t word_count(const std::string& text) {
  int64_t words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size();) {
    const DecodedCodePoint d = decode_utf8_at(text, i);
    const char32_t c = d.code_point;
    bool word;
    if (c < 0x80) {
      word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    } else {
      const locale_t locale = unicode_locale();
      word = locale && c != kInvalidCodePoint && iswalnum_l(static_cast<wint_t>(c), locale);
    }
    if (word && !in_word) ++words;
    in_word = word;
    i += d.length;
  }
  return words;
}

std::string jinja_title(const std::string& text) {
  // Words start after '-', whitespace, '(', '{', '[', '<' (jinja2's do_title); each word's first
  // character is upper-cased, the rest lower-cased.
  std::string out;
  std::size_t i = 0;
  bool word_start = true;
  while (i < text.size()) {
    const DecodedCodePoint d = decode_utf8_at(text, i);
    const std::string one = text.substr(i, d.length);
    const char32_t c = d.code_point;
    const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_python_space(c);
    if (separator) {
      out += one;
      word_start = true;
    } else {
      out += word_start ? to_upper(one) : to_lower(one);
      word_start = false;
    }
    i += d.length;
  }
  return out;
}

}  // namespace aimicius::jinja
