// Names in a DCW (Design: target and baseline systems; Workload; Criterion) and how an answer's
// spelling is mapped onto the benchmark database's canonical names.
//
// normalise_name(): the comparison key of a name: ASCII letters lower-cased, every run of characters
// other than a-z and 0-9 replaced by one space, leading and trailing spaces removed. So "ND_H100-v5",
// " nd h100 v5 " and "ND H100 v5" compare equal; "allreduce" and "all reduce" do not (the alias table
// lists such variants). Must stay identical to normalise() in datasets/infrawise/facts.py.
//
// NameTable: per kind (system, workload, criterion) a map from normalised key to canonical name,
// built from the canonical names (the database's tables) and the alias file (aliases.json):
//   {"comment": "...",                                   // optional, ignored
//    "systems":   {"<canonical>": ["<alias>", ...], ...},
//    "workloads": {...}, "criteria": {...}}
// Invariants checked at construction (InputError naming the file and the entry): every key of an
// alias object is a canonical name of its kind; every alias is a string that normalises to a
// non-empty key; no key (canonical or alias) names two different canonical names of one kind; no
// other top-level keys. Immutable afterwards, so safe to share between threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius {

std::string normalise_name(std::string_view name);

enum class NameKind { kSystem, kWorkload, kCriterion };

class NameTable {
 public:
  // `where` names the alias file in error messages.
  NameTable(const nlohmann::json& aliases, const std::string& where, const std::vector<std::string>& systems,
            const std::vector<std::string>& workloads, const std::vector<std::string>& criteria);

  // The canonical name `name` stands for, or nullopt when it is neither a canonical name nor an alias.
  std::optional<std::string> canonical(NameKind kind, std::string_view name) const;
  // Whether `name` is, byte for byte, a canonical name of `kind` (references must use these).
  bool is_canonical(NameKind kind, const std::string& name) const;

 private:
  struct Kind {
    std::vector<std::string> canonical_names;
    std::map<std::string, std::string> by_key;  // normalised key -> canonical name
  };
  const Kind& kind(NameKind k) const;
  Kind& kind(NameKind k) { return const_cast<Kind&>(static_cast<const NameTable*>(this)->kind(k)); }

  Kind systems_;
  Kind workloads_;
  Kind criteria_;
};

}  // namespace aimicius
