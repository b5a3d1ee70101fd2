// `aimicius generate`: prompts through any backend (a model spec, as `run --model` takes), each
// output printed as it comes back; for trying a checkpoint by hand.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/backend.h"
#include "harness/cli/all_commands.h"

namespace aimicius {
namespace {

struct GenerateOptions {
  std::string model_spec;
  std::vector<std::string> prompts;
  GenerationParams params;
};

int command_generate(const GenerateOptions& o) {
  if (o.prompts.empty()) throw InputError("generate needs at least one prompt");
  check_generation_params(o.params);
  auto backend = make_backend(o.model_spec, {});
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < o.prompts.size(); ++i) requests.push_back({"generate", std::to_string(i), o.prompts[i]});
  const auto results = backend->generate(requests, o.params);
  for (size_t i = 0; i < results.size(); ++i) {
    // A prompt the model cannot take (too long for its context, ...) is the user's input error.
    if (results[i].error) throw InputError(fmt::format("prompt {}: {}", i, *results[i].error));
    if (o.prompts.size() > 1) fmt::print("--- prompt {} ({} tokens in, {} out)\n", i, results[i].tokens_in, results[i].tokens_out);
    fmt::print("{}\n", results[i].output);
  }
  return 0;
}

class GenerateCommand final : public Command {
 public:
  GenerateCommand() { options_.params.max_new_tokens = 64; }

  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("generate", "Generate text for prompts with a model (e.g. local:DIR)");
    cmd->add_option("--model", options_.model_spec, "Model spec, e.g. local:DIR?device=cuda")->required();
    cmd->add_option("prompts", options_.prompts, "Prompt(s)")->required();
    cmd->add_option("--max-new-tokens", options_.params.max_new_tokens, "Tokens to generate at most")->capture_default_str();
    cmd->add_option("--temperature", options_.params.temperature, "0 for greedy")->capture_default_str();
    cmd->add_option("--top-k", options_.params.top_k, "Sample from the k most likely tokens (0: off)")->capture_default_str();
    cmd->add_option("--top-p", options_.params.top_p, "Nucleus sampling mass (1: off)")->capture_default_str();
    cmd->add_option("--seed", options_.params.seed, "Sampling seed")->capture_default_str();
    cmd->add_option("--stop", options_.params.stop, "Stop string (repeatable)");
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_generate(options_); }

 private:
  GenerateOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_generate_command() { return std::make_unique<GenerateCommand>(); }

}  // namespace aimicius
