// See suite_spec.h: the one parser of suite.json. read_manifest is its first stage (the pinning
// part); read_suite_spec runs it and then checks and reads the rest.
#include "tasks/suite_spec.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

// The keys each object of the format may hold: a typo must not be silently ignored.
const std::vector<std::string> kSuiteKeys = {"name",      "version", "description", "provenance",
                                             "files",     "prompt",  "oracle",      "extractor",
                                             "stop",      "scorers", "metrics",     "subset_field",
                                             "chat_stop", "max_new_tokens"};
const std::vector<std::string> kPromptKeys = {"version", "template", "labels", "includes", "fewshot"};
const std::vector<std::string> kFewshotKeys = {"split", "count", "match", "template"};
const std::vector<std::string> kMetricKeys = {"name", "headline"};

void check_keys(const nlohmann::json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  if (!obj.is_object()) throw InputError(fmt::format("{}: expected a JSON object", where));
  const std::set<std::string> known(allowed.begin(), allowed.end());
  for (const auto& [key, _] : obj.items())
    if (!known.count(key))
      throw InputError(fmt::format("{}: unknown key \"{}\" (known: {})", where, key, fmt::join(allowed, ", ")));
}

std::string string_at(const nlohmann::json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty())
    throw InputError(fmt::format("{}: \"{}\" must be a non-empty string", where, key));
  return it->get<std::string>();
}

Manifest manifest_of(const nlohmann::json& j, const std::string& where) {
  Manifest m;
  m.suite = string_at(j, "name", where);
  m.version = string_at(j, "version", where);
  if (j.contains("provenance")) {
    if (!j["provenance"].is_string()) throw InputError(fmt::format("{}: \"provenance\" must be a string", where));
    m.provenance = j["provenance"].get<std::string>();
  }
  if (!j.contains("files") || !j["files"].is_array() || j["files"].empty())
    throw InputError(fmt::format("{}: \"files\" must be a non-empty array", where));
  for (const auto& f : j["files"]) {
    if (!f.is_object()) throw InputError(fmt::format("{}: each of \"files\" must be an object", where));
    DatasetFile df;
    df.path = string_at(f, "path", where);
    df.split = string_at(f, "split", where);
    if (f.contains("sha256") && !f["sha256"].is_string())
      throw InputError(fmt::format("{}: files \"{}\": \"sha256\" must be a string", where, df.path));
    if (f.contains("count") && !f["count"].is_number_unsigned())
      throw InputError(fmt::format("{}: files \"{}\": \"count\" must be a whole number", where, df.path));
    df.sha256 = f.value("sha256", "");
    df.count = f.value("count", int64_t{0});
    if (fs::path(df.path).is_absolute() || df.path.find("..") != std::string::npos)
      throw InputError(fmt::format("{}: data file path must stay inside the suite folder: {}", where, df.path));
    // One file in two splits (test data listed again as few-shot shots) would leak answers.
    for (const auto& earlier : m.files)
      if (fs::path(earlier.path).lexically_normal() == fs::path(df.path).lexically_normal())
        throw InputError(fmt::format("{}: \"{}\" is listed twice in \"files\" (splits \"{}\" and \"{}\"): a file "
                                     "belongs to one split", where, df.path, earlier.split, df.split));
    m.files.push_back(std::move(df));
  }
  return m;
}

std::vector<std::string> string_list(const nlohmann::json& list, const std::string& where, const char* what) {
  if (!list.is_array()) throw InputError(fmt::format("{}: \"{}\" must be a list of non-empty strings", where, what));
  std::vector<std::string> out;
  for (const auto& s : list) {
    if (!s.is_string() || s.get<std::string>().empty())
      throw InputError(fmt::format("{}: \"{}\" must be a list of non-empty strings", where, what));
    out.push_back(s.get<std::string>());
  }
  return out;
}

FewshotSpec fewshot_of(const nlohmann::json& def, const std::string& where) {
  check_keys(def, kFewshotKeys, where);
  FewshotSpec spec;
  spec.split = string_at(def, "split", where);
  const auto count = def.find("count");
  if (count == def.end() || !count->is_number_unsigned() || count->get<size_t>() < 1)
    throw InputError(fmt::format("{}: \"count\" must be at least 1", where));
  spec.count = count->get<size_t>();
  if (def.contains("match")) spec.match = string_list(def["match"], where, "match");
  spec.shot = PromptTemplate(string_at(def, "template", where), where + ".template");
  return spec;
}

PromptSpec prompt_of(const nlohmann::json& def, const Manifest& manifest, const std::string& where) {
  check_keys(def, kPromptKeys, where);
  PromptSpec prompt;
  prompt.version = string_at(def, "version", where);
  prompt.text = PromptTemplate(string_at(def, "template", where), where + ".template");
  if (def.contains("labels")) {
    if (!def["labels"].is_object()) throw InputError(fmt::format("{}.labels: expected an object", where));
    for (const auto& [field, table] : def["labels"].items()) {
      if (!table.is_object()) throw InputError(fmt::format("{}.labels.{}: expected an object", where, field));
      for (const auto& [value, label] : table.items()) {
        if (!label.is_string()) throw InputError(fmt::format("{}.labels.{}.{}: expected a string", where, field, value));
        prompt.labels[field][value] = label.get<std::string>();
      }
    }
  }
  if (def.contains("includes")) {
    if (!def["includes"].is_object()) throw InputError(fmt::format("{}.includes: expected an object", where));
    std::set<std::string> resources;
    for (const auto& f : manifest.files)
      if (f.split == kResourceSplit) resources.insert(f.path);
    for (const auto& [key, path] : def["includes"].items()) {
      if (!path.is_string() || !resources.count(path.get<std::string>()))
        throw InputError(fmt::format("{}.includes.{}: must name a file listed in \"files\" with split \"{}\" "
                                     "(so its checksum is pinned)",
                                     where, key, kResourceSplit));
      prompt.includes[key] = path.get<std::string>();
    }
  }
  if (def.contains("fewshot")) {
    prompt.fewshot = fewshot_of(def["fewshot"], where + ".fewshot");
    const auto names = prompt.text.names();
    if (std::find(names.begin(), names.end(), "fewshot") == names.end())
      throw InputError(fmt::format("{}: a few-shot pool is declared but the template has no {{{{fewshot}}}}", where));
  }
  return prompt;
}

std::vector<MetricChoice> metrics_of(const nlohmann::json& def, const std::string& file) {
  if (!def.contains("metrics") || !def["metrics"].is_array() || def["metrics"].empty())
    throw InputError(fmt::format("{}: \"metrics\" must be a non-empty array", file));
  std::vector<MetricChoice> metrics;
  std::set<std::string> seen;
  int headlines = 0;
  for (const auto& m : def["metrics"]) {
    MetricChoice choice;
    if (m.is_string()) {
      choice.name = m.get<std::string>();
    } else {
      const std::string where = file + ": metrics";
      check_keys(m, kMetricKeys, where);
      choice.name = string_at(m, "name", where);
      if (m.contains("headline")) {
        if (!m["headline"].is_boolean())
          throw InputError(fmt::format("{}: \"headline\" of \"{}\" must be true or false", where, choice.name));
        choice.headline = m["headline"].get<bool>();
      }
    }
    if (!seen.insert(choice.name).second)
      throw InputError(fmt::format("{}: metric \"{}\" listed twice", file, choice.name));
    headlines += choice.headline ? 1 : 0;
    metrics.push_back(std::move(choice));
  }
  if (headlines != 1)
    throw InputError(fmt::format("{}: exactly one metric must be the headline (found {})", file, headlines));
  return metrics;
}

}  // namespace

Manifest read_manifest(const fs::path& suite_dir) {
  const fs::path path = suite_dir / "suite.json";
  return manifest_of(read_json_file(path), path.string());
}

SuiteSpec read_suite_spec(const fs::path& suite_dir) {
  SuiteSpec spec;
  spec.dir = suite_dir;
  spec.file = (suite_dir / "suite.json").string();
  const std::string& file = spec.file;
  const nlohmann::json def = read_json_file(file);
  spec.manifest = manifest_of(def, file);
  if (spec.manifest.suite != suite_dir.filename().string())
    throw InputError(fmt::format("{}: names suite \"{}\", but its folder is \"{}\"", file, spec.manifest.suite,
                                 suite_dir.filename().string()));
  check_keys(def, kSuiteKeys, file);
  spec.description = string_at(def, "description", file);
  if (def.contains("subset_field")) spec.subset_field = string_at(def, "subset_field", file);
  if (!def.contains("prompt")) throw InputError(fmt::format("{}: \"prompt\" is required", file));
  spec.prompt = prompt_of(def["prompt"], spec.manifest, file + ": prompt");
  spec.oracle = PromptTemplate(string_at(def, "oracle", file), file + ": oracle");
  spec.extractor = string_at(def, "extractor", file);
  if (def.contains("stop")) spec.stop = string_list(def["stop"], file, "stop");
  if (def.contains("chat_stop")) spec.chat_stop = string_list(def["chat_stop"], file, "chat_stop");
  if (def.contains("max_new_tokens")) {
    const auto& v = def["max_new_tokens"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1)
      throw InputError(fmt::format("{}: \"max_new_tokens\" must be an integer >= 1", file));
    spec.max_new_tokens = v.get<int64_t>();
  }
  if (!def.contains("scorers") || !def["scorers"].is_array() || def["scorers"].empty())
    throw InputError(fmt::format("{}: \"scorers\" must be a non-empty array", file));
  for (size_t i = 0; i < def["scorers"].size(); ++i) {
    const auto& s = def["scorers"][i];
    ScorerSpec scorer;
    scorer.where = fmt::format("{}: scorers[{}]", file, i);
    scorer.type = string_at(s, "type", scorer.where);
    scorer.params = s;
    scorer.params.erase("type");
    scorer.suite_dir = suite_dir;
    spec.scorers.push_back(std::move(scorer));
  }
  spec.metrics = metrics_of(def, file);
  return spec;
}

std::map<std::string, std::string> read_prompt_includes(const SuiteSpec& spec) {
  std::map<std::string, std::string> texts;
  for (const auto& [key, path] : spec.prompt.includes) {
    const std::filesystem::path file = file_inside(spec.dir, path, fmt::format("{}: prompt.includes.{}", spec.file, key));
    texts[key] = read_input_file(file);
  }
  return texts;
}

}  // namespace aimicius
