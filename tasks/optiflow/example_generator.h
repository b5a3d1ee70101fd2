// example_generator: the optiflow dataset, as a pure function of the code (no input, no clock).
//
// Cases. A case is (split, SKU, shard size, subtask, seed). The SKUs:
//   - named variants from scorers/topology/sku_generators.h: dgx_h100_like, ndv4_a100_like,
//     mi250x_like, mi300x_like, pcie_only(4, 6, 8, 12, 16), two_node(2|4|8 GPUs per node,
//     NVSwitch 300|450 GB/s, NIC 25|50 GB/s): 21 variants, each a candidate at every size of kShardSizes;
//   - random_topology(seed): one of four families (switch, mesh, pcie, multi_host), 4..16 GPUs,
//     one shard size drawn per case.
// Splits: a named variant belongs wholly to one split (its six shard sizes stay together), so
// dev and test never share a topology; the few-shot pool uses random topologies of at most 8
// GPUs (short prompts) from their own seed range. Every topology (compared as JSON without its
// name) appears at most once per (topology, shard size) in the whole dataset and the few-shot
// topologies appear nowhere else.
// Selection: a split admits at most kMaxTriviallySolvedShare x its count of trivially solved
// cases (see below), first come first admitted, in the order named variants (sizes ascending),
// then random seeds; a skipped case's topology still counts as used.
// Subtasks: within each split, positions i with i % 5 in {1, 3} are "improvement" (40%), the
// others "generation".
//
// Each example (one JSON object per line, keys in this order):
//   id, subtask, sku {"generator", params...}, gpu_count, shard_bytes (integer),
//   topology (topology.h JSON), topology_text (topology_text.h), task_text (the subtask's
//   instruction; for improvement it shows the baseline program and its latency),
//   reference_strategy, reference_latency_us, reference_program (best_known.h's plan, rendered by
//   plan_program.h), best_latency_us (= reference_latency_us: plan_optimal's bar),
//   solver_strategy, solver_latency_us (solver.h's plan, for comparison),
//   improvement only: baseline_strategy, baseline_latency_us, baseline_program.
// Baselines: with one chance in three, or when no solver candidate is at least kMinBaselineGap
// slower than the best, the sequential naive_schedule (relay_schedules.h); otherwise a solver
// candidate at least kMinBaselineGap slower than the best, drawn by the case's seed. A baseline
// is always valid and slower than the reference by at least kMinBaselineGap (checked; a
// violation is a std::logic_error, i.e. a generator bug).
//
// Determinism: draws use std::mt19937_64 with plain modulo (as sku_generators does), numbers
// are written by nlohmann::json (shortest round-trip form), so the bytes are the same on every
// platform with IEEE doubles.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/topology/topology.h"

namespace aimicius::optiflow {

inline constexpr double kMinBaselineGap = 0.02;  // baseline >= reference * (1 + gap)
inline constexpr int kTestCount = 320;
inline constexpr int kDevCount = 60;
inline constexpr int kFewshotCount = 20;
inline constexpr int kFewshotMaxGpus = 8;
// At most this share of a split's examples may be "trivially solved": a program that needs no
// planning (best_known.h's best_fixed_program_latency: all-to-all, id-order or nearest-neighbour
// rings, ...) is within plan_optimal's 1% of the best-known plan. Other candidate cases are
// skipped, so that the plan_optimal headline tells a planner from a fixed program. Where the
// model makes such a program optimal (one NVSwitch: the one-step all-to-all meets the per-GPU
// link lower bound; PCIe trees at large shards: the id-order ring) few such cases remain.
inline constexpr double kMaxTriviallySolvedShare = 0.03;

// Bytes per GPU shard: 64 KiB (latency-bound) .. 256 MiB (bandwidth-bound).
inline const std::vector<int64_t> kShardSizes = {int64_t{64} << 10, int64_t{1} << 20, int64_t{4} << 20,
                                                 int64_t{16} << 20, int64_t{64} << 20, int64_t{256} << 20};

struct CaseSpec {
  std::string id;
  std::string split;        // "test" | "dev" | "fewshot"
  nlohmann::ordered_json sku;  // {"generator": "two_node", "gpus_per_node": 4, ...}
  int64_t shard_bytes = 0;
  std::string subtask;      // "generation" | "improvement"
  uint64_t seed = 0;        // drives the baseline choice
};

// Builds the topology a SKU object names; throws std::invalid_argument for an unknown one.
topology::Topology build_sku(const nlohmann::ordered_json& sku);

// Every case of the dataset, splits in the order test, dev, fewshot, each in file order.
std::vector<CaseSpec> plan_cases();

// Which plan becomes an example's reference: the best-known search (the dataset: slow, the bar of
// plan_optimal) or the reference solver alone (solver.h: about a hundred times faster; for
// training corpora, whose thousands of examples need a good plan, not the best known).
enum class ReferenceSearch { kBestKnown, kSolver };

// One example line (solver run included).
nlohmann::ordered_json build_example(const CaseSpec& spec, ReferenceSearch search = ReferenceSearch::kBestKnown);

// split -> JSONL text of that split (one example per line, '\n' after each).
std::map<std::string, std::string> generate_dataset();

}  // namespace aimicius::optiflow
