// See text_normalize.h for the rules.
#include "training/corpus/text_normalize.h"

namespace aimicius::corpus {

std::vector<std::string> normalise_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80) {
      current += ch;
    } else if (c >= 'A' && c <= 'Z') {
      current += static_cast<char>(c - 'A' + 'a');
    } else {
      flush();  // whitespace, control characters and punctuation separate words
    }
  }
  flush();
  return words;
}

}  // namespace aimicius::corpus
