// See suite_prompt.h.
#include "training/corpus/suite_prompt.h"

#include <algorithm>

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

const char kBlank = '\x01';  // stands for a field while the boilerplate is rendered

}  // namespace

SuitePrompt::SuitePrompt(const fs::path& suite_dir) : spec_(read_suite_spec(suite_dir)) {
  verify_resources(suite_dir, spec_.manifest);
  includes_ = read_prompt_includes(spec_);
  auto add_fields = [&](const PromptTemplate& t) {
    for (const auto& name : t.names()) {
      if (name == "fewshot" || includes_.count(name) || name.rfind("label:", 0) == 0) continue;
      if (std::find(fields_.begin(), fields_.end(), name) == fields_.end()) fields_.push_back(name);
    }
  };
  add_fields(spec_.prompt.text);
  add_fields(spec_.oracle);
}

std::string SuitePrompt::render_prompt(const nlohmann::json& fields, const std::string& where) const {
  std::map<std::string, std::string> extra = includes_;
  extra["fewshot"] = "";
  return spec_.prompt.text.render(fields, spec_.prompt.labels, extra, where);
}

std::string SuitePrompt::render_answer(const nlohmann::json& fields, const std::string& where) const {
  return spec_.oracle.render(fields, spec_.prompt.labels, includes_, where);
}

std::vector<std::string> SuitePrompt::field_texts(const nlohmann::json& fields) const {
  std::vector<std::string> texts;
  for (const auto& name : fields_) {
    auto it = fields.find(name);
    if (it != fields.end()) texts.push_back(it->is_string() ? it->get<std::string>() : it->dump());
  }
  return texts;
}

std::string SuitePrompt::plain_text(const nlohmann::json& fields) const {
  std::string text;
  for (const auto& t : field_texts(fields)) text += (text.empty() ? "" : "\n") + t;
  return text;
}

std::vector<std::string> SuitePrompt::boilerplate() const {
  // Every field and label value becomes kBlank; the rendered text split at kBlank gives the
  // template's own wording, segment by segment.
  nlohmann::json blank = nlohmann::json::object();
  PromptLabels labels = spec_.prompt.labels;
  auto blank_names = [&](const PromptTemplate& t) {
    for (const auto& name : t.names()) {
      if (name.rfind("label:", 0) == 0) {
        const std::string field = name.substr(6);
        blank[field] = std::string(1, kBlank);
        labels[field][std::string(1, kBlank)] = std::string(1, kBlank);
      } else {
        blank[name] = std::string(1, kBlank);
      }
    }
  };
  const PromptTemplate* shot = spec_.prompt.fewshot ? &spec_.prompt.fewshot->shot : nullptr;
  blank_names(spec_.prompt.text);
  blank_names(spec_.oracle);
  if (shot) blank_names(*shot);
  std::map<std::string, std::string> extra = includes_;
  extra["fewshot"] = std::string(1, kBlank);
  std::string all = spec_.prompt.text.render(blank, labels, extra, "boilerplate") + kBlank +
                    spec_.oracle.render(blank, labels, extra, "boilerplate");
  if (shot) all += kBlank + shot->render(blank, labels, extra, "boilerplate");
  for (const auto& [field, table] : spec_.prompt.labels)
    for (const auto& [value, label] : table) all += kBlank + label;
  std::vector<std::string> segments;
  std::string current;
  for (const char c : all) {
    if (c == kBlank) {
      if (!current.empty()) segments.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) segments.push_back(std::move(current));
  return segments;
}

}  // namespace aimicius::corpus
