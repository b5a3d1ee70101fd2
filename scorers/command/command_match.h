// command_match: matching scorers for generated command lines (pure functions).
//
// exact_match(candidate, reference)
//   1.0 iff normalize_command(candidate) == normalize_command(reference) and the
//   candidate is not blank; else 0.0. Order-sensitive: `-q -d X` != `-d X -q`.
//
// command_structure_score(candidate, reference) -> value in [0, 1]
//   In the spirit of the NLC2CMD metric (Agarwal et al. 2021), defined as:
//   1. Both sides are split with split_shell_words. A reference that does not
//      lex or has no words throws std::invalid_argument (dataset bug); a
//      candidate that does not lex scores 0 with detail {"error": message}.
//   2. Each segment is read with its tool's option grammar (hostsim/grammar/parsed_command.h):
//      a leading `sudo` / `sudo -E` / `env` is dropped, environment assignments (`NAME=value`)
//      are argument items (kind "env"), the utility is the basename of the first remaining word
//      (/usr/bin/nvidia-smi == nvidia-smi) followed by its subcommand (`nvidia-smi dmon`).
//   3. Segments are aligned by position; T = max(#candidate segments,
//      #reference segments). A segment missing on one side scores 0.
//   4. Different utilities (or subcommands): the segment scores 0.
//   5. Options the grammar reads count under their canonical name with their canonical value
//      (`--id=0`, `-i0`, `-i 0` are all (-i, 0); `-b 1G` == `-b 1024M`; `-d ECC,MEMORY` ==
//      `-d MEMORY,ECC` where the tool treats the list as a set; combined flags `-tv` are -t and
//      -v); positionals are items; a nested command (mpirun PROG ...) adds its utility as a
//      positional and its options under the prefix "PROG:". Words the grammar does not read (an
//      unknown tool, or everything from an unknown option on) are read by the NLC2CMD rule:
//        - `--` ends options: it is not a flag and every later word is positional;
//        - a flag is a word starting with '-' that is not "-" and not a negative
//          number (-3, -0.5); combined short flags (`-la`) stay as written;
//        - `--name=value` is flag `--name` with value `value`;
//        - a non-flag word directly after a flag that has no value yet becomes
//          that flag's value (greedy, same rule on both sides);
//        - any other non-flag word is a positional argument.
//      Fc, Fr = SETS of flag names of candidate / reference.
//      Ac, Ar = MULTISETS of argument items: one (flag, value) item per flag
//      occurrence (value "" when the flag took none), one (positional, word) item
//      per positional argument, one (env, NAME=value) item per assignment.
//   6. S_flags = 1 if Fc and Fr are both empty, else
//        clamp((2|Fc ∩ Fr| - |Fc ∪ Fr|) / max(|Fc|, |Fr|), -1, 1).
//      (Unclamped the term can reach -2, e.g. {-a} vs {-b}; the clamp keeps the
//      segment score in [0, 1].)
//      S_args = 1 if Ac and Ar are both empty, 0 if exactly one is empty, else
//        F1 = 2|Ac ∩ Ar| / (|Ac| + |Ar|)   (multiset intersection).
//      segment score = ((1 + S_flags) / 2 + S_args) / 2.
//   7. value = (sum of segment scores) / T; 0 when the candidate has no segment.
//   Flag order and spelling never matter; a missing flag, an extra flag or a wrong value
//   each lower the score (one wrong value of four options: 0.875). Positional order does not
//   matter either (multiset).
//
//   detail = {"segment_count": T, "segments": [per segment {
//     "utility_candidate", "utility_reference" (null when the side is missing),
//     "utility_match": bool, "flags_common", "flags_missing" (in reference
//     only), "flags_extra" (in candidate only) as sorted arrays,
//     "s_flags", "s_args" (null unless the utilities match), "score"}]}, the first
//     kMaxSegmentDetails segments only, and "segments_not_shown": the rest's count when there are
//     more (an answer of 100,000 chained commands made 20 MB of detail per example in the db).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aimicius {

// Segments whose detail command_structure_score keeps (the score counts every segment).
constexpr std::size_t kMaxSegmentDetails = 32;

double exact_match(std::string_view candidate, std::string_view reference);

struct CommandScore {
  double value;
  nlohmann::json detail;
};

CommandScore command_structure_score(std::string_view candidate, std::string_view reference);

}  // namespace aimicius
