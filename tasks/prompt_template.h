// Prompt templates of suite.json: text with "{{name}}" placeholders (tasks/suite_spec.h
// says which names exist). A template is parsed once, when the suite loads, so a malformed one
// (an unclosed "{{", an empty name) is an error of the suite file, not of the first example.
//
// Rendering: "{{field}}" takes the example's field (a string as it is, any other JSON value as
// compact JSON); "{{label:field}}" takes labels[field][value of field]; names given in `extra`
// (e.g. "fewshot", included files) take that text. A name that cannot be resolved throws
// InputError naming `where` (the example's origin). Text outside placeholders is copied
// verbatim: a single "{" or "}" is ordinary text (Python code and JSON stay as they are).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius {

using PromptLabels = std::map<std::string, std::map<std::string, std::string>>;

class PromptTemplate {
 public:
  PromptTemplate() = default;
  // Throws InputError naming `where` (e.g. "suite.json: prompt.template") when malformed.
  PromptTemplate(std::string_view text, const std::string& where);

  std::string render(const nlohmann::json& fields, const PromptLabels& labels,
                     const std::map<std::string, std::string>& extra, const std::string& where) const;

  // The names its placeholders use ("label:platform" for a label), in order of appearance.
  std::vector<std::string> names() const;

  // The template before and after the first placeholder `name` (which neither part holds), or
  // nullopt when no placeholder has that name. Rendering both around the placeholder's text gives
  // what render() gives.
  std::optional<std::pair<PromptTemplate, PromptTemplate>> split_at(const std::string& name) const;

 private:
  struct Piece {
    bool placeholder = false;
    std::string text;  // literal text, or the placeholder's name
  };
  std::vector<Piece> pieces_;
};

}  // namespace aimicius
