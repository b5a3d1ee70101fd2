// tokenizer_config.json + chat_template.jinja (see tokenizer_config.h).
#include "runtime/tokenizer/tokenizer_config.h"

#include <utility>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"

namespace aimicius::runtime {

nlohmann::json load_tokenizer_config(const std::filesystem::path& dir) {
  nlohmann::json config;  // null
  const auto json_file = dir / "tokenizer_config.json";
  if (input_file_present(json_file)) {
    config = read_json_file(json_file);
    if (!config.is_object()) throw InputError(fmt::format("{}: expected a JSON object", json_file.string()));
  }
  const auto jinja = dir / "chat_template.jinja";
  if (input_file_present(jinja)) {
    std::string text = read_input_file(jinja);  // a regular file of bounded size (not a FIFO, not /dev/zero)
    if (config.is_null()) config = nlohmann::json::object();
    config["chat_template"] = std::move(text);
  }
  return config;
}

}  // namespace aimicius::runtime
