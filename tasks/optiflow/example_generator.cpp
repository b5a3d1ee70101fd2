// example_generator: case planning and example construction (see example_generator.h).
#include "tasks/optiflow/example_generator.h"

#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "scorers/plan/plan_program.h"
#include "scorers/plan/plan_scorer.h"
#include "scorers/topology/relay_schedules.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/best_known.h"
#include "scorers/topology/solver.h"
#include "tasks/optiflow/topology_text.h"

namespace aimicius::optiflow {
namespace {

using nlohmann::ordered_json;
using topology::Topology;

constexpr uint64_t kPlanSeed = 20250123;         // shuffles of variants and splits
constexpr uint64_t kFewshotFirstSeed = 1'000'001;  // random_topology seeds of the few-shot pool
constexpr int kDevNamedVariants = 3;

// Portable draws (no std::uniform_*_distribution: its output varies by library).
class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  size_t below(size_t n) { return static_cast<size_t>(engine_() % n); }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

std::vector<ordered_json> named_variants() {
  std::vector<ordered_json> out;
  for (const char* name : {"dgx_h100_like", "ndv4_a100_like", "mi250x_like", "mi300x_like"})
    out.push_back({{"generator", name}});
  for (int gpus : {4, 6, 8, 12, 16}) out.push_back({{"generator", "pcie_only"}, {"gpus", gpus}});
  for (int per_node : {2, 4, 8})
    for (int nvswitch : {300, 450})
      for (int nic : {25, 50})
        out.push_back({{"generator", "two_node"},
                       {"gpus_per_node", per_node},
                       {"nvswitch_GBps", nvswitch},
                       {"nic_GBps", nic}});
  return out;
}

// The topology as JSON without its name: equal fingerprints mean the same request.
std::string fingerprint(const Topology& topology) {
  nlohmann::json doc = topology::to_json(topology);
  doc.erase("name");
  return doc.dump();
}

// True when a program that needs no planning (best_known.h) is within plan_optimal's tolerance of
// the best-known plan: such an example cannot tell a planner from a fixed program.
bool trivially_solved(const Topology& topology, int64_t shard_bytes) {
  const double shard = static_cast<double>(shard_bytes);
  const double best = topology::best_known_all_gather(topology, shard).best.latency_us;
  return topology::best_fixed_program_latency(topology, shard) <= best * (1.0 + topology::kOptimalTolerance);
}

// Admits cases into one split, at most kMaxTriviallySolvedShare of its target count of them
// trivially solved (first come, first admitted).
class SplitQuota {
 public:
  explicit SplitQuota(int target) : allowed_(static_cast<int>(target * kMaxTriviallySolvedShare)) {}
  bool admit(const Topology& topology, int64_t shard_bytes) {
    if (!trivially_solved(topology, shard_bytes)) return true;
    if (trivial_ >= allowed_) return false;
    ++trivial_;
    return true;
  }

 private:
  int allowed_;
  int trivial_ = 0;
};

int64_t shard_for_seed(uint64_t seed) {
  Draw draw(seed * 0x2545F4914F6CDD1DULL + 7);
  return kShardSizes[draw.below(kShardSizes.size())];
}

// Orders each split's cases, then numbers them and assigns subtasks by position.
void finish_split(std::vector<CaseSpec>& cases, const std::string& split, Draw& draw, uint64_t seed_base,
                  std::vector<CaseSpec>& out) {
  draw.shuffle(cases);
  for (size_t i = 0; i < cases.size(); ++i) {
    CaseSpec& c = cases[i];
    c.split = split;
    c.id = fmt::format("optiflow-{}-{:04d}", split, i + 1);
    c.subtask = (i % 5 == 1 || i % 5 == 3) ? "improvement" : "generation";
    c.seed = seed_base + i;
    out.push_back(std::move(c));
  }
}

std::string task_text_generation() {
  return "Task (plan generation): write a Python program that prints an all-gather schedule for this "
         "topology and shard size with the lowest total latency you can achieve.\n";
}

std::string task_text_improvement(double baseline_latency_us, const std::string& baseline_program) {
  return fmt::format(
      "Task (plan improvement): the program below prints a valid all-gather schedule for this topology "
      "and shard size; its simulated latency is {:.3f} us. Write a Python program that prints a valid "
      "schedule with strictly lower latency (as low as you can achieve).\n"
      "```python\n{}```\n",
      baseline_latency_us, baseline_program);
}

}  // namespace

Topology build_sku(const ordered_json& sku) {
  const std::string generator = sku.at("generator").get<std::string>();
  if (generator == "dgx_h100_like") return topology::dgx_h100_like();
  if (generator == "ndv4_a100_like") return topology::ndv4_a100_like();
  if (generator == "mi250x_like") return topology::mi250x_like();
  if (generator == "mi300x_like") return topology::mi300x_like();
  if (generator == "pcie_only") return topology::pcie_only(sku.at("gpus").get<int>());
  if (generator == "two_node")
    return topology::two_node(sku.at("gpus_per_node").get<int>(), sku.at("nvswitch_GBps").get<double>(),
                              sku.at("nic_GBps").get<double>());
  if (generator == "random_topology") return topology::random_topology(sku.at("seed").get<uint64_t>());
  throw std::invalid_argument("unknown SKU generator \"" + generator + "\"");
}

std::vector<CaseSpec> plan_cases() {
  Draw draw(kPlanSeed);
  std::set<std::string> seen_topologies;
  std::vector<ordered_json> variants = named_variants();
  draw.shuffle(variants);
  std::vector<CaseSpec> test, dev, fewshot;
  SplitQuota test_quota(kTestCount), dev_quota(kDevCount), fewshot_quota(kFewshotCount);
  for (size_t v = 0; v < variants.size(); ++v) {
    const Topology named = build_sku(variants[v]);
    if (!seen_topologies.insert(fingerprint(named)).second)
      throw std::logic_error("two named SKU variants build the same topology: " + variants[v].dump());
    for (int64_t shard : kShardSizes) {
      if (!(v < kDevNamedVariants ? dev_quota : test_quota).admit(named, shard)) continue;
      CaseSpec c;
      c.sku = variants[v];
      c.shard_bytes = shard;
      (v < kDevNamedVariants ? dev : test).push_back(std::move(c));
    }
  }
  // Random topologies fill dev first, then test: each split gets its own seeds.
  uint64_t seed = 1;
  auto fill = [&](std::vector<CaseSpec>& split, size_t target, int max_gpus, SplitQuota& quota) {
    while (split.size() < target) {
      const uint64_t s = seed++;
      const Topology t = topology::random_topology(s);
      if (t.gpu_count() > max_gpus) continue;
      if (!seen_topologies.insert(fingerprint(t)).second) continue;
      if (!quota.admit(t, shard_for_seed(s))) continue;
      CaseSpec c;
      c.sku = {{"generator", "random_topology"}, {"seed", s}};
      c.shard_bytes = shard_for_seed(s);
      split.push_back(std::move(c));
    }
  };
  constexpr int kAnyGpuCount = std::numeric_limits<int>::max();
  fill(dev, kDevCount, kAnyGpuCount, dev_quota);
  fill(test, kTestCount, kAnyGpuCount, test_quota);
  seed = kFewshotFirstSeed;
  fill(fewshot, kFewshotCount, kFewshotMaxGpus, fewshot_quota);

  std::vector<CaseSpec> out;
  finish_split(test, "test", draw, 1'000'000, out);
  finish_split(dev, "dev", draw, 2'000'000, out);
  finish_split(fewshot, "fewshot", draw, 3'000'000, out);
  return out;
}

ordered_json build_example(const CaseSpec& spec, ReferenceSearch search) {
  if (spec.subtask != "generation" && spec.subtask != "improvement")
    throw std::logic_error(spec.id + ": unknown subtask " + spec.subtask);
  const Topology topology = build_sku(spec.sku);
  const double shard = static_cast<double>(spec.shard_bytes);
  const topology::BestKnownResult solved = [&] {
    if (search == ReferenceSearch::kBestKnown) return topology::best_known_all_gather(topology, shard);
    topology::SolverResult solver = topology::solve_all_gather(topology, shard);
    topology::BestKnownResult r;
    r.best = solver.best;
    r.solver_best = solver.best;
    r.candidates = std::move(solver.candidates);
    return r;
  }();
  const topology::SolvedPlan& best = solved.best;

  // The baseline of an improvement case (strategy, latency, program).
  std::string baseline_strategy, baseline_program;
  double baseline_latency = 0.0;
  if (spec.subtask == "improvement") {
    const double floor = best.latency_us * (1.0 + kMinBaselineGap);
    std::vector<const topology::SolvedPlan*> slower;
    for (const topology::SolvedPlan& c : solved.candidates)
      if (c.latency_us >= floor) slower.push_back(&c);
    Draw draw(spec.seed);
    topology::Schedule schedule;
    if (draw.below(3) == 0 || slower.empty()) {
      auto naive = topology::naive_schedule(topology);
      if (!naive) throw std::logic_error(spec.id + ": no sequential schedule (disconnected GPUs)");
      baseline_strategy = "sequential";
      schedule = std::move(*naive);
    } else {
      const topology::SolvedPlan* pick = slower[draw.below(slower.size())];
      baseline_strategy = pick->strategy;
      schedule = pick->schedule;
    }
    const topology::SimulationResult sim = topology::simulate(topology, schedule, shard);
    if (!sim.valid)
      throw std::logic_error(spec.id + ": baseline " + baseline_strategy + " invalid: " + sim.reason);
    if (!(sim.latency_us >= floor))
      throw std::logic_error(fmt::format("{}: baseline {} ({} us) not slower than the reference ({} us)",
                                         spec.id, baseline_strategy, sim.latency_us, best.latency_us));
    baseline_latency = sim.latency_us;
    baseline_program = topology::schedule_to_python(schedule, "all-gather plan (" + baseline_strategy + ")");
  }

  ordered_json ex;
  ex["id"] = spec.id;
  ex["subtask"] = spec.subtask;
  ex["sku"] = spec.sku;
  ex["gpu_count"] = topology.gpu_count();
  ex["shard_bytes"] = spec.shard_bytes;
  ex["topology"] = topology::to_json(topology);
  ex["topology_text"] = topology_text(topology);
  ex["task_text"] = spec.subtask == "generation" ? task_text_generation()
                                                 : task_text_improvement(baseline_latency, baseline_program);
  ex["reference_strategy"] = best.strategy;
  ex["reference_latency_us"] = best.latency_us;
  ex["reference_program"] =
      topology::schedule_to_python(best.schedule, "all-gather plan (" + best.strategy + ")");
  ex["best_latency_us"] = best.latency_us;
  ex["solver_strategy"] = solved.solver_best.strategy;
  ex["solver_latency_us"] = solved.solver_best.latency_us;
  if (spec.subtask == "improvement") {
    ex["baseline_strategy"] = baseline_strategy;
    ex["baseline_latency_us"] = baseline_latency;
    ex["baseline_program"] = baseline_program;
  }
  return ex;
}

std::map<std::string, std::string> generate_dataset() {
  std::map<std::string, std::string> out;
  for (const CaseSpec& c : plan_cases()) out[c.split] += build_example(c).dump() + "\n";
  return out;
}

}  // namespace aimicius::optiflow
