// canonical_command: a command line in the canonical form the tools' option grammars define
// (hostsim/grammar/parsed_command.h), segment by segment, and canonical_match on top of it.
//
//   canonical_command(cmd) = for each segment of the lexed line (split_shell_words): its
//   canonical_text (sudo/env dropped, assignments as a set, utility basename, subcommand,
//   options in canonical order under canonical names and values, positionals in order), joined
//   by " <operator> " so that pipelines and `&&` lists compare segment by segment, in order.
//   canonical_match(candidate, reference) = 1 iff the candidate is not blank, lexes, and has the
//   reference's canonical form. It is symmetric, and every spelling a tool documents as
//   equivalent (long/short synonyms, --opt=value, -ovalue, combined flags, option order, absolute
//   paths, sudo) matches, while any change of option, value, subcommand or positional does not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hostsim/grammar/parsed_command.h"

namespace aimicius {

struct ParsedCommandLine {
  std::vector<grammar::ParsedCommand> segments;
  std::vector<std::string> operators;  // operators[i] is between segments[i] and [i + 1]
};

// Throws std::invalid_argument when the line does not lex.
ParsedCommandLine parse_command_line(std::string_view command);
std::string canonical_command(std::string_view command);
double canonical_match(std::string_view candidate, std::string_view reference);

}  // namespace aimicius
