// The files that decide a checkpoint's answers and their hash (see checkpoint_files.h).
#include "runtime/checkpoint_files.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"

namespace aimicius::runtime {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool decides_answers(const std::string& name) {
  static const char* const kNames[] = {"config.json",          "generation_config.json", "tokenizer.json",
                                       "tokenizer.model",      "tokenizer_config.json",  "special_tokens_map.json",
                                       "chat_template.jinja",  "model.safetensors.index.json"};
  if (std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames)) return true;
  return ends_with(name, ".safetensors") || ends_with(name, ".gguf");
}

}  // namespace

std::vector<fs::path> checkpoint_content_files(const fs::path& checkpoint) {
  if (!fs::is_directory(checkpoint)) return {checkpoint};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(checkpoint))
    if (entry.is_regular_file() && decides_answers(entry.path().filename().string())) files.push_back(entry.path());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return files;
}

std::string checkpoint_content_hash(const std::vector<fs::path>& files) {
  std::map<std::string, std::string> parts;  // by name: the order does not depend on the caller's
  for (const auto& file : files) {
    if (!fs::is_regular_file(file)) throw InputError(fmt::format("{}: not a readable file", file.string()));
    parts[file.filename().string()] = sha256_file_hex(file);
  }
  std::string joined;
  for (const auto& [name, h] : parts) joined += name + ":" + h + "\n";
  return sha256_hex(joined);
}

}  // namespace aimicius::runtime
