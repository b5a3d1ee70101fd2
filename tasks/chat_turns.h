// A prompt as a chat conversation: turns of "system", "user" and "assistant", and how the harness
// builds one from a suite (few-shot as turns) and writes it down as text.
//
// Few-shot as turns follows lm-evaluation-harness' fewshot_as_multiturn with a chat template: the
// task's description (here: the suite template's text before "{{fewshot}}", the instruction) is
// the system turn; each shot is a user turn (the template's text after "{{fewshot}}", the request,
// rendered with the shot's fields) followed by an assistant turn (the shot's reference answer as
// the oracle writes it, i.e. in the form the suite's extractor expects); the example's own request
// is the last user turn. A checkpoint whose template has no system role merges that turn into the
// first user turn itself (runtime/tokenizer/chat_template.h); the harness always sends it apart.
//
// Invariants: render_turns_plain is a pure function that names every role, so two different
// conversations never render to the same text (the stored prompt and its sha256 identify it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

// One turn of a chat conversation (role "system", "user" or "assistant").
struct ChatTurn {
  std::string role;
  std::string content;
};

// How a run lays few-shot examples out: inside the one prompt text (today's suites as written), or
// as alternating user/assistant turns (chat models; see above).
enum class FewshotLayout { kInline, kTurns };

std::string_view fewshot_layout_name(FewshotLayout layout);  // "inline" | "turns"

// "<|role|>\ncontent\n" per turn, in order: what the store keeps as the prompt of a chat request.
std::string render_turns_plain(const std::vector<ChatTurn>& turns);

}  // namespace aimicius
