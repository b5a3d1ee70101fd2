// The extractors suite.json may name. Adding one: a pure function std::string(std::string_view)
// in the folder of its kind, and one line in the table below.
#include "tasks/extractors/extractors.h"

#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "tasks/extractors/extract_command.h"
#include "tasks/extractors/extract_json.h"
#include "tasks/extractors/extract_python.h"
#include "tasks/extractors/extract_sql.h"

namespace aimicius {
namespace {

// The output as it is.
std::string extract_raw(std::string_view raw) { return std::string(raw); }

// The output without surrounding whitespace.
std::string extract_trimmed(std::string_view raw) {
  const auto first = raw.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = raw.find_last_not_of(" \t\r\n");
  return std::string(raw.substr(first, last - first + 1));
}

const std::vector<std::pair<std::string, Extractor>>& extractors() {
  static const std::vector<std::pair<std::string, Extractor>> kExtractors = {
      {"raw", extract_raw},
      {"trimmed", extract_trimmed},
      {"command", extract_command},
      {"json_object", extract_json_object},
      {"sql", extract_sql},
      {"python_program", extract_python},
  };
  return kExtractors;
}

}  // namespace

std::vector<std::string> known_extractor_names() {
  std::vector<std::string> names;
  for (const auto& [name, _] : extractors()) names.push_back(name);
  return names;
}

Extractor find_extractor(const std::string& name, const std::string& where) {
  for (const auto& [known, fn] : extractors())
    if (known == name) return fn;
  throw InputError(fmt::format("{}: unknown extractor \"{}\" (known: {})", where, name,
                               fmt::join(known_extractor_names(), ", ")));
}

}  // namespace aimicius
