// load_tokenizer: picks tokenizer.json or tokenizer.model for a checkpoint directory and records
// its bos / eos (see tokenizer.h).
#include "runtime/tokenizer/tokenizer.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/sentencepiece_tokenizer.h"
#include "runtime/tokenizer/special_tokens.h"

namespace aimicius::runtime {

namespace {

// Whether a parsed tokenizer.json is byte-level BPE (else a tokenizer.model beside it is preferred).
bool is_byte_level_bpe(const nlohmann::json& root) {
  if (!root.is_object()) return true;  // let the BPE loader report the problem
  const std::string dump = root.contains("pre_tokenizer") ? root["pre_tokenizer"].dump() : "";
  return dump.find("\"ByteLevel\"") != std::string::npos;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& checkpoint_dir) {
  if (!std::filesystem::is_directory(checkpoint_dir)) {
    throw InputError(fmt::format("{}: not a checkpoint directory (it does not exist or is not a folder)",
                                 checkpoint_dir.string()));
  }
  const auto json_file = checkpoint_dir / "tokenizer.json";
  const auto model_file = checkpoint_dir / "tokenizer.model";
  const bool has_json = input_file_present(json_file);
  const bool has_model = input_file_present(model_file);

  std::unique_ptr<Tokenizer> tokenizer;
  if (has_json) {
    nlohmann::json root = read_json_file(json_file);
    if (has_model && !is_byte_level_bpe(root)) {
      tokenizer = std::make_unique<SentencePieceTokenizer>(model_file);
    } else {
      tokenizer = std::make_unique<BpeTokenizer>(root, json_file.string());
    }
  } else if (has_model) {
    tokenizer = std::make_unique<SentencePieceTokenizer>(model_file);
  } else {
    throw InputError(fmt::format("{}: no tokenizer.json or tokenizer.model in the checkpoint directory",
                                 checkpoint_dir.string()));
  }
  tokenizer->set_special_tokens(resolve_special_tokens(*tokenizer, checkpoint_dir));
  return tokenizer;
}

}  // namespace aimicius::runtime
