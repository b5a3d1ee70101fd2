// Fuzz target: the input is a chat template (untrusted: tokenizer_config.json, chat_template.jinja
// and GGUF metadata carry one), parsed and rendered with a small conversation by the one entry point
// the runtime uses (jinja::render_chat_template), under tight limits so that a hang or a blow-up is
// a limit's error, not a timeout. Fine: TemplateError (an InputError naming the template).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/jinja/chat.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const aimicius::jinja::ChatTemplateCall call = [] {
    aimicius::jinja::ChatTemplateCall c;
    c.messages = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "héllo {{x}}"},
            {"role": "assistant", "content": "<think>a</think>ok"}, {"role": "user", "content": "again"}])");
    c.special_tokens = {{"bos_token", "<s>"}, {"eos_token", "</s>"}};
    c.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "f", "parameters": {}}}])");
    return c;
  }();
  aimicius::jinja::RenderOptions options;
  // Limits far below the runtime's (RenderLimits), so an input that runs into one costs little:
  // at 100,000 loop iterations and 16 MiB of work, inputs reaching the limits held the target
  // at ~160 executions/s under ASan.
  options.limits.max_output_bytes = 64u << 10;
  options.limits.max_loop_iterations = 5000;
  options.limits.max_call_depth = 32;
  options.limits.max_work_bytes = 1u << 20;
  options.now = [] { return std::tm{}; };
  try {
    const std::string rendered = aimicius::jinja::render_chat_template(
        std::string(aimicius::fuzz::as_text(data, size)), "fuzz input", call, options);
    if (rendered.size() > options.limits.max_output_bytes) __builtin_trap();  // the cap must hold
  } catch (const aimicius::jinja::TemplateError&) {
  }
  return 0;
}
