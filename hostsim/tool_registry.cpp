// The table of simulated tools (tools.h) and the installed-tools check.
#include <algorithm>

#include "hostsim/exit_codes.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {

const std::vector<ToolEntry>& simulated_tools() {
  static const std::vector<ToolEntry> tools = {
      {"nvidia-smi", run_nvidia_smi},   {"nvcc", run_nvcc},
      {"dcgmi", run_dcgmi},             {"rocm-smi", run_rocm_smi},
      {"amd-smi", run_amd_smi},         {"rocminfo", run_rocminfo},
      {"rocm_agent_enumerator", run_rocm_agent_enumerator},
      {"ibstat", run_ibstat},           {"ibstatus", run_ibstatus},
      {"ibv_devinfo", run_ibv_devinfo}, {"ibv_devices", run_ibv_devices},
      {"lspci", run_lspci},
  };
  return tools;
}

ToolFunction find_tool(const std::string& name) {
  for (const auto& tool : simulated_tools())
    if (name == tool.name) return tool.run;
  return nullptr;
}

int run_tool(const Profile& profile, const std::string& name, const Args& args, std::ostream& out,
             std::ostream& err) {
  const auto run = find_tool(name);
  const auto& installed = profile.installed_tools;
  if (!run || std::find(installed.begin(), installed.end(), name) == installed.end()) {
    err << name << ": command not found\n";
    return kExitCommandNotFound;
  }
  return run(profile, args, out, err);
}

int not_simulated(const std::string& tool, const std::string& option, std::ostream& err) {
  err << "aimicius-hostsim: " << tool << " option " << option << " is not simulated\n";
  return kExitNotSimulated;
}

}  // namespace aimicius::hostsim
