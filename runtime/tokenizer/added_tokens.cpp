// Added-token matching (see added_tokens.h).
#include "runtime/tokenizer/added_tokens.h"

#include <algorithm>

#include "common/utf8.h"

namespace aimicius::runtime {

namespace {
// Rust's char::is_whitespace, which `tokenizers` uses for lstrip / rstrip.
bool is_strippable_space(char32_t c) { return UnicodeClassifier::is_white_space_property(c); }

// The code point ending just before byte `end` (end > 0).
char32_t code_point_before(std::string_view text, std::size_t end) {
  std::size_t begin = end - 1;
  while (begin > 0 && end - begin < 4 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  const DecodedCodePoint decoded = decode_utf8_at(text, begin);
  return begin + decoded.length == end ? decoded.code_point : kInvalidCodePoint;
}
}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens, const UnicodeClassifier& classifier)
    : tokens_(std::move(tokens)), classifier_(&classifier) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    by_id_.emplace(tokens_[i].id, i);
    by_content_.emplace(tokens_[i].content, i);
  }
  raw_index_ = index_tokens(false);
  normalized_index_ = index_tokens(true);
}

AddedTokenMatcher::FirstByteIndex AddedTokenMatcher::index_tokens(bool normalized) const {
  FirstByteIndex index(256);
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].normalized != normalized || tokens_[i].content.empty()) continue;
    index[static_cast<unsigned char>(tokens_[i].content.front())].push_back(i);
  }
  for (auto& candidates : index) {
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
  return index;
}

bool AddedTokenMatcher::touches_word(std::string_view text, std::size_t begin, std::size_t end) const {
  const auto is_word = [&](char32_t c) {
    return c == U'_' || classifier_->is_letter(c) || classifier_->is_number(c);
  };
  if (begin > 0 && is_word(code_point_before(text, begin))) return true;
  return end < text.size() && is_word(decode_utf8_at(text, end).code_point);
}

std::optional<AddedTokenMatcher::Match> AddedTokenMatcher::find_first(
    std::string_view text, std::size_t from, std::size_t to, const FirstByteIndex& index) const {
  for (std::size_t position = from; position < to; ++position) {
    for (const std::size_t candidate : index[static_cast<unsigned char>(text[position])]) {
      const AddedToken& token = tokens_[candidate];
      const std::size_t end = position + token.content.size();
      if (end > to || text.compare(position, token.content.size(), token.content) != 0) continue;
      if (token.single_word && touches_word(text, position, end)) continue;
      return Match{position, end, token.id};
    }
  }
  return std::nullopt;
}

void AddedTokenMatcher::split_range(std::string_view text, TextSegment range,
                                    const FirstByteIndex& index, std::vector<TextSegment>& out) const {
  std::size_t plain_begin = range.begin;
  std::size_t position = range.begin;
  while (position < range.end) {
    const auto match = find_first(text, position, range.end, index);
    if (!match) break;
    const AddedToken& token = tokens_[by_id_.at(match->id)];
    std::size_t begin = match->begin;
    std::size_t end = match->end;
    if (token.lstrip) {
      while (begin > plain_begin) {
        const char32_t before = code_point_before(text, begin);
        if (!is_strippable_space(before)) break;
        std::string encoded;
        append_utf8(before, encoded);
        if (begin - plain_begin < encoded.size()) break;
        begin -= encoded.size();
      }
    }
    if (token.rstrip) {
      while (end < range.end) {
        const DecodedCodePoint next = decode_utf8_at(text, end);
        if (!is_strippable_space(next.code_point)) break;
        end += next.length;
      }
    }
    if (begin > plain_begin) out.push_back({plain_begin, begin, std::nullopt});
    out.push_back({begin, end, token.id});
    plain_begin = position = end;
  }
  if (plain_begin < range.end) out.push_back({plain_begin, range.end, std::nullopt});
}

std::vector<TextSegment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<TextSegment> first_pass;
  split_range(text, {0, text.size(), std::nullopt}, raw_index_, first_pass);
  std::vector<TextSegment> segments;
  for (const TextSegment& segment : first_pass) {
    if (segment.added_token_id) {
      segments.push_back(segment);
    } else {
      split_range(text, segment, normalized_index_, segments);
    }
  }
  return segments;
}

const AddedToken* AddedTokenMatcher::find_by_id(int32_t id) const {
  const auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : &tokens_[found->second];
}

const AddedToken* AddedTokenMatcher::find_by_content(std::string_view content) const {
  const auto found = by_content_.find(std::string(content));
  return found == by_content_.end() ? nullptr : &tokens_[found->second];
}

}  // namespace aimicius::runtime
