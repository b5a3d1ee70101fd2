// A checkpoint's tokenizer configuration as transformers loads it: tokenizer_config.json, with the
// chat template of chat_template.jinja (transformers 5 writes the template there, not in the JSON)
// in its "chat_template" key. When both hold a template the file wins, as in transformers'
// from_pretrained ("independent chat template files take priority"). Named templates of
// additional_chat_templates/ are not read: prompts use the default template only.
// Invariant: the result is null (neither file exists) or an object.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace aimicius::runtime {

// Throws InputError naming the file for a malformed tokenizer_config.json or an unreadable
// chat_template.jinja.
nlohmann::json load_tokenizer_config(const std::filesystem::path& checkpoint_dir);

}  // namespace aimicius::runtime
