// Prose descriptions of the bundled host profiles (datasets/hosts/*.json): what an operator would
// write about a machine (GPU model, count, memory, power, interconnect between GPU pairs, NICs,
// software versions). Built from the loaded hostsim::Profile, so the facts are the ones the
// simulated tools print. One document per profile, in file-name order.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "training/corpus/sources.h"
#include "hostsim/profile_load.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

std::string describe(const hostsim::Profile& p) {
  std::string t = fmt::format("Host profile {}: host {} ({} platform).\n", p.name, p.hostname,
                              p.platform == "amd" ? "AMD ROCm" : "NVIDIA CUDA");
  if (!p.driver_version.empty()) t += fmt::format("Driver version {}.", p.driver_version);
  if (!p.cuda_version.empty()) t += fmt::format(" CUDA version {}.", p.cuda_version);
  if (p.rocm) t += fmt::format(" ROCm {}, amdgpu driver {}.", p.rocm->rocm_version, p.rocm->driver_version);
  if (p.collectives) t += fmt::format(" {} {} ({}).", p.collectives->name, p.collectives->version, p.collectives->build);
  t += "\n";
  std::map<std::string, int> models;
  for (const auto& g : p.gpus) ++models[g.name];
  for (const auto& [model, n] : models) t += fmt::format("It has {} x {}.\n", n, model);
  for (const auto& g : p.gpus) {
    t += fmt::format("GPU {}: {} ({}{}), {} MiB memory ({} MiB used), PCI bus {}, PCIe gen {} x{}, power limit {} W, "
                     "NUMA node {}",
                     g.index, g.name, g.architecture, g.compute_capability.empty() ? "" : ", compute capability " + g.compute_capability,
                     g.memory_total_mib, g.memory_used_mib, g.pci_bus_id, g.pcie_gen_current, g.pcie_width_current,
                     g.power_limit_w, g.numa_node);
    if (!g.nvlinks.empty()) t += fmt::format(", {} NVLink links", g.nvlinks.size());
    if (g.amd) t += fmt::format(", {} ({} compute units)", g.amd->gfx_target, g.amd->compute_units);
    t += ".\n";
  }
  const auto& topo = p.topology;
  std::map<std::string, int> pair_links;
  for (size_t i = 0; i < topo.gpu_gpu.size(); ++i)
    for (size_t j = i + 1; j < topo.gpu_gpu[i].size(); ++j) ++pair_links[topo.gpu_gpu[i][j]];
  for (size_t i = 0; i < topo.link_type.size(); ++i)
    for (size_t j = i + 1; j < topo.link_type[i].size(); ++j) ++pair_links[topo.link_type[i][j]];
  if (!pair_links.empty()) {
    t += "GPU-to-GPU connections:";
    for (const auto& [kind, n] : pair_links) t += fmt::format(" {} pairs over {};", n, kind);
    t.back() = '.';
    t += "\n";
  }
  if (!topo.nics.empty()) t += fmt::format("Network devices in the topology: {}.\n", fmt::join(topo.nics, ", "));
  for (const auto& hca : p.infiniband)
    for (const auto& port : hca.ports)
      t += fmt::format("NIC {} ({}), port {}: {} {}, {} Gb/s ({} {}), link layer {}{}.\n", hca.name, hca.ca_type,
                       port.number, port.state, port.physical_state, port.rate_gbps, port.width, port.speed_name,
                       port.link_layer, port.netdev.empty() ? "" : ", netdev " + port.netdev);
  if (!p.installed_tools.empty()) t += fmt::format("Installed tools: {}.\n", fmt::join(p.installed_tools, ", "));
  return t;
}

}  // namespace

std::vector<fs::path> host_profile_files(const fs::path& data_dir) {
  const fs::path hosts = data_dir / "hosts";
  std::vector<fs::path> files;
  if (fs::exists(hosts))
    for (const auto& e : fs::directory_iterator(hosts))
      if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

void add_host_documents(const fs::path& data_dir, CorpusBuild& build) {
  const std::vector<fs::path> files = host_profile_files(data_dir);
  for (const auto& file : files) {
    try {
      const hostsim::Profile profile = hostsim::load_profile(file.string());
      build.documents.push_back({"hosts", profile.name, describe(profile)});
    } catch (const hostsim::ProfileError& e) {
      throw InputError(e.what());
    }
  }
}

}  // namespace aimicius::corpus
