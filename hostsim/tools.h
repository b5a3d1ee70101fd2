// Entry points of the simulated tools and the registry that maps a command name onto one.
// Invariant: every tool is a pure function of (profile, args[, environment]) writing to out/err
// and returning the exit status; none touches global state (the collective tests and mpirun take
// the few environment variables they honour as an explicit ToolEnvironment, never via getenv) (the only side effect allowed is writing a file
// named by an explicit output-file option, such as nvidia-smi -f).
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "hostsim/profile.h"

namespace aimicius::hostsim {

using Args = std::vector<std::string>;
using ToolFunction = int (*)(const Profile&, const Args&, std::ostream&, std::ostream&);

// The environment variables a tool honours (CUDA_VISIBLE_DEVICES, NCCL_DEBUG, ...), as
// (name, value) pairs; main() fills it from the process environment for kEnvironmentVariables.
struct ToolEnvironment {
  std::vector<std::pair<std::string, std::string>> vars;
  // The value of `name`, or nullptr when unset.
  const std::string* find(const std::string& name) const;
  void set(const std::string& name, const std::string& value);
};
// The variables main() passes on to the tools (all others are ignored by the simulation).
const std::vector<std::string>& tool_environment_variables();
using EnvToolFunction = int (*)(const Profile&, const Args&, const ToolEnvironment&, std::ostream&, std::ostream&);

int run_nvidia_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_nvcc(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_dcgmi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_rocm_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_amd_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_rocminfo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_rocm_agent_enumerator(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_ibstat(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_ibstatus(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_ibv_devinfo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_ibv_devices(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_lspci(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
// nccl-tests / rccl-tests binaries (all_reduce_perf, ...; hostsim/collective_tests.cpp) and a
// single-node Open MPI launcher for them (hostsim/mpirun.cpp).
int run_collective_test(const std::string& tool, const Profile& profile, const Args& args,
                        const ToolEnvironment& env, std::ostream& out, std::ostream& err);
int run_mpirun(const Profile& profile, const Args& args, const ToolEnvironment& env, std::ostream& out,
               std::ostream& err);

struct ToolEntry {
  const char* name;
  ToolFunction run;               // called with an empty environment when run_env is set
  EnvToolFunction run_env = nullptr;  // tools that honour environment variables
};

const std::vector<ToolEntry>& simulated_tools();
// The tool of that name, or nullptr.
ToolFunction find_tool(const std::string& name);
// Runs `name` as the profile's host would: "command not found" (127) when the profile does not
// list it in installed_tools.
int run_tool(const Profile& profile, const std::string& name, const Args& args, std::ostream& out,
             std::ostream& err);
int run_tool(const Profile& profile, const std::string& name, const Args& args, const ToolEnvironment& env,
             std::ostream& out, std::ostream& err);

// "aimicius-hostsim: <tool> option <option> is not simulated", exit 64.
int not_simulated(const std::string& tool, const std::string& option, std::ostream& err);

}  // namespace aimicius::hostsim
