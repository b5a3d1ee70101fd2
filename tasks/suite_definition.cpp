#include "tasks/suite_definition.h"

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/json_file.h"
#include "tasks/extractors/extractors.h"
#include "tasks/prompt_template.h"
#include "scorers/scorer.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

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

struct FewshotSpec {
  std::string split;
  size_t count = 0;
  std::vector<std::string> match;
  PromptTemplate shot;
  std::vector<Example> pool;
};

class DataSuite final : public Suite {
 public:
  DataSuite(const fs::path& suite_dir, const nlohmann::json& def, const Manifest& manifest);

  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::string prompt_version() const override { return prompt_version_; }
  std::string version() const override { return version_; }
  std::vector<MetricSpec> metrics() const override { return metrics_; }
  void validate_example(const Example& ex) const override;
  std::string prompt(const Example& ex) const override;
  std::string oracle_output(const Example& ex) const override {
    return oracle_.render(ex.fields, labels_, includes_, ex.origin);
  }
  std::vector<std::string> stop_sequences() const override { return stop_; }
  std::string extract_answer(std::string_view raw_output) const override { return extractor_(raw_output); }
  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& context) const override;
  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const override;
  bool needs_sandbox() const override { return needs_sandbox_; }
  bool needs_embedder() const override { return needs_embedder_; }
  std::string fewshot_split() const override { return fewshot_ ? fewshot_->split : ""; }
  std::string subset(const Example& ex) const override {
    if (subset_field_.empty()) return "";
    auto it = ex.fields.find(subset_field_);
    return it != ex.fields.end() && it->is_string() ? it->get<std::string>() : "";
  }

 private:
  std::string name_, version_, description_, prompt_version_, subset_field_;
  PromptTemplate template_, oracle_;
  PromptLabels labels_;
  std::map<std::string, std::string> includes_;  // placeholder name -> file text
  std::optional<FewshotSpec> fewshot_;
  Extractor extractor_ = nullptr;
  std::vector<std::string> stop_;
  std::vector<std::unique_ptr<Scorer>> scorers_;
  std::vector<MetricSpec> metrics_;
  std::map<std::string, size_t> metric_order_;  // reported metric -> position in metrics_
  bool needs_sandbox_ = false, needs_embedder_ = false;
};

DataSuite::DataSuite(const fs::path& suite_dir, const nlohmann::json& def, const Manifest& manifest) {
  const std::string file = (suite_dir / "suite.json").string();
  check_keys(def, {"name", "version", "description", "provenance", "files", "prompt", "oracle", "extractor", "stop",
                   "scorers", "metrics", "subset_field"},
             file);
  name_ = manifest.suite;
  version_ = manifest.version;
  description_ = string_at(def, "description", file);
  if (def.contains("subset_field")) subset_field_ = string_at(def, "subset_field", file);

  // Prompt: template, labels, included files, few-shot pool.
  if (!def.contains("prompt")) throw InputError(fmt::format("{}: \"prompt\" is required", file));
  const auto& prompt = def["prompt"];
  const std::string pwhere = file + ": prompt";
  check_keys(prompt, {"version", "template", "labels", "includes", "fewshot"}, pwhere);
  prompt_version_ = string_at(prompt, "version", pwhere);
  template_ = PromptTemplate(string_at(prompt, "template", pwhere), pwhere + ".template");
  if (prompt.contains("labels")) {
    for (const auto& [field, table] : prompt["labels"].items()) {
      if (!table.is_object()) throw InputError(fmt::format("{}.labels.{}: expected an object", pwhere, field));
      for (const auto& [value, label] : table.items()) {
        if (!label.is_string()) throw InputError(fmt::format("{}.labels.{}.{}: expected a string", pwhere, field, value));
        labels_[field][value] = label.get<std::string>();
      }
    }
  }
  std::set<std::string> resources;
  for (const auto& f : manifest.files)
    if (f.split == kResourceSplit) resources.insert(f.path);
  if (prompt.contains("includes")) {
    for (const auto& [key, path] : prompt["includes"].items()) {
      if (!path.is_string() || !resources.count(path.get<std::string>()))
        throw InputError(fmt::format("{}.includes.{}: must name a file listed in \"files\" with split \"{}\" "
                                     "(so its checksum is pinned)",
                                     pwhere, key, kResourceSplit));
      std::ifstream in(suite_dir / path.get<std::string>(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      includes_[key] = text.str();
    }
  }
  if (prompt.contains("fewshot")) {
    const auto& fs_def = prompt["fewshot"];
    const std::string fwhere = pwhere + ".fewshot";
    check_keys(fs_def, {"split", "count", "match", "template"}, fwhere);
    FewshotSpec spec;
    spec.split = string_at(fs_def, "split", fwhere);
    spec.count = fs_def.value("count", size_t{0});
    if (spec.count < 1) throw InputError(fmt::format("{}: \"count\" must be at least 1", fwhere));
    for (const auto& m : fs_def.value("match", nlohmann::json::array())) spec.match.push_back(m.get<std::string>());
    spec.shot = PromptTemplate(string_at(fs_def, "template", fwhere), fwhere + ".template");
    spec.pool = load_examples(suite_dir, manifest, spec.split);
    fewshot_ = std::move(spec);
  }
  if (fewshot_) {
    bool uses = false;
    for (const auto& n : template_.names()) uses = uses || n == "fewshot";
    if (!uses) throw InputError(fmt::format("{}: a few-shot pool is declared but the template has no {{{{fewshot}}}}", pwhere));
  }
  oracle_ = PromptTemplate(string_at(def, "oracle", file), file + ": oracle");
  extractor_ = find_extractor(string_at(def, "extractor", file), file + ": extractor");
  for (const auto& s : def.value("stop", nlohmann::json::array())) {
    if (!s.is_string() || s.get<std::string>().empty())
      throw InputError(fmt::format("{}: \"stop\" must be a list of non-empty strings", file));
    stop_.push_back(s.get<std::string>());
  }

  // Scorers, then the metrics reported from them.
  if (!def.contains("scorers") || !def["scorers"].is_array() || def["scorers"].empty())
    throw InputError(fmt::format("{}: \"scorers\" must be a non-empty array", file));
  std::map<std::string, MetricSpec> produced;
  for (size_t i = 0; i < def["scorers"].size(); ++i) {
    const auto& s = def["scorers"][i];
    ScorerSpec spec;
    spec.where = fmt::format("{}: scorers[{}]", file, i);
    spec.type = string_at(s, "type", spec.where);
    spec.params = s;
    spec.params.erase("type");
    spec.suite_dir = suite_dir;
    auto scorer = make_scorer(spec);
    for (const auto& m : scorer->metrics())
      if (!produced.emplace(m.name, m).second)
        throw InputError(fmt::format("{}: metric \"{}\" is produced by two scorers", spec.where, m.name));
    needs_sandbox_ = needs_sandbox_ || scorer->needs_sandbox();
    needs_embedder_ = needs_embedder_ || scorer->needs_embedder();
    scorers_.push_back(std::move(scorer));
  }
  if (!def.contains("metrics") || !def["metrics"].is_array() || def["metrics"].empty())
    throw InputError(fmt::format("{}: \"metrics\" must be a non-empty array", file));
  int headlines = 0;
  for (const auto& m : def["metrics"]) {
    std::string metric;
    bool headline = false;
    if (m.is_string()) {
      metric = m.get<std::string>();
    } else {
      check_keys(m, {"name", "headline"}, file + ": metrics");
      metric = string_at(m, "name", file + ": metrics");
      headline = m.value("headline", false);
    }
    auto it = produced.find(metric);
    if (it == produced.end()) {
      std::vector<std::string> names;
      for (const auto& [n, _] : produced) names.push_back(n);
      throw InputError(fmt::format("{}: metric \"{}\" is produced by none of the scorers (they produce: {})", file,
                                   metric, fmt::join(names, ", ")));
    }
    if (metric_order_.count(metric)) throw InputError(fmt::format("{}: metric \"{}\" listed twice", file, metric));
    metric_order_[metric] = metrics_.size();
    metrics_.push_back({metric, it->second.description, headline});
    headlines += headline;
  }
  if (headlines != 1)
    throw InputError(fmt::format("{}: exactly one metric must be the headline (found {})", file, headlines));
}

void DataSuite::validate_example(const Example& ex) const {
  if (!subset_field_.empty() && subset(ex).empty())
    throw InputError(fmt::format("{}: example \"{}\" needs a string \"{}\" (the suite's subset_field)", ex.origin,
                                 ex.id, subset_field_));
  if (fewshot_ && ex.split == fewshot_->split) {
    fewshot_->shot.render(ex.fields, labels_, includes_, ex.origin);
  } else {
    prompt(ex);
  }
  oracle_output(ex);
  for (const auto& s : scorers_) s->validate_example(ex);
}

std::string DataSuite::prompt(const Example& ex) const {
  std::map<std::string, std::string> extra = includes_;
  if (fewshot_) {
    std::string shots;
    size_t used = 0;
    for (const auto& shot : fewshot_->pool) {
      if (used == fewshot_->count) break;
      if (shot.id == ex.id) continue;
      bool same = true;
      for (const auto& field : fewshot_->match)
        same = same && shot.fields.value(field, nlohmann::json()) == ex.fields.value(field, nlohmann::json());
      if (!same) continue;
      shots += fewshot_->shot.render(shot.fields, labels_, includes_, shot.origin);
      ++used;
    }
    extra["fewshot"] = std::move(shots);
  }
  return template_.render(ex.fields, labels_, extra, ex.origin);
}

std::vector<ScoreRow> DataSuite::score(const Example& ex, const std::string& answer,
                                       const ScoringContext& context) const {
  std::vector<ScoreRow> rows;
  for (const auto& s : scorers_)
    for (auto& row : s->score(ex, answer, context))
      if (metric_order_.count(row.metric)) rows.push_back(std::move(row));
  std::stable_sort(rows.begin(), rows.end(), [&](const ScoreRow& a, const ScoreRow& b) {
    return metric_order_.at(a.metric) < metric_order_.at(b.metric);
  });
  return rows;
}

std::vector<std::string> DataSuite::check_reference(const Example& ex, const ScoringContext& context) const {
  std::vector<std::string> problems;
  for (const auto& s : scorers_)
    for (auto& p : s->check_reference(ex, context)) problems.push_back(std::move(p));
  return problems;
}

}  // namespace

std::shared_ptr<const Suite> load_suite_definition(const fs::path& suite_dir) {
  const Manifest manifest = read_manifest(suite_dir);
  if (manifest.suite != suite_dir.filename().string())
    throw InputError(fmt::format("{}: names suite \"{}\", but its folder is \"{}\"", (suite_dir / "suite.json").string(),
                                 manifest.suite, suite_dir.filename().string()));
  verify_resources(suite_dir, manifest);
  const nlohmann::json def = read_json_file(suite_dir / "suite.json");
  return std::make_shared<DataSuite>(suite_dir, def, manifest);
}

}  // namespace aimicius
