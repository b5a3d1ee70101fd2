// The extractors suite.json may name. Adding one: a pure function std::string(std::string_view)
// in the folder of its kind, and one line in the table below.
#include "tasks/extractors/extractors.h"

#include "common/named_registry.h"
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

const NamedRegistry<Extractor>& extractors() {
  static const NamedRegistry<Extractor> kExtractors("extractor", {
      {"raw", extract_raw},
      {"trimmed", extract_trimmed},
      {"command", extract_command},
      {"json_object", extract_json_object},
      {"sql", extract_sql},
      {"python_program", extract_python},
  });
  return kExtractors;
}

}  // namespace

std::vector<std::string> known_extractor_names() { return extractors().names(); }

Extractor find_extractor(const std::string& name, const std::string& where) { return extractors().find(name, where); }

}  // namespace aimicius
