// aimicius-hostsim: the multi-call binary of the simulated host tools. It runs the tool named by
// basename(argv[0]) (symlinks nvidia-smi, rocm-smi, ... on PATH) or by `aimicius-hostsim TOOL
// ARGS...`, on the host profile named by $AIMICIUS_HOST_PROFILE (default /opt/aimicius/host.json).
// Invariant: output depends only on the profile, the arguments and the few environment variables
// listed by tool_environment_variables().
#include <cstdlib>
#include <iostream>
#include <string>

#include "hostsim/exit_codes.h"
#include "hostsim/profile_load.h"
#include "hostsim/tools.h"

namespace {

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int usage(std::ostream& err) {
  err << "usage: aimicius-hostsim TOOL [ARGS...]   (or run through a symlink named after the tool)\n"
         "tools:";
  for (const auto& tool : aimicius::hostsim::simulated_tools()) err << ' ' << tool.name;
  err << "\nThe host profile is read from $AIMICIUS_HOST_PROFILE (default /opt/aimicius/host.json).\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aimicius::hostsim;
  std::string tool = basename_of(argc > 0 ? argv[0] : "");
  int first_arg = 1;
  if (tool == "aimicius-hostsim") {
    if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") return usage(std::cerr);
    tool = basename_of(argv[1]);
    first_arg = 2;
  }
  if (!find_tool(tool)) {
    std::cerr << "aimicius-hostsim: " << tool << " is not a simulated tool\n";
    return usage(std::cerr);
  }
  const char* env_path = std::getenv("AIMICIUS_HOST_PROFILE");
  const std::string profile_path = (env_path && *env_path) ? env_path : "/opt/aimicius/host.json";
  Profile profile;
  try {
    profile = load_profile(profile_path);
  } catch (const ProfileError& e) {
    std::cerr << "aimicius-hostsim: " << e.what() << '\n';
    return kExitBadProfile;
  }
  const Args args(argv + first_arg, argv + argc);
  ToolEnvironment env;  // only the variables the simulation honours (tools.h)
  for (const auto& name : tool_environment_variables())
    if (const char* value = std::getenv(name.c_str())) env.set(name, value);
  const int status = run_tool(profile, tool, args, env, std::cout, std::cerr);
  std::cout.flush();
  return status;
}
