// Hand-written pre-tokenizers for the split patterns of the well-known byte-level BPE tokenizers,
// whose regexes use constructs RE2 lacks (the lookahead `\s+(?!\S)`).
//
//   kGpt2    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//            (GPT-2, and ByteLevel's own regex when use_regex is true)
//   kLlama3  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+   (Llama 3, tiktoken cl100k_base)
//   kQwen2   the Llama 3 pattern with \p{N} instead of \p{N}{1,3} (Qwen2, Qwen2.5)
//
// The scanner reproduces what Oniguruma (the engine of Hugging Face `tokenizers`) finds: the same
// leftmost-first alternation and the same backtracking, over code points, with \s the Unicode
// White_Space property and (?i) folding 's' to 'S' and U+017F. Invariant: the returned matches tile
// the text (each starts where the previous ended, the first at 0, the last ends at text.size()),
// none is empty, and every boundary falls between code points (a malformed byte is one "other" code
// point).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/unicode_classifier.h"

namespace aimicius::runtime {

enum class KnownSplitPattern { kGpt2, kLlama3, kQwen2 };

struct ByteRange {
  std::size_t begin;
  std::size_t end;
};

// The regex source text of a known pattern, exactly as tokenizer.json files spell it.
std::string_view known_pattern_source(KnownSplitPattern pattern);

// Which known pattern `regex` is, by exact text (tiktoken's possessive spelling of the Llama 3
// pattern, `]?+` / `]++`, counts as the Llama 3 one); nothing when it is none of them.
std::optional<KnownSplitPattern> recognise_split_pattern(std::string_view regex);

// The matches of `pattern` in `text` (see the invariant above).
std::vector<ByteRange> scan_known_pattern(KnownSplitPattern pattern, std::string_view text,
                                          const UnicodeClassifier& classifier);

}  // namespace aimicius::runtime
