// See ngram_index.h.
#include "training/corpus/ngram_index.h"

#include <algorithm>
#include <stdexcept>

namespace aimicius::corpus {

uint64_t ngram_hash(const std::vector<std::string>& words, size_t begin, size_t n) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a offset basis
  for (size_t i = begin; i < begin + n; ++i) {
    for (const char c : words[i]) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
    h ^= 0x1f;  // word separator: "ab c" and "a bc" differ
    h *= 1099511628211ULL;
  }
  return h;
}

std::vector<uint64_t> ngram_hashes(const std::vector<std::string>& words, size_t n) {
  std::vector<uint64_t> out;
  if (n == 0 || words.size() < n) return out;
  out.reserve(words.size() - n + 1);
  for (size_t i = 0; i + n <= words.size(); ++i) out.push_back(ngram_hash(words, i, n));
  return out;
}

void NgramIndex::add(const std::vector<std::string>& words) {
  for (const uint64_t h : ngram_hashes(words, n_)) hashes_.push_back(h);
  finished_ = false;
}

void NgramIndex::finish() {
  std::sort(hashes_.begin(), hashes_.end());
  hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
  finished_ = true;
}

bool NgramIndex::contains(uint64_t hash) const {
  if (!finished_) throw std::logic_error("NgramIndex::contains before finish()");
  return std::binary_search(hashes_.begin(), hashes_.end(), hash);
}

}  // namespace aimicius::corpus

namespace aimicius::corpus {

Overlap overlap(const std::vector<std::string>& words, const NgramIndex& corpus,
                const std::vector<const NgramIndex*>& excluded) {
  Overlap result;
  const size_t n = corpus.n();
  size_t run = 0;
  const std::vector<uint64_t> hashes = ngram_hashes(words, n);
  std::vector<size_t> numeric_run(words.size() + 1, 0);  // numeric_run[i]: number words starting at i
  for (size_t i = words.size(); i-- > 0;)
    numeric_run[i] = words[i].find_first_not_of("0123456789") == std::string::npos ? numeric_run[i + 1] + 1 : 0;
  for (size_t i = 0; i < hashes.size(); ++i) {
    bool hit = numeric_run[i] < n && corpus.contains(hashes[i]);
    for (const NgramIndex* ex : excluded) hit = hit && !ex->contains(hashes[i]);
    run = hit ? run + 1 : 0;
    if (!hit) continue;
    ++result.shared;
    if (run + n - 1 > result.longest) {
      result.longest = run + n - 1;
      result.begin = i + 1 - run;
    }
  }
  return result;
}

}  // namespace aimicius::corpus
