// The one text normalisation of the contamination check, applied identically to the corpus and to
// the evaluation examples (so an n-gram means the same on both sides):
//   - ASCII letters are lower-cased (other bytes are kept as they are);
//   - a word is a maximal run of ASCII letters, digits, '_' and bytes >= 0x80 (UTF-8 text stays
//     inside words);
//   - every other character (whitespace, control characters, ASCII punctuation, operators, quotes,
//     brackets) separates words and is dropped, so "--format=csv,noheader" is "format csv
//     noheader" and runs of whitespace collapse.
// Splitting at punctuation matters for commands and code, whose words are glued by it; dropping it
// (as the usual 13-gram decontamination does) keeps n-grams made of words: otherwise a command's
// dashes, commas and equals signs would fill half of every n-gram.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius::corpus {

std::vector<std::string> normalise_words(std::string_view text);

}  // namespace aimicius::corpus
