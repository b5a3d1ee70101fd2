// The n-grams that can identify one evaluation example of a suite, shared by the contamination
// check (contamination.h) and the train-pool filter (source_generated.cpp), so both apply the same
// rule:
//   - an example's text is its fields' values (SuitePrompt::field_texts), normalised
//     (text_normalize.h), field by field: an n-gram never spans two fields;
//   - not identifying: n-grams of the suite's boilerplate (templates with fields blanked,
//     included files, label texts), n-grams occurring in two or more distinct examples of the set
//     (the suite's format: shared by examples, naming none), and n-grams made only of numbers
//     (overlap() in ngram_index.h never counts those).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "training/corpus/ngram_index.h"
#include "training/corpus/suite_prompt.h"

namespace aimicius::corpus {

using FieldWords = std::vector<std::vector<std::string>>;  // one example: each field's words

FieldWords field_words(const SuitePrompt& prompt, const nlohmann::json& fields);

class EvalNgrams {
 public:
  // `examples`: the evaluation examples' fields (one JSON object each).
  EvalNgrams(const SuitePrompt& prompt, const std::vector<FieldWords>& examples, size_t n);
  size_t n() const { return boilerplate_.n(); }
  const NgramIndex& boilerplate() const { return boilerplate_; }
  const NgramIndex& common() const { return common_; }
  // n-grams of exactly one example, not boilerplate.
  const NgramIndex& specific() const { return specific_; }
  // Whether `text` shares an identifying n-gram (specific, not numeric-only) with the examples.
  bool shares_specific(const FieldWords& text) const;

 private:
  NgramIndex boilerplate_, common_, specific_;
};

}  // namespace aimicius::corpus
