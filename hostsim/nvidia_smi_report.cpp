// nvidia-smi -q: the detailed text report, whole or limited to -d sections.
// Invariants: keys are padded so that the colon sits in column 42 at every indent level (4
// spaces per level); a section is printed only when the full report or its -d name asks for
// it; the log header (timestamp, driver, CUDA, attached GPUs) is always printed.
#include <functional>
#include <map>

#include <fmt/format.h>

#include "hostsim/clock_text.h"
#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {
namespace {

struct ReportWriter {
  std::ostream& out;
  void kv(int level, const std::string& key, const std::string& value) const {
    const std::string left = std::string(4 * level, ' ') + key;
    out << fmt::format("{:<42}: {}\n", left, value);
  }
  void title(int level, const std::string& name) const { out << std::string(4 * level, ' ') << name << '\n'; }
};

std::string mib(long v) { return fmt::format("{} MiB", v); }
std::string mhz(int v) { return fmt::format("{} MHz", v); }
std::string celsius(int v) { return fmt::format("{} C", v); }
std::string opt_celsius(const std::optional<int>& v) { return v ? celsius(*v) : "N/A"; }
std::string or_na(const std::string& v) { return v.empty() ? "N/A" : v; }

void identity(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.kv(1, "Product Name", g.name);
  w.kv(1, "Product Brand", or_na(g.brand));
  w.kv(1, "Product Architecture", or_na(g.architecture));
  w.kv(1, "Display Mode", "Disabled");
  w.kv(1, "Display Active", "Disabled");
  w.kv(1, "Persistence Mode", enabled_text(g.persistence_mode));
  w.title(1, "MIG Mode");
  w.kv(2, "Current", g.mig_mode);
  w.kv(2, "Pending", g.mig_mode);
}

void accounting(const Profile&, const Gpu&, const ReportWriter& w) {
  w.kv(1, "Accounting Mode", "Disabled");
  w.kv(1, "Accounting Mode Buffer Size", "4000");
}

void board(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "Driver Model");
  w.kv(2, "Current", "N/A");
  w.kv(2, "Pending", "N/A");
  w.kv(1, "Serial Number", or_na(g.serial));
  w.kv(1, "GPU UUID", g.uuid);
  w.kv(1, "Minor Number", std::to_string(g.index));
  w.kv(1, "VBIOS Version", or_na(g.vbios_version));
  w.kv(1, "MultiGPU Board", "No");
  w.kv(1, "Board ID", or_na(g.board_id));
  w.kv(1, "GPU Part Number", or_na(g.part_number));
  w.title(1, "GPU Virtualization Mode");
  w.kv(2, "Virtualization Mode", "None");
  w.kv(2, "Host VGPU Mode", "N/A");
}

void pci(const Profile&, const Gpu& g, const ReportWriter& w) {
  const auto bus = bus_id(g);
  w.title(1, "PCI");
  w.kv(2, "Bus", "0x" + bus.substr(9, 2));
  w.kv(2, "Device", "0x" + bus.substr(12, 2));
  w.kv(2, "Domain", "0x" + bus.substr(4, 4));
  w.kv(2, "Device Id", or_na(g.pci_device_id));
  w.kv(2, "Bus Id", bus);
  w.kv(2, "Sub System Id", or_na(g.pci_subsystem_id));
  w.title(2, "GPU Link Info");
  w.title(3, "PCIe Generation");
  w.kv(4, "Max", std::to_string(g.pcie_gen_max));
  w.kv(4, "Current", std::to_string(g.pcie_gen_current));
  w.title(3, "Link Width");
  w.kv(4, "Max", fmt::format("{}x", g.pcie_width_max));
  w.kv(4, "Current", fmt::format("{}x", g.pcie_width_current));
  w.kv(2, "Replays Since Reset", std::to_string(g.pcie_replay_count));
  w.kv(1, "Fan Speed", g.fan_percent ? fmt::format("{} %", *g.fan_percent) : "N/A");
}

void performance(const Profile&, const Gpu& g, const ReportWriter& w) {
  const bool idle = g.utilization_gpu == 0;
  w.kv(1, "Performance State", g.pstate);
  w.title(1, "Clocks Event Reasons");
  w.kv(2, "Idle", idle ? "Active" : "Not Active");
  w.kv(2, "Applications Clocks Setting", "Not Active");
  w.kv(2, "SW Power Cap", "Not Active");
  w.kv(2, "HW Slowdown", "Not Active");
  w.kv(3, "HW Thermal Slowdown", "Not Active");
  w.kv(3, "HW Power Brake Slowdown", "Not Active");
  w.kv(2, "Sync Boost", "Not Active");
  w.kv(2, "SW Thermal Slowdown", "Not Active");
  w.kv(2, "Display Clock Setting", "Not Active");
}

void memory(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "FB Memory Usage");
  w.kv(2, "Total", mib(g.memory_total_mib));
  w.kv(2, "Reserved", mib(g.memory_reserved_mib));
  w.kv(2, "Used", mib(g.memory_used_mib));
  w.kv(2, "Free", mib(g.memory_total_mib - g.memory_reserved_mib - g.memory_used_mib));
  w.title(1, "BAR1 Memory Usage");
  w.kv(2, "Total", mib(g.bar1_total_mib));
  w.kv(2, "Used", mib(g.bar1_used_mib));
  w.kv(2, "Free", mib(g.bar1_total_mib - g.bar1_used_mib));
}

void compute(const Profile&, const Gpu& g, const ReportWriter& w) { w.kv(1, "Compute Mode", g.compute_mode); }

void utilization(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "Utilization");
  w.kv(2, "Gpu", fmt::format("{} %", g.utilization_gpu));
  w.kv(2, "Memory", fmt::format("{} %", g.utilization_memory));
  w.kv(2, "Encoder", fmt::format("{} %", g.utilization_encoder));
  w.kv(2, "Decoder", fmt::format("{} %", g.utilization_decoder));
}

void encoder_stats(const Profile&, const Gpu&, const ReportWriter& w) {
  w.title(1, "Encoder Stats");
  w.kv(2, "Active Sessions", "0");
  w.kv(2, "Average FPS", "0");
  w.kv(2, "Average Latency", "0");
}

void fbc_stats(const Profile&, const Gpu&, const ReportWriter& w) {
  w.title(1, "FBC Stats");
  w.kv(2, "Active Sessions", "0");
  w.kv(2, "Average FPS", "0");
  w.kv(2, "Average Latency", "0");
}

void ecc_block(const EccCounts& c, int level, const ReportWriter& w) {
  w.kv(level, "SRAM Correctable", std::to_string(c.sram_correctable));
  w.kv(level, "SRAM Uncorrectable", std::to_string(c.sram_uncorrectable));
  w.kv(level, "DRAM Correctable", std::to_string(c.dram_correctable));
  w.kv(level, "DRAM Uncorrectable", std::to_string(c.dram_uncorrectable));
}

void ecc(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "ECC Mode");
  w.kv(2, "Current", enabled_text(g.ecc_enabled));
  w.kv(2, "Pending", enabled_text(g.ecc_enabled));
  w.title(1, "ECC Errors");
  w.title(2, "Volatile");
  ecc_block(g.ecc_volatile, 3, w);
  w.title(2, "Aggregate");
  ecc_block(g.ecc_aggregate, 3, w);
}

void page_retirement(const Profile&, const Gpu&, const ReportWriter& w) {
  w.kv(1, "Retired Pages", "N/A");
}

void row_remapper(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "Remapped Rows");
  w.kv(2, "Correctable Error", std::to_string(g.remapped_rows_correctable));
  w.kv(2, "Uncorrectable Error", std::to_string(g.remapped_rows_uncorrectable));
  w.kv(2, "Pending", "No");
  w.kv(2, "Remapping Failure Occurred", "No");
}

void temperature(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "Temperature");
  w.kv(2, "GPU Current Temp", celsius(g.temperature_gpu));
  w.kv(2, "GPU T.Limit Temp", "N/A");
  w.kv(2, "GPU Shutdown Temp", celsius(g.temperature_shutdown));
  w.kv(2, "GPU Slowdown Temp", celsius(g.temperature_slowdown));
  w.kv(2, "GPU Max Operating Temp", celsius(g.temperature_max_operating));
  w.kv(2, "GPU Target Temperature", "N/A");
  w.kv(2, "Memory Current Temp", opt_celsius(g.temperature_memory));
  w.kv(2, "Memory Max Operating Temp", opt_celsius(g.temperature_memory_max));
}

void power(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "GPU Power Readings");
  w.kv(2, "Power Draw", watts(g.power_draw_w));
  w.kv(2, "Current Power Limit", watts(g.power_limit_w));
  w.kv(2, "Requested Power Limit", watts(g.power_limit_w));
  w.kv(2, "Default Power Limit", watts(g.power_default_limit_w));
  w.kv(2, "Min Power Limit", watts(g.power_min_limit_w));
  w.kv(2, "Max Power Limit", watts(g.power_max_limit_w));
}

void clock(const Profile&, const Gpu& g, const ReportWriter& w) {
  w.title(1, "Clocks");
  w.kv(2, "Graphics", mhz(g.clocks.graphics_mhz));
  w.kv(2, "SM", mhz(g.clocks.sm_mhz));
  w.kv(2, "Memory", mhz(g.clocks.memory_mhz));
  w.kv(2, "Video", mhz(g.clocks.video_mhz));
  w.title(1, "Applications Clocks");
  w.kv(2, "Graphics", mhz(g.application_clocks.graphics_mhz));
  w.kv(2, "Memory", mhz(g.application_clocks.memory_mhz));
  w.title(1, "Default Applications Clocks");
  w.kv(2, "Graphics", mhz(g.application_clocks.graphics_mhz));
  w.kv(2, "Memory", mhz(g.application_clocks.memory_mhz));
  w.title(1, "Max Clocks");
  w.kv(2, "Graphics", mhz(g.max_clocks.graphics_mhz));
  w.kv(2, "SM", mhz(g.max_clocks.sm_mhz));
  w.kv(2, "Memory", mhz(g.max_clocks.memory_mhz));
  w.kv(2, "Video", mhz(g.max_clocks.video_mhz));
  w.title(1, "Clock Policy");
  w.kv(2, "Auto Boost", "N/A");
  w.kv(2, "Auto Boost Default", "N/A");
}

void pids(const Profile& p, const Gpu& g, const ReportWriter& w) {
  const auto running = processes_on(p, g.index);
  if (running.empty()) {
    w.kv(1, "Processes", "None");
    return;
  }
  w.title(1, "Processes");
  for (const auto* process : running) {
    w.kv(2, "GPU instance ID", "N/A");
    w.kv(2, "Compute instance ID", "N/A");
    w.kv(2, "Process ID", std::to_string(process->pid));
    w.kv(3, "Type", process->type);
    w.kv(3, "Name", process->name);
    w.kv(3, "Used GPU Memory", mib(process->used_memory_mib));
  }
}

using Section = void (*)(const Profile&, const Gpu&, const ReportWriter&);

struct NamedSection {
  const char* display_name;  // -d name; nullptr: only in the full report
  Section print;
};

// In the order of the full report.
const std::vector<NamedSection>& sections() {
  static const std::vector<NamedSection> all = {
      {nullptr, identity},          {"ACCOUNTING", accounting},   {nullptr, board},
      {nullptr, pci},               {"PERFORMANCE", performance}, {"MEMORY", memory},
      {"COMPUTE", compute},         {"UTILIZATION", utilization}, {"ENCODER_STATS", encoder_stats},
      {"FBC_STATS", fbc_stats},     {"ECC", ecc},                 {"PAGE_RETIREMENT", page_retirement},
      {"ROW_REMAPPER", row_remapper}, {"TEMPERATURE", temperature}, {"POWER", power},
      {"CLOCK", clock},             {"PIDS", pids},
  };
  return all;
}

bool known_section(const std::string& name) {
  for (const auto& section : sections())
    if (section.display_name && name == section.display_name) return true;
  return false;
}

}  // namespace

int print_query_report(const Profile& profile, const std::vector<int>& gpus,
                       const std::vector<std::string>& wanted, std::ostream& out, std::ostream& err) {
  for (const auto& name : wanted)
    if (!known_section(name)) {
      if (name == "SUPPORTED_CLOCKS" || name == "VOLTAGE" || name == "RESET_STATUS" ||
          name == "GSP_FIRMWARE_VERSION" || name == "POWER_SMOOTHING" || name == "POWER_PROFILES")
        return not_simulated("nvidia-smi", "-d " + name, err);
      return invalid_arguments(err);
    }
  const ReportWriter w{out};
  out << "\n==============NVSMI LOG==============\n\n";
  w.kv(0, "Timestamp", ctime_style(profile.timestamp));
  w.kv(0, "Driver Version", profile.driver_version);
  w.kv(0, "CUDA Version", profile.cuda_version);
  out << '\n';
  w.kv(0, "Attached GPUs", std::to_string(profile.gpus.size()));
  for (int index : gpus) {
    const auto& gpu = profile.gpus.at(index);
    out << "GPU " << bus_id(gpu) << '\n';
    for (const auto& section : sections()) {
      const bool in_full = wanted.empty();
      bool asked = false;
      for (const auto& name : wanted)
        if (section.display_name && name == section.display_name) asked = true;
      if (in_full || asked) section.print(profile, gpu, w);
    }
    out << '\n';
  }
  return kExitOk;
}

}  // namespace aimicius::hostsim::nvsmi
