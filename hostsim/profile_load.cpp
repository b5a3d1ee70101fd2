// JSON -> Profile conversion (nlohmann from_json overloads) and the structural checks of
// profile.h's invariants. Optional keys fall back to the defaults of profile.h.
#include "hostsim/profile_load.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aimicius::hostsim {
namespace {

using nlohmann::json;

template <typename T>
void opt(const json& j, const char* key, T& field) {
  if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<T>();
}
template <typename T>
void opt(const json& j, const char* key, std::optional<T>& field) {
  if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<T>();
}

}  // namespace

void from_json(const json& j, ClockSet& c) {
  opt(j, "graphics_mhz", c.graphics_mhz);
  opt(j, "sm_mhz", c.sm_mhz);
  opt(j, "memory_mhz", c.memory_mhz);
  opt(j, "video_mhz", c.video_mhz);
}
void from_json(const json& j, EccCounts& e) {
  opt(j, "sram_correctable", e.sram_correctable);
  opt(j, "sram_uncorrectable", e.sram_uncorrectable);
  opt(j, "dram_correctable", e.dram_correctable);
  opt(j, "dram_uncorrectable", e.dram_uncorrectable);
}
void from_json(const json& j, NvLinkState& l) {
  j.at("link").get_to(l.link);
  opt(j, "active", l.active);
  opt(j, "speed_gbps", l.speed_gbps);
  opt(j, "replay_errors", l.replay_errors);
  opt(j, "recovery_errors", l.recovery_errors);
  opt(j, "crc_errors", l.crc_errors);
}
void from_json(const json& j, MigProfile& m) {
  j.at("name").get_to(m.name);
  j.at("id").get_to(m.id);
  j.at("instances_total").get_to(m.instances_total);
  j.at("memory_gib").get_to(m.memory_gib);
  opt(j, "p2p", m.p2p);
  opt(j, "sm", m.sm);
  opt(j, "ce", m.ce);
  opt(j, "dec", m.dec);
  opt(j, "enc", m.enc);
  opt(j, "jpeg", m.jpeg);
  opt(j, "ofa", m.ofa);
}
void from_json(const json& j, ProfilingMetrics& p) {
  opt(j, "gr_engine_active", p.gr_engine_active);
  opt(j, "sm_active", p.sm_active);
  opt(j, "sm_occupancy", p.sm_occupancy);
  opt(j, "tensor_active", p.tensor_active);
  opt(j, "dram_active", p.dram_active);
  opt(j, "fp64_active", p.fp64_active);
  opt(j, "fp32_active", p.fp32_active);
  opt(j, "fp16_active", p.fp16_active);
  opt(j, "pcie_tx_bytes", p.pcie_tx_bytes);
  opt(j, "pcie_rx_bytes", p.pcie_rx_bytes);
  opt(j, "nvlink_tx_bytes", p.nvlink_tx_bytes);
  opt(j, "nvlink_rx_bytes", p.nvlink_rx_bytes);
}
void from_json(const json& j, AmdClockDomain& c) {
  j.at("name").get_to(c.name);
  j.at("levels_mhz").get_to(c.levels_mhz);
  j.at("current_level").get_to(c.current_level);
}
void from_json(const json& j, NamedValue& n) {
  j.at("name").get_to(n.name);
  j.at("value").get_to(n.value);
}
void from_json(const json& j, AmdGpuInfo& a) {
  opt(j, "card_series", a.card_series);
  opt(j, "card_model", a.card_model);
  opt(j, "card_vendor", a.card_vendor);
  opt(j, "card_sku", a.card_sku);
  opt(j, "subsystem_id", a.subsystem_id);
  opt(j, "device_rev", a.device_rev);
  j.at("gfx_target").get_to(a.gfx_target);
  opt(j, "unique_id", a.unique_id);
  opt(j, "kfd_id", a.kfd_id);
  opt(j, "market_name", a.market_name);
  opt(j, "node_id", a.node_id);
  opt(j, "guid", a.guid);
  opt(j, "compute_units", a.compute_units);
  opt(j, "temp_edge_c", a.temp_edge_c);
  opt(j, "temp_junction_c", a.temp_junction_c);
  opt(j, "temp_memory_c", a.temp_memory_c);
  opt(j, "socket_power_w", a.socket_power_w);
  opt(j, "max_power_w", a.max_power_w);
  opt(j, "perf_level", a.perf_level);
  opt(j, "vis_vram_total_bytes", a.vis_vram_total_bytes);
  opt(j, "vis_vram_used_bytes", a.vis_vram_used_bytes);
  opt(j, "gtt_total_bytes", a.gtt_total_bytes);
  opt(j, "gtt_used_bytes", a.gtt_used_bytes);
  opt(j, "energy_counter", a.energy_counter);
  opt(j, "energy_resolution_uj", a.energy_resolution_uj);
  opt(j, "xgmi_errors", a.xgmi_errors);
  opt(j, "pcie_replay_count", a.pcie_replay_count);
  opt(j, "compute_partition", a.compute_partition);
  opt(j, "memory_partition", a.memory_partition);
  opt(j, "clocks", a.clocks);
  opt(j, "firmware", a.firmware);
}
void from_json(const json& j, Gpu& g) {
  j.at("index").get_to(g.index);
  j.at("name").get_to(g.name);
  opt(j, "brand", g.brand);
  opt(j, "architecture", g.architecture);
  j.at("uuid").get_to(g.uuid);
  opt(j, "serial", g.serial);
  opt(j, "vbios_version", g.vbios_version);
  opt(j, "part_number", g.part_number);
  opt(j, "board_id", g.board_id);
  opt(j, "compute_capability", g.compute_capability);
  j.at("pci_bus_id").get_to(g.pci_bus_id);
  opt(j, "pci_device_id", g.pci_device_id);
  opt(j, "pci_subsystem_id", g.pci_subsystem_id);
  opt(j, "pcie_gen_current", g.pcie_gen_current);
  opt(j, "pcie_gen_max", g.pcie_gen_max);
  opt(j, "pcie_width_current", g.pcie_width_current);
  opt(j, "pcie_width_max", g.pcie_width_max);
  opt(j, "pcie_replay_count", g.pcie_replay_count);
  j.at("memory_total_mib").get_to(g.memory_total_mib);
  opt(j, "memory_reserved_mib", g.memory_reserved_mib);
  j.at("memory_used_mib").get_to(g.memory_used_mib);
  opt(j, "bar1_total_mib", g.bar1_total_mib);
  opt(j, "bar1_used_mib", g.bar1_used_mib);
  opt(j, "utilization_gpu", g.utilization_gpu);
  opt(j, "utilization_memory", g.utilization_memory);
  opt(j, "utilization_encoder", g.utilization_encoder);
  opt(j, "utilization_decoder", g.utilization_decoder);
  opt(j, "temperature_gpu", g.temperature_gpu);
  opt(j, "temperature_memory", g.temperature_memory);
  opt(j, "temperature_shutdown", g.temperature_shutdown);
  opt(j, "temperature_slowdown", g.temperature_slowdown);
  opt(j, "temperature_max_operating", g.temperature_max_operating);
  opt(j, "temperature_memory_max", g.temperature_memory_max);
  opt(j, "power_draw_w", g.power_draw_w);
  opt(j, "power_limit_w", g.power_limit_w);
  opt(j, "power_default_limit_w", g.power_default_limit_w);
  opt(j, "power_min_limit_w", g.power_min_limit_w);
  opt(j, "power_max_limit_w", g.power_max_limit_w);
  opt(j, "clocks", g.clocks);
  opt(j, "max_clocks", g.max_clocks);
  opt(j, "application_clocks", g.application_clocks);
  opt(j, "persistence_mode", g.persistence_mode);
  opt(j, "ecc_enabled", g.ecc_enabled);
  opt(j, "ecc_volatile", g.ecc_volatile);
  opt(j, "ecc_aggregate", g.ecc_aggregate);
  opt(j, "remapped_rows_correctable", g.remapped_rows_correctable);
  opt(j, "remapped_rows_uncorrectable", g.remapped_rows_uncorrectable);
  opt(j, "compute_mode", g.compute_mode);
  opt(j, "mig_mode", g.mig_mode);
  opt(j, "fan_percent", g.fan_percent);
  opt(j, "pstate", g.pstate);
  opt(j, "numa_node", g.numa_node);
  opt(j, "cpu_affinity", g.cpu_affinity);
  opt(j, "nvlinks", g.nvlinks);
  opt(j, "mig_profiles", g.mig_profiles);
  opt(j, "profiling", g.profiling);
  opt(j, "amd", g.amd);
}
void from_json(const json& j, GpuProcess& p) {
  j.at("pid").get_to(p.pid);
  j.at("name").get_to(p.name);
  opt(j, "type", p.type);
  j.at("gpu_index").get_to(p.gpu_index);
  j.at("used_memory_mib").get_to(p.used_memory_mib);
  opt(j, "sm_percent", p.sm_percent);
  opt(j, "mem_percent", p.mem_percent);
}
void from_json(const json& j, Topology& t) {
  opt(j, "nics", t.nics);
  opt(j, "gpu_gpu", t.gpu_gpu);
  opt(j, "gpu_nic", t.gpu_nic);
  opt(j, "nic_nic", t.nic_nic);
  opt(j, "weight", t.weight);
  opt(j, "hops", t.hops);
  opt(j, "link_type", t.link_type);
}
void from_json(const json& j, IbPort& p) {
  j.at("number").get_to(p.number);
  opt(j, "state", p.state);
  opt(j, "physical_state", p.physical_state);
  j.at("rate_gbps").get_to(p.rate_gbps);
  opt(j, "width", p.width);
  opt(j, "speed_name", p.speed_name);
  opt(j, "base_lid", p.base_lid);
  opt(j, "sm_lid", p.sm_lid);
  opt(j, "lmc", p.lmc);
  opt(j, "capability_mask", p.capability_mask);
  opt(j, "port_guid", p.port_guid);
  opt(j, "link_layer", p.link_layer);
  opt(j, "max_mtu", p.max_mtu);
  opt(j, "active_mtu", p.active_mtu);
  opt(j, "netdev", p.netdev);
}
void from_json(const json& j, IbHca& h) {
  j.at("name").get_to(h.name);
  opt(j, "ca_type", h.ca_type);
  opt(j, "firmware_version", h.firmware_version);
  opt(j, "hardware_version", h.hardware_version);
  j.at("node_guid").get_to(h.node_guid);
  opt(j, "system_image_guid", h.system_image_guid);
  opt(j, "vendor_id", h.vendor_id);
  opt(j, "vendor_part_id", h.vendor_part_id);
  opt(j, "board_id", h.board_id);
  opt(j, "pci_slot", h.pci_slot);
  j.at("ports").get_to(h.ports);
  opt(j, "verbose_attributes", h.verbose_attributes);
}
void from_json(const json& j, PciDevice& d) {
  j.at("slot").get_to(d.slot);
  j.at("class_name").get_to(d.class_name);
  j.at("class_id").get_to(d.class_id);
  j.at("vendor_name").get_to(d.vendor_name);
  j.at("vendor_id").get_to(d.vendor_id);
  j.at("device_name").get_to(d.device_name);
  j.at("device_id").get_to(d.device_id);
  opt(j, "revision", d.revision);
  opt(j, "subsystem_vendor_name", d.subsystem_vendor_name);
  opt(j, "subsystem_name", d.subsystem_name);
  opt(j, "subsystem_vendor_id", d.subsystem_vendor_id);
  opt(j, "subsystem_id", d.subsystem_id);
  opt(j, "physical_slot", d.physical_slot);
  opt(j, "kernel_driver", d.kernel_driver);
  opt(j, "kernel_modules", d.kernel_modules);
  opt(j, "numa_node", d.numa_node);
  opt(j, "iommu_group", d.iommu_group);
  opt(j, "link_cap_speed", d.link_cap_speed);
  opt(j, "link_status_speed", d.link_status_speed);
  opt(j, "link_cap_width", d.link_cap_width);
  opt(j, "link_status_width", d.link_status_width);
  opt(j, "parent", d.parent);
  opt(j, "secondary_bus", d.secondary_bus);
}
void from_json(const json& j, CudaToolkit& c) {
  j.at("release").get_to(c.release);
  j.at("version").get_to(c.version);
  opt(j, "built_on", c.built_on);
  opt(j, "build", c.build);
  opt(j, "copyright_years", c.copyright_years);
  opt(j, "gpu_archs", c.gpu_archs);
  opt(j, "gpu_codes", c.gpu_codes);
}
void from_json(const json& j, DcgmInfo& d) {
  j.at("version").get_to(d.version);
  opt(j, "nvswitch_count", d.nvswitch_count);
  opt(j, "nvswitch_first_id", d.nvswitch_first_id);
  opt(j, "nvswitch_links", d.nvswitch_links);
}
void from_json(const json& j, RocmInfo& r) {
  j.at("rocm_version").get_to(r.rocm_version);
  opt(j, "driver_version", r.driver_version);
  opt(j, "amd_smi_version", r.amd_smi_version);
  opt(j, "amd_smi_library_version", r.amd_smi_library_version);
  opt(j, "cpu_name", r.cpu_name);
  opt(j, "cpu_agents", r.cpu_agents);
  opt(j, "cpu_compute_units", r.cpu_compute_units);
}
void from_json(const json& j, CollectiveLibrary& c) {
  j.at("name").get_to(c.name);
  j.at("version").get_to(c.version);
  opt(j, "build", c.build);
}
void from_json(const json& j, Profile& p) {
  j.at("name").get_to(p.name);
  j.at("hostname").get_to(p.hostname);
  j.at("platform").get_to(p.platform);
  j.at("timestamp").get_to(p.timestamp);
  j.at("installed_tools").get_to(p.installed_tools);
  opt(j, "driver_version", p.driver_version);
  opt(j, "cuda_version", p.cuda_version);
  opt(j, "loop_samples", p.loop_samples);
  opt(j, "gpus", p.gpus);
  opt(j, "processes", p.processes);
  opt(j, "topology", p.topology);
  opt(j, "infiniband", p.infiniband);
  opt(j, "pci_devices", p.pci_devices);
  opt(j, "cuda_toolkit", p.cuda_toolkit);
  opt(j, "dcgm", p.dcgm);
  opt(j, "rocm", p.rocm);
  opt(j, "collectives", p.collectives);
}

namespace {

void check_square(const std::string& origin, const char* what, std::size_t rows, std::size_t cols,
                  std::size_t want_rows, std::size_t want_cols) {
  if (rows != 0 && (rows != want_rows || cols != want_cols))
    throw ProfileError(fmt::format("{}: topology.{} must be {}x{}", origin, what, want_rows, want_cols));
}

template <typename Matrix>
std::size_t width_of(const Matrix& m) {
  std::size_t w = m.empty() ? 0 : m.front().size();
  for (const auto& row : m)
    if (row.size() != w) return static_cast<std::size_t>(-1);
  return w;
}

void check_profile(const Profile& p, const std::string& origin) {
  for (std::size_t i = 0; i < p.gpus.size(); ++i)
    if (p.gpus[i].index != static_cast<int>(i))
      throw ProfileError(fmt::format("{}: gpus[{}].index must be {}", origin, i, i));
  for (const auto& proc : p.processes)
    if (proc.gpu_index < 0 || proc.gpu_index >= static_cast<int>(p.gpus.size()))
      throw ProfileError(fmt::format("{}: process {} names no GPU {}", origin, proc.pid, proc.gpu_index));
  const auto& t = p.topology;
  const auto n = p.gpus.size(), k = t.nics.size();
  check_square(origin, "gpu_gpu", t.gpu_gpu.size(), width_of(t.gpu_gpu), n, n);
  check_square(origin, "gpu_nic", t.gpu_nic.size(), width_of(t.gpu_nic), n, k);
  check_square(origin, "nic_nic", t.nic_nic.size(), width_of(t.nic_nic), k, k);
  check_square(origin, "weight", t.weight.size(), width_of(t.weight), n, n);
  check_square(origin, "hops", t.hops.size(), width_of(t.hops), n, n);
  check_square(origin, "link_type", t.link_type.size(), width_of(t.link_type), n, n);
  if (p.timestamp.size() < 19) throw ProfileError(origin + ": timestamp must be YYYY-MM-DDTHH:MM:SS[.mmm]");
}

}  // namespace

Profile parse_profile(const std::string& json_text, const std::string& origin) {
  Profile profile;
  try {
    json::parse(json_text).get_to(profile);
  } catch (const json::exception& e) {
    throw ProfileError(fmt::format("{}: invalid host profile: {}", origin, e.what()));
  }
  check_profile(profile, origin);
  return profile;
}

Profile load_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ProfileError(fmt::format("{}: cannot read the host profile", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_profile(text.str(), path);
}

}  // namespace aimicius::hostsim
