// Audit variants: answers derived from a reference whose correctness is known by construction,
// used by `aimicius audit` to measure how often each metric accepts a wrong answer or rejects a
// right one (docs/VALIDITY.md).
//
// Invariants a generator keeps (each scorer type owns the generator for its answers, because
// only it knows which rewrites keep an answer's meaning):
// - A "right" variant means exactly what the reference means: a user reading it next to the
//   request would accept it (another spelling of the same options, an equivalent query, an
//   equivalent program, a canonical name's alias). It is never the reference text itself.
// - A "wrong" variant differs in meaning from the reference by one small, plausible change (one
//   value, index, flag, column, table, chunk or field) and is wrong for the request: a change
//   that happens not to matter (a flag that repeats a default) is not generated as wrong.
// - Generation is deterministic (a pure function of the example), so audit figures reproduce.
// - Variants are answers as the scorer receives them (after extraction).
#pragma once

#include <string>

namespace aimicius {

struct AuditVariant {
  std::string answer;
  bool right = false;
  std::string kind;  // what was changed, e.g. "long-option", "one-value", "swap-target-baseline"
};

}  // namespace aimicius
