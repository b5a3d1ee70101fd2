// tokenizer_config.json + chat_template.jinja (see tokenizer_config.h).
#include "runtime/tokenizer/tokenizer_config.h"

#include <fstream>
#include <sstream>

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
    check_input_file(jinja);  // a regular file of bounded size (not a FIFO, not /dev/zero)
    std::ifstream in(jinja, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw InputError(fmt::format("{}: cannot be read", jinja.string()));
    if (config.is_null()) config = nlohmann::json::object();
    config["chat_template"] = text.str();
  }
  return config;
}

}  // namespace aimicius::runtime
