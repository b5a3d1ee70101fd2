#include "tasks/dataset.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "common/sha256.h"
#include "tasks/suite_spec.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

std::string require_string(const nlohmann::json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get<std::string>().empty())
    throw InputError(fmt::format("{}: missing or empty string field \"{}\"", where, key));
  return it->get<std::string>();
}

// A data file of the suite: inside its folder, a regular file (common/input_file.h).
fs::path data_file(const fs::path& suite_dir, const DatasetFile& f) {
  const fs::path listed = suite_dir / f.path;
  std::error_code ignored;
  if (!fs::exists(listed, ignored) && !fs::is_symlink(listed, ignored))
    throw InputError(fmt::format("{}: listed in suite.json but missing", listed.string()));
  return file_inside(suite_dir, f.path, (suite_dir / "suite.json").string());
}

// No two entries of "files" may be the same file (a symlink or hard link to test.jsonl listed as
// the few-shot pool would show test answers as shots): compared as files, not as path strings
// (suite_spec.cpp compares those).
void check_distinct_files(const fs::path& suite_dir, const Manifest& manifest) {
  for (size_t i = 0; i < manifest.files.size(); ++i)
    for (size_t j = i + 1; j < manifest.files.size(); ++j) {
      std::error_code ec;
      if (fs::equivalent(suite_dir / manifest.files[i].path, suite_dir / manifest.files[j].path, ec))
        throw InputError(fmt::format("{}: \"{}\" (split \"{}\") and \"{}\" (split \"{}\") are the same file: a "
                                     "file belongs to one split",
                                     (suite_dir / "suite.json").string(), manifest.files[i].path, manifest.files[i].split,
                                     manifest.files[j].path, manifest.files[j].split));
    }
}

void verify_file(const fs::path& suite_dir, const DatasetFile& f) {
  const fs::path file = data_file(suite_dir, f);
  const std::string actual = sha256_file_hex(file);
  if (actual != f.sha256)
    throw InputError(fmt::format("{}: checksum mismatch (suite.json {}, file {}); if the change is "
                                 "intended, run `aimicius manifest {}`",
                                 file.string(), f.sha256.empty() ? "<none>" : f.sha256, actual,
                                 suite_dir.string()));
}

}  // namespace

void verify_resources(const fs::path& suite_dir, const Manifest& manifest) {
  for (const auto& f : manifest.files)
    if (f.split == kResourceSplit) verify_file(suite_dir, f);
}

std::string Manifest::data_sha256() const {
  std::string joined;
  for (const auto& f : files) joined += f.path + ":" + f.sha256 + "\n";
  return sha256_hex(joined);
}

std::vector<Example> load_examples(const fs::path& suite_dir, const Manifest& manifest,
                                   const std::string& split) {
  std::vector<Example> examples;
  std::set<std::string> seen;
  check_distinct_files(suite_dir, manifest);
  for (const auto& f : manifest.files) {
    if (f.split == kResourceSplit || (!split.empty() && f.split != split)) continue;
    const fs::path file = data_file(suite_dir, f);
    verify_file(suite_dir, f);
    const auto lines = read_jsonl_objects(file);
    if (static_cast<int64_t>(lines.size()) != f.count)
      throw InputError(fmt::format("{}: suite.json says {} examples, file has {}", file.string(), f.count,
                                   lines.size()));
    for (const auto& l : lines) {
      const std::string origin = fmt::format("{}:{}", file.string(), l.line_number);
      Example ex;
      ex.id = require_string(l.value, "id", origin);
      if (!seen.insert(ex.id).second)
        throw InputError(fmt::format("{}: duplicate example id \"{}\"", origin, ex.id));
      ex.split = f.split;
      ex.origin = origin;
      ex.fields = l.value;
      examples.push_back(std::move(ex));
    }
  }
  if (examples.empty())
    throw InputError(fmt::format("{}: no examples in split \"{}\"", suite_dir.string(), split));
  return examples;
}

Manifest refresh_manifest(const fs::path& suite_dir) {
  Manifest m = read_manifest(suite_dir);
  const fs::path path = suite_dir / "suite.json";
  nlohmann::ordered_json j = read_ordered_json_file(path);
  check_distinct_files(suite_dir, m);
  for (size_t i = 0; i < m.files.size(); ++i) {
    auto& f = m.files[i];
    const fs::path file = data_file(suite_dir, f);
    f.sha256 = sha256_file_hex(file);
    if (f.split != kResourceSplit) {
      f.count = static_cast<int64_t>(read_jsonl_objects(file).size());
      j["files"][i]["count"] = f.count;
    }
    j["files"][i]["sha256"] = f.sha256;
  }
  // Written next to the old file and renamed over it: an interrupted write leaves the old one.
  const fs::path tmp = suite_dir / "suite.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw InputError(fmt::format("cannot write {}", tmp.string()));
    out << j.dump(2) << "\n";
    if (!out) throw InputError(fmt::format("cannot write {}", tmp.string()));
  }
  fs::rename(tmp, path);
  return m;
}

}  // namespace aimicius
