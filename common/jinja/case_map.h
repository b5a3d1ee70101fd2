// Python's str.upper(), lower(), capitalize() and title() on UTF-8 text, and jinja2's title filter,
// for the filters, tests and string methods of the Jinja interpreter. Letters map by Unicode's
// simple case mapping (glibc's C.UTF-8 tables), ß to SS/Ss and the digraphs to their title forms as
// Python does; the few other characters whose Python mapping differs from the simple one (a full
// mapping to several characters: İ, ŉ, ǰ, the ligatures U+FB00-U+FB17, Greek extended
// U+1F50-U+1FFF, the final-sigma rule of Σ)
// are a ValueError rather than a silently different string. ASCII never needs the tables.
#pragma once

#include <cstdint>
#include <string>

namespace aimicius::jinja {

std::string to_upper(const std::string& text);
std::string to_lower(const std::string& text);
std::string capitalize(const std::string& text);
std::string title_case(const std::string& text);   // str.title()
std::string jinja_title(const std::string& text);  // the |title filter

// Python's str.isspace() for one code point (strip, split, trim, |title's word breaks).
bool is_python_space(char32_t c);

// The number of runs of word characters (Python's \w: letters, digits, underscore), as |wordcount.
int64_t word_count(const std::string& text);

}  // namespace aimicius::jinja
