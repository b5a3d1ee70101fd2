// Byte-level BPE pre-tokenization steps (see pre_tokenizer.h).
#include "runtime/tokenizer/pre_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/utf8.h"

namespace aimicius::runtime {

struct PreTokenizer::Step {
  enum class Kind { kByteLevel, kSplit, kDigits } kind;
  bool add_prefix_space = false;  // ByteLevel
  std::unique_ptr<SplitPattern> pattern;  // ByteLevel with use_regex, Split
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool individual_digits = false;  // Digits
};

namespace {

SplitBehavior parse_behavior(const nlohmann::json& node, const JsonLocation& location) {
  const std::string name = location.require_string(node, "behavior");
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  location.child("behavior").fail(fmt::format("unknown split behavior '{}'", name));
}

struct Piece {
  ByteRange range;
  bool is_match;
};

std::vector<ByteRange> digit_runs(std::string_view text, const UnicodeClassifier& classifier,
                                  bool individual) {
  std::vector<ByteRange> runs;
  for (std::size_t offset = 0; offset < text.size();) {
    const DecodedCodePoint decoded = decode_utf8_at(text, offset);
    const std::size_t next = offset + decoded.length;
    if (classifier.is_number(decoded.code_point)) {
      if (!individual && !runs.empty() && runs.back().end == offset) {
        runs.back().end = next;
      } else {
        runs.push_back({offset, next});
      }
    }
    offset = next;
  }
  return runs;
}

}  // namespace

std::vector<ByteRange> split_by_matches(std::size_t text_size, const std::vector<ByteRange>& matches,
                                        SplitBehavior behavior, bool invert) {
  std::vector<Piece> pieces;
  std::size_t previous_end = 0;
  for (const ByteRange& match : matches) {
    if (match.begin > previous_end) pieces.push_back({{previous_end, match.begin}, invert});
    pieces.push_back({match, !invert});
    previous_end = match.end;
  }
  if (previous_end < text_size) pieces.push_back({{previous_end, text_size}, invert});

  std::vector<ByteRange> out;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const Piece& piece : pieces) {
        if (!piece.is_match) out.push_back(piece.range);
      }
      break;
    case SplitBehavior::kIsolated:
      for (const Piece& piece : pieces) out.push_back(piece.range);
      break;
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Piece& piece : pieces) {
        if (piece.is_match && !previous_match && !out.empty()) {
          out.back().end = piece.range.end;
        } else {
          out.push_back(piece.range);
        }
        previous_match = piece.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) {
          out.back().begin = it->range.begin;
        } else {
          out.push_back(it->range);
        }
        previous_match = it->is_match;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const Piece& piece : pieces) {
        if (piece.is_match == previous_match && !out.empty()) {
          out.back().end = piece.range.end;
        } else {
          out.push_back(piece.range);
        }
        previous_match = piece.is_match;
      }
      break;
    }
  }
  std::vector<ByteRange> non_empty;
  for (const ByteRange& range : out) {
    if (range.end > range.begin) non_empty.push_back(range);
  }
  return non_empty;
}

PreTokenizer::PreTokenizer(const nlohmann::json& node, const JsonLocation& location,
                           const UnicodeClassifier& classifier, const ByteLevelAlphabet& alphabet)
    : classifier_(&classifier), alphabet_(&alphabet) {
  if (node.is_null()) location.fail("missing: a byte-level BPE needs a ByteLevel pre_tokenizer");
  add_step(node, location, false);
  bool has_byte_level = false;
  for (const auto& step : steps_) has_byte_level |= step->kind == Step::Kind::kByteLevel;
  if (!has_byte_level) {
    location.fail("no ByteLevel step: only byte-level BPE tokenizers are supported");
  }
}

PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

void PreTokenizer::add_step(const nlohmann::json& node, const JsonLocation& location,
                            bool inside_sequence) {
  const std::string type = location.require_string(node, "type");
  auto step = std::make_unique<Step>();
  if (type == "Sequence" && !inside_sequence) {
    const auto& children = location.require(node, "pretokenizers", nlohmann::json::value_t::array);
    for (std::size_t i = 0; i < children.size(); ++i) {
      add_step(children[i], location.child("pretokenizers").index(i), true);
    }
    return;
  }
  if (type == "ByteLevel") {
    step->kind = Step::Kind::kByteLevel;
    step->add_prefix_space = location.optional_bool(node, "add_prefix_space", true);
    if (location.optional_bool(node, "use_regex", true)) {
      step->pattern = std::make_unique<SplitPattern>(SplitPattern::from_regex(
          std::string(known_pattern_source(KnownSplitPattern::kGpt2)), *classifier_,
          {location.file(), location.path()}));
    }
  } else if (type == "Split") {
    step->kind = Step::Kind::kSplit;
    const JsonLocation pattern_location = location.child("pattern");
    const auto& pattern = location.require(node, "pattern", nlohmann::json::value_t::object);
    if (pattern.contains("Regex")) {
      step->pattern = std::make_unique<SplitPattern>(SplitPattern::from_regex(
          pattern_location.require_string(pattern, "Regex"), *classifier_,
          {location.file(), pattern_location.child("Regex").path()}));
    } else if (pattern.contains("String")) {
      step->pattern = std::make_unique<SplitPattern>(
          SplitPattern::from_literal(pattern_location.require_string(pattern, "String")));
    } else {
      pattern_location.fail("expected {\"Regex\": ...} or {\"String\": ...}");
    }
    step->behavior = parse_behavior(node, location);
    step->invert = location.optional_bool(node, "invert", false);
  } else if (type == "Digits") {
    step->kind = Step::Kind::kDigits;
    step->individual_digits = location.optional_bool(node, "individual_digits", false);
  } else {
    location.child("type").fail(fmt::format(
        "unsupported pre_tokenizer type '{}' (supported: ByteLevel, Split, Digits, Sequence)", type));
  }
  steps_.push_back(std::move(step));
}

std::vector<std::string> PreTokenizer::pre_tokenize(std::string_view text) const {
  std::vector<std::string> pieces{std::string(text)};
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    next.reserve(pieces.size());
    for (std::string& piece : pieces) {
      if (step->kind == Step::Kind::kByteLevel && step->add_prefix_space &&
          (piece.empty() || piece.front() != ' ')) {
        piece.insert(piece.begin(), ' ');
      }
      std::vector<ByteRange> ranges;
      if (step->kind == Step::Kind::kDigits) {
        ranges = split_by_matches(piece.size(), digit_runs(piece, *classifier_, step->individual_digits),
                                  SplitBehavior::kIsolated, false);
      } else if (step->pattern) {
        ranges = split_by_matches(piece.size(), step->pattern->find_matches(piece), step->behavior,
                                  step->invert);
      } else if (!piece.empty()) {
        ranges = {{0, piece.size()}};
      }
      for (const ByteRange& range : ranges) {
        const std::string_view part = std::string_view(piece).substr(range.begin, range.end - range.begin);
        next.push_back(step->kind == Step::Kind::kByteLevel ? alphabet_->encode(part) : std::string(part));
      }
    }
    pieces = std::move(next);
  }
  return pieces;
}

std::vector<const SplitPattern*> PreTokenizer::split_patterns() const {
  std::vector<const SplitPattern*> patterns;
  for (const auto& step : steps_) {
    if (step->pattern) patterns.push_back(step->pattern.get());
  }
  return patterns;
}

}  // namespace aimicius::runtime
