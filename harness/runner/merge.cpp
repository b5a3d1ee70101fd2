#include "harness/runner/merge.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "harness/runner/runner.h"
#include "harness/runner/shard.h"
#include "harness/store/run_lock.h"
#include "harness/store/store.h"

namespace aimicius {
namespace {

using nlohmann::json;

struct ShardRun {
  std::string path;
  RunRecord run;
  Shard shard;
};

// What must be equal between the shards of one run (and the run they are merged into): per suite
// everything but the shard's own example count.
json identity_of(const RunRecord& run, bool merged) {
  json suites = run.suites;
  for (auto& [name, s] : suites.items()) {
    if (merged) s["unsharded_examples"] = s.at("examples");
    s.erase("examples");
  }
  return {{"model_spec", run.model_spec}, {"model_hash", run.model_hash},   {"is_oracle", run.is_oracle},
          {"tool_version", run.tool_version}, {"config", run_identity_config(run.config)}, {"suites", suites}};
}

// The first place two JSON values differ, as a dotted path ("" when equal).
std::string first_difference(const json& a, const json& b, const std::string& path = "") {
  if (a == b) return "";
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const std::string sub = path.empty() ? k : path + "." + k;
      if (!a.contains(k) || !b.contains(k)) return sub;
      if (auto d = first_difference(a.at(k), b.at(k), sub); !d.empty()) return d;
    }
  }
  return path.empty() ? "(the whole record)" : path;
}

std::string value_at(const json& j, const std::string& dotted) {
  const json* at = &j;
  size_t start = 0;
  while (start <= dotted.size()) {
    const size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return "(absent)";
    at = &at->at(key);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return at->dump();
}

ShardRun read_shard(const std::string& path) {
  Store store = Store::open_for_read(path);
  std::vector<RunRecord> shards;
  for (auto& r : store.list_runs())
    if (!r.is_answer_loss() && r.config.is_object() && r.config.contains("shard")) shards.push_back(std::move(r));
  if (shards.size() != 1) {
    std::string ids;
    for (const auto& r : shards) ids += (ids.empty() ? "" : ", ") + std::to_string(r.id);
    throw InputError(shards.empty()
                         ? fmt::format("{}: no shard run in it (a shard run is made by `aimicius run --shard K/N`)", path)
                         : fmt::format("{}: {} shard runs in it (runs {}); merge takes one shard run per database: "
                                       "give each shard its own --db",
                                       path, shards.size(), ids));
  }
  ShardRun s{path, std::move(shards.front()), {}};
  s.shard = Shard::from_json(s.run.config.at("shard"));
  if (s.run.status != kRunComplete)
    throw InputError(fmt::format("{}: shard {} (run {}) is {}{}: finish it first with `aimicius --db {} run --resume {}`",
                                 path, s.shard.label(), s.run.id, s.run.status,
                                 s.run.error.empty() ? "" : " (" + s.run.error + ")", path, s.run.id));
  return s;
}

std::string labels(const std::vector<int64_t>& indices, int64_t count) {
  std::string out;
  for (int64_t k : indices) out += (out.empty() ? "" : ", ") + Shard{k, count}.label();
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(a, ec) && std::filesystem::equivalent(a, b, ec);
}

}  // namespace

MergeSummary merge_shards(const std::string& out_path, const std::vector<std::string>& shard_paths,
                          bool allow_partial) {
  if (shard_paths.empty()) throw InputError("merge: no shard databases given");
  std::vector<ShardRun> shards;
  for (const auto& path : shard_paths) {
    if (same_file(out_path, path))
      throw InputError(fmt::format("merge: {} is both the output and a shard; merge into another database", path));
    shards.push_back(read_shard(path));
  }
  const ShardRun& first = shards.front();
  const json identity = identity_of(first.run, false);
  const int64_t count = first.shard.count;
  for (const auto& s : shards) {
    if (s.shard.count != count)
      throw InputError(fmt::format("merge: {} is shard {} but {} is shard {}: the shards of one run share N",
                                   s.path, s.shard.label(), first.path, first.shard.label()));
    const json other = identity_of(s.run, false);
    if (const std::string d = first_difference(identity, other); !d.empty())
      throw InputError(fmt::format("merge: {} (run {}) is not a shard of the same run as {} (run {}): {} differs "
                                   "({} != {})",
                                   s.path, s.run.id, first.path, first.run.id, d, value_at(other, d),
                                   value_at(identity, d)));
  }

  // Nothing is created or written before the checks below pass: OUT is opened only when it exists.
  std::optional<Store> existing;
  if (std::filesystem::exists(out_path)) existing.emplace(Store::open_for_write(out_path));
  std::optional<RunRecord> merged;
  for (auto& r : existing ? existing->list_runs() : std::vector<RunRecord>{})
    if (!r.is_answer_loss() && r.config.is_object() && r.config.contains("merged_shards") &&
        r.config.at("merged_shards").value("count", int64_t{0}) == count && identity_of(r, true) == identity) {
      merged = std::move(r);
      break;
    }
  std::set<int64_t> indices;
  if (merged)
    for (const auto& k : merged->config.at("merged_shards").at("indices")) indices.insert(k.get<int64_t>());
  for (const auto& s : shards) indices.insert(s.shard.index);
  MergeSummary summary;
  summary.shard_count = count;
  for (int64_t k = 0; k < count; ++k) (indices.count(k) ? summary.merged : summary.missing).push_back(k);
  if (!summary.missing.empty() && !allow_partial)
    throw InputError(fmt::format("merge: shard{} {} of this run {} missing; merge {} too, or pass --partial to store "
                                 "an incomplete run (marked failed) that a later merge completes",
                                 summary.missing.size() == 1 ? "" : "s", labels(summary.missing, count),
                                 summary.missing.size() == 1 ? "is" : "are", summary.missing.size() == 1 ? "it" : "them"));

  Store out = existing ? std::move(*existing) : Store::open_for_write(out_path);
  if (!merged) {
    NewRun run;
    run.model_spec = first.run.model_spec;
    run.model_hash = first.run.model_hash;
    run.is_oracle = first.run.is_oracle;
    run.tool_version = first.run.tool_version;
    run.suites = first.run.suites;
    for (auto& [name, s] : run.suites.items()) {
      s["examples"] = s.at("unsharded_examples");
      s.erase("unsharded_examples");
    }
    run.config = first.run.config;
    run.config.erase("shard");
    run.config["merged_shards"] = {{"count", count}, {"indices", json::array()}};
    merged = out.find_run(out.create_run(run));
    summary.created = true;
  }
  summary.run_id = merged->id;
  const RunLock held(out_path, merged->id);  // two merges into one run do not interleave
  for (const auto& s : shards) summary.examples_added += out.copy_examples(s.path, s.run.id, merged->id);
  json config = merged->config;
  config["merged_shards"]["indices"] = summary.merged;
  // Every engine the merged shards ran on, each once.
  for (const auto& s : shards)
    if (s.run.config.is_object() && s.run.config.contains("engine") && s.run.config.at("engine").is_string())
      config = config_with_engine(std::move(config), s.run.config.at("engine").get<std::string>());
  out.set_run_config(merged->id, config);

  std::string incomplete;
  if (!summary.missing.empty()) {
    incomplete = fmt::format("incomplete merge: shard{} {} missing", summary.missing.size() == 1 ? "" : "s",
                             labels(summary.missing, count));
  } else {
    std::map<std::string, int64_t> stored;
    for (const auto& c : out.suite_counts(merged->id)) stored[c.suite] = c.examples;
    for (const auto& [suite, s] : merged->suites.items()) {
      const int64_t planned = s.at("examples").get<int64_t>();
      if (stored[suite] != planned)
        incomplete = fmt::format("merge: suite {} holds {} examples but the run plans {}", suite, stored[suite], planned);
    }
  }
  summary.status = incomplete.empty() ? kRunComplete : kRunFailed;
  out.finish_run(merged->id, summary.status, incomplete);
  return summary;
}

}  // namespace aimicius
