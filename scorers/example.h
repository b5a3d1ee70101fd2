// An example as scorers see it: its id, where it came from (for errors) and its fields as the
// suite's JSONL line holds them. Loading and checking examples is tasks/dataset.h's job; scorers
// only read them, so the type lives here, below tasks/.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace aimicius {

struct Example {
  std::string id;
  std::string split;
  std::string origin;  // "path/to/file.jsonl:LINE", for error messages
  nlohmann::json fields;
};

}  // namespace aimicius
