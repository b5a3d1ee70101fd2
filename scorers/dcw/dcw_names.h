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
//
// Two lookups:
// - canonical(): the alias table alone (normalised key equal to a canonical name or an alias); the
//   matching of suite version 1.0.0, kept so that earlier figures can be reproduced ("names":
//   "aliases" in suite.json).
// - resolve(): canonicalisation. First the spelling key of name_forms.h (case, punctuation, spacing,
//   hyphens, glued digits and letters, plurals, abbreviations) equal to that of a canonical name or
//   alias: that entry. Otherwise by token sets: the answer's tokens (filler dropped) must all be
//   tokens of the entry's spellings or facts (NameFacts: a system's GPU model, count and VM size, a
//   workload's description, a criterion's unit); the name is canonical X iff X is the only entry so
//   consistent. Two or more: ambiguous, which is wrong, never a guess ("A100" with four A100
//   systems). Criteria are matched among the criteria of the answer's workload when it is known;
//   when no criterion fits, one fits whose tokens, with the workload's, hold every token and hold at
//   least one themselves ("BF16 TFLOPS" for gemm bf16, "write latency" for ib write).
// Invariant checked at construction: no spelling key names two canonical names of one kind.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/dcw/name_forms.h"

namespace aimicius {

std::string normalise_name(std::string_view name);

enum class NameKind { kSystem, kWorkload, kCriterion };

// What the database says about each canonical name beyond its name (text matched by token sets
// only), and which criteria each workload has results for.
struct NameFacts {
  std::map<std::string, std::vector<std::string>> systems;
  std::map<std::string, std::vector<std::string>> workloads;
  std::map<std::string, std::vector<std::string>> criteria;
  std::map<std::string, std::vector<std::string>> criteria_of_workload;
};

struct NameResolution {
  std::optional<std::string> name;      // the canonical name, when exactly one
  std::string how;                      // "spelling", "tokens", "ambiguous" or "unknown"
  std::vector<std::string> candidates;  // when ambiguous: every consistent canonical name
};

class NameTable {
 public:
  // `where` names the alias file in error messages.
  NameTable(const nlohmann::json& aliases, const std::string& where, const std::vector<std::string>& systems,
            const std::vector<std::string>& workloads, const std::vector<std::string>& criteria,
            const NameFacts& facts = {});

  // The canonical name `name` stands for, or nullopt when it is neither a canonical name nor an alias.
  std::optional<std::string> canonical(NameKind kind, std::string_view name) const;
  // Whether `name` is, byte for byte, a canonical name of `kind` (references must use these).
  bool is_canonical(NameKind kind, const std::string& name) const;
  // Canonicalisation (see above). `workload`: the canonical workload of the same answer, when known;
  // it narrows criteria to those of that workload.
  NameResolution resolve(NameKind kind, std::string_view name,
                         const std::optional<std::string>& workload = std::nullopt) const;

  // For generating paraphrases (audit variants): the canonical names of a kind in database order,
  // the aliases of one name as the alias file lists them, the facts of one name, a workload's criteria.
  const std::vector<std::string>& canonical_names(NameKind k) const { return kind(k).canonical_names; }
  std::vector<std::string> aliases_of(NameKind kind, const std::string& canonical) const;
  std::vector<std::string> facts_of(NameKind kind, const std::string& canonical) const;
  std::vector<std::string> criteria_of(const std::string& workload) const;

 private:
  struct Kind {
    std::vector<std::string> canonical_names;
    std::map<std::string, std::string> by_key;                     // normalised key -> canonical name
    std::map<std::string, std::string> by_form_key;                // spelling key -> canonical name
    std::map<std::string, std::vector<std::string>> aliases;       // canonical -> aliases, file order
    std::map<std::string, std::vector<std::string>> facts;         // canonical -> fact texts
    std::map<std::string, std::set<std::string>> tokens;           // canonical -> tokens of all of it
  };
  const Kind& kind(NameKind k) const;
  Kind& kind(NameKind k) { return const_cast<Kind&>(static_cast<const NameTable*>(this)->kind(k)); }

  Kind systems_;
  Kind workloads_;
  Kind criteria_;
  NameVocabulary vocabulary_;
  std::map<std::string, std::vector<std::string>> criteria_of_workload_;
};

}  // namespace aimicius
