// JSON Lines files: one JSON object per line, blank lines skipped. Shared by suite data, replay
// files and training corpora, so every reader reports a bad line the same way.
//
// Invariant: a malformed line, or a line that is not an object, throws InputError naming
// "FILE:LINE"; nothing after it is returned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius {

struct JsonlLine {
  int64_t line_number = 0;
  nlohmann::json value;
};

std::vector<JsonlLine> read_jsonl_objects(const std::filesystem::path& file);

}  // namespace aimicius
