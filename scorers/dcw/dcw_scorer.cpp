// DcwScorer: parameters, example validation, scoring and reference checks; see dcw_scorer.h.
#include "scorers/dcw/dcw_scorer.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "scorers/dcw/benchmark_db.h"
#include "scorers/dcw/dcw_answer.h"
#include "scorers/dcw/dcw_audit.h"
#include "scorers/dcw/dcw_names.h"

namespace aimicius {
namespace {

namespace fs = std::filesystem;

// A DCW whose names are resolved: nullopt = unknown name (or, for the baseline, see `has_baseline`).
struct ResolvedDcw {
  nlohmann::json how = nlohmann::json::object();  // field -> how its name was matched (dcw_names.h)
  std::optional<std::string> target;
  bool has_baseline = false;             // the answer names a baseline (known or not)
  std::optional<std::string> baseline;   // canonical name when known
  bool baseline_invalid = false;         // a baseline of the wrong JSON type
  std::optional<std::string> workload;
  std::optional<std::string> criterion;
};

nlohmann::json json_or_null(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

class DcwScorer final : public Scorer {
 public:
  explicit DcwScorer(const ScorerSpec& spec) : where_(spec.where) {
    check_params(spec, {"database", "aliases", "names"});
    if (spec.params.contains("names")) {
      const auto& mode = spec.params.at("names");
      if (!mode.is_string() || (mode != "canonicalise" && mode != "aliases"))
        throw InputError(fmt::format("{}: parameter \"names\" must be \"canonicalise\" (the default) or \"aliases\"",
                                     spec.where));
      aliases_only_ = mode == "aliases";
    }
    const fs::path database = file_inside(spec.suite_dir, required_string(spec, "database"), where_ + ": \"database\"");
    const fs::path aliases_file = file_inside(spec.suite_dir, required_string(spec, "aliases"), where_ + ": \"aliases\"");
    db_ = std::make_unique<BenchmarkDb>(database);

    nlohmann::json aliases;
    try {
      aliases = read_json_file(aliases_file);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: alias file: {}", where_, e.what()));
    }
    names_ = std::make_unique<NameTable>(aliases, aliases_file.string(), db_->names("systems"),
                                         db_->names("workloads"), db_->names("criteria"), db_->name_facts());
  }

  std::vector<MetricSpec> metrics() const override {
    return {
        {"strict_accuracy",
         "the answer is right: target, baseline (none when the request has none), workload and criterion all name "
         "the reference's after canonicalisation; an ambiguous name is wrong",
         true, false},
        {"target_accuracy", "paper: the target system is right (after canonicalisation)", false, true},
        {"baseline_accuracy", "paper: the baseline system is right; no baseline matches only a request without one",
         false, true},
        {"workload_accuracy", "paper: the workload is right", false, true},
        {"criterion_accuracy", "paper: the criterion is right", false, true},
        {"dcw_accuracy", "paper: target, baseline, workload and criterion all right", false, true},
        {"result_recall", "paper: every reference benchmark result is retrieved", false, true},
        {"result_accuracy",
         "paper: retrieved results equal the reference results (accepts a swapped design, or a baseline without "
         "results for the workload)",
         false, true},
    };
  }

  void validate_example(const Example& ex) const override {
    reference_dcw(ex);
    reference_results(ex);
  }

  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& context) const override {
    (void)context;
    const ResolvedDcw reference = reference_dcw(ex);
    const std::vector<int64_t> expected = reference_results(ex);

    std::string why;
    const std::optional<DcwAnswer> parsed = parse_dcw(answer, &why);
    if (!parsed) {
      std::vector<ScoreRow> rows;
      for (const MetricSpec& metric : metrics())
        rows.push_back({metric.name, 0.0, {{"reason", "malformed answer: " + why}}});
      return rows;
    }
    const ResolvedDcw got = resolve(*parsed);

    const bool target_ok = got.target && got.target == reference.target;
    const bool baseline_ok = !got.baseline_invalid && got.has_baseline == reference.has_baseline &&
                             (!reference.has_baseline || got.baseline == reference.baseline);
    const bool workload_ok = got.workload && got.workload == reference.workload;
    const bool criterion_ok = got.criterion && got.criterion == reference.criterion;

    const std::vector<int64_t> retrieved = retrieve(got);
    std::vector<int64_t> missing;
    std::vector<int64_t> irrelevant;
    std::set_difference(expected.begin(), expected.end(), retrieved.begin(), retrieved.end(),
                        std::back_inserter(missing));
    std::set_difference(retrieved.begin(), retrieved.end(), expected.begin(), expected.end(),
                        std::back_inserter(irrelevant));

    const nlohmann::json names = {{"target", json_or_null(got.target)},
                                  {"baseline", got.has_baseline ? json_or_null(got.baseline) : nullptr},
                                  {"workload", json_or_null(got.workload)},
                                  {"criterion", json_or_null(got.criterion)}};
    const bool all_right = target_ok && baseline_ok && workload_ok && criterion_ok;
    const nlohmann::json results = {{"retrieved", retrieved}, {"reference", expected},
                                    {"missing", missing}, {"irrelevant", irrelevant}};
    auto value = [](bool ok) { return ok ? 1.0 : 0.0; };
    return {
        {"strict_accuracy", value(all_right), {{"answer", names}, {"matched_by", got.how}}},
        {"target_accuracy", value(target_ok), {{"answer", names["target"]}}},
        {"baseline_accuracy", value(baseline_ok), {{"answer", names["baseline"]}}},
        {"workload_accuracy", value(workload_ok), {{"answer", names["workload"]}}},
        {"criterion_accuracy", value(criterion_ok), {{"answer", names["criterion"]}}},
        {"dcw_accuracy", value(all_right), {{"answer", names}}},
        {"result_recall", value(missing.empty()), results},
        {"result_accuracy", value(missing.empty() && irrelevant.empty()), results},
    };
  }

  std::vector<AuditVariant> audit_variants(const Example& ex) const override {
    reference_dcw(ex);  // Why: variants are rewrites of a sound reference; a bad one is an InputError here.
    return dcw_audit_variants(ex.fields.at("reference"), *names_, *db_);
  }

  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const override {
    (void)context;
    std::vector<std::string> problems;
    const ResolvedDcw reference = reference_dcw(ex);

    const std::vector<int64_t> expected = reference_results(ex);
    const std::vector<int64_t> existing = db_->existing_ids(expected);
    if (existing != expected) {
      std::vector<int64_t> absent;
      std::set_difference(expected.begin(), expected.end(), existing.begin(), existing.end(),
                          std::back_inserter(absent));
      problems.push_back(fmt::format("results {} are not in {}", fmt::join(absent, ", "), db_->script().string()));
    }
    const std::vector<int64_t> retrieved = retrieve(reference);
    if (retrieved.empty()) problems.push_back("the reference DCW retrieves no results");
    if (retrieved != expected)
      problems.push_back(fmt::format("\"results\" [{}] differ from what the reference DCW retrieves [{}]",
                                     fmt::join(expected, ", "), fmt::join(retrieved, ", ")));
    return problems;
  }

 private:
  static std::string required_string(const ScorerSpec& spec, const char* key) {
    if (!spec.params.contains(key) || !spec.params.at(key).is_string() ||
        spec.params.at(key).get<std::string>().empty())
      throw InputError(fmt::format("{}: parameter \"{}\" (a file name) is required", spec.where, key));
    return spec.params.at(key).get<std::string>();
  }

  // One name: canonicalised, or (names: "aliases") looked up in the alias table alone.
  std::optional<std::string> name_of(NameKind kind, const std::string& spelling, const char* field,
                                     const std::optional<std::string>& workload, ResolvedDcw& dcw) const {
    if (aliases_only_) {
      std::optional<std::string> name = names_->canonical(kind, spelling);
      dcw.how[field] = name ? "alias table" : "unknown";
      return name;
    }
    const NameResolution resolution = names_->resolve(kind, spelling, workload);
    dcw.how[field] = resolution.how;
    if (!resolution.candidates.empty()) dcw.how[std::string(field) + "_candidates"] = resolution.candidates;
    return resolution.name;
  }

  ResolvedDcw resolve(const DcwAnswer& answer) const {
    ResolvedDcw dcw;
    dcw.target = name_of(NameKind::kSystem, answer.target, "target", std::nullopt, dcw);
    dcw.has_baseline = answer.baseline_state != DcwAnswer::Baseline::kNone;
    dcw.baseline_invalid = answer.baseline_state == DcwAnswer::Baseline::kInvalid;
    if (answer.baseline_state == DcwAnswer::Baseline::kNamed)
      dcw.baseline = name_of(NameKind::kSystem, answer.baseline, "baseline", std::nullopt, dcw);
    if (answer.workload) dcw.workload = name_of(NameKind::kWorkload, *answer.workload, "workload", std::nullopt, dcw);
    if (answer.criterion)
      dcw.criterion = name_of(NameKind::kCriterion, *answer.criterion, "criterion", dcw.workload, dcw);
    return dcw;
  }

  std::vector<int64_t> retrieve(const ResolvedDcw& dcw) const {
    if (!dcw.workload || !dcw.criterion) return {};
    std::vector<std::string> systems;
    if (dcw.target) systems.push_back(*dcw.target);
    if (dcw.baseline && dcw.baseline != dcw.target) systems.push_back(*dcw.baseline);
    return db_->retrieve(systems, *dcw.workload, *dcw.criterion);
  }

  // The example's reference, which must be well-formed and use canonical names only.
  ResolvedDcw reference_dcw(const Example& ex) const {
    const auto it = ex.fields.find("reference");
    if (it == ex.fields.end() || !it->is_object())
      throw InputError(fmt::format("{}: example {}: \"reference\" must be a DCW object", ex.origin, ex.id));
    std::string why;
    const std::optional<DcwAnswer> parsed = parse_dcw(it->dump(), &why);
    if (!parsed || !parsed->workload || !parsed->criterion ||
        parsed->baseline_state == DcwAnswer::Baseline::kInvalid)
      throw InputError(fmt::format("{}: example {}: \"reference\" is not a complete DCW{}", ex.origin, ex.id,
                                   why.empty() ? "" : " (" + why + ")"));
    auto require = [&](NameKind kind, const std::string& name, const char* field) {
      if (!names_->is_canonical(kind, name))
        throw InputError(fmt::format("{}: example {}: reference {} \"{}\" is not a canonical name of the database",
                                     ex.origin, ex.id, field, name));
    };
    require(NameKind::kSystem, parsed->target, "target");
    if (parsed->baseline_state == DcwAnswer::Baseline::kNamed)
      require(NameKind::kSystem, parsed->baseline, "baseline");
    // Why: the reference must say "no baseline" one way only (null), so the data stays uniform.
    const auto& design = it->at("design");
    if (parsed->baseline_state == DcwAnswer::Baseline::kNone &&
        !(design.contains("baseline") && design.at("baseline").is_null()))
      throw InputError(fmt::format("{}: example {}: a reference without a baseline must say \"baseline\": null",
                                   ex.origin, ex.id));
    require(NameKind::kWorkload, *parsed->workload, "workload");
    require(NameKind::kCriterion, *parsed->criterion, "criterion");
    return resolve(*parsed);
  }

  static std::vector<int64_t> reference_results(const Example& ex) {
    const auto it = ex.fields.find("results");
    if (it == ex.fields.end() || !it->is_array() || it->empty())
      throw InputError(fmt::format("{}: example {}: \"results\" must be a non-empty array of result ids", ex.origin,
                                   ex.id));
    std::vector<int64_t> ids;
    for (const auto& id : *it) {
      if (!id.is_number_integer())
        throw InputError(fmt::format("{}: example {}: \"results\" holds {}, not an integer id", ex.origin, ex.id,
                                     id.dump()));
      ids.push_back(id.get<int64_t>());
    }
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
      throw InputError(fmt::format("{}: example {}: \"results\" lists an id twice", ex.origin, ex.id));
    return ids;
  }

  std::string where_;
  bool aliases_only_ = false;
  std::unique_ptr<BenchmarkDb> db_;
  std::unique_ptr<NameTable> names_;
};

}  // namespace

std::unique_ptr<Scorer> make_dcw_scorer(const ScorerSpec& spec) { return std::make_unique<DcwScorer>(spec); }

}  // namespace aimicius
