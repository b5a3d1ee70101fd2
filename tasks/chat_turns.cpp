// See chat_turns.h.
#include "tasks/chat_turns.h"

namespace aimicius {

std::string_view fewshot_layout_name(FewshotLayout layout) {
  return layout == FewshotLayout::kTurns ? "turns" : "inline";
}

std::string render_turns_plain(const std::vector<ChatTurn>& turns) {
  std::string out;
  for (const auto& t : turns) {
    out += "<|" + t.role + "|>\n";
    out += t.content;
    out += '\n';
  }
  return out;
}

}  // namespace aimicius
