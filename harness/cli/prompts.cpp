// `aimicius prompts`: the requests a run would send for a suite's first examples, as JSON lines,
// without running a model: for peers that must see exactly what aimicius sends (the Hugging Face
// chat parity fixture, scripts/fixtures/gguf_chat_parity_fixtures.py) and for reading prompts.
//
// Each line: {"suite", "example_id", "prompt" (the text the store keeps), "messages" (chat only:
// the conversation a chat backend renders with the model's template; one user turn holding the
// prompt when few-shot is inline), "stop" and "max_new_tokens" (what the run generates with in that
// style)}. The requests come from the runner's own build_request and suite_generation, so they are
// the run's by construction.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "harness/backends/backend.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/runner/run_record.h"
#include "harness/runner/runner.h"

namespace aimicius {
namespace {

struct PromptsOptions {
  std::vector<std::string> suites;
  std::optional<int64_t> limit;
  std::string split = "test";
  bool chat = false;
  std::string fewshot;  // "" (turns under chat, else inline), "turns", "inline"
};

int command_prompts(const GlobalOptions& global, const PromptsOptions& o) {
  if (o.limit && *o.limit < 1) throw InputError(fmt::format("--limit must be at least 1 (got {})", *o.limit));
  const PromptStyle style = make_prompt_style(o.chat ? "prompts --chat" : "prompts", o.chat, o.fewshot);
  RunOptions run;
  set_global_paths(run, global);
  const std::vector<std::string> names = o.suites.empty() ? known_suite_names(run.data_dir) : o.suites;
  for (const auto& name : names) {
    const LoadedSuite loaded = load_suite(name, run.data_dir, o.split);
    const SuiteGeneration generation = suite_generation(*loaded.suite, run, style);
    const size_t n = planned_examples(loaded, o.limit);
    for (size_t i = 0; i < n; ++i) {
      const GenerationRequest request = build_request(*loaded.suite, loaded.examples[i], style);
      nlohmann::ordered_json line = {{"suite", request.suite}, {"example_id", request.example_id},
                                     {"prompt", request.prompt}};
      if (style.chat) {
        nlohmann::json messages = nlohmann::json::array();
        if (request.messages.empty()) messages.push_back({{"role", "user"}, {"content", request.prompt}});
        for (const auto& turn : request.messages) messages.push_back({{"role", turn.role}, {"content", turn.content}});
        line["messages"] = std::move(messages);
      }
      line["stop"] = generation.stop;
      line["max_new_tokens"] = generation.max_new_tokens;
      fmt::print("{}\n", line.dump());
    }
  }
  return 0;
}

class PromptsCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("prompts", "The requests a run would send for suites' examples (JSON lines; no model)");
    cmd->add_option("--suite", options_.suites, "Suite(s), repeatable or comma-separated (default: all)")->delimiter(',');
    cmd->add_option("--limit", options_.limit, "Only the first N examples of each suite");
    cmd->add_option("--split", options_.split, "Data split")->capture_default_str();
    cmd->add_flag("--chat", options_.chat, "As a chat model gets them (messages; the suites' chat stop strings)");
    cmd->add_option("--fewshot", options_.fewshot, "turns | inline (default: turns with --chat, else inline)");
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_prompts(global, options_); }

 private:
  PromptsOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_prompts_command() { return std::make_unique<PromptsCommand>(); }

}  // namespace aimicius
