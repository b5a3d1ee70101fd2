// Subcommands around the runtime: `make-checkpoint` (random weights of any shape, for tests and
// benchmarks), `generate` (prompts through any backend, printed as they come back) and `tokenize`
// (token ids, for checking the tokenizers against a peer).
#include <fstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_file.h"
#include "harness/cli/commands.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius {

runtime::ModelConfig model_config_from(const std::string& preset, const std::filesystem::path& config_file,
                                       const std::string& command) {
  if (preset.empty() == config_file.empty())
    throw InputError(fmt::format("{} needs exactly one of --preset NAME and --config FILE", command));
  if (!preset.empty()) return runtime::preset_config(preset);
  return runtime::parse_model_config(read_json_file(config_file), config_file.string());
}

int command_make_checkpoint(const MakeCheckpointOptions& o) {
  const runtime::ModelConfig config = model_config_from(o.preset, o.config_file, "make-checkpoint");
  runtime::CheckpointOptions opts;
  if (o.dtype == "f32") opts.dtype = runtime::DType::kF32;
  else if (o.dtype == "bf16") opts.dtype = runtime::DType::kBF16;
  else if (o.dtype == "f16") opts.dtype = runtime::DType::kF16;
  else throw InputError(fmt::format("unknown dtype \"{}\" (f32, bf16, f16)", o.dtype));
  opts.seed = o.seed;
  opts.shards = o.shards;
  runtime::write_random_checkpoint(config, o.out, opts);
  fmt::print("wrote {} ({} parameters, {} layers, {} Q / {} K / {} V heads, KV cache {} bytes per token in {})\n",
             o.out.string(), config.parameter_count(), config.num_layers, config.num_q_heads, config.num_k_heads,
             config.num_v_heads, config.kv_bytes_per_token(static_cast<int64_t>(runtime::dtype_size(opts.dtype))),
             o.dtype);
  return 0;
}

int command_generate(const GenerateOptions& o) {
  if (o.prompts.empty()) throw InputError("generate needs at least one prompt");
  auto backend = make_backend(o.model_spec, {});
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < o.prompts.size(); ++i) requests.push_back({"generate", std::to_string(i), o.prompts[i]});
  const auto results = backend->generate(requests, o.params);
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].error) throw std::runtime_error(fmt::format("prompt {}: {}", i, *results[i].error));
    if (o.prompts.size() > 1) fmt::print("--- prompt {} ({} tokens in, {} out)\n", i, results[i].tokens_in, results[i].tokens_out);
    fmt::print("{}\n", results[i].output);
  }
  return 0;
}

int command_tokenize(const TokenizeOptions& o) {
  const auto tokenizer = runtime::load_tokenizer(o.tokenizer_dir);
  std::vector<std::string> texts = o.texts;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    if (!in) throw InputError(fmt::format("cannot read {}", o.file.string()));
    for (std::string line; std::getline(in, line);) texts.push_back(line);
  }
  if (texts.empty()) throw InputError("tokenize needs --file or at least one text");
  for (const auto& t : texts) fmt::print("{}\n", nlohmann::json(tokenizer->encode(t, o.add_bos)).dump());
  return 0;
}

}  // namespace aimicius
