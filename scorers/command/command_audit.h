// Audit variants of a reference command (scorers/audit_variant.h), generated with the tools'
// option grammars (hostsim/grammar/):
//   right: a documented synonym (short <-> long), --opt=value, -ovalue, combined short flags,
//          split combined flags, reordered options, a set-valued list in another order, a size
//          in another unit (1G == 1024M), the tool's absolute path, a `sudo` prefix;
//   wrong: one numeric value changed (size, count, index, interval, rank; GPU lists in
//          CUDA_VISIBLE_DEVICES too), one enumerated value changed (-o sum -> prod, datatype),
//          one option dropped (never one that repeats the tool's default or is harmless), one
//          flag swapped for a sibling of the same table, another subcommand or sibling tool.
// Variants edit the first segment (and the command it launches, for mpirun/watch/numactl/nsys);
// later pipeline segments are kept. Invariants: deterministic; no variant equals the reference
// text; a wrong variant never has the reference's canonical form (canonical_command.h).
#pragma once

#include <string>
#include <vector>

#include "scorers/audit_variant.h"

namespace aimicius {

// Throws std::invalid_argument when the reference does not lex.
std::vector<AuditVariant> command_audit_variants(const std::string& reference);

}  // namespace aimicius
