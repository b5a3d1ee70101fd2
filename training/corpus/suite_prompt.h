// A suite's prompt machinery as the corpus needs it: the suite's parsed suite.json (SuiteSpec,
// tasks/suite_spec.h, the parser the harness uses) rendered with its own PromptTemplates
// (tasks/prompt_template.h), so training documents have exactly the shape the model sees at
// evaluation:
//   - render_prompt: the prompt template with its few-shot block EMPTY (included files inserted);
//   - render_answer: the oracle template, i.e. the raw output of a perfect model;
//   - plain_text: the example's own text, without any template wording: the values of the fields
//     the prompt and the oracle read (strings as they are, other JSON as compact JSON), one per
//     line, in order of first appearance. This is the "request -> answer" form of the corpus and
//     the text the contamination check compares (contamination.h);
//   - boilerplate: the template wording every prompt of the suite shares (prompt, few-shot shot
//     and oracle templates with every field blanked, and the included files), as separate
//     segments: n-grams never span a blanked field.
// Invariant: reads only suite.json and the resource files it pins (checksums verified); examples
// are loaded by the caller, split by split.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/dataset.h"
#include "tasks/prompt_template.h"
#include "tasks/suite_spec.h"

namespace aimicius::corpus {

class SuitePrompt {
 public:
  // Throws InputError naming suite.json and the key at fault.
  explicit SuitePrompt(const std::filesystem::path& suite_dir);

  const Manifest& manifest() const { return spec_.manifest; }
  // "" when the suite declares no few-shot pool.
  std::string fewshot_split() const { return spec_.prompt.fewshot ? spec_.prompt.fewshot->split : ""; }
  std::string render_prompt(const nlohmann::json& fields, const std::string& where) const;
  std::string render_answer(const nlohmann::json& fields, const std::string& where) const;
  std::string plain_text(const nlohmann::json& fields) const;
  // The same values one by one (plain_text joins them with '\n').
  std::vector<std::string> field_texts(const nlohmann::json& fields) const;
  std::vector<std::string> boilerplate() const;
  // The example fields plain_text reads, in order.
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  SuiteSpec spec_;
  std::map<std::string, std::string> includes_;  // placeholder -> included file's text
  std::vector<std::string> fields_;
};

}  // namespace aimicius::corpus
