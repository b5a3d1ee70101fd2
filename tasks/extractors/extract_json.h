// extract_json_object: the "json_object" answer extractor. Turns a raw model output into the text
// of one JSON object, or "" when the output holds none. Rules, first that applies:
//   a. a fenced code block whose fence (``` or ~~~) has the info string "json" (any case): within
//      its body (an unclosed fence runs to the end), the first balanced object (rule b); if the body
//      has none, the body itself without surrounding whitespace (so a broken block reaches the
//      scorer and scores 0 rather than being replaced by some other object of the text);
//   b. the first balanced {...} in the text: from a '{', braces are counted outside JSON strings
//      ("..." with backslash escapes, so "}" or "\"}" inside a string does not close); when that
//      '{' never closes (a truncated answer), the search restarts at the next '{' after it.
// Pure and deterministic; the result is not checked to be valid JSON (the scorer does that).
#pragma once

#include <string>
#include <string_view>

namespace aimicius {

std::string extract_json_object(std::string_view raw_output);

}  // namespace aimicius
