// Which files of a checkpoint decide its answers, and their content hash: the `local:` backend's
// model hash (stored with each run; `run --resume` refuses a checkpoint whose hash changed).
//
// Hashed, each whole: config.json, generation_config.json (stop ids), the weights (*.safetensors,
// model.safetensors.index.json, *.gguf), the tokenizer (tokenizer.json, tokenizer.model,
// tokenizer_config.json, special_tokens_map.json) and the chat template (chat_template.jinja):
// every file that changes a prompt or a logit. Not hashed: anything else (README.md, licences,
// training logs), so editing a model card keeps old runs resumable.
// The hash is sha256 over "NAME:SHA256(FILE)\n" per file in name order, NAME the file's name
// without its folder. A folder holding none of the files added after issue 20
// (generation_config.json, tokenizer_config.json, special_tokens_map.json, chat_template.jinja,
// the index, .gguf) hashes as before; one holding any of them gets a new hash (docs/CHECKPOINTS.md).
// No LibTorch.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace aimicius::runtime {

// The hashed files of a checkpoint folder, in name order; a path to a single file (a .gguf) is
// its own list.
std::vector<std::filesystem::path> checkpoint_content_files(const std::filesystem::path& checkpoint);

// The hash of `files` (as above). Throws InputError naming a file that cannot be read.
std::string checkpoint_content_hash(const std::vector<std::filesystem::path>& files);

}  // namespace aimicius::runtime
