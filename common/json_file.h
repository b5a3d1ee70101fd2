// JSON files read whole, with errors that say where: every reader of a JSON file in the tree
// (suite.json, checkpoint configs, tokenizer files, published figures, alias tables, ...) goes
// through read_json_file, so a missing or malformed file is reported one way.
//
// Errors are aimicius::InputError:
//   "<file>: cannot read the file" (with " (it does not exist)" when it does not);
//   "<file>: malformed JSON at byte B: <nlohmann's message, which names the line and column>".
// JsonLocation then locates errors inside a parsed document: a file name plus a path such as
// `model.merges[12]`. It is a value; it never owns or points into the JSON.
//
// Not for JSON Lines (common/jsonl.h) nor for JSON that is not a file's whole content (a request
// body, a model's answer, a safetensors header), whose errors are not about a whole file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aimicius {

// Parses the whole file; an unreadable or malformed file is an InputError naming it. An object
// with the same key twice is malformed too (see parse_json_unique_keys).
nlohmann::json read_json_file(const std::filesystem::path& file);
// The same, keeping the order of object keys (for files rewritten in place, like suite.json).
nlohmann::ordered_json read_ordered_json_file(const std::filesystem::path& file);

// nlohmann's parse, except that an object holding a key twice throws DuplicateJsonKey: JSON leaves
// such an object's meaning open and nlohmann keeps the last value, so a replay line with
// "example_id" twice would silently answer another example than the one its first key names.
// Other errors are nlohmann's own exceptions, as from parse().
struct DuplicateJsonKey : std::runtime_error {
  using std::runtime_error::runtime_error;
};
template <typename Json = nlohmann::json>
Json parse_json_unique_keys(std::string_view text);

class JsonLocation {
 public:
  JsonLocation(std::string file, std::string path) : file_(std::move(file)), path_(std::move(path)) {}

  JsonLocation child(std::string_view key) const;
  JsonLocation index(std::size_t i) const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // Throws InputError("<file>: <path>: <message>").
  [[noreturn]] void fail(std::string_view message) const;

  // `object[key]` with its type checked; a missing key or a wrong type fails at child(key).
  const nlohmann::json& require(const nlohmann::json& object, std::string_view key,
                                nlohmann::json::value_t type) const;
  std::string require_string(const nlohmann::json& object, std::string_view key) const;
  // `object[key]` when present and not null, else `fallback`; a wrong type fails.
  bool optional_bool(const nlohmann::json& object, std::string_view key, bool fallback) const;
  std::string optional_string(const nlohmann::json& object, std::string_view key,
                              std::string_view fallback = "") const;
  // A finite number (integer or not); an integer (a number with a fractional part fails, as does
  // one outside int64). Absent or null: `fallback`.
  double optional_number(const nlohmann::json& object, std::string_view key, double fallback) const;
  int64_t optional_int(const nlohmann::json& object, std::string_view key, int64_t fallback) const;

 private:
  std::string file_;
  std::string path_;
};

}  // namespace aimicius
