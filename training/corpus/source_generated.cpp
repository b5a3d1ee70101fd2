// The corpus's "train" pools: more examples from the suites' own generators, with seeds (or
// draws) disjoint from those that made dev and test, written only into the corpus (never into a
// suite folder, never an evaluation split).
//   optiflow     tasks/optiflow's build_example on random_topology seeds 2,000,000 + 10000 * seed
//                + i (dev/test use seeds 1..~300, the few-shot pool 1,000,001..): new topologies,
//                the reference solver's plans (not the dataset's slower best-known search), the
//                suite's own task texts; shard size and subtask by seed.
//   diagnostics  training/corpus/generators/diagnostics_train.py: the suite's FEW-SHOT templates only
//                (templates belong to one split), expanded over the simulated telemetry's values.
//   infrawise    training/corpus/generators/infrawise_train.py: replays the suite generator's draws and
//                takes the DCWs no split took (every DCW is in at most one split).
//   cmdgen       has no generator: its extra material is the tool documentation (source_hostsim).
// The python drivers run as `python3 -B` (standard library only; -B: no __pycache__ in the data).
//
// Decontamination: each generator also makes, in memory, the dev/test examples its suite's
// generator makes (optiflow: the committed dev/test files, which its generator reproduces; the python drivers: the replayed draws,
// or every expansion of the dev/test templates). A train example that shares an identifying
// 13-gram with one of them (eval_ngrams.h: the contamination check's own rule) is dropped, and the
// manifest says how many. No evaluation file is read; the check (`validate --corpus`) then
// measures the written corpus against the real files.
#include <cstdio>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "training/corpus/eval_ngrams.h"
#include "training/corpus/sources.h"
#include "training/corpus/text_normalize.h"
#include "tasks/dataset.h"
#include "tasks/suite_spec.h"
#include "tasks/optiflow/example_generator.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kOptiflowTrainFirstSeed = 2'000'000;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

constexpr size_t kFilterN = 13;

struct Pools {
  std::vector<nlohmann::json> train, eval;
};

// Runs a python driver: its lines are {"pool": "train"|"eval", "example": {...}}; InputError names
// the script.
Pools run_python(const fs::path& script, const std::vector<std::string>& args) {
  if (!fs::exists(script)) throw InputError(fmt::format("{}: corpus generator not found", script.string()));
  std::string cmd = "python3 -B " + shell_quote(script.string());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw InputError(fmt::format("{}: cannot start python3", script.string()));
  std::string out;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = pclose(pipe);
  if (status != 0)
    throw InputError(fmt::format("{}: exited with status {} (python3 on PATH? its stderr says why)", script.string(),
                                 status));
  Pools pools;
  std::istringstream lines(out);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.empty()) continue;
    try {
      auto v = nlohmann::json::parse(line);
      const std::string pool = v.at("pool").get<std::string>();
      if (pool != "train" && pool != "eval") throw InputError("unknown pool \"" + pool + "\"");
      (pool == "train" ? pools.train : pools.eval).push_back(std::move(v.at("example")));
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: output line {}: {}", script.string(), n, e.what()));
    }
  }
  return pools;
}

Pools optiflow_pools(const fs::path& data_dir, uint64_t seed, int count, std::string& seeds) {
  const uint64_t first = kOptiflowTrainFirstSeed + 10000 * seed;  // pools of different seeds never share a topology
  Pools pools;
  // The evaluation examples are the committed ones (the generator reproduces them byte for byte,
  // tests/tasks/optiflow; reading them spares re-running the best-known search on each).
  const fs::path suite_dir = data_dir / "optiflow";
  const Manifest manifest = read_manifest(suite_dir);
  for (const char* split : {"dev", "test"})
    for (Example& ex : load_examples(suite_dir, manifest, split)) pools.eval.push_back(std::move(ex.fields));
  std::vector<nlohmann::json>& examples = pools.train;
  std::mt19937_64 draw(first);
  for (int i = 0; i < count; ++i) {
    optiflow::CaseSpec c;
    c.id = fmt::format("optiflow-train-{:04d}", i + 1);
    c.split = "train";
    c.sku = {{"generator", "random_topology"}, {"seed", first + i}};
    c.shard_bytes = optiflow::kShardSizes[draw() % optiflow::kShardSizes.size()];
    c.subtask = (i % 5 == 1 || i % 5 == 3) ? "improvement" : "generation";
    c.seed = first + i;
    // The reference solver's plan: a training example needs a good plan, not the best known.
    examples.push_back(nlohmann::json::parse(optiflow::build_example(c, optiflow::ReferenceSearch::kSolver).dump()));
  }
  seeds = fmt::format("random_topology seeds {}..{}", first, first + count - 1);
  return pools;
}

}  // namespace

std::vector<nlohmann::json> decontaminate(const SuitePrompt& prompt, const std::vector<nlohmann::json>& eval,
                                          const std::vector<nlohmann::json>& examples) {
  if (eval.empty()) return examples;
  std::vector<FieldWords> eval_words;
  for (const auto& ex : eval) eval_words.push_back(field_words(prompt, ex));
  const EvalNgrams ngrams(prompt, eval_words, kFilterN);
  std::vector<nlohmann::json> kept;
  for (const auto& ex : examples) {
    // Both forms the corpus may store: the rendered prompt + answer (whose n-grams may span the
    // template's wording and a field) and the plain fields.
    const std::string where = "decontamination of " + ex.value("id", std::string("an example"));
    const FieldWords texts = {normalise_words(prompt.render_prompt(ex, where) + "\n" + prompt.render_answer(ex, where)),
                              normalise_words(prompt.plain_text(ex))};
    if (!ngrams.shares_specific(texts)) kept.push_back(ex);
  }
  return kept;
}

GeneratedPools generate_pools(const CorpusOptions& options, const std::string& suite, CorpusBuild& build) {
  if (options.seed > 999) throw InputError(fmt::format("--seed must be in 0..999 (got {})", options.seed));
  const fs::path dir = options.data_dir / suite;
  const SuitePrompt prompt(dir);
  Pools pools;
  GeneratedPools out;
  GeneratedPool& pool = out.record;
  pool.suite = suite;
  if (suite == "optiflow") {
    pool.generator = "tasks/optiflow build_example (aimicius-optiflow-gen's generator)";
    pools = optiflow_pools(options.data_dir, options.seed, options.optiflow_train, pool.seeds);
  } else if (suite == "diagnostics") {
    pool.generator = "training/corpus/generators/diagnostics_train.py (few-shot templates of make_examples.py)";
    pools = run_python(options.generators_dir / "diagnostics_train.py",
                       {dir.string(), std::to_string(1000 + options.seed), std::to_string(options.diagnostics_per_template)});
    pool.seeds = fmt::format("python random.Random({})", 1000 + options.seed);
    for (const auto& f : prompt.manifest().files)
      if (f.path == "telemetry.sql" || f.path == "fewshot.jsonl") build.read.push_back({suite, suite + "/" + f.path, f.split});
  } else if (suite == "infrawise") {
    pool.generator = "training/corpus/generators/infrawise_train.py (make_examples.py's draws, continued)";
    pools = run_python(options.generators_dir / "infrawise_train.py",
                       {dir.string(), std::to_string(2000 + options.seed), std::to_string(options.infrawise_train)});
    pool.seeds = fmt::format("generator seed 20260125 replayed, then random.Random({})", 2000 + options.seed);
    for (const auto& f : prompt.manifest().files)
      if (f.path == "benchmarks.sql" || f.path == "fewshot.jsonl") build.read.push_back({suite, suite + "/" + f.path, f.split});
  } else {
    build.notes.push_back(fmt::format("{}: no generator; no train pool (see the tool documentation source)", suite));
    return out;
  }
  out.generated = true;
  out.train = std::move(pools.train);
  out.eval = std::move(pools.eval);
  return out;
}

void add_train_documents(const CorpusOptions& options, const std::string& suite, GeneratedPools pools,
                         CorpusBuild& build) {
  if (!pools.generated) return;
  const SuitePrompt prompt(options.data_dir / suite);
  const std::vector<nlohmann::json> examples = decontaminate(prompt, pools.eval, pools.train);
  GeneratedPool& pool = pools.record;
  pool.candidates = static_cast<int64_t>(pools.train.size());
  pool.eval_regenerated = static_cast<int64_t>(pools.eval.size());
  pool.dropped = pool.candidates - static_cast<int64_t>(examples.size());
  pool.examples = static_cast<int64_t>(examples.size());
  build.generated.push_back(pool);
  // The full prompt for every 4th example (optiflow: every 2nd), the plain form for all: the
  // included schema/catalogue would otherwise repeat in most of the corpus.
  add_example_documents(prompt, "train/" + suite, examples, suite == "optiflow" ? 2 : 4, build);
}

}  // namespace aimicius::corpus
