// Implementation of nvidia_smi_common.h's helpers.
#include "hostsim/nvidia_smi_common.h"

#include <algorithm>

#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {
namespace {

// "0000:18:00.0" / "00000000:18:00.0" / "18:00.0" -> "18:00.0" (lower case)
std::string short_bus(const std::string& text) {
  const auto lower = to_lower(text);
  const auto parts = split(lower, ':');
  if (parts.size() < 2) return lower;
  return parts[parts.size() - 2] + ":" + parts.back();
}

std::optional<int> resolve_one(const Profile& profile, const std::string& id) {
  if (const auto index = parse_long(id)) {
    if (*index >= 0 && *index < static_cast<long>(profile.gpus.size())) return static_cast<int>(*index);
    return std::nullopt;
  }
  for (const auto& gpu : profile.gpus) {
    if (to_lower(gpu.uuid) == to_lower(id)) return gpu.index;
    if (id.find(':') != std::string::npos && short_bus(gpu.pci_bus_id) == short_bus(id)) return gpu.index;
  }
  return std::nullopt;
}

}  // namespace

std::string bus_id(const Gpu& gpu) {
  const auto parts = split(gpu.pci_bus_id, ':');
  std::string domain = parts.size() == 3 ? parts[0] : "0000";
  const std::string rest = parts.size() == 3 ? parts[1] + ":" + parts[2] : gpu.pci_bus_id;
  while (domain.size() < 8) domain = "0" + domain;
  return to_upper(domain + ":" + rest);
}

std::optional<std::vector<int>> select_gpus(const Profile& profile, const std::string& id_text) {
  std::vector<int> selected;
  for (const auto& id : split(id_text, ',')) {
    const auto index = resolve_one(profile, trim(id));
    if (!index) return std::nullopt;
    if (std::find(selected.begin(), selected.end(), *index) == selected.end()) selected.push_back(*index);
  }
  std::sort(selected.begin(), selected.end());
  return selected;
}

std::vector<int> all_gpus(const Profile& profile) {
  std::vector<int> gpus;
  for (const auto& gpu : profile.gpus) gpus.push_back(gpu.index);
  return gpus;
}

std::string enabled_text(bool on) { return on ? "Enabled" : "Disabled"; }

std::string watts(double value) { return fmt::format("{:.2f} W", value); }

std::vector<const GpuProcess*> processes_on(const Profile& profile, int gpu_index) {
  std::vector<const GpuProcess*> found;
  for (const auto& process : profile.processes)
    if (process.gpu_index == gpu_index) found.push_back(&process);
  return found;
}

int invalid_arguments(std::ostream& err) {
  err << "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n";
  return kNvsmiInvalidArgument;
}

int no_devices(std::ostream& err) {
  err << "No devices were found\n";
  return kNvsmiNotFound;
}

}  // namespace aimicius::hostsim::nvsmi
