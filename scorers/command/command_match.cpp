// command_match implementation. The formula is specified in command_match.h;
// this file keeps to it exactly.
//
// Invariants:
//   - a CommandSegment is built from one lexed segment with sudo already
//     dropped; its `flag_names` is a set, its `argument_items` a multiset (kept
//     as a sorted vector so intersection is a linear merge);
//   - every score produced here lies in [0, 1].
#include "scorers/command/command_match.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "hostsim/grammar/parsed_command.h"
#include "scorers/command/shell_words.h"

namespace aimicius {
namespace {

enum class ItemKind { kFlag, kPositional, kEnv };

struct ArgumentItem {
  ItemKind kind;
  std::string name;   // flag name; for positional and env items the nested command's prefix
  std::string value;  // flag value ("" when none), positional word, or NAME=value

  bool operator<(const ArgumentItem& other) const {
    return std::tie(kind, name, value) < std::tie(other.kind, other.name, other.value);
  }
  bool operator==(const ArgumentItem& other) const {
    return kind == other.kind && name == other.name && value == other.value;
  }
};

struct CommandSegment {
  std::string utility;
  std::set<std::string> flag_names;
  std::vector<ArgumentItem> argument_items;  // sorted
};

bool is_negative_number(const std::string& word) {
  bool seen_digit = false;
  bool seen_dot = false;
  for (std::size_t i = 1; i < word.size(); ++i) {
    const char c = word[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      return false;
    }
  }
  return seen_digit;
}

bool is_flag(const std::string& word) {
  return word.size() > 1 && word[0] == '-' && !is_negative_number(word);
}

// Words the tool's grammar did not read (an unknown tool, or everything from an unknown option
// on) are read by the NLC2CMD rule: greedy values, `--name=value` split, `--` ends options.
void add_unparsed_words(const std::vector<std::string>& words, const std::string& prefix, CommandSegment& segment) {
  bool options_ended = false;
  // Index into argument_items of the flag that may still take a value.
  constexpr std::size_t kNoFlagAwaitingValue = static_cast<std::size_t>(-1);
  std::size_t flag_awaiting_value = kNoFlagAwaitingValue;
  for (const std::string& word : words) {
    if (!options_ended && word == "--") {
      options_ended = true;
      flag_awaiting_value = kNoFlagAwaitingValue;
    } else if (!options_ended && is_flag(word)) {
      const std::size_t equals = word.find('=');
      if (word.compare(0, 2, "--") == 0 && equals != std::string::npos && equals > 2) {
        const std::string name = prefix + word.substr(0, equals);
        segment.flag_names.insert(name);
        segment.argument_items.push_back({ItemKind::kFlag, name, word.substr(equals + 1)});
        flag_awaiting_value = kNoFlagAwaitingValue;
      } else {
        segment.flag_names.insert(prefix + word);
        segment.argument_items.push_back({ItemKind::kFlag, prefix + word, ""});
        flag_awaiting_value = segment.argument_items.size() - 1;
      }
    } else if (flag_awaiting_value != kNoFlagAwaitingValue) {
      segment.argument_items[flag_awaiting_value].value = word;
      flag_awaiting_value = kNoFlagAwaitingValue;
    } else {
      segment.argument_items.push_back({ItemKind::kPositional, prefix, word});
    }
  }
}

// The arguments of a parsed command as flags and items; a nested command's (mpirun PROG ...)
// under the prefix "PROG:" so that they never meet the launcher's own.
void add_arguments(const grammar::ParsedArgs& args, const std::string& prefix, CommandSegment& segment) {
  for (const auto& option : grammar::canonical_options(args)) {
    segment.flag_names.insert(prefix + option.name);
    segment.argument_items.push_back({ItemKind::kFlag, prefix + option.name, option.value});
  }
  for (const auto& word : args.positionals) segment.argument_items.push_back({ItemKind::kPositional, prefix, word});
  add_unparsed_words(args.rest, prefix, segment);
  for (const auto& nested : args.nested) {
    for (const auto& assignment : nested.assignments)
      segment.argument_items.push_back({ItemKind::kEnv, prefix, assignment});
    segment.argument_items.push_back({ItemKind::kPositional, prefix, nested.utility});
    add_arguments(nested.args, prefix + nested.utility + ":", segment);
  }
}

// One segment in canonical form: sudo/env dropped, assignments as items, the utility's basename
// (with its subcommand), options under canonical names with canonical values (parsed_command.h).
CommandSegment parse_segment(const std::vector<std::string>& lexed_words) {
  const grammar::ParsedCommand parsed = grammar::parse_command_words(lexed_words);
  CommandSegment segment;
  for (const auto& assignment : parsed.assignments) segment.argument_items.push_back({ItemKind::kEnv, "", assignment});
  segment.utility = parsed.utility;
  if (!parsed.args.subcommand.empty()) segment.utility += " " + parsed.args.subcommand;
  add_arguments(parsed.args, "", segment);
  std::sort(segment.argument_items.begin(), segment.argument_items.end());
  return segment;
}

std::vector<CommandSegment> parse_command(const ShellWords& lexed) {
  std::vector<CommandSegment> segments;
  for (const auto& words : lexed.segments) segments.push_back(parse_segment(words));
  return segments;
}

std::vector<std::string> set_difference_of(const std::set<std::string>& left,
                                           const std::set<std::string>& right) {
  std::vector<std::string> difference;
  std::set_difference(left.begin(), left.end(), right.begin(), right.end(),
                      std::back_inserter(difference));
  return difference;
}

double flag_term(const std::set<std::string>& candidate_flags,
                 const std::set<std::string>& reference_flags, std::size_t common_count) {
  if (candidate_flags.empty() && reference_flags.empty()) return 1.0;
  const double common = static_cast<double>(common_count);
  const double union_size =
      static_cast<double>(candidate_flags.size() + reference_flags.size()) - common;
  const double normalizer =
      static_cast<double>(std::max(candidate_flags.size(), reference_flags.size()));
  return std::clamp((2.0 * common - union_size) / normalizer, -1.0, 1.0);
}

double argument_f1(const std::vector<ArgumentItem>& candidate_items,
                   const std::vector<ArgumentItem>& reference_items) {
  if (candidate_items.empty() && reference_items.empty()) return 1.0;
  if (candidate_items.empty() || reference_items.empty()) return 0.0;
  std::vector<ArgumentItem> common;  // multiset intersection of two sorted ranges
  std::set_intersection(candidate_items.begin(), candidate_items.end(), reference_items.begin(),
                        reference_items.end(), std::back_inserter(common));
  return 2.0 * static_cast<double>(common.size()) /
         static_cast<double>(candidate_items.size() + reference_items.size());
}

nlohmann::json utility_or_null(const CommandSegment* segment) {
  return segment != nullptr ? nlohmann::json(segment->utility) : nlohmann::json(nullptr);
}

// The score of one aligned pair; either side may be null (segment missing there).
double segment_pair_score(const CommandSegment* candidate, const CommandSegment* reference) {
  if (candidate == nullptr || reference == nullptr || candidate->utility != reference->utility) return 0.0;
  std::size_t common = 0;
  for (const auto& flag : candidate->flag_names) common += reference->flag_names.count(flag);
  const double s_flags = flag_term(candidate->flag_names, reference->flag_names, common);
  const double s_args = argument_f1(candidate->argument_items, reference->argument_items);
  return ((1.0 + s_flags) / 2.0 + s_args) / 2.0;
}

// The same pair as the detail readers see it (command_match.h), its score included.
nlohmann::json segment_pair_detail(const CommandSegment* candidate, const CommandSegment* reference) {
  static const std::set<std::string> kNoFlags;
  const std::set<std::string>& candidate_flags = candidate ? candidate->flag_names : kNoFlags;
  const std::set<std::string>& reference_flags = reference ? reference->flag_names : kNoFlags;
  std::vector<std::string> common_flags;
  std::set_intersection(candidate_flags.begin(), candidate_flags.end(), reference_flags.begin(),
                        reference_flags.end(), std::back_inserter(common_flags));

  const bool utility_match =
      candidate != nullptr && reference != nullptr && candidate->utility == reference->utility;
  nlohmann::json detail = {
      {"utility_candidate", utility_or_null(candidate)},
      {"utility_reference", utility_or_null(reference)},
      {"utility_match", utility_match},
      {"flags_common", common_flags},
      {"flags_missing", set_difference_of(reference_flags, candidate_flags)},
      {"flags_extra", set_difference_of(candidate_flags, reference_flags)},
      {"s_flags", nullptr},
      {"s_args", nullptr},
      {"score", 0.0},
  };
  if (!utility_match) return detail;

  const double s_flags = flag_term(candidate_flags, reference_flags, common_flags.size());
  const double s_args = argument_f1(candidate->argument_items, reference->argument_items);
  detail["s_flags"] = s_flags;
  detail["s_args"] = s_args;
  detail["score"] = segment_pair_score(candidate, reference);
  return detail;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

double exact_match(std::string_view candidate, std::string_view reference) {
  if (is_blank(candidate)) return 0.0;
  const std::string normalized_candidate = normalize_command(candidate);
  if (normalized_candidate.empty()) return 0.0;
  return normalized_candidate == normalize_command(reference) ? 1.0 : 0.0;
}

CommandScore command_structure_score(std::string_view candidate, std::string_view reference) {
  ShellWords reference_words;
  try {
    reference_words = split_shell_words(reference);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("command_structure_score: reference command does not lex (" +
                                std::string(error.what()) + "): " + std::string(reference));
  }
  if (reference_words.segments.empty()) {
    throw std::invalid_argument("command_structure_score: reference command is empty: '" +
                                std::string(reference) + "'");
  }

  ShellWords candidate_words;
  try {
    candidate_words = split_shell_words(candidate);
  } catch (const std::invalid_argument& error) {
    return {0.0, {{"error", std::string("candidate does not lex: ") + error.what()}}};
  }

  const std::vector<CommandSegment> candidate_segments = parse_command(candidate_words);
  const std::vector<CommandSegment> reference_segments = parse_command(reference_words);
  const std::size_t segment_count = std::max(candidate_segments.size(), reference_segments.size());

  nlohmann::json segment_details = nlohmann::json::array();
  double score_sum = 0.0;
  for (std::size_t i = 0; i < segment_count; ++i) {
    const CommandSegment* candidate_segment =
        i < candidate_segments.size() ? &candidate_segments[i] : nullptr;
    const CommandSegment* reference_segment =
        i < reference_segments.size() ? &reference_segments[i] : nullptr;
    score_sum += segment_pair_score(candidate_segment, reference_segment);
    if (i < kMaxSegmentDetails) segment_details.push_back(segment_pair_detail(candidate_segment, reference_segment));
  }
  const double value = score_sum / static_cast<double>(segment_count);
  nlohmann::json detail = {{"segment_count", segment_count}, {"segments", std::move(segment_details)}};
  if (segment_count > kMaxSegmentDetails) detail["segments_not_shown"] = segment_count - kMaxSegmentDetails;
  return {value, std::move(detail)};
}

}  // namespace aimicius
