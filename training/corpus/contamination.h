// The contamination check: how much of the suites' evaluation examples (dev and test splits) the
// training corpus contains, by shared word n-grams (text_normalize.h, the same normalisation on
// both sides; ngram_index.h, hashed). docs/CORPUS.md explains it with the measured figures.
//
// What is compared. An example's own text: the values of the fields its prompt and oracle read
// (SuitePrompt::field_texts: request, topology, reference, ...), field by field, so an n-gram never
// spans two fields, and without the template's wording. The corpus side is every document's text.
//
// What is not counted (eval_ngrams.h holds the rule, shared with the corpus's train filter):
//   1. template n-grams: n-grams of the suite's boilerplate (prompt, few-shot and oracle templates
//      with fields blanked, included files such as the schema or catalogue, label texts). Every
//      prompt of the suite shows them; the corpus renders prompts, so they are everywhere;
//   2. n-grams made only of numbers (ngram_index.h's overlap());
//   3. (the "specific" figures only) suite-common n-grams: n-grams that occur in two or more
//      distinct evaluation examples of the same suite. Such an n-gram belongs to the suite's
//      format (the JSON keys of a DCW, a program's fixed header, a topology line shared by many
//      topologies, a phrase of a request template shared across examples), not to any one
//      example, so its presence in the corpus tells nothing about one example's answer. An example
//      copied into the corpus still matches on the n-grams only it has; examples with no such
//      n-gram (nothing of their own to find) are counted and reported.
// The "raw" figures skip only 1 and 2; the verdict and --max-overlap use the specific 13-gram rate.
//
// Per example: whether it shares any 13-gram / 8-gram with the corpus, and the longest runs of
// consecutive shared words (maximal spans covered by consecutive shared n-grams), with their text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aimicius::corpus {

struct ExampleOverlap {
  std::string suite, split, id, origin;
  size_t words = 0;
  size_t longest = 0;      // words in the longest shared span (specific, by 8-grams), 0 when none
  std::string shared;      // that span's normalised words
  size_t longest13 = 0;    // the same by specific 13-grams (what --max-overlap counts)
  std::string shared13;
  size_t longest_raw = 0;  // the same with only the template n-grams excluded
  std::string shared_raw;
  bool hit13 = false, hit8 = false, hit13_raw = false, hit8_raw = false;
  bool has_specific13 = false;  // has at least one 13-gram of its own (else undetectable)
};

struct SplitOverlap {
  std::string suite, split;
  size_t examples = 0;
  size_t hit13 = 0, hit8 = 0, hit13_raw = 0, hit8_raw = 0;
  size_t without_specific13 = 0;
  std::vector<ExampleOverlap> worst;  // largest `longest` first (then longest_raw), at most `worst` of them
  double rate13() const { return examples ? double(hit13) / examples : 0; }
  double rate8() const { return examples ? double(hit8) / examples : 0; }
  double rate13_raw() const { return examples ? double(hit13_raw) / examples : 0; }
  double rate8_raw() const { return examples ? double(hit8_raw) / examples : 0; }
};

struct ContaminationReport {
  std::filesystem::path corpus_file;
  size_t documents = 0, corpus_words = 0, index13 = 0, index8 = 0;
  double max_overlap = 0.01;
  std::vector<SplitOverlap> splits;
  // The first test split over max_overlap: "" when none.
  std::string failure;
};

struct ContaminationOptions {
  std::filesystem::path data_dir;
  std::vector<std::string> suites;  // empty: every suite of data_dir
  std::filesystem::path corpus_dir;  // holds corpus.jsonl
  double max_overlap = 0.01;         // largest allowed specific 13-gram rate of a test split
  size_t worst = 3;
};

// Throws InputError naming the corpus file and line when corpus.jsonl is malformed.
ContaminationReport check_contamination(const ContaminationOptions& options);

// The report as text (a table per split, the worst examples, the verdict).
std::string format_report(const ContaminationReport& report);

}  // namespace aimicius::corpus
