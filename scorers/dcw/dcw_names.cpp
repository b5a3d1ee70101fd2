// NameTable and normalise_name: see dcw_names.h for the rules and invariants.
#include "scorers/dcw/dcw_names.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {
namespace {

bool is_alnum_ascii(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

const char* kind_label(NameKind kind) {
  switch (kind) {
    case NameKind::kSystem: return "systems";
    case NameKind::kWorkload: return "workloads";
    case NameKind::kCriterion: return "criteria";
  }
  return "?";
}

}  // namespace

std::string normalise_name(std::string_view name) {
  std::string key;
  bool pending_space = false;
  for (const char c : name) {
    if (!is_alnum_ascii(c)) {
      pending_space = !key.empty();
      continue;
    }
    if (pending_space) key += ' ';
    pending_space = false;
    key += lower_ascii(c);
  }
  return key;
}

NameTable::NameTable(const nlohmann::json& aliases, const std::string& where,
                     const std::vector<std::string>& systems, const std::vector<std::string>& workloads,
                     const std::vector<std::string>& criteria, const NameFacts& facts) {
  if (!aliases.is_object()) throw InputError(fmt::format("{}: must be a JSON object", where));
  for (const auto& [key, _] : aliases.items())
    if (key != "comment" && key != "systems" && key != "workloads" && key != "criteria")
      throw InputError(fmt::format("{}: unknown key \"{}\" (known: comment, systems, workloads, criteria)", where, key));

  const std::pair<NameKind, const std::vector<std::string>*> kinds[] = {
      {NameKind::kSystem, &systems}, {NameKind::kWorkload, &workloads}, {NameKind::kCriterion, &criteria}};
  const std::map<std::string, std::vector<std::string>>* fact_maps[] = {&facts.systems, &facts.workloads,
                                                                         &facts.criteria};
  for (const auto& [k, names] : kinds) {
    Kind& table = kind(k);
    const std::string label = kind_label(k);
    auto add = [&](const std::string& spelling, const std::string& canonical) {
      const std::string key = normalise_name(spelling);
      if (key.empty())
        throw InputError(fmt::format("{}: {}: \"{}\" has no letters or digits", where, label, spelling));
      const auto [it, inserted] = table.by_key.emplace(key, canonical);
      if (!inserted && it->second != canonical)
        throw InputError(fmt::format("{}: {}: \"{}\" would name both \"{}\" and \"{}\"", where, label, spelling,
                                     it->second, canonical));
    };
    table.canonical_names = *names;
    for (const std::string& name : *names) add(name, name);
    if (!aliases.contains(label)) continue;
    const nlohmann::json& section = aliases.at(label);
    if (!section.is_object()) throw InputError(fmt::format("{}: \"{}\" must be an object", where, label));
    for (const auto& [canonical, list] : section.items()) {
      if (std::find(names->begin(), names->end(), canonical) == names->end())
        throw InputError(fmt::format("{}: {}: \"{}\" is not a canonical name in the database", where, label, canonical));
      if (!list.is_array())
        throw InputError(fmt::format("{}: {}: the aliases of \"{}\" must be an array", where, label, canonical));
      for (const auto& alias : list) {
        if (!alias.is_string())
          throw InputError(fmt::format("{}: {}: an alias of \"{}\" is not a string", where, label, canonical));
        add(alias.get<std::string>(), canonical);
        table.aliases[canonical].push_back(alias.get<std::string>());
      }
    }
  }

  // Canonicalisation: the vocabulary learns every spelling and fact, then each kind gets its
  // spelling keys and token sets (see dcw_names.h).
  for (const auto& [k, names] : kinds) {
    Kind& table = kind(k);
    const auto& fact_map = *fact_maps[static_cast<int>(k)];
    for (const auto& [canonical, texts] : fact_map) {
      if (std::find(names->begin(), names->end(), canonical) == names->end())
        throw InputError(fmt::format("{}: facts name \"{}\", which is not one of the {}", where, canonical,
                                     kind_label(k)));
      table.facts[canonical] = texts;
    }
    for (const std::string& name : *names) vocabulary_.add(name, /*canonical=*/true);
    for (const auto& [_, list] : table.aliases)
      for (const std::string& alias : list) vocabulary_.add(alias);
    for (const auto& [_, texts] : table.facts)
      for (const std::string& text : texts) vocabulary_.add(text);
  }
  vocabulary_.finish();
  for (const auto& [k, names] : kinds) {
    Kind& table = kind(k);
    const std::string label = kind_label(k);
    auto learn = [&](const std::string& spelling, const std::string& canonical, bool exact_key) {
      const NameForms forms = name_forms(spelling, vocabulary_);
      table.tokens[canonical].insert(forms.tokens.begin(), forms.tokens.end());
      if (!exact_key || forms.key.empty()) return;
      const auto [it, inserted] = table.by_form_key.emplace(forms.key, canonical);
      if (!inserted && it->second != canonical)
        throw InputError(fmt::format("{}: {}: \"{}\" is spelt like a name of \"{}\" (key \"{}\"), so it would name both "
                                     "\"{}\" and \"{}\"", where, label, spelling, it->second, forms.key, it->second,
                                     canonical));
    };
    for (const std::string& name : *names) learn(name, name, true);
    for (const auto& [canonical, list] : table.aliases)
      for (const std::string& alias : list) learn(alias, canonical, true);
    for (const auto& [canonical, texts] : table.facts)
      for (const std::string& text : texts) learn(text, canonical, false);
  }
  for (const auto& [workload, list] : facts.criteria_of_workload) {
    if (!is_canonical(NameKind::kWorkload, workload))
      throw InputError(fmt::format("{}: criteria are listed for \"{}\", which is not a workload", where, workload));
    for (const std::string& criterion : list)
      if (!is_canonical(NameKind::kCriterion, criterion))
        throw InputError(fmt::format("{}: workload \"{}\" lists \"{}\", which is not a criterion", where, workload,
                                     criterion));
  }
  criteria_of_workload_ = facts.criteria_of_workload;
}

const NameTable::Kind& NameTable::kind(NameKind k) const {
  switch (k) {
    case NameKind::kSystem: return systems_;
    case NameKind::kWorkload: return workloads_;
    case NameKind::kCriterion: return criteria_;
  }
  return systems_;
}

std::optional<std::string> NameTable::canonical(NameKind k, std::string_view name) const {
  const Kind& table = kind(k);
  const auto it = table.by_key.find(normalise_name(name));
  if (it == table.by_key.end()) return std::nullopt;
  return it->second;
}

NameResolution NameTable::resolve(NameKind k, std::string_view name, const std::optional<std::string>& workload) const {
  const Kind& table = kind(k);
  const NameForms forms = name_forms(name, vocabulary_);
  NameResolution resolution;
  if (const auto it = table.by_form_key.find(forms.key); !forms.key.empty() && it != table.by_form_key.end()) {
    resolution.name = it->second;
    resolution.how = "spelling";
    return resolution;
  }
  resolution.how = "unknown";
  if (forms.tokens.empty()) return resolution;
  std::vector<std::string> pool = table.canonical_names;
  // Why: "bandwidth" is a right criterion for all_reduce (one bandwidth figure) but ambiguous alone.
  if (k == NameKind::kCriterion && workload) {
    const auto it = criteria_of_workload_.find(*workload);
    if (it != criteria_of_workload_.end()) pool = it->second;
  }
  auto consistent = [&](const std::set<std::string>& tokens) {
    std::vector<std::string> candidates;
    for (const std::string& candidate : pool) {
      const auto it = table.tokens.find(candidate);
      if (it != table.tokens.end() && std::includes(it->second.begin(), it->second.end(), tokens.begin(), tokens.end()))
        candidates.push_back(candidate);
    }
    return candidates;
  };
  resolution.candidates = consistent(forms.tokens);
  // Why: a criterion often repeats its workload's words ("BF16 TFLOPS", "write latency"); when nothing
  // fits, a criterion fits if each token is its own or the workload's, and at least one is its own.
  if (resolution.candidates.empty() && k == NameKind::kCriterion && workload) {
    const auto words = workloads_.tokens.find(*workload);
    for (const std::string& candidate : pool) {
      const auto own = table.tokens.find(candidate);
      if (own == table.tokens.end() || words == workloads_.tokens.end()) continue;
      bool fits = true;
      bool some_own = false;
      for (const std::string& token : forms.tokens) {
        const bool is_own = own->second.count(token) > 0;
        some_own = some_own || is_own;
        fits = fits && (is_own || words->second.count(token) > 0);
      }
      if (fits && some_own) resolution.candidates.push_back(candidate);
    }
  }
  if (resolution.candidates.size() == 1) {
    resolution.name = resolution.candidates.front();
    resolution.how = "tokens";
    resolution.candidates.clear();
  } else if (resolution.candidates.size() > 1) {
    resolution.how = "ambiguous";
  }
  return resolution;
}

std::vector<std::string> NameTable::aliases_of(NameKind k, const std::string& canonical) const {
  const auto it = kind(k).aliases.find(canonical);
  return it == kind(k).aliases.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> NameTable::facts_of(NameKind k, const std::string& canonical) const {
  const auto it = kind(k).facts.find(canonical);
  return it == kind(k).facts.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> NameTable::criteria_of(const std::string& workload) const {
  const auto it = criteria_of_workload_.find(workload);
  return it == criteria_of_workload_.end() ? std::vector<std::string>{} : it->second;
}

bool NameTable::is_canonical(NameKind k, const std::string& name) const {
  const auto& names = kind(k).canonical_names;
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace aimicius
