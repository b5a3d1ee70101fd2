// simulator: validates an all-gather schedule on a topology and computes its latency.
//
// All-gather semantics. G = topology.gpu_count(). At the start GPU g holds exactly chunk g (its
// shard, shard_bytes bytes). Step k may send chunk c from GPU s only if s holds c at the START of
// step k; everything received in step k is held from step k+1 on. After the last step every GPU
// must hold all G chunks. Sending a chunk the destination already holds is allowed (it only
// costs time); so are duplicate transfers and empty steps.
//
// Latency model (deterministic; an alpha-beta model with per-step link sharing):
//   - Steps run one after another; the transfers of a step run concurrently.
//   - Each transfer follows its explicit path or the default route (routing.h) and so traverses
//     a list of channels (one direction of a link; the two directions of a link are independent).
//   - load(c) = number of transfers of the step whose route uses channel c.
//     share(c) = bandwidth(c) / load(c)  [GB/s], bandwidth(c) = count * bandwidth_GBps.
//   - time(transfer) = sum of latency_us of its channels                 (alpha)
//                    + shard_bytes / (min over its channels of share(c)) (beta), where
//     bytes / (x GB/s) = bytes / (x * 1e3) microseconds.
//   - time(step) = max over its transfers (0 for an empty step); total = sum of step times.
//   Example: 1 MB (1e6 bytes) over one 100 GB/s link with 1 us latency: 1 + 1e6/1e5 = 11 us;
//   two such transfers on that link in the same step: 1 + 1e6/(50*1e3) = 21 us each.
//   Not modelled: pipelining of a chunk across steps, switch multicast, per-GPU copy-engine
//   limits, protocol overheads.
//
// Validation: the first violation found makes the schedule invalid; its reason names the step
// and transfer ("step 2, transfer 1: GPU 3 does not hold chunk 5 at the start of step 2").
// Checks per transfer, in this order: src is a GPU, dst is a GPU, src != dst, chunk is a GPU id,
// src holds chunk, the path is valid / a default route exists. Then, after the last step, every
// GPU holds every chunk. An empty schedule (no steps or no transfers) is invalid.
// shard_bytes must be > 0 and finite (std::invalid_argument otherwise: a caller bug).
#pragma once

#include <string>
#include <vector>

#include "scorers/topology/routing.h"
#include "scorers/topology/schedule.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

enum class ScheduleError {
  none,
  empty_schedule,
  unknown_gpu,      // src or dst is not a GPU id
  self_transfer,    // src == dst
  unknown_chunk,    // chunk is not a GPU id
  chunk_not_held,   // src does not hold chunk at the start of the step
  bad_path,         // explicit path breaks the routing rules
  no_route,         // no default route between src and dst
  incomplete,       // some GPU lacks some chunk after the last step
};

std::string to_string(ScheduleError error);

struct SimulationResult {
  bool valid = false;
  ScheduleError error = ScheduleError::none;
  std::string reason;         // empty when valid
  int error_step = -1;        // -1 when not tied to a step
  int error_transfer = -1;    // -1 when not tied to a transfer
  double latency_us = 0.0;    // total; 0 when invalid
  std::vector<double> step_times_us;  // one per step when valid
};

SimulationResult simulate(const Topology& topology, const RouteTable& routes,
                          const Schedule& schedule, double shard_bytes);
SimulationResult simulate(const Topology& topology, const Schedule& schedule, double shard_bytes);

}  // namespace aimicius::topology
