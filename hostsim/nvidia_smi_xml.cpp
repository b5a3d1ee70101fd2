// nvidia-smi -q -x: the XML form of the detailed report (a subset of the real tool's elements:
// identity, PCI, fan, performance state, memory, compute mode, utilization, ECC, temperature,
// power, clocks, processes).
// Invariant: well-formed XML; element names follow the real tool's nvidia_smi_log layout.
#include <fmt/format.h>

#include "hostsim/clock_text.h"
#include "hostsim/nvidia_smi_common.h"

namespace aimicius::hostsim::nvsmi {
namespace {

struct XmlWriter {
  std::ostream& out;
  int depth = 0;
  void open(const std::string& tag, const std::string& attrs = "") {
    out << std::string(depth, '\t') << '<' << tag << (attrs.empty() ? "" : " " + attrs) << ">\n";
    ++depth;
  }
  void close(const std::string& tag) {
    --depth;
    out << std::string(depth, '\t') << "</" << tag << ">\n";
  }
  void leaf(const std::string& tag, const std::string& value) {
    std::string escaped;
    for (char c : value) {
      if (c == '&') escaped += "&amp;";
      else if (c == '<') escaped += "&lt;";
      else if (c == '>') escaped += "&gt;";
      else escaped += c;
    }
    out << std::string(depth, '\t') << '<' << tag << '>' << escaped << "</" << tag << ">\n";
  }
};

std::string mib(long v) { return fmt::format("{} MiB", v); }
std::string mhz(int v) { return fmt::format("{} MHz", v); }

void ecc_counts(XmlWriter& x, const char* tag, const EccCounts& c) {
  x.open(tag);
  x.leaf("sram_correctable", std::to_string(c.sram_correctable));
  x.leaf("sram_uncorrectable", std::to_string(c.sram_uncorrectable));
  x.leaf("dram_correctable", std::to_string(c.dram_correctable));
  x.leaf("dram_uncorrectable", std::to_string(c.dram_uncorrectable));
  x.close(tag);
}

void gpu_element(const Profile& p, const Gpu& g, XmlWriter& x) {
  const auto bus = bus_id(g);
  x.open("gpu", "id=\"" + bus + "\"");
  x.leaf("product_name", g.name);
  x.leaf("product_brand", g.brand);
  x.leaf("product_architecture", g.architecture);
  x.leaf("display_mode", "Disabled");
  x.leaf("display_active", "Disabled");
  x.leaf("persistence_mode", enabled_text(g.persistence_mode));
  x.open("mig_mode");
  x.leaf("current_mig", g.mig_mode);
  x.leaf("pending_mig", g.mig_mode);
  x.close("mig_mode");
  x.leaf("serial", g.serial);
  x.leaf("uuid", g.uuid);
  x.leaf("minor_number", std::to_string(g.index));
  x.leaf("vbios_version", g.vbios_version);
  x.open("pci");
  x.leaf("pci_bus", bus.substr(9, 2));
  x.leaf("pci_device", bus.substr(12, 2));
  x.leaf("pci_domain", bus.substr(0, 8));
  x.leaf("pci_device_id", g.pci_device_id);
  x.leaf("pci_bus_id", bus);
  x.leaf("pci_sub_system_id", g.pci_subsystem_id);
  x.open("pci_gpu_link_info");
  x.open("pcie_gen");
  x.leaf("max_link_gen", std::to_string(g.pcie_gen_max));
  x.leaf("current_link_gen", std::to_string(g.pcie_gen_current));
  x.close("pcie_gen");
  x.open("link_widths");
  x.leaf("max_link_width", fmt::format("{}x", g.pcie_width_max));
  x.leaf("current_link_width", fmt::format("{}x", g.pcie_width_current));
  x.close("link_widths");
  x.close("pci_gpu_link_info");
  x.close("pci");
  x.leaf("fan_speed", g.fan_percent ? fmt::format("{} %", *g.fan_percent) : "N/A");
  x.leaf("performance_state", g.pstate);
  x.open("fb_memory_usage");
  x.leaf("total", mib(g.memory_total_mib));
  x.leaf("reserved", mib(g.memory_reserved_mib));
  x.leaf("used", mib(g.memory_used_mib));
  x.leaf("free", mib(g.memory_total_mib - g.memory_reserved_mib - g.memory_used_mib));
  x.close("fb_memory_usage");
  x.leaf("compute_mode", g.compute_mode);
  x.open("utilization");
  x.leaf("gpu_util", fmt::format("{} %", g.utilization_gpu));
  x.leaf("memory_util", fmt::format("{} %", g.utilization_memory));
  x.leaf("encoder_util", fmt::format("{} %", g.utilization_encoder));
  x.leaf("decoder_util", fmt::format("{} %", g.utilization_decoder));
  x.close("utilization");
  x.open("ecc_mode");
  x.leaf("current_ecc", enabled_text(g.ecc_enabled));
  x.leaf("pending_ecc", enabled_text(g.ecc_enabled));
  x.close("ecc_mode");
  x.open("ecc_errors");
  ecc_counts(x, "volatile", g.ecc_volatile);
  ecc_counts(x, "aggregate", g.ecc_aggregate);
  x.close("ecc_errors");
  x.open("temperature");
  x.leaf("gpu_temp", fmt::format("{} C", g.temperature_gpu));
  x.leaf("gpu_temp_max_threshold", fmt::format("{} C", g.temperature_shutdown));
  x.leaf("gpu_temp_slow_threshold", fmt::format("{} C", g.temperature_slowdown));
  x.leaf("memory_temp", g.temperature_memory ? fmt::format("{} C", *g.temperature_memory) : "N/A");
  x.close("temperature");
  x.open("gpu_power_readings");
  x.leaf("power_draw", watts(g.power_draw_w));
  x.leaf("current_power_limit", watts(g.power_limit_w));
  x.leaf("default_power_limit", watts(g.power_default_limit_w));
  x.leaf("min_power_limit", watts(g.power_min_limit_w));
  x.leaf("max_power_limit", watts(g.power_max_limit_w));
  x.close("gpu_power_readings");
  x.open("clocks");
  x.leaf("graphics_clock", mhz(g.clocks.graphics_mhz));
  x.leaf("sm_clock", mhz(g.clocks.sm_mhz));
  x.leaf("mem_clock", mhz(g.clocks.memory_mhz));
  x.leaf("video_clock", mhz(g.clocks.video_mhz));
  x.close("clocks");
  x.open("max_clocks");
  x.leaf("graphics_clock", mhz(g.max_clocks.graphics_mhz));
  x.leaf("sm_clock", mhz(g.max_clocks.sm_mhz));
  x.leaf("mem_clock", mhz(g.max_clocks.memory_mhz));
  x.leaf("video_clock", mhz(g.max_clocks.video_mhz));
  x.close("max_clocks");
  x.open("processes");
  for (const auto* process : processes_on(p, g.index)) {
    x.open("process_info");
    x.leaf("gpu_instance_id", "N/A");
    x.leaf("compute_instance_id", "N/A");
    x.leaf("pid", std::to_string(process->pid));
    x.leaf("type", process->type);
    x.leaf("process_name", process->name);
    x.leaf("used_memory", mib(process->used_memory_mib));
    x.close("process_info");
  }
  x.close("processes");
  x.close("gpu");
}

}  // namespace

void print_query_xml(const Profile& profile, const std::vector<int>& gpus, std::ostream& out) {
  out << "<?xml version=\"1.0\" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM \"nvsmi_device_v12.dtd\">\n";
  XmlWriter x{out};
  x.open("nvidia_smi_log");
  x.leaf("timestamp", ctime_style(profile.timestamp));
  x.leaf("driver_version", profile.driver_version);
  x.leaf("cuda_version", profile.cuda_version);
  x.leaf("attached_gpus", std::to_string(profile.gpus.size()));
  for (int index : gpus) gpu_element(profile, profile.gpus.at(index), x);
  x.close("nvidia_smi_log");
}

}  // namespace aimicius::hostsim::nvsmi
