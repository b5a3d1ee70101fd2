// nvidia-smi's default summary table and -L list.
// Invariant: the table is 91 columns wide (three GPU cells of 41, 24 and 22 characters), one
// three-line block per selected GPU, then the process table of the selected GPUs.
#include <fmt/format.h>

#include "hostsim/clock_text.h"
#include "hostsim/nvidia_smi_common.h"

namespace aimicius::hostsim::nvsmi {
namespace {

const std::string kFullRule = "+" + std::string(89, '-') + "+";
const std::string kCellRule = "+" + std::string(41, '-') + "+" + std::string(24, '-') + "+" + std::string(22, '-') + "+";

std::string fit(const std::string& text, std::size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

std::string ecc_cell(const Gpu& gpu) {
  if (!gpu.ecc_enabled) return "Off";
  return std::to_string(gpu.ecc_volatile.sram_uncorrectable + gpu.ecc_volatile.dram_uncorrectable);
}

void print_gpu_block(const Gpu& gpu, std::ostream& out) {
  out << fmt::format("|{:>4}  {:<29}{:>4}  |{:>19} {:>3} |{:>21} |\n", gpu.index, fit(gpu.name, 29),
                     gpu.persistence_mode ? "On" : "Off", bus_id(gpu), "Off", ecc_cell(gpu));
  const std::string fan = gpu.fan_percent ? std::to_string(*gpu.fan_percent) + "%" : "N/A";
  out << fmt::format("| {:>3} {:>5} {:>5} {:>15} / {:>5} |{:>10} / {:>10} |{:>8} {:>12} |\n", fan,
                     std::to_string(gpu.temperature_gpu) + "C", gpu.pstate,
                     fmt::format("{:.0f}W", gpu.power_draw_w), fmt::format("{:.0f}W", gpu.power_limit_w),
                     std::to_string(gpu.memory_used_mib) + "MiB", std::to_string(gpu.memory_total_mib) + "MiB",
                     std::to_string(gpu.utilization_gpu) + "%", gpu.compute_mode);
  out << fmt::format("|{:41}|{:24}|{:>21} |\n", "", "", gpu.mig_mode);
  out << kCellRule << '\n';
}

void print_processes(const Profile& profile, const std::vector<int>& gpus, std::ostream& out) {
  out << kFullRule << '\n';
  out << fmt::format("|{:<89}|\n", " Processes:");
  out << fmt::format("|{:<89}|\n", "  GPU   GI   CI        PID   Type   Process name                              GPU Memory");
  out << fmt::format("|{:<89}|\n", "        ID   ID                                                               Usage");
  out << "|" << std::string(89, '=') << "|\n";
  bool any = false;
  for (int index : gpus)
    for (const auto* process : processes_on(profile, index)) {
      any = true;
      out << fmt::format("|{:<89}|\n", fmt::format("  {:>3}   N/A  N/A  {:>9}  {:>5}   {:<40}{:>10}", index,
                                                   process->pid, process->type, fit(process->name, 40),
                                                   std::to_string(process->used_memory_mib) + "MiB"));
    }
  if (!any) out << fmt::format("|{:<89}|\n", "  No running processes found");
  out << kFullRule << '\n';
}

}  // namespace

void print_gpu_list(const Profile& profile, const std::vector<int>& gpus, std::ostream& out) {
  for (int index : gpus) {
    const auto& gpu = profile.gpus.at(index);
    out << "GPU " << gpu.index << ": " << gpu.name << " (UUID: " << gpu.uuid << ")\n";
  }
}

void print_summary_table(const Profile& profile, const std::vector<int>& gpus, std::ostream& out) {
  out << ctime_style(profile.timestamp) << "       \n";
  out << kFullRule << '\n';
  out << fmt::format("| NVIDIA-SMI {:<23}Driver Version: {:<15}CUDA Version: {:<9}|\n", profile.driver_version,
                     profile.driver_version, profile.cuda_version);
  out << "|" << std::string(41, '-') << "+" << std::string(24, '-') << "+" << std::string(22, '-') << "+\n";
  out << "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |\n";
  out << "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |\n";
  out << "|                                         |                        |               MIG M. |\n";
  out << "|" << std::string(41, '=') << "+" << std::string(24, '=') << "+" << std::string(22, '=') << "|\n";
  for (int index : gpus) print_gpu_block(profile.gpus.at(index), out);
  out << std::string(91, ' ') << '\n';
  print_processes(profile, gpus, out);
}

}  // namespace aimicius::hostsim::nvsmi
