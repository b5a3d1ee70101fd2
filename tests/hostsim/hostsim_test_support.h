// Helpers of the hostsim tests: loading a bundled profile by name, running a tool function and
// capturing (status, stdout, stderr), and running the binary through sh with tool symlinks.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "hostsim/profile_load.h"
#include "hostsim/tools.h"
#include "../scratch_dir.h"

namespace aimicius::hostsim::testing {

inline std::string profile_path(const std::string& name) {
  return std::string(AIMICIUS_HOST_PROFILES_DIR) + "/" + name + ".json";
}

inline const Profile& bundled(const std::string& name) {
  static std::map<std::string, Profile> cache;  // test-only memo of immutable profiles
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, load_profile(profile_path(name))).first;
  return it->second;
}

struct Result {
  int status = -1;
  std::string out, err;
};

inline Result run(const std::string& profile, const std::string& tool, const Args& args) {
  std::ostringstream out, err;
  Result result;
  result.status = run_tool(bundled(profile), tool, args, out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A directory of symlinks named after every simulated tool, pointing at `binary`; one per test
// process, removed when it exits (ScratchDir), like every other scratch folder of the tests.
inline const std::filesystem::path& tool_links(const std::string& binary = AIMICIUS_HOSTSIM_BIN) {
  static const aimicius::testing::ScratchDir dir;
  static const bool linked = [&] {
    for (const auto& tool : simulated_tools()) {
      std::error_code ignored;
      std::filesystem::create_symlink(binary, dir / tool.name, ignored);
    }
    return true;
  }();
  (void)linked;
  return dir.path();
}

// Runs `command` with sh in `work_dir`, PATH starting with the tool symlinks.
inline Result run_shell(const std::string& profile_file, const std::string& command,
                        const std::filesystem::path& work_dir) {
  const auto out_file = work_dir / ".stdout", err_file = work_dir / ".stderr";
  const std::string script = "cd '" + work_dir.string() + "' && PATH='" + tool_links().string() +
                             ":/usr/bin:/bin' AIMICIUS_HOST_PROFILE='" + profile_file + "' sh -c '" + [&] {
                               std::string quoted;
                               for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
                               return quoted;
                             }() + "' >'" + out_file.string() + "' 2>'" + err_file.string() + "'";
  const int raw = std::system(script.c_str());
  Result result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream o(out_file), e(err_file);
  std::stringstream so, se;
  so << o.rdbuf();
  se << e.rdbuf();
  result.out = so.str();
  result.err = se.str();
  std::filesystem::remove(out_file);
  std::filesystem::remove(err_file);
  return result;
}

}  // namespace aimicius::hostsim::testing
