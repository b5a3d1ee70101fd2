// dcw_audit_variants: right and wrong rewrites of an infrawise reference; see dcw_audit.h.
#include "scorers/dcw/dcw_audit.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

namespace aimicius {
namespace {

using Json = nlohmann::json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// FNV-1a: a stable hash, so choices among equals are the same on every machine.
uint64_t stable_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

template <typename T>
const T& pick(const std::vector<T>& from, uint64_t h) {
  return from.at(h % from.size());
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string join(const std::vector<std::string>& words, const std::string& glue = " ") {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : glue) + w;
  return out;
}

std::string upper_hyphenated(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == ' ' || c == '_') out += '-';
    else out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

std::string padded(const std::string& name) {
  std::string out = "  ";
  for (const char c : name) out += c == ' ' ? std::string("  ") : std::string(1, c);
  return out + " ";
}

// Separators dropped except between two digits: "ND H100 v5" -> "NDH100v5".
std::string glued(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (is_alnum(name[i])) {
      out += name[i];
      continue;
    }
    std::size_t next = i;
    while (next < name.size() && !is_alnum(name[next])) ++next;
    if (!out.empty() && next < name.size() && is_digit(out.back()) && is_digit(name[next])) out += ' ';
    i = next - 1;
  }
  return out;
}

// The letters that open a GPU model ("H100 SXM5 80GB" -> "H", "MI300X 192GB" -> "MI").
std::string gpu_family(const std::string& gpu_model) {
  std::string family;
  for (const char c : gpu_model) {
    if (!is_alnum(c) || is_digit(c)) break;
    family += c;
  }
  return family;
}

// The field's abbreviations, word by word ("bus bandwidth" -> "bus BW", "tokens per second" -> "tokens/s").
std::string abbreviated(const std::string& criterion) {
  static const std::vector<std::pair<std::string, std::string>> kWords = {
      {"bandwidth", "BW"}, {"latency", "lat"}, {"throughput", "tput"}, {"memory", "mem"},
      {"TFLOPS", "TFLOP/s"}, {"minutes", "min"}, {"second", "sec"}};
  std::vector<std::string> words = words_of(criterion);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "per" && i + 1 < words.size() && words[i + 1] == "second" && !out.empty()) {
      out.back() += "/s";
      ++i;
      continue;
    }
    std::string word = words[i];
    for (const auto& [full, shortened] : kWords)
      if (word == full) word = shortened;
    out.push_back(word);
  }
  return join(out);
}

Json dcw_json(const std::string& target, const Json& baseline, const std::string& workload,
              const std::string& criterion) {
  return {{"design", {{"target", target}, {"baseline", baseline}}}, {"workload", workload}, {"criterion", criterion}};
}

class Generator {
 public:
  Generator(const Json& reference, const NameTable& names, const BenchmarkDb& db)
      : ref_(reference), names_(names), db_(db), hash_(stable_hash(reference.dump())) {
    const Json& design = reference.at("design");
    target_ = design.at("target").get<std::string>();
    if (design.at("baseline").is_string()) baseline_ = design.at("baseline").get<std::string>();
    workload_ = reference.at("workload").get<std::string>();
    criterion_ = reference.at("criterion").get<std::string>();
    gpu_ = db.column("systems", "gpu_model");
    vendor_ = db.column("systems", "vendor");
    deployment_ = db.column("systems", "deployment");
    family_ = db.column("workloads", "family");
    unit_ = db.column("criteria", "unit");
  }

  std::vector<AuditVariant> run() {
    right_variants();
    wrong_variants();
    return std::move(variants_);
  }

 private:
  Json baseline_json() const { return baseline_ ? Json(*baseline_) : Json(nullptr); }

  // Adds `answer` unless it is the reference itself or repeats an earlier variant.
  void add(const Json& answer, bool right, const std::string& kind, int indent = -1) {
    if (answer == ref_) return;
    const std::string text = answer.dump(indent);
    if (!seen_.insert(text).second) return;
    variants_.push_back({text, right, kind});
  }
  void add_right(const Json& answer, const std::string& kind) { add(answer, true, kind); }
  void add_wrong(const Json& answer, const std::string& kind) { add(answer, false, kind); }

  // The reference with each system name rewritten by `f` (nullopt: leave that name).
  template <typename F>
  Json systems_rewritten(F f) const {
    Json answer = ref_;
    if (auto t = f(target_)) answer["design"]["target"] = *t;
    if (baseline_)
      if (auto b = f(*baseline_)) answer["design"]["baseline"] = *b;
    return answer;
  }

  std::optional<std::string> distinguishing_name(const std::string& system) const {
    const auto it = gpu_.find(system);
    if (it == gpu_.end()) return std::nullopt;
    const std::vector<std::string> parts = words_of(it->second);
    std::vector<std::string> tries = {parts.at(0)};
    if (parts.size() > 1) tries.push_back(parts[0] + " " + parts[1]);
    if (parts.size() > 2) tries.push_back(parts[0] + " " + parts[2]);
    for (const std::string& name : tries) {
      const NameResolution r = names_.resolve(NameKind::kSystem, name);
      if (r.name == system) return name;
    }
    return std::nullopt;
  }

  std::optional<std::string> ambiguous_name(const std::string& system) const {
    std::vector<std::string> tries;
    if (const auto it = gpu_.find(system); it != gpu_.end()) tries.push_back(words_of(it->second).at(0));
    tries.push_back(words_of(system).at(0));
    for (const std::string& name : tries) {
      const NameResolution r = names_.resolve(NameKind::kSystem, name);
      if (r.how == "ambiguous" && std::count(r.candidates.begin(), r.candidates.end(), system)) return name;
    }
    return std::nullopt;
  }

  // Another system with a GPU of the same family (any other system when there is none), not in `avoid`.
  std::optional<std::string> same_family(const std::string& system, const std::set<std::string>& avoid,
                                         uint64_t salt) const {
    std::vector<std::string> family;
    std::vector<std::string> others;
    for (const std::string& s : names_.canonical_names(NameKind::kSystem)) {
      if (s == system || avoid.count(s)) continue;
      others.push_back(s);
      if (gpu_.count(s) && gpu_.count(system) && gpu_family(gpu_.at(s)) == gpu_family(gpu_.at(system)))
        family.push_back(s);
    }
    if (!family.empty()) return pick(family, hash_ + salt);
    if (!others.empty()) return pick(others, hash_ + salt);
    return std::nullopt;
  }

  void right_variants() {
    // Keys in another order, indented: built as text, since Json objects keep keys sorted.
    const std::string reordered = "\n\n{\n    \"criterion\": " + Json(criterion_).dump() +
                                  ",\n    \"workload\": " + Json(workload_).dump() +
                                  ",\n    \"design\": {\"baseline\": " + baseline_json().dump() +
                                  ", \"target\": " + Json(target_).dump() + "}\n}\n\n";
    if (seen_.insert(reordered).second) variants_.push_back({reordered, true, "keys-reordered"});

    add_right(dcw_json(upper_hyphenated(target_), baseline_ ? Json(upper_hyphenated(*baseline_)) : Json(nullptr),
                       upper_hyphenated(workload_), upper_hyphenated(criterion_)),
              "case-separators");
    add_right(dcw_json(padded(target_), baseline_ ? Json(padded(*baseline_)) : Json(nullptr), padded(workload_),
                       padded(criterion_)),
              "padded");

    auto alias = [&](NameKind kind, const std::string& name, uint64_t salt) {
      const std::vector<std::string> list = names_.aliases_of(kind, name);
      return list.empty() ? name : pick(list, hash_ + salt);
    };
    add_right(dcw_json(alias(NameKind::kSystem, target_, 0),
                       baseline_ ? Json(alias(NameKind::kSystem, *baseline_, 1)) : Json(nullptr),
                       alias(NameKind::kWorkload, workload_, 2), alias(NameKind::kCriterion, criterion_, 3)),
              "alias");

    add_right(systems_rewritten([&](const std::string& s) -> std::optional<std::string> {
                const bool cloud = deployment_.count(s) && deployment_.at(s).find("cloud") != std::string::npos;
                const std::string vendor = vendor_.count(s) ? vendor_.at(s) + " " : "";
                return vendor + s + (cloud ? " VM" : " server");
              }),
              "vendor-words");
    add_right(systems_rewritten([&](const std::string& s) -> std::optional<std::string> { return glued(s); }),
              "glued");
    add_right(systems_rewritten([&](const std::string& s) { return distinguishing_name(s); }), "distinguishing-name");

    Json answer = ref_;
    answer["criterion"] = abbreviated(criterion_);
    add_right(answer, "metric-abbreviation");
    if (const auto unit = unit_.find(criterion_);
        unit != unit_.end() && normalise_name(unit->second) != normalise_name(criterion_)) {
      answer = ref_;
      answer["criterion"] = criterion_ + " (" + (unit->second == "us" ? std::string("\u00b5s") : unit->second) + ")";
      add_right(answer, "criterion-unit");
    }
    if (const std::vector<std::string> words = words_of(criterion_); words.size() == 2) {
      const NameResolution r = names_.resolve(NameKind::kCriterion, words[1], workload_);
      if (r.name == criterion_) {
        answer = ref_;
        answer["criterion"] = words[1];
        add_right(answer, "criterion-head");
      }
    }
    if (!baseline_) {
      answer = ref_;
      answer["design"]["baseline"] = (hash_ % 2) ? "none" : "N/A";
      add_right(answer, "no-baseline-spelled");
      answer["design"].erase("baseline");
      add_right(answer, "no-baseline-spelled");
    }
  }

  void wrong_variants() {
    Json answer;
    if (baseline_) {
      add_wrong(dcw_json(*baseline_, target_, workload_, criterion_), "swap-target-baseline");
      if (auto other = same_family(*baseline_, {target_}, 7))
        add_wrong(dcw_json(target_, *other, workload_, criterion_), "same-family-baseline");
      add_wrong(dcw_json(target_, nullptr, workload_, criterion_), "baseline-dropped");
    } else {
      if (auto other = same_family(target_, {}, 11))
        add_wrong(dcw_json(target_, *other, workload_, criterion_), "baseline-added");
      std::vector<std::string> without_results;
      for (const std::string& s : names_.canonical_names(NameKind::kSystem))
        if (s != target_ && db_.retrieve({s}, workload_, criterion_).empty()) without_results.push_back(s);
      if (!without_results.empty())
        add_wrong(dcw_json(target_, pick(without_results, hash_), workload_, criterion_), "baseline-added-no-results");
    }
    std::set<std::string> avoid;
    if (baseline_) avoid.insert(*baseline_);
    if (auto other = same_family(target_, avoid, 3))
      add_wrong(dcw_json(*other, baseline_json(), workload_, criterion_), "same-family-target");

    std::vector<std::string> same_category;
    std::vector<std::string> same_category_with_criterion;
    for (const std::string& w : names_.canonical_names(NameKind::kWorkload)) {
      if (w == workload_ || !family_.count(w) || family_.at(w) != family_.at(workload_)) continue;
      same_category.push_back(w);
      const auto criteria = names_.criteria_of(w);
      if (std::count(criteria.begin(), criteria.end(), criterion_)) same_category_with_criterion.push_back(w);
    }
    const auto& workloads = same_category_with_criterion.empty() ? same_category : same_category_with_criterion;
    if (!workloads.empty())
      add_wrong(dcw_json(target_, baseline_json(), pick(workloads, hash_), criterion_), "same-category-workload");

    std::vector<std::string> criteria;
    for (const std::string& c : names_.criteria_of(workload_))
      if (c != criterion_) criteria.push_back(c);
    if (!criteria.empty())
      add_wrong(dcw_json(target_, baseline_json(), workload_, pick(criteria, hash_)), "other-criterion");

    if (auto name = ambiguous_name(target_))
      add_wrong(dcw_json(*name, baseline_json(), workload_, criterion_), "ambiguous-target");
  }

  const Json& ref_;
  const NameTable& names_;
  const BenchmarkDb& db_;
  uint64_t hash_;
  std::string target_;
  std::optional<std::string> baseline_;
  std::string workload_;
  std::string criterion_;
  std::map<std::string, std::string> gpu_, vendor_, deployment_, family_, unit_;
  std::set<std::string> seen_;
  std::vector<AuditVariant> variants_;
};

}  // namespace

std::vector<AuditVariant> dcw_audit_variants(const nlohmann::json& reference, const NameTable& names,
                                             const BenchmarkDb& db) {
  return Generator(reference, names, db).run();
}

}  // namespace aimicius
