// See suite_prompt.h.
#include "training/corpus/suite_prompt.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_file.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

const char kBlank = '\x01';  // stands for a field while the boilerplate is rendered

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string string_at(const nlohmann::json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) throw InputError(fmt::format("{}: \"{}\" must be a string", where, key));
  return it->get<std::string>();
}

}  // namespace

SuitePrompt::SuitePrompt(const fs::path& suite_dir) : manifest_(read_manifest(suite_dir)) {
  verify_resources(suite_dir, manifest_);
  const std::string file = (suite_dir / "suite.json").string();
  const nlohmann::json def = read_json_file(suite_dir / "suite.json");
  const auto& prompt = def.at("prompt");
  const std::string where = file + ": prompt";
  prompt_ = PromptTemplate(string_at(prompt, "template", where), where + ".template");
  oracle_ = PromptTemplate(string_at(def, "oracle", file), file + ": oracle");
  if (prompt.contains("labels"))
    for (const auto& [field, table] : prompt["labels"].items())
      for (const auto& [value, label] : table.items()) labels_[field][value] = label.get<std::string>();
  if (prompt.contains("includes"))
    for (const auto& [key, path] : prompt["includes"].items())
      includes_[key] = read_text(suite_dir / path.get<std::string>());
  if (prompt.contains("fewshot")) {
    fewshot_split_ = string_at(prompt["fewshot"], "split", where + ".fewshot");
    shot_ = PromptTemplate(string_at(prompt["fewshot"], "template", where + ".fewshot"), where + ".fewshot.template");
    has_shot_ = true;
  }
  auto add_fields = [&](const PromptTemplate& t) {
    for (const auto& name : t.names()) {
      if (name == "fewshot" || includes_.count(name) || name.rfind("label:", 0) == 0) continue;
      if (std::find(fields_.begin(), fields_.end(), name) == fields_.end()) fields_.push_back(name);
    }
  };
  add_fields(prompt_);
  add_fields(oracle_);
}

std::string SuitePrompt::render_prompt(const nlohmann::json& fields, const std::string& where) const {
  std::map<std::string, std::string> extra = includes_;
  extra["fewshot"] = "";
  return prompt_.render(fields, labels_, extra, where);
}

std::string SuitePrompt::render_answer(const nlohmann::json& fields, const std::string& where) const {
  return oracle_.render(fields, labels_, includes_, where);
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
  PromptLabels labels = labels_;
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
  blank_names(prompt_);
  blank_names(oracle_);
  if (has_shot_) blank_names(shot_);
  std::map<std::string, std::string> extra = includes_;
  extra["fewshot"] = std::string(1, kBlank);
  std::string all = prompt_.render(blank, labels, extra, "boilerplate") + kBlank +
                    oracle_.render(blank, labels, extra, "boilerplate");
  if (has_shot_) all += kBlank + shot_.render(blank, labels, extra, "boilerplate");
  for (const auto& [field, table] : labels_)
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
