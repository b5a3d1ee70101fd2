// Escaping for the text formats reports write: HTML/XML (also valid UTF-8 only, since model
// output is arbitrary bytes) and CSV fields (RFC 4180).
//
// Invariants: html_escape output contains no raw '<', '>', '&', '"' or '\'' and no byte sequence
// that is not UTF-8 (ill-formed parts become U+FFFD), and no control character XML 1.0 forbids,
// so it is safe in element text and in quoted attributes of HTML and XML alike.
#pragma once

#include <string>
#include <string_view>

namespace aimicius {

std::string html_escape(std::string_view text);

// Quotes a field when it holds a comma, quote, CR or LF (quotes doubled); as is otherwise.
std::string csv_field(std::string_view text);

}  // namespace aimicius
