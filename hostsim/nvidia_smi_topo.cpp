// nvidia-smi topo: -m / --matrix (connection matrix of GPUs and NICs with CPU/NUMA affinity) and
// -p2p r|w|n|a|p (peer-to-peer capability matrix).
// Invariants: cells come from profile.topology; the self cell is " X " in -m and "X" in -p2p;
// other topo options (-mp, -c, -n, -i/-j pair queries) are not simulated (exit 64).
#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {
namespace {

std::string self_or(const std::string& cell) { return cell == "X" ? " X " : cell; }

void print_matrix(const Profile& profile, std::ostream& out) {
  const auto& topo = profile.topology;
  const std::size_t gpu_count = profile.gpus.size(), nic_count = topo.nics.size();
  out << '\t';
  for (std::size_t g = 0; g < gpu_count; ++g) out << "GPU" << g << '\t';
  for (std::size_t n = 0; n < nic_count; ++n) out << "NIC" << n << '\t';
  out << "CPU Affinity\tNUMA Affinity\tGPU NUMA ID\n";
  for (std::size_t g = 0; g < gpu_count; ++g) {
    out << "GPU" << g;
    for (std::size_t h = 0; h < gpu_count; ++h) out << '\t' << self_or(topo.gpu_gpu.at(g).at(h));
    for (std::size_t n = 0; n < nic_count; ++n) out << '\t' << topo.gpu_nic.at(g).at(n);
    const auto& gpu = profile.gpus[g];
    out << '\t' << gpu.cpu_affinity << '\t' << gpu.numa_node << "\t\tN/A\n";
  }
  for (std::size_t n = 0; n < nic_count; ++n) {
    out << "NIC" << n;
    for (std::size_t g = 0; g < gpu_count; ++g) out << '\t' << topo.gpu_nic.at(g).at(n);
    for (std::size_t m = 0; m < nic_count; ++m) out << '\t' << self_or(topo.nic_nic.at(n).at(m));
    out << '\n';
  }
  out << "\nLegend:\n\n"
         "  X    = Self\n"
         "  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)\n"
         "  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node\n"
         "  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)\n"
         "  PXB  = Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)\n"
         "  PIX  = Connection traversing at most a single PCIe bridge\n"
         "  NV#  = Connection traversing a bonded set of # NVLinks\n";
  if (nic_count) {
    out << "\nNIC Legend:\n\n";
    for (std::size_t n = 0; n < nic_count; ++n) out << "  NIC" << n << ": " << topo.nics[n] << '\n';
  }
  out << '\n';
}

std::string p2p_status(const std::string& link, char capability) {
  const bool nvlink = starts_with(link, "NV");
  if (capability == 'n') return nvlink ? "OK" : "NS";
  if (nvlink || link == "PIX" || link == "PXB" || link == "PHB" || link == "NODE") return "OK";
  return capability == 'a' ? "NS" : "CNS";
}

int print_p2p(const Profile& profile, const std::string& which, std::ostream& out, std::ostream& err) {
  if (which.size() != 1 || std::string("rwnap").find(which[0]) == std::string::npos) return invalid_arguments(err);
  const std::size_t count = profile.gpus.size();
  out << " \t";
  for (std::size_t g = 0; g < count; ++g) out << "GPU" << g << '\t';
  out << '\n';
  for (std::size_t g = 0; g < count; ++g) {
    out << " GPU" << g << '\t';
    for (std::size_t h = 0; h < count; ++h)
      out << (g == h ? "X" : p2p_status(profile.topology.gpu_gpu.at(g).at(h), which[0])) << '\t';
    out << '\n';
  }
  out << "\nLegend:\n\n"
         "  X    = Self\n"
         "  OK   = Status Ok\n"
         "  CNS  = Chipset not supported\n"
         "  GNS  = GPU not supported\n"
         "  TNS  = Topology not supported\n"
         "  NS   = Not supported\n"
         "  U    = Unknown\n";
  return kExitOk;
}

}  // namespace

int run_topo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) return invalid_arguments(err);
  const auto& option = args[0];
  if ((option == "-m" || option == "--matrix") && args.size() == 1) {
    if (profile.topology.gpu_gpu.size() != profile.gpus.size()) return not_simulated("nvidia-smi", "topo -m", err);
    print_matrix(profile, out);
    return kExitOk;
  }
  if (option == "-p2p" || option == "--p2pstatus") {
    if (args.size() != 2) return invalid_arguments(err);
    return print_p2p(profile, args[1], out, err);
  }
  if (option == "-mp" || option == "--matrix_pci" || option == "-c" || option == "--cpu" || option == "-n" ||
      option == "--nearest_cpu" || option == "-i" || option == "--id" || option == "-j")
    return not_simulated("nvidia-smi", "topo " + option, err);
  return invalid_arguments(err);
}

}  // namespace aimicius::hostsim::nvsmi
