// See eval_ngrams.h.
#include "training/corpus/eval_ngrams.h"

#include <algorithm>
#include <unordered_map>

#include "training/corpus/text_normalize.h"

namespace aimicius::corpus {

FieldWords field_words(const SuitePrompt& prompt, const nlohmann::json& fields) {
  FieldWords out;
  for (const auto& t : prompt.field_texts(fields)) out.push_back(normalise_words(t));
  return out;
}

EvalNgrams::EvalNgrams(const SuitePrompt& prompt, const std::vector<FieldWords>& examples, size_t n)
    : boilerplate_(n), common_(n), specific_(n) {
  for (const auto& segment : prompt.boilerplate()) boilerplate_.add(normalise_words(segment));
  boilerplate_.finish();
  std::unordered_map<uint64_t, int> seen_in;  // n-gram -> distinct examples holding it
  for (const auto& fields : examples) {
    std::vector<uint64_t> hs;
    for (const auto& words : fields)
      for (const uint64_t h : ngram_hashes(words, n)) hs.push_back(h);
    std::sort(hs.begin(), hs.end());
    hs.erase(std::unique(hs.begin(), hs.end()), hs.end());
    for (const uint64_t h : hs) ++seen_in[h];
  }
  for (const auto& [h, count] : seen_in) {
    if (count >= 2)
      common_.add_hash(h);
    else if (!boilerplate_.contains(h))
      specific_.add_hash(h);
  }
  common_.finish();
  specific_.finish();
}

bool EvalNgrams::shares_specific(const FieldWords& text) const {
  for (const auto& words : text)
    if (overlap(words, specific_, {}).shared > 0) return true;
  return false;
}

}  // namespace aimicius::corpus
