#include "runtime/tokenizer/incremental_decode.h"

#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "common/utf8.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {
namespace {

std::string decode_range(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens, size_t from, size_t to,
                         bool skip_special) {
  return tokenizer.decode(std::vector<int32_t>(tokens.begin() + static_cast<std::ptrdiff_t>(from),
                                               tokens.begin() + static_cast<std::ptrdiff_t>(to)),
                          skip_special);
}

// A decoder's replacement for bytes it could not make a character of: a later byte piece may
// complete them, so text ending in one is not settled.
bool ends_in_replacement(std::string_view text) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  return text.size() >= kReplacement.size() && text.substr(text.size() - kReplacement.size()) == kReplacement;
}

}  // namespace

const std::string& IncrementalDecoder::update(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens) {
  const size_t n = tokens.size();
  if (n < seen_)
    throw std::logic_error(fmt::format("incremental decode: the sequence shrank from {} to {} tokens", seen_, n));
  seen_ = n;
  if (whole_) {
    text_ = tokenizer.decode(tokens, skip_special_);
    return text_;
  }
  const std::string window = decode_range(tokenizer, tokens, window_, n, skip_special_);
  if (window.compare(0, window_text_.size(), window_text_) != 0) {
    // Appending tokens changed text before them: this tokenizer's decode is not local; exact from now on.
    whole_ = true;
    settled_bytes_ = 0;
    text_ = tokenizer.decode(tokens, skip_special_);
    return text_;
  }
  const std::string_view fresh = std::string_view(window).substr(window_text_.size());
  text_.resize(settled_bytes_);
  text_.append(fresh);
  if (!fresh.empty() && unfinished_utf8_tail(fresh) == 0 && !ends_in_replacement(fresh)) {
    settled_bytes_ = text_.size();
    window_ = read_;
    read_ = n;
    window_text_ = decode_range(tokenizer, tokens, window_, read_, skip_special_);
  }
  return text_;
}

}  // namespace aimicius::runtime
