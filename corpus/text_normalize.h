// The one text normalisation of the contamination check, applied identically to the corpus and to
// the evaluation examples (so an n-gram means the same on both sides):
//   - ASCII letters are lower-cased (other bytes are kept as they are);
//   - a word is a maximal run of ASCII letters, digits, '_' and bytes >= 0x80 (UTF-8 text stays
//     inside words);
//   - every other printable ASCII character (punctuation, operators, quotes, brackets) is a word of
//     its own, so "--format=csv,noheader" is "- - format = csv , noheader";
//   - whitespace (and control characters) only separates words: runs of it collapse.
// Splitting punctuation matters for commands and code, whose "words" are mostly glued by it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius::corpus {

std::vector<std::string> normalise_words(std::string_view text);

}  // namespace aimicius::corpus
