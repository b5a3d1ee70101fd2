// Implementation of rocm_smi_sections.h: the --show* builders of rocm-smi.
#include "hostsim/rocm_smi_sections.h"

#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

using Devices = std::vector<int>;
using Builder = std::function<std::vector<SmiSection>(const Profile&, const Devices&, const std::vector<std::string>&,
                                                      std::string&)>;

std::string one_decimal(double v) { return fmt::format("{:.1f}", v); }

SmiSection per_gpu(const Profile& p, const Devices& devices, const std::string& title,
                   const std::function<std::vector<std::pair<std::string, std::string>>(const Gpu&)>& rows) {
  SmiSection section{title, {}, nullptr};
  for (int index : devices)
    for (const auto& [key, value] : rows(p.gpus[index])) section.entries.push_back({index, key, value});
  return section;
}

template <typename F>
Builder simple(const std::string& title, F rows) {
  return [title, rows](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
    return std::vector<SmiSection>{per_gpu(p, d, title, rows)};
  };
}

std::string clock_text(const AmdClockDomain& domain) {
  const int level = domain.current_level;
  const int mhz = level < static_cast<int>(domain.levels_mhz.size()) ? domain.levels_mhz[level] : 0;
  return fmt::format("{}: ({}Mhz)", level, mhz);
}

SmiSection matrix_section(const Profile& p, const Devices& d, const std::string& title,
                          const std::function<std::string(int, int)>& cell) {
  SmiSection section{title, {}, nullptr};
  for (int row : d)
    for (int col : d) section.entries.push_back({row, "(Topology) " + title.substr(1, title.size() - 2) + " GPU" + std::to_string(col), cell(row, col)});
  section.custom_text = [d, cell](std::ostream& out) {
    out << fmt::format("{:<7}", "");
    for (int col : d) out << fmt::format("{:<13}", "GPU" + std::to_string(col));
    out << '\n';
    for (int row : d) {
      out << fmt::format("{:<7}", "GPU" + std::to_string(row));
      for (int col : d) out << fmt::format("{:<13}", cell(row, col));
      out << '\n';
    }
    out << '\n';
  };
  (void)p;
  return section;
}

SmiSection topo_weight(const Profile& p, const Devices& d) {
  return matrix_section(p, d, " Weight between two GPUs ", [&p](int a, int b) {
    return p.topology.weight.empty() ? std::string("N/A") : std::to_string(p.topology.weight[a][b]);
  });
}
SmiSection topo_hops(const Profile& p, const Devices& d) {
  return matrix_section(p, d, " Hops between two GPUs ", [&p](int a, int b) {
    return p.topology.hops.empty() ? std::string("N/A") : std::to_string(p.topology.hops[a][b]);
  });
}
SmiSection topo_type(const Profile& p, const Devices& d) {
  return matrix_section(p, d, " Link Type between two GPUs ", [&p](int a, int b) {
    if (a == b) return std::string("0");
    return p.topology.link_type.empty() ? std::string("N/A") : p.topology.link_type[a][b];
  });
}
SmiSection topo_numa(const Profile& p, const Devices& d) {
  return per_gpu(p, d, " Numa Nodes ", [](const Gpu& g) {
    return std::vector<std::pair<std::string, std::string>>{{"(Topology) Numa Node", std::to_string(g.numa_node)},
                                                            {"(Topology) Numa Affinity", std::to_string(g.numa_node)}};
  });
}

SmiSection pids_section(const Profile& p) {
  SmiSection section{" KFD Processes ", {}, nullptr};
  for (const auto& process : p.processes)
    section.entries.push_back({-1, "PID" + std::to_string(process.pid),
                               fmt::format("{}, {}, {}, 0, 0", process.name, 1, process.used_memory_mib * 1048576)});
  section.custom_text = [&p](std::ostream& out) {
    if (p.processes.empty()) {
      out << "No KFD PIDs currently running\n";
      return;
    }
    out << "KFD process information:\nPID\tPROCESS NAME\tGPU(s)\tVRAM USED\tSDMA USED\tCU OCCUPANCY\n";
    for (const auto& process : p.processes)
      out << process.pid << '\t' << process.name << "\t1\t" << process.used_memory_mib * 1048576 << "\t0\t0\n";
  };
  return section;
}

const std::vector<std::pair<std::string, Builder>>& builders() {
  using Rows = std::vector<std::pair<std::string, std::string>>;
  static const std::vector<std::pair<std::string, Builder>> table = {
      {"--showuse", simple(" % time GPU is busy ", [](const Gpu& g) {
         return Rows{{"GPU use (%)", std::to_string(g.utilization_gpu)}};
       })},
      {"--showmemuse", simple(" Current Memory Use ", [](const Gpu& g) {
         const long percent = g.memory_total_mib ? std::lround(100.0 * g.memory_used_mib / g.memory_total_mib) : 0;
         return Rows{{"GPU Memory Allocated (VRAM%)", std::to_string(percent)},
                     {"GPU Memory Read/Write Activity (%)", std::to_string(g.utilization_memory)}};
       })},
      {"--showtemp", simple(" Temperature ", [](const Gpu& g) {
         return Rows{{"Temperature (Sensor edge) (C)", one_decimal(g.amd->temp_edge_c)},
                     {"Temperature (Sensor junction) (C)", one_decimal(g.amd->temp_junction_c)},
                     {"Temperature (Sensor memory) (C)", one_decimal(g.amd->temp_memory_c)}};
       })},
      {"--showpower", simple(" Power Consumption ", [](const Gpu& g) {
         return Rows{{"Average Graphics Package Power (W)",
                      g.amd->socket_power_w ? one_decimal(*g.amd->socket_power_w) : "N/A"}};
       })},
      {"--showmaxpower", simple(" Power Cap ", [](const Gpu& g) {
         return Rows{{"Max Graphics Package Power (W)", one_decimal(g.amd->max_power_w)}};
       })},
      {"--showclocks", simple(" Current clock frequencies ", [](const Gpu& g) {
         Rows rows;
         for (const auto& domain : g.amd->clocks) rows.push_back({domain.name + " clock level", clock_text(domain)});
         return rows;
       })},
      {"--showclkfrq", simple(" Supported clock frequencies ", [](const Gpu& g) {
         Rows rows;
         for (const auto& domain : g.amd->clocks) {
           rows.push_back({"", fmt::format("Supported {} frequencies on GPU{}", domain.name, g.index)});
           for (std::size_t l = 0; l < domain.levels_mhz.size(); ++l)
             rows.push_back({"", fmt::format("{}: {}Mhz{}", l, domain.levels_mhz[l],
                                             static_cast<int>(l) == domain.current_level ? " *" : "")});
         }
         return rows;
       })},
      {"--showproductname", simple(" Product Info ", [](const Gpu& g) {
         const auto& a = *g.amd;
         return Rows{{"Card Series", a.card_series}, {"Card Model", a.card_model}, {"Card Vendor", a.card_vendor},
                     {"Card SKU", a.card_sku},       {"Subsystem ID", a.subsystem_id}, {"Device Rev", a.device_rev},
                     {"Node ID", std::to_string(a.node_id)}, {"GUID", std::to_string(a.guid)},
                     {"GFX Version", a.gfx_target}};
       })},
      {"--showid", simple(" ID ", [](const Gpu& g) {
         const auto& a = *g.amd;
         return Rows{{"Device Name", a.card_series}, {"Device ID", a.card_model}, {"Device Rev", a.device_rev},
                     {"Subsystem ID", a.subsystem_id}, {"GUID", std::to_string(a.guid)}};
       })},
      {"--showserial", simple(" Serial Number ", [](const Gpu& g) { return Rows{{"Serial Number", g.serial}}; })},
      {"--showuniqueid", simple(" Unique ID ", [](const Gpu& g) { return Rows{{"Unique ID", g.amd->unique_id}}; })},
      {"--showbus", simple(" PCI Bus ID ", [](const Gpu& g) { return Rows{{"PCI Bus", to_upper(g.pci_bus_id)}}; })},
      {"--showvbios", simple(" VBIOS ", [](const Gpu& g) { return Rows{{"VBIOS version", g.vbios_version}}; })},
      {"--showperflevel", simple(" Show Performance Level ", [](const Gpu& g) {
         return Rows{{"Performance Level", g.amd->perf_level}};
       })},
      {"--showxgmierr", simple(" XGMI Error status ", [](const Gpu& g) {
         return Rows{{"XGMI Error count", std::to_string(g.amd->xgmi_errors)}};
       })},
      {"--showreplaycount", simple(" PCIe Replay Counter ", [](const Gpu& g) {
         return Rows{{"PCIe Replay Count", std::to_string(g.amd->pcie_replay_count)}};
       })},
      {"--showenergycounter", simple(" Consumed Energy ", [](const Gpu& g) {
         return Rows{{"Energy counter", std::to_string(g.amd->energy_counter)},
                     {"Accumulated Energy (uJ)",
                      fmt::format("{:.2f}", static_cast<double>(g.amd->energy_counter) * g.amd->energy_resolution_uj)}};
       })},
      {"--showbw", simple(" Measured PCIe Bandwidth ", [](const Gpu& g) {
         return Rows{{"Estimated maximum PCIe bandwidth over the last second (MB/s)",
                      fmt::format("{:.3f} sent, {:.3f} received", g.profiling.pcie_tx_bytes / 1e6,
                                  g.profiling.pcie_rx_bytes / 1e6)}};
       })},
      {"--showfan", simple(" Current Fan Metric ", [](const Gpu& g) {
         if (!g.fan_percent) return Rows{{"", fmt::format("Unable to detect fan speed for GPU {}", g.index)}};
         return Rows{{"Fan Level", fmt::format("{}%", *g.fan_percent)}};
       })},
      {"--showcomputepartition", simple(" Current Compute Partition ", [](const Gpu& g) {
         if (g.amd->compute_partition.empty()) return Rows{{"", "Not supported on the given system"}};
         return Rows{{"Compute Partition", g.amd->compute_partition}};
       })},
      {"--showmemorypartition", simple(" Current Memory Partition ", [](const Gpu& g) {
         if (g.amd->memory_partition.empty()) return Rows{{"", "Not supported on the given system"}};
         return Rows{{"Memory Partition", g.amd->memory_partition}};
       })},
      {"--showretiredpages", simple(" Pages Info ", [](const Gpu&) { return Rows{{"", "No retired pages found"}}; })},
      {"--showrasinfo", simple(" RAS Info ", [](const Gpu& g) {
         Rows rows;
         for (const char* block : {"UMC", "SDMA", "GFX", "MMHUB", "PCIE_BIF", "HDP", "XGMI_WAFL"})
           rows.push_back({std::string(block) + " RAS", g.ecc_enabled ? "ENABLED, correctable 0, uncorrectable 0"
                                                                      : "DISABLED"});
         return rows;
       })},
      {"--showdriverversion",
       [](const Profile& p, const Devices&, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{
             {" Version of System Component ", {{-1, "Driver version", p.driver_version}}, nullptr}};
       }},
      {"--showmeminfo",
       [](const Profile& p, const Devices& d, const std::vector<std::string>& values, std::string& problem) {
         std::vector<std::string> kinds;
         for (const auto& raw : values) {
           const auto kind = to_lower(raw);
           if (kind == "all") kinds.insert(kinds.end(), {"vram", "vis_vram", "gtt"});
           else if (kind == "vram" || kind == "vis_vram" || kind == "gtt") kinds.push_back(kind);
           else {
             problem = "argument --showmeminfo: invalid choice: '" + raw + "' (choose from 'all', 'vram', 'vis_vram', 'gtt')";
             return std::vector<SmiSection>{};
           }
         }
         return std::vector<SmiSection>{per_gpu(p, d, " Memory Usage (Bytes) ", [kinds](const Gpu& g) {
           std::vector<std::pair<std::string, std::string>> rows;
           for (const auto& kind : kinds) {
             long total = g.memory_total_mib * 1048576, used = g.memory_used_mib * 1048576;
             if (kind == "vis_vram") total = g.amd->vis_vram_total_bytes, used = g.amd->vis_vram_used_bytes;
             if (kind == "gtt") total = g.amd->gtt_total_bytes, used = g.amd->gtt_used_bytes;
             rows.push_back({to_upper(kind) + " Total Memory (B)", std::to_string(total)});
             rows.push_back({to_upper(kind) + " Total Used Memory (B)", std::to_string(used)});
           }
           return rows;
         })};
       }},
      {"--showfwinfo",
       [](const Profile& p, const Devices& d, const std::vector<std::string>& values, std::string&) {
         return std::vector<SmiSection>{per_gpu(p, d, " Firmware Information ", [values](const Gpu& g) {
           std::vector<std::pair<std::string, std::string>> rows;
           for (const auto& fw : g.amd->firmware) {
             bool wanted = values.empty();
             for (const auto& v : values) wanted = wanted || to_upper(v) == fw.name || to_lower(v) == "all";
             if (wanted) rows.push_back({fw.name + " firmware version", "\t" + fw.value});
           }
           return rows;
         })};
       }},
      {"--showpids",
       [](const Profile& p, const Devices&, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{pids_section(p)};
       }},
      {"--showpidgpus",
       [](const Profile& p, const Devices&, const std::vector<std::string>& values, std::string&) {
         SmiSection section{" GPUs Indexed by PID ", {}, nullptr};
         for (const auto& process : p.processes) {
           bool wanted = values.empty();
           for (const auto& v : values) wanted = wanted || v == std::to_string(process.pid);
           if (wanted)
             section.entries.push_back({-1, "PID " + std::to_string(process.pid) + " is using 1 DRM device(s)",
                                        std::to_string(process.gpu_index)});
         }
         for (const auto& v : values) {
           bool found = false;
           for (const auto& process : p.processes) found = found || v == std::to_string(process.pid);
           if (!found) section.entries.push_back({-1, "PID " + v + " is not using any GPU", "0 DRM device(s)"});
         }
         if (values.empty() && p.processes.empty()) section.entries.push_back({-1, "No KFD PIDs currently running", "None"});
         return std::vector<SmiSection>{section};
       }},
      {"--showtopo",
       [](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{topo_weight(p, d), topo_hops(p, d), topo_type(p, d), topo_numa(p, d)};
       }},
      {"--showtopoweight",
       [](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{topo_weight(p, d)};
       }},
      {"--showtopohops",
       [](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{topo_hops(p, d)};
       }},
      {"--showtopotype",
       [](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{topo_type(p, d)};
       }},
      {"--showtoponuma",
       [](const Profile& p, const Devices& d, const std::vector<std::string>&, std::string&) {
         return std::vector<SmiSection>{topo_numa(p, d)};
       }},
  };
  return table;
}

const Builder* find_builder(const std::string& option) {
  for (const auto& [name, builder] : builders())
    if (name == option) return &builder;
  return nullptr;
}

}  // namespace

bool is_rocm_show_option(const std::string& long_option) {
  return long_option == "--showallinfo" || find_builder(long_option) != nullptr;
}

std::vector<SmiSection> build_rocm_sections(const Profile& profile, const std::vector<int>& devices,
                                            const std::string& long_option, const std::vector<std::string>& values,
                                            std::string& problem) {
  if (long_option == "--showallinfo") {
    std::vector<SmiSection> all;
    for (const char* option : {"--showid", "--showvbios", "--showtemp", "--showpower", "--showclocks", "--showuse",
                               "--showmemuse", "--showperflevel", "--showmaxpower", "--showproductname",
                               "--showserial", "--showuniqueid", "--showbus", "--showdriverversion", "--showfwinfo",
                               "--showpids"}) {
      for (auto& section : (*find_builder(option))(profile, devices, {}, problem)) all.push_back(std::move(section));
    }
    for (auto& section : (*find_builder("--showmeminfo"))(profile, devices, {"all"}, problem))
      all.push_back(std::move(section));
    return all;
  }
  return (*find_builder(long_option))(profile, devices, values, problem);
}

}  // namespace aimicius::hostsim
