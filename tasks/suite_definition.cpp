// See suite_definition.h.
#include "tasks/suite_definition.h"

#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/json_file.h"
#include "tasks/extractors/extractors.h"
#include "tasks/extractors/reasoning.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

// The suite a SuiteSpec declares. Holds the spec as parsed and what it names, made ready: the
// included files' texts, the few-shot pool, the extractor, the scorers and the reported metrics.
class DataSuite final : public Suite {
 public:
  explicit DataSuite(SuiteSpec spec);

  std::string name() const override { return spec_.name(); }
  std::string description() const override { return spec_.description; }
  std::string prompt_version() const override { return spec_.prompt.version; }
  std::string version() const override { return spec_.version(); }
  std::vector<MetricSpec> metrics() const override { return metrics_; }
  void validate_example(const Example& ex) const override;
  std::string prompt(const Example& ex) const override;
  std::vector<ChatTurn> prompt_turns(const Example& ex) const override;
  std::string oracle_output(const Example& ex) const override {
    return spec_.oracle.render(ex.fields, spec_.prompt.labels, includes_, ex.origin);
  }
  std::vector<std::string> stop_sequences(bool chat) const override {
    return chat && spec_.chat_stop ? *spec_.chat_stop : spec_.stop;
  }
  std::optional<int64_t> max_new_tokens() const override { return spec_.max_new_tokens; }
  // Reasoning is not the answer: it is removed before the suite's extractor looks (reasoning.h).
  std::string extract_answer(std::string_view raw_output) const override {
    return extractor_(strip_reasoning(raw_output));
  }
  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& context) const override;
  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const override;
  void check_context(const Example& ex, const ScoringContext& context) const override {
    for (const auto& s : scorers_) s->check_context(ex, context);
  }
  std::vector<AuditVariant> audit_variants(const Example& ex) const override;
  bool needs_sandbox() const override { return needs_sandbox_; }
  bool needs_embedder() const override { return needs_embedder_; }
  std::string fewshot_split() const override { return fewshot() ? fewshot()->split : ""; }
  std::string subset(const Example& ex) const override {
    if (spec_.subset_field.empty()) return "";
    auto it = ex.fields.find(spec_.subset_field);
    return it != ex.fields.end() && it->is_string() ? it->get<std::string>() : "";
  }

 private:
  const std::optional<FewshotSpec>& fewshot() const { return spec_.prompt.fewshot; }
  // The few-shot examples of `ex`, in pool order (see suite_spec.h: selection).
  std::vector<const Example*> shots_of(const Example& ex) const;

  SuiteSpec spec_;
  std::map<std::string, std::string> includes_;  // placeholder name -> file text
  std::vector<Example> fewshot_pool_;            // empty when no few-shot pool is declared
  // The prompt template around "{{fewshot}}": the instruction and the request (chat_turns.h).
  std::optional<std::pair<PromptTemplate, PromptTemplate>> instruction_and_request_;
  Extractor extractor_ = nullptr;
  std::vector<std::unique_ptr<Scorer>> scorers_;
  std::vector<MetricSpec> metrics_;
  std::map<std::string, size_t> metric_order_;  // reported metric -> position in metrics_
  bool needs_sandbox_ = false, needs_embedder_ = false;
};

DataSuite::DataSuite(SuiteSpec spec)
    : spec_(std::move(spec)),
      includes_(read_prompt_includes(spec_)),
      extractor_(find_extractor(spec_.extractor, spec_.file + ": extractor")) {
  if (fewshot()) {
    fewshot_pool_ = load_examples(spec_.dir, spec_.manifest, fewshot()->split);
    instruction_and_request_ = spec_.prompt.text.split_at("fewshot");  // suite_spec checked it is used
  }

  // Scorers, then the metrics reported from them.
  std::map<std::string, MetricSpec> produced;
  for (const auto& scorer_spec : spec_.scorers) {
    auto scorer = make_scorer(scorer_spec);
    for (const auto& m : scorer->metrics())
      if (!produced.emplace(m.name, m).second)
        throw InputError(fmt::format("{}: metric \"{}\" is produced by two scorers", scorer_spec.where, m.name));
    needs_sandbox_ = needs_sandbox_ || scorer->needs_sandbox();
    needs_embedder_ = needs_embedder_ || scorer->needs_embedder();
    scorers_.push_back(std::move(scorer));
  }
  for (const auto& choice : spec_.metrics) {
    auto it = produced.find(choice.name);
    if (it == produced.end()) {
      std::vector<std::string> names;
      for (const auto& [n, _] : produced) names.push_back(n);
      throw InputError(fmt::format("{}: metric \"{}\" is produced by none of the scorers (they produce: {})",
                                   spec_.file, choice.name, fmt::join(names, ", ")));
    }
    metric_order_[choice.name] = metrics_.size();
    metrics_.push_back({choice.name, it->second.description, choice.headline, it->second.paper});
  }
}

void DataSuite::validate_example(const Example& ex) const {
  if (!spec_.subset_field.empty() && subset(ex).empty())
    throw InputError(fmt::format("{}: example \"{}\" needs a string \"{}\" (the suite's subset_field)", ex.origin,
                                 ex.id, spec_.subset_field));
  if (fewshot() && ex.split == fewshot()->split) {
    fewshot()->shot.render(ex.fields, spec_.prompt.labels, includes_, ex.origin);
  } else {
    prompt(ex);
  }
  oracle_output(ex);
  for (const auto& s : scorers_) s->validate_example(ex);
}

std::vector<const Example*> DataSuite::shots_of(const Example& ex) const {
  std::vector<const Example*> shots;
  if (!fewshot()) return shots;
  const FewshotSpec& fewshot_spec = *fewshot();
  for (const auto& shot : fewshot_pool_) {
    if (shots.size() == fewshot_spec.count) break;
    if (shot.id == ex.id) continue;
    bool same = true;
    for (const auto& field : fewshot_spec.match)
      same = same && shot.fields.value(field, nlohmann::json()) == ex.fields.value(field, nlohmann::json());
    if (same) shots.push_back(&shot);
  }
  return shots;
}

std::string DataSuite::prompt(const Example& ex) const {
  std::map<std::string, std::string> extra = includes_;
  if (fewshot()) {
    std::string shots;
    for (const Example* shot : shots_of(ex))
      shots += fewshot()->shot.render(shot->fields, spec_.prompt.labels, includes_, shot->origin);
    extra["fewshot"] = std::move(shots);
  }
  return spec_.prompt.text.render(ex.fields, spec_.prompt.labels, extra, ex.origin);
}

// Chat templates put their own separators between turns: a turn's trailing blank lines (the
// inline layout's separators) are not part of what it says.
std::string without_trailing_space(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r' || text.back() == '\t'))
    text.pop_back();
  return text;
}

std::vector<ChatTurn> DataSuite::prompt_turns(const Example& ex) const {
  if (!instruction_and_request_) return {{"user", without_trailing_space(prompt(ex))}};
  const auto& [instruction, request] = *instruction_and_request_;
  const PromptLabels& labels = spec_.prompt.labels;
  std::vector<ChatTurn> turns;
  std::string system = without_trailing_space(instruction.render(ex.fields, labels, includes_, ex.origin));
  if (!system.empty()) turns.push_back({"system", std::move(system)});
  for (const Example* shot : shots_of(ex)) {
    turns.push_back({"user", without_trailing_space(request.render(shot->fields, labels, includes_, shot->origin))});
    turns.push_back({"assistant", without_trailing_space(oracle_output(*shot))});
  }
  turns.push_back({"user", without_trailing_space(request.render(ex.fields, labels, includes_, ex.origin))});
  return turns;
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

std::vector<AuditVariant> DataSuite::audit_variants(const Example& ex) const {
  std::vector<AuditVariant> variants;
  for (const auto& s : scorers_)
    for (auto& v : s->audit_variants(ex)) variants.push_back(std::move(v));
  return variants;
}

}  // namespace

std::shared_ptr<const Suite> make_data_suite(const SuiteSpec& spec) {
  verify_resources(spec.dir, spec.manifest);
  return std::make_shared<DataSuite>(spec);
}

std::shared_ptr<const Suite> load_suite_definition(const fs::path& suite_dir) {
  return make_data_suite(read_suite_spec(suite_dir));
}

}  // namespace aimicius
