// Audit variants of an infrawise reference (scorers/audit_variant.h states what right and wrong
// mean): answers whose correctness is known by construction, for `aimicius audit`.
//
// Right (same DCW, other spelling), each drawn from the canonicalisation rules of dcw_names.h:
//   keys-reordered      keys in another order, indented, surrounded by blank lines
//   case-separators     names upper-cased with hyphens for spaces ("ND-H100-V5", "ALL-REDUCE")
//   padded              names with spaces around and doubled inside
//   alias               names replaced by an alias of the alias file (chosen by a hash of the reference)
//   vendor-words        systems with their vendor and deployment words ("Microsoft Azure ND H100 v5 VM")
//   glued               systems with separators removed where no two digits meet ("NDH100v5", "DGXA100")
//   distinguishing-name systems by the shortest part of their GPU model that only they have ("MI300X")
//   metric-abbreviation the criterion with the field's abbreviations (bw, lat, tput, /s, TFLOP/s, mem)
//   criterion-unit      the criterion followed by its unit in parentheses ("latency (µs)")
//   criterion-head      a two-word criterion by its last word when the workload has only one such
//                       criterion ("bandwidth" for all_reduce's "bus bandwidth")
//   no-baseline-spelled "none" or no key where the reference's baseline is null
// Wrong (one field changed to a plausible other meaning):
//   swap-target-baseline, same-family-target, same-family-baseline (another system with a GPU of the
//   same family: H100 for H200, A100 PCIe for A100 SXM), same-category-workload, other-criterion
//   (another criterion of the workload), baseline-dropped, baseline-added (a same-family system),
//   baseline-added-no-results (a system without results for the workload, which retrieves nothing),
//   ambiguous-target (a short name several systems share: "A100", "DGX").
// A kind is left out when the reference gives it nothing to change (no baseline, one criterion).
// Deterministic: a pure function of the reference and the database.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/audit_variant.h"
#include "scorers/dcw/benchmark_db.h"
#include "scorers/dcw/dcw_names.h"

namespace aimicius {

// `reference`: a DCW object with canonical names (validated by the scorer).
std::vector<AuditVariant> dcw_audit_variants(const nlohmann::json& reference, const NameTable& names,
                                             const BenchmarkDb& db);

}  // namespace aimicius
