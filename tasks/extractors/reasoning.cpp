// See reasoning.h.
#include "tasks/extractors/reasoning.h"

namespace aimicius {

std::string strip_reasoning(std::string_view raw) {
  constexpr std::string_view kOpen = "<think>", kClose = "</think>";
  std::string out;
  out.reserve(raw.size());
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t open = raw.find(kOpen, pos);
    const size_t close = raw.find(kClose, pos);
    if (close != std::string_view::npos && (open == std::string_view::npos || close < open)) {
      // Rule 2: a closing tag before any opening one: everything so far was reasoning.
      out.clear();
      pos = close + kClose.size();
      continue;
    }
    if (open == std::string_view::npos) {
      out.append(raw.substr(pos));
      break;
    }
    out.append(raw.substr(pos, open - pos));
    const size_t end = raw.find(kClose, open + kOpen.size());
    if (end == std::string_view::npos) break;  // rule 3: unclosed, runs to the end
    pos = end + kClose.size();                 // rule 1
  }
  return out;
}

}  // namespace aimicius
