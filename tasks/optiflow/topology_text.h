// topology_text: the human-readable description of a topology that optiflow prompts show.
//
// Format (one fact per line, every number a model needs to plan and to cost a plan):
//   Topology "dgx-h100-like": 8 GPUs (ids 0..7), 1 other node.
//   Nodes (id name kind host):
//     0 GPU0 gpu host 0
//     ...
//     8 nvswitch8 nvswitch host 0
//   Links (<-> two independent directions, each with the bandwidth shown; -> one direction only):
//     0 <-> 8 nvswitch 450 GB/s 0.5 us
//     0 <-> 1 xgmi 4 x 50 GB/s = 200 GB/s 0.8 us          (a bundle of 4 physical links)
// Links appear in the topology's own order; numbers are printed in their shortest exact decimal
// form (fmt "{}"), so the text states exactly what the simulator uses. Pure and deterministic.
#pragma once

#include <string>

#include "scorers/topology/topology.h"

namespace aimicius::optiflow {

std::string topology_text(const topology::Topology& topology);

}  // namespace aimicius::optiflow
