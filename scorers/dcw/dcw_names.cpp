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
                     const std::vector<std::string>& criteria) {
  if (!aliases.is_object()) throw InputError(fmt::format("{}: must be a JSON object", where));
  for (const auto& [key, _] : aliases.items())
    if (key != "comment" && key != "systems" && key != "workloads" && key != "criteria")
      throw InputError(fmt::format("{}: unknown key \"{}\" (known: comment, systems, workloads, criteria)", where, key));

  const std::pair<NameKind, const std::vector<std::string>*> kinds[] = {
      {NameKind::kSystem, &systems}, {NameKind::kWorkload, &workloads}, {NameKind::kCriterion, &criteria}};
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
      }
    }
  }
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

bool NameTable::is_canonical(NameKind k, const std::string& name) const {
  const auto& names = kind(k).canonical_names;
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace aimicius
