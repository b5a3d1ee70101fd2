#include "common/jsonl.h"

#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"

namespace aimicius {

namespace fs = std::filesystem;

std::vector<JsonlLine> read_jsonl_objects(const fs::path& file) {
  check_input_file(file);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read {}", file.string()));
  std::vector<JsonlLine> out;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json value;
    try {
      value = parse_json_unique_keys(line);
    } catch (const DuplicateJsonKey& e) {
      throw InputError(fmt::format("{}:{}: malformed JSON: {}", file.string(), number, e.what()));
    } catch (const nlohmann::json::exception& e) {  // syntax, and numbers past double's range
      throw InputError(fmt::format("{}:{}: malformed JSON: {}", file.string(), number, e.what()));
    }
    if (!value.is_object())
      throw InputError(fmt::format("{}:{}: expected a JSON object", file.string(), number));
    out.push_back({number, std::move(value)});
  }
  if (in.bad()) throw InputError(fmt::format("read error in {}", file.string()));
  return out;
}

}  // namespace aimicius
