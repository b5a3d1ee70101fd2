// sku_generators: topologies of typical multi-GPU SKUs and a seeded random generator for suites.
//
// The figures are "-like": public orders of magnitude, not vendor measurements. All bandwidths
// are GB/s per direction, latencies microseconds per link traversal (see topology.h).
//   dgx_h100_like   8 GPUs, each linked to one NVSwitch node (type nvswitch) at 450 GB/s, 0.5 us.
//   ndv4_a100_like  8 GPUs, NVSwitch at 300 GB/s, 0.7 us; plus each GPU pair (2k, 2k+1) under a
//                   PCIe switch (pcie 32 GB/s, 1.0 us) joined by a host bridge (32 GB/s, 1.0 us).
//   mi250x_like     8 GCDs on a partial XGMI mesh (type xgmi, 50 GB/s per physical link,
//                   0.8 us): in-package pairs (0,1),(2,3),(4,5),(6,7) with 4 links, a ring of
//                   2-link bundles (1,2),(3,4),(5,6),(7,0), single links (0,4),(1,5),(2,6),(3,7).
//                   Not every pair is linked, so plans must relay through GPUs.
//   mi300x_like     8 GPUs, full XGMI mesh, one 64 GB/s link per pair, 0.8 us.
//   pcie_only       gpus (2..16, even) GPUs, two per PCIe switch (32 GB/s, 1.0 us), switches
//                   under one host bridge (32 GB/s, 1.5 us).
//   two_node        2 hosts of gpus_per_node GPUs (2..8) each on an NVSwitch (nvswitch_GBps,
//                   0.5 us); every GPU has its own NIC (pcie 64 GB/s, 1.0 us) and all NICs hang
//                   off one IB switch (ib, nic_GBps, 2.0 us). GPU ids: host 0 first.
//   random_topology(seed)  4..16 GPUs, connected (every GPU can reach every other through
//                   relays), of one of four families chosen by the seed: switch (one NVSwitch,
//                   varied per-GPU bandwidths), mesh (point-to-point NVLink/XGMI with a ring
//                   backbone and random extra links and counts), pcie (PCIe tree, optional NVLink
//                   bridges between neighbours), multi_host (2..4 hosts with NVSwitch or full
//                   mesh inside, NIC per GPU, IB switch between hosts).
// Determinism: random_topology uses std::mt19937_64 (its output is fixed by the standard) and its
// own integer mapping (no std::uniform_*_distribution, whose output varies by library), so one
// seed gives the same topology on every platform.
#pragma once

#include <cstdint>

#include "scorers/topology/topology.h"

namespace aimicius::topology {

Topology dgx_h100_like();
Topology ndv4_a100_like();
Topology mi250x_like();
Topology mi300x_like();
Topology pcie_only(int gpus);
Topology two_node(int gpus_per_node, double nvswitch_gbps, double nic_gbps);

Topology random_topology(uint64_t seed);

// True when every GPU can reach every other GPU, directly or through relay GPUs.
bool gpus_connected(const Topology& topology);

}  // namespace aimicius::topology
