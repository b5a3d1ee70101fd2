// See corpus_writer.h.
#include "training/corpus/corpus_writer.h"

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "training/corpus/sources.h"
#include "tasks/dataset.h"
#include "tasks/suite.h"
#include "tasks/suite_spec.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

CorpusBuild build_corpus(const CorpusOptions& options) {
  if (!fs::is_directory(options.data_dir))
    throw InputError(fmt::format("{}: data dir not found", options.data_dir.string()));
  CorpusBuild build;
  const std::vector<std::string> suites = known_suite_names(options.data_dir);
  std::vector<GeneratedPools> pools;
  for (const auto& suite : suites) pools.push_back(generate_pools(options, suite, build));
  for (size_t i = 0; i < suites.size(); ++i) add_fewshot_documents(options.data_dir, suites[i], pools[i].eval, build);
  add_host_documents(options.data_dir, build);
  add_telemetry_documents(options.data_dir, build);
  add_tool_documents(options.data_dir, build);
  // Train pools last, interleaved document by document across suites, so --max-bytes trims every
  // suite's pool alike instead of dropping whole suites.
  std::vector<std::vector<CorpusDocument>> train(suites.size());
  for (size_t i = 0; i < suites.size(); ++i) {
    const size_t before = build.documents.size();
    add_train_documents(options, suites[i], std::move(pools[i]), build);
    train[i].assign(std::make_move_iterator(build.documents.begin() + static_cast<std::ptrdiff_t>(before)),
                    std::make_move_iterator(build.documents.end()));
    build.documents.resize(before);
  }
  for (size_t k = 0, added = 1; added; ++k) {
    added = 0;
    for (auto& pool : train)
      if (k < pool.size()) {
        build.documents.push_back(std::move(pool[k]));
        ++added;
      }
  }

  for (const auto& r : build.read)
    if (r.split == "test" || r.split == "dev")
      throw std::logic_error(fmt::format("corpus source read the {} split ({}): a bug", r.split, r.path));
  std::set<std::pair<std::string, std::string>> ids;
  for (const auto& d : build.documents)
    if (!ids.insert({d.source, d.id}).second)
      throw std::logic_error(fmt::format("corpus document {} {} twice: a bug", d.source, d.id));
  if (options.max_bytes > 0) {
    int64_t total = 0;
    size_t keep = 0;
    while (keep < build.documents.size() && total + static_cast<int64_t>(build.documents[keep].text.size()) <= options.max_bytes)
      total += static_cast<int64_t>(build.documents[keep++].text.size());
    if (keep < build.documents.size())
      build.notes.push_back(fmt::format("--max-bytes {}: {} of {} documents kept", options.max_bytes, keep,
                                        build.documents.size()));
    build.documents.resize(keep);
  }
  return build;
}

nlohmann::ordered_json write_corpus(const fs::path& dir, const CorpusBuild& build, const CorpusOptions& options) {
  fs::create_directories(dir);
  const fs::path corpus_file = dir / "corpus.jsonl";
  std::string text;
  std::map<std::string, std::pair<int64_t, int64_t>> per_source;  // documents, bytes of text
  std::vector<std::string> source_order;
  for (const auto& d : build.documents) {
    nlohmann::ordered_json line = {{"source", d.source}, {"id", d.id}, {"text", d.text}};
    text += line.dump() + "\n";
    auto [it, inserted] = per_source.try_emplace(d.source, 0, 0);
    if (inserted) source_order.push_back(d.source);
    it->second.first += 1;
    it->second.second += static_cast<int64_t>(d.text.size());
  }
  {
    std::ofstream out(corpus_file, std::ios::binary);
    out << text;
    if (!out) throw InputError(fmt::format("{}: cannot write", corpus_file.string()));
  }
  nlohmann::ordered_json m;
  m["tool"] = "aimicius corpus";
  m["tool_version"] = options.tool_version;
  m["seed"] = options.seed;
  m["max_bytes"] = options.max_bytes;
  m["corpus_file"] = "corpus.jsonl";
  m["corpus_sha256"] = sha256_hex(text);
  m["documents"] = build.documents.size();
  m["file_bytes"] = text.size();
  int64_t text_bytes = 0;
  m["sources"] = nlohmann::ordered_json::array();
  for (const auto& s : source_order) {
    m["sources"].push_back({{"source", s}, {"documents", per_source[s].first}, {"text_bytes", per_source[s].second}});
    text_bytes += per_source[s].second;
  }
  m["text_bytes"] = text_bytes;
  m["suites"] = nlohmann::ordered_json::array();
  for (const auto& suite : known_suite_names(options.data_dir)) {
    const Manifest man = read_manifest(options.data_dir / suite);
    m["suites"].push_back({{"name", suite}, {"version", man.version}, {"data_sha256", man.data_sha256()}});
  }
  std::set<std::string> splits;
  m["files_read"] = nlohmann::ordered_json::array();
  std::set<std::string> seen_files;
  for (const auto& r : build.read) {
    if (r.split != kResourceSplit && r.split != "host-profile") splits.insert(r.split);  // example splits only
    if (seen_files.insert(r.path).second) m["files_read"].push_back({{"path", r.path}, {"split", r.split}});
  }
  for (const auto& g : build.generated) splits.insert(g.split);
  m["splits_read"] = std::vector<std::string>(splits.begin(), splits.end());
  m["generated"] = nlohmann::ordered_json::array();
  for (const auto& g : build.generated)
    m["generated"].push_back({{"suite", g.suite}, {"split", g.split}, {"generator", g.generator}, {"seeds", g.seeds},
                              {"examples", g.examples},
                              {"candidates", g.candidates}, {"dropped_as_overlapping", g.dropped},
                              {"eval_examples_regenerated_in_memory", g.eval_regenerated}});
  m["notes"] = build.notes;
  const fs::path manifest_file = dir / "manifest.json";
  std::ofstream out(manifest_file, std::ios::binary);
  out << m.dump(2) << "\n";
  if (!out) throw InputError(fmt::format("{}: cannot write", manifest_file.string()));
  return m;
}

}  // namespace aimicius::corpus
