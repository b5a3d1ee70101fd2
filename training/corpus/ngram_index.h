// A set of word n-grams (n fixed per index), stored as 64-bit hashes of the normalised words
// (text_normalize.h) in one sorted vector: 8 bytes per distinct n-gram, no per-entry allocation,
// lookups by binary search. A few MB of corpus text is about a million n-grams, so ~8 MB per index.
//
// Collisions: a false match needs a test n-gram's hash to equal one of the corpus's N hashes by
// chance, probability about N / 2^64 per lookup. With N ~ 10^6 corpus n-grams and ~10^6 test
// n-grams looked up, the expected number of false matches is ~10^12 / 1.8e19 ~ 5e-8: none, at
// this scale. (The hash is FNV-1a over the words with a separator byte, fixed, so results are the
// same on every platform.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aimicius::corpus {

// Hash of words[begin, begin + n).
uint64_t ngram_hash(const std::vector<std::string>& words, size_t begin, size_t n);

// The hashes of every n-gram of `words`, in order (words.size() - n + 1 of them; none when shorter).
std::vector<uint64_t> ngram_hashes(const std::vector<std::string>& words, size_t n);

class NgramIndex {
 public:
  explicit NgramIndex(size_t n) : n_(n) {}
  size_t n() const { return n_; }
  // Adds every n-gram of `words`; call finish() before lookups.
  void add(const std::vector<std::string>& words);
  void add_hash(uint64_t h) { hashes_.push_back(h); }
  void finish();
  bool contains(uint64_t hash) const;
  size_t size() const { return hashes_.size(); }

 private:
  size_t n_;
  std::vector<uint64_t> hashes_;
  bool finished_ = false;
};

}  // namespace aimicius::corpus

namespace aimicius::corpus {

// How much of `words` the indexed corpus covers: `shared` = positions whose n-gram is in `corpus`
// and in none of `excluded`; `longest` = words in the longest span covered by consecutive such
// n-grams (run of k positions -> k + n - 1 words), starting at word `begin`. An n-gram made only
// of numbers never counts: digit runs (GPU ids, chunk ids, sizes in a schedule) recur in any
// structured text and say nothing about which example they came from.
struct Overlap {
  size_t shared = 0;
  size_t longest = 0;
  size_t begin = 0;
};
Overlap overlap(const std::vector<std::string>& words, const NgramIndex& corpus,
                const std::vector<const NgramIndex*>& excluded);

}  // namespace aimicius::corpus
