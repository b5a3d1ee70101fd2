// Reading the JSON files of a checkpoint (tokenizer.json, tokenizer_config.json, config.json) with
// errors that name the file and the JSON path at fault.
//
// JsonLocation is a value: a file name plus a path such as `model.merges[12]`; it never owns or
// points into the JSON. Every throw here is an aimicius::InputError.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace aimicius::runtime {

// Parses a whole file; an unreadable or malformed file is an InputError naming it.
nlohmann::json read_json_file(const std::filesystem::path& file);

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
  std::string optional_string(const nlohmann::json& object, std::string_view key) const;

 private:
  std::string file_;
  std::string path_;
};

}  // namespace aimicius::runtime
