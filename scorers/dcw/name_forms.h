// The comparison forms of a name in a DCW (a system, workload or criterion as a person spells it),
// used by NameTable (dcw_names.h) to canonicalise names beyond its alias table.
//
// A name becomes forms in four steps, all pure functions of the name and a vocabulary:
//   1. atoms: lower-case ASCII ("µs"/"μs" -> "us"), then split at every character that is not a
//      letter or digit AND at every letter/digit boundary, so "H100SXM", "h100 sxm" and "H100-SXM"
//      give h,100,sxm. A letter run the vocabulary does not know is split into the fewest known
//      pieces ("dgxh" -> dgx,h; "ndv" -> nd,v; "busbandwidth" -> bus,bandwidth) when it can be;
//      filler words and abbreviations (steps 3, 4) are never split.
//   2. tokens: within one word (no separator between), a letter atom followed by a digit atom is one
//      token ("h100", "v5", "llama2"), and a single letter right after digits joins them unless
//      digits follow it ("mi300x", "70b", but "a100v4" -> a100, v4). Across words nothing joins
//      ("SXM 141GB" -> sxm, 141, gb; "Llama 2" -> llama, 2: the alias table lists such spellings).
//   3. spelling rules per token: plural "s" dropped (words of 4+ letters not ending in ss/us/is, and
//      not a word of a canonical name whose singular the catalogue does not know: "NCads") and
//      common abbreviations of metrics and units expanded (bw, busbw, lat, tput, sec, µs, usec, tps,
//      tflop(s), fine-tune, training ...): see kSynonyms in name_forms.cpp.
//   4. filler: vendor and deployment words that never tell two catalogue entries apart ("NVIDIA",
//      "AMD", "Azure", "VM", "SKU", "node", "server", "the", "per", ...).
// key: the tokens after step 3 (filler kept), joined by one space: "ND H100 v5", "nd-h100-v5",
//   "NDH100v5" share a key. `tokens`: the set after step 4, for matching by token sets.
//
// NameVocabulary: the letter runs known for splitting (step 1), built from every spelling and fact
// of the catalogue. A run that is itself two or more known runs of 2+ letters each ("allreduce",
// "busbw") is dropped so that glued and spaced spellings split alike, unless it is a word of a
// canonical name ("alltoall", "NCads": the catalogue's own words stay whole, so that "NCads" alone
// still tells NCads H100 v5 from NC A100 v4). Immutable after finish(); safe to share between threads.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

struct NameAtom {
  std::string text;          // letters only or digits only
  bool starts_word = false;  // a separator (or the start) comes before it
};

class NameVocabulary {
 public:
  // Learns the letter runs of `text` (any spelling or fact; `canonical`: a canonical name, whose
  // words are never dropped as compounds). Only before finish().
  void add(std::string_view text, bool canonical = false);
  // Drops runs that are compounds of other known runs (see above). Call once, after every add().
  void finish();
  bool knows(const std::string& run) const { return runs_.count(run) > 0; }
  bool is_canonical_word(const std::string& run) const { return kept_.count(run) > 0; }
  // Step 1 above.
  std::vector<NameAtom> atoms(std::string_view name) const;

 private:
  // Pieces are known runs, so none is longer than longest_: the split looks at O(run x longest_)
  // substrings, linear in an answer's run however long (an unbounded run once took minutes).
  std::vector<std::string> split_run(const std::string& run, std::size_t min_piece) const;
  std::set<std::string, std::less<>> runs_;
  std::size_t longest_ = 0;  // the longest run learned (an upper bound after finish())
  std::set<std::string> kept_;  // runs of canonical names
  bool finished_ = false;
};

struct NameForms {
  std::string key;               // spelling key, filler kept
  std::set<std::string> tokens;  // matching tokens, filler removed
};

NameForms name_forms(std::string_view name, const NameVocabulary& vocabulary);

// Whether `token` (a form after step 3) is a filler word of step 4.
bool is_filler_token(const std::string& token);

}  // namespace aimicius
