// The corpus's "train" pools: more examples from the suites' own generators, with seeds (or
// draws) disjoint from those that made dev and test, written only into the corpus (never into a
// suite folder, never an evaluation split).
//   optiflow     tasks/optiflow's build_example on random_topology seeds 2,000,000 + 1000 * seed
//                + i (dev/test use seeds 1..~300, the few-shot pool 1,000,001..): new topologies,
//                solver references, the suite's own task texts; shard size and subtask by seed.
//   diagnostics  corpus/generators/diagnostics_train.py: the suite's FEW-SHOT templates only
//                (templates belong to one split), expanded over the simulated telemetry's values.
//   infrawise    corpus/generators/infrawise_train.py: replays the suite generator's draws and
//                takes the DCWs no split took (every DCW is in at most one split).
//   cmdgen       has no generator: its extra material is the tool documentation (source_hostsim).
// The python drivers run as `python3 -B` (standard library only; -B: no __pycache__ in the data).
#include <cstdio>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "corpus/sources.h"
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

// Runs a python driver and returns its JSONL output as objects; InputError names the script.
std::vector<nlohmann::json> run_python(const fs::path& script, const std::vector<std::string>& args) {
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
  std::vector<nlohmann::json> examples;
  std::istringstream lines(out);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.empty()) continue;
    try {
      examples.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}: output line {}: {}", script.string(), n, e.what()));
    }
  }
  return examples;
}

std::vector<nlohmann::json> optiflow_train(uint64_t seed, int count, std::string& seeds) {
  const uint64_t first = kOptiflowTrainFirstSeed + 1000 * seed;
  std::vector<nlohmann::json> examples;
  std::mt19937_64 draw(first);
  for (int i = 0; i < count; ++i) {
    optiflow::CaseSpec c;
    c.id = fmt::format("optiflow-train-{:04d}", i + 1);
    c.split = "train";
    c.sku = {{"generator", "random_topology"}, {"seed", first + i}};
    c.shard_bytes = optiflow::kShardSizes[draw() % optiflow::kShardSizes.size()];
    c.subtask = (i % 5 == 1 || i % 5 == 3) ? "improvement" : "generation";
    c.seed = first + i;
    examples.push_back(nlohmann::json::parse(optiflow::build_example(c).dump()));
  }
  seeds = fmt::format("random_topology seeds {}..{}", first, first + count - 1);
  return examples;
}

}  // namespace

void add_generated_documents(const CorpusOptions& options, const std::string& suite, CorpusBuild& build) {
  if (options.seed > 999) throw InputError(fmt::format("--seed must be in 0..999 (got {})", options.seed));
  const fs::path dir = options.data_dir / suite;
  std::vector<nlohmann::json> examples;
  GeneratedPool pool;
  pool.suite = suite;
  size_t prompt_every = 4;  // the full prompt for every 4th example: the plain form carries the rest
  if (suite == "optiflow") {
    pool.generator = "tasks/optiflow build_example (aimicius-optiflow-gen's generator)";
    examples = optiflow_train(options.seed, options.optiflow_train, pool.seeds);
    prompt_every = 2;
  } else if (suite == "diagnostics") {
    pool.generator = "corpus/generators/diagnostics_train.py (few-shot templates of make_examples.py)";
    examples = run_python(options.generators_dir / "diagnostics_train.py",
                          {dir.string(), std::to_string(1000 + options.seed), std::to_string(options.diagnostics_per_template)});
    pool.seeds = fmt::format("python random.Random({})", 1000 + options.seed);
    for (const auto& f : SuitePrompt(dir).manifest().files)
      if (f.path == "telemetry.sql") build.read.push_back({suite, suite + "/" + f.path, f.split});
  } else if (suite == "infrawise") {
    pool.generator = "corpus/generators/infrawise_train.py (make_examples.py's draws, continued)";
    examples = run_python(options.generators_dir / "infrawise_train.py",
                          {dir.string(), std::to_string(2000 + options.seed), std::to_string(options.infrawise_train)});
    pool.seeds = fmt::format("generator seed 20260125 replayed, then random.Random({})", 2000 + options.seed);
    for (const auto& f : SuitePrompt(dir).manifest().files)
      if (f.path == "benchmarks.sql" || f.path == "fewshot.jsonl") build.read.push_back({suite, suite + "/" + f.path, f.split});
  } else {
    build.notes.push_back(fmt::format("{}: no generator; no train pool (see the tool documentation source)", suite));
    return;
  }
  pool.examples = static_cast<int64_t>(examples.size());
  build.generated.push_back(pool);
  add_example_documents(SuitePrompt(dir), "train/" + suite, examples, prompt_every, build);
}

}  // namespace aimicius::corpus
