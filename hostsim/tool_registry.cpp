// The table of simulated tools (tools.h), the installed-tools check and the tool environment.
#include <algorithm>

#include "hostsim/collective_model.h"
#include "hostsim/exit_codes.h"
#include "hostsim/grammar/parsed_command.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

// One pair of entry points per collective test binary: with and without an environment.
template <int I>
int collective_env(const Profile& p, const Args& a, const ToolEnvironment& env, std::ostream& out, std::ostream& err) {
  return run_collective_test(collective_kinds()[I].tool, p, a, env, out, err);
}
template <int I>
int collective_plain(const Profile& p, const Args& a, std::ostream& out, std::ostream& err) {
  return collective_env<I>(p, a, ToolEnvironment{}, out, err);
}
int mpirun_plain(const Profile& p, const Args& a, std::ostream& out, std::ostream& err) {
  return run_mpirun(p, a, ToolEnvironment{}, out, err);
}

template <int I>
ToolEntry collective_entry() {
  return {collective_kinds()[I].tool, collective_plain<I>, collective_env<I>};
}

}  // namespace

const std::string* ToolEnvironment::find(const std::string& name) const {
  for (const auto& [key, value] : vars)
    if (key == name) return &value;
  return nullptr;
}

void ToolEnvironment::set(const std::string& name, const std::string& value) {
  for (auto& [key, old] : vars)
    if (key == name) {
      old = value;
      return;
    }
  vars.emplace_back(name, value);
}

const std::vector<std::string>& tool_environment_variables() {
  static const std::vector<std::string> names = {"CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
                                                 "ROCR_VISIBLE_DEVICES", "NCCL_DEBUG"};
  return names;
}

const std::vector<ToolEntry>& simulated_tools() {
  static const std::vector<ToolEntry> tools = [] {
    std::vector<ToolEntry> t = {
        {"nvidia-smi", run_nvidia_smi},   {"nvcc", run_nvcc},
        {"dcgmi", run_dcgmi},             {"rocm-smi", run_rocm_smi},
        {"amd-smi", run_amd_smi},         {"rocminfo", run_rocminfo},
        {"rocm_agent_enumerator", run_rocm_agent_enumerator},
        {"ibstat", run_ibstat},           {"ibstatus", run_ibstatus},
        {"ibv_devinfo", run_ibv_devinfo}, {"ibv_devices", run_ibv_devices},
        {"lspci", run_lspci},
    };
    static_assert(kCollectiveKindCount == 10, "one entry per collective kind below");
    for (const auto& e : {collective_entry<0>(), collective_entry<1>(), collective_entry<2>(), collective_entry<3>(),
                          collective_entry<4>(), collective_entry<5>(), collective_entry<6>(), collective_entry<7>(),
                          collective_entry<8>(), collective_entry<9>()})
      t.push_back(e);
    t.push_back({"mpirun", mpirun_plain, run_mpirun});
    return t;
  }();
  return tools;
}

ToolFunction find_tool(const std::string& name) {
  for (const auto& tool : simulated_tools())
    if (name == tool.name) return tool.run;
  return nullptr;
}

int run_tool(const Profile& profile, const std::string& name, const Args& args, std::ostream& out,
             std::ostream& err) {
  return run_tool(profile, name, args, ToolEnvironment{}, out, err);
}

int run_tool(const Profile& profile, const std::string& name, const Args& args, const ToolEnvironment& env,
             std::ostream& out, std::ostream& err) {
  const ToolEntry* entry = nullptr;
  for (const auto& tool : simulated_tools())
    if (name == tool.name) entry = &tool;
  const auto& installed = profile.installed_tools;
  if (!entry || std::find(installed.begin(), installed.end(), name) == installed.end()) {
    err << name << ": command not found\n";
    return kExitCommandNotFound;
  }
  // Every spelling the real tool accepts (synonyms, --opt=value, -ovalue, combined flags, option
  // order) reaches the tool as one canonical argv (hostsim/grammar/parsed_command.h).
  const Args canonical = grammar::canonical_argv(name, args);
  return entry->run_env ? entry->run_env(profile, canonical, env, out, err) : entry->run(profile, canonical, out, err);
}

int not_simulated(const std::string& tool, const std::string& option, std::ostream& err) {
  err << "aimicius-hostsim: " << tool << " option " << option << " is not simulated\n";
  return kExitNotSimulated;
}

}  // namespace aimicius::hostsim
