// The collectives of nccl-tests / rccl-tests and the simple deterministic performance model the
// simulated binaries report: which bytes and element counts a row shows, the bus-bandwidth factor
// nccl-tests applies (its PERFORMANCE.md: allreduce 2(n-1)/n; allgather, reducescatter, alltoall,
// scatter, gather, hypercube (n-1)/n; broadcast, reduce, sendrecv 1), and a latency + size/bandwidth
// time from the host profile's GPU topology.
// Invariants: everything here is a pure function of its arguments; for n > 1 and growing sizes the
// reported busbw rises monotonically towards LinkModel::bus_gbps.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hostsim/profile.h"

namespace aimicius::hostsim {

enum class CountRule {
  kWhole,      // every rank sends/receives `count` elements (allreduce, broadcast, reduce, sendrecv)
  kPerRank,    // count / nranks elements per rank, nranks * that in total (allgather, alltoall, ...)
};

struct CollectiveKind {
  const char* tool;     // "all_reduce_perf"
  const char* name;     // "AllReduce", as the NCCL INFO lines name it
  bool reduces;         // takes -o (the redop column); else the column reads "none"
  bool rooted;          // takes -r (the root column); else it reads -1
  CountRule counts;
  int bus_factor_kind;  // 0: 2(n-1)/n, 1: (n-1)/n, 2: 1
  int steps_kind;       // latency steps: 0: 2(n-1), 1: n-1, 2: 1
};

inline constexpr int kCollectiveKindCount = 10;
const std::array<CollectiveKind, kCollectiveKindCount>& collective_kinds();
// The kind simulated by binary `tool` (basename), or nullptr.
const CollectiveKind* find_collective(const std::string& tool);

double bus_bandwidth_factor(const CollectiveKind& kind, int nranks);

struct RowSize {
  std::uint64_t bytes = 0;  // the "size (B)" column
  std::uint64_t count = 0;  // the "count (elements)" column
};
// What a row shows for a requested size in bytes (nccl-tests truncates to whole elements and,
// for per-rank collectives, to a multiple of nranks elements).
RowSize row_size(const CollectiveKind& kind, std::uint64_t requested_bytes, int type_size, int nranks);

// The interconnect between a set of GPUs: the slowest pair decides.
struct LinkModel {
  double bus_gbps = 0;          // achievable bus bandwidth, GB/s
  double base_latency_us = 0;   // fixed cost of one collective call
  double step_latency_us = 0;   // added per communication step
  std::string fabric;           // "NVLink", "XGMI", "PCIe", "local"
};
LinkModel link_model(const Profile& profile, const std::vector<int>& gpus);

struct TimingOptions {
  bool cuda_graph = false;  // -G N > 0: launch overhead mostly hidden
  bool blocking = false;    // -z 1: a host wait after every call
  bool cputime = false;     // -C 1: CPU time includes the launch cost
};
// Time in microseconds of one out-of-place (in_place false) or in-place call of `bytes`.
double collective_time_us(const CollectiveKind& kind, std::uint64_t bytes, int nranks, const LinkModel& link,
                          const TimingOptions& options, bool in_place);

// The profile as a process sees it with CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES set to `spec`:
// the listed GPUs in that order, renumbered from 0, topology matrices cut to match. As the CUDA
// runtime does, the list ends at the first entry that is not a valid, unused index.
Profile with_visible_gpus(const Profile& profile, const std::string& spec);

}  // namespace aimicius::hostsim
