// The simulated host: everything the tools of hostsim report, as loaded from a host profile
// (datasets/hosts/*.json; the schema is documented in datasets/hosts/README.md).
// Invariants: gpus[i].index == i; every matrix in Topology is square over gpus (gpu_gpu, weight,
// hops, link_type) or sized gpus x nics / nics x nics; values are the host's fixed state, so
// every tool's output is a pure function of the profile and its arguments.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aimicius::hostsim {

struct ClockSet {
  int graphics_mhz = 0;
  int sm_mhz = 0;
  int memory_mhz = 0;
  int video_mhz = 0;
};

struct EccCounts {
  long sram_correctable = 0;
  long sram_uncorrectable = 0;
  long dram_correctable = 0;
  long dram_uncorrectable = 0;
};

struct NvLinkState {
  int link = 0;
  bool active = true;
  double speed_gbps = 0;  // GB/s per direction, as nvidia-smi nvlink -s prints it
  long replay_errors = 0;
  long recovery_errors = 0;
  long crc_errors = 0;
};

struct MigProfile {
  std::string name;  // "MIG 1g.10gb"
  int id = 0;
  int instances_total = 0;
  double memory_gib = 0;
  bool p2p = false;
  int sm = 0, ce = 0, dec = 0, enc = 0, jpeg = 0, ofa = 0;
};

// DCGM profiling metrics (fields 1001+), fractions in [0,1] or bytes per second.
struct ProfilingMetrics {
  double gr_engine_active = 0, sm_active = 0, sm_occupancy = 0, tensor_active = 0, dram_active = 0;
  double fp64_active = 0, fp32_active = 0, fp16_active = 0;
  long pcie_tx_bytes = 0, pcie_rx_bytes = 0, nvlink_tx_bytes = 0, nvlink_rx_bytes = 0;
};

struct AmdClockDomain {
  std::string name;  // "sclk", "mclk", "fclk", "socclk"
  std::vector<int> levels_mhz;
  int current_level = 0;
};

struct NamedValue {
  std::string name;
  std::string value;
};

// What only AMD GPUs (one GCD each, as rocm-smi counts them) report.
struct AmdGpuInfo {
  std::string card_series, card_model, card_vendor, card_sku, subsystem_id, device_rev;
  std::string gfx_target;  // "gfx90a"
  std::string unique_id, kfd_id, market_name;
  int node_id = 0;          // KFD topology node
  int guid = 0;             // KFD gpu_id
  int compute_units = 0;
  int temp_edge_c = 0, temp_junction_c = 0, temp_memory_c = 0;
  std::optional<double> socket_power_w;  // absent on a secondary die (MI200)
  double max_power_w = 0;
  std::string perf_level = "auto";
  long vis_vram_total_bytes = 0, vis_vram_used_bytes = 0, gtt_total_bytes = 0, gtt_used_bytes = 0;
  long energy_counter = 0;
  double energy_resolution_uj = 15.259;
  long xgmi_errors = 0, pcie_replay_count = 0;
  std::string compute_partition, memory_partition;  // empty: not supported
  std::vector<AmdClockDomain> clocks;
  std::vector<NamedValue> firmware;  // "ASD" -> "0x21000093"
};

struct Gpu {
  int index = 0;
  std::string name, brand, architecture, uuid, serial, vbios_version, part_number, board_id;
  std::string compute_capability;  // "9.0"
  std::string pci_bus_id;  // "0000:18:00.0" (lower-case hex, 4-digit domain)
  std::string pci_device_id, pci_subsystem_id;  // "0x233010DE" / "0x16C110DE"
  int pcie_gen_current = 0, pcie_gen_max = 0, pcie_width_current = 0, pcie_width_max = 0;
  long pcie_replay_count = 0;
  long memory_total_mib = 0, memory_reserved_mib = 0, memory_used_mib = 0;
  long bar1_total_mib = 0, bar1_used_mib = 0;
  int utilization_gpu = 0, utilization_memory = 0, utilization_encoder = 0, utilization_decoder = 0;
  int temperature_gpu = 0;
  std::optional<int> temperature_memory;
  int temperature_shutdown = 0, temperature_slowdown = 0, temperature_max_operating = 0;
  std::optional<int> temperature_memory_max;
  double power_draw_w = 0, power_limit_w = 0, power_default_limit_w = 0, power_min_limit_w = 0,
         power_max_limit_w = 0;
  ClockSet clocks, max_clocks, application_clocks;
  bool persistence_mode = false;
  bool ecc_enabled = false;
  EccCounts ecc_volatile, ecc_aggregate;
  long remapped_rows_correctable = 0, remapped_rows_uncorrectable = 0;
  std::string compute_mode = "Default";
  std::string mig_mode = "N/A";  // "Enabled", "Disabled" or "N/A" (not MIG-capable)
  std::optional<int> fan_percent;
  std::string pstate = "P0";
  int numa_node = 0;
  std::string cpu_affinity;  // "0-55,112-167"
  std::vector<NvLinkState> nvlinks;
  std::vector<MigProfile> mig_profiles;
  ProfilingMetrics profiling;
  std::optional<AmdGpuInfo> amd;
};

struct GpuProcess {
  long pid = 0;
  std::string name;
  std::string type = "C";  // C compute, G graphics
  int gpu_index = 0;
  long used_memory_mib = 0;
  int sm_percent = 0, mem_percent = 0;
};

struct Topology {
  std::vector<std::string> nics;  // device names ("mlx5_0"), NIC<i> in nvidia-smi topo -m
  std::vector<std::vector<std::string>> gpu_gpu;  // "X", "NV18", "PIX", "PXB", "PHB", "NODE", "SYS"
  std::vector<std::vector<std::string>> gpu_nic;
  std::vector<std::vector<std::string>> nic_nic;
  // AMD (rocm-smi --showtopo*): weight, hops and link type ("XGMI", "PCIE") between GPUs.
  std::vector<std::vector<int>> weight, hops;
  std::vector<std::vector<std::string>> link_type;
};

struct IbPort {
  int number = 1;
  std::string state = "Active";           // ibstat spelling: Active, Down, Initializing
  std::string physical_state = "LinkUp";  // LinkUp, Disabled, Polling
  int rate_gbps = 0;
  std::string width = "4X", speed_name = "NDR";
  int base_lid = 0, sm_lid = 0, lmc = 0;
  std::string capability_mask, port_guid;  // "0xa651e848", "0x946dae0300a1b2c0"
  std::string link_layer = "InfiniBand";
  int max_mtu = 4096, active_mtu = 4096;
  std::string netdev;  // "ibp24s0"
};

struct IbHca {
  std::string name;  // "mlx5_0"
  std::string ca_type, firmware_version, hardware_version, node_guid, system_image_guid;
  std::string vendor_id, vendor_part_id, board_id, pci_slot;
  std::vector<IbPort> ports;
  std::vector<NamedValue> verbose_attributes;  // extra device attributes for ibv_devinfo -v
};

struct PciDevice {
  std::string slot;  // "0000:18:00.0"
  std::string class_name, class_id, vendor_name, vendor_id, device_name, device_id, revision;
  std::string subsystem_vendor_name, subsystem_name, subsystem_vendor_id, subsystem_id;
  std::string physical_slot, kernel_driver, kernel_modules;
  int numa_node = -1;
  int iommu_group = -1;
  std::string link_cap_speed, link_status_speed;  // "32GT/s"
  int link_cap_width = 0, link_status_width = 0;
  std::string parent;          // slot of the bridge above it ("" on a root bus)
  std::string secondary_bus;   // bridges: "[19-1a]" range shown by lspci -t
};

struct CudaToolkit {
  std::string release, version, built_on, build, copyright_years;
  std::vector<std::string> gpu_archs;  // "compute_90"
  std::vector<std::string> gpu_codes;  // "sm_90"
};

struct DcgmInfo {
  std::string version;
  int nvswitch_count = 0;
  int nvswitch_first_id = 0;
  int nvswitch_links = 0;
};

struct RocmInfo {
  std::string rocm_version, driver_version, amd_smi_version, amd_smi_library_version;
  std::string cpu_name;
  int cpu_agents = 0;
  int cpu_compute_units = 0;
};

// The collective-communication library the nccl-tests / rccl-tests binaries report
// (NCCL_DEBUG output) and the bandwidth model they simulate (hostsim/collective_model.h).
struct CollectiveLibrary {
  std::string name;     // "NCCL" or "RCCL"
  std::string version;  // "2.21.5"
  std::string build;    // "cuda12.4" / "hip6.2": the "+..." suffix of the version line
};

struct Profile {
  std::string name, hostname, platform;  // platform: "nvidia" or "amd"
  std::string timestamp;                 // fixed "now": "2024-05-14T09:30:00.000"
  std::vector<std::string> installed_tools;
  std::string driver_version, cuda_version;
  int loop_samples = 3;  // samples printed by looping commands (-l, dmon without -c)
  std::vector<Gpu> gpus;
  std::vector<GpuProcess> processes;
  Topology topology;
  std::vector<IbHca> infiniband;
  std::vector<PciDevice> pci_devices;
  std::optional<CudaToolkit> cuda_toolkit;
  std::optional<DcgmInfo> dcgm;
  std::optional<RocmInfo> rocm;
  std::optional<CollectiveLibrary> collectives;  // absent: no nccl-tests/rccl-tests on the host
};

}  // namespace aimicius::hostsim
