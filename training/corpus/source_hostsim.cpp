// Command documentation the project writes itself: the usage texts and sample outputs of the
// simulated tools (hostsim/), run in-process on every bundled host profile (datasets/hosts/*.json)
// with a fixed list of informational invocations. One document per (profile, invocation):
// "HOSTNAME$ COMMAND" on the first line, then what the tool printed (stdout, then stderr).
// Skipped: tools a profile does not install (exit 127) and requests outside the simulation
// (exit 64). Usage texts are the same on every host, so an output identical to one already
// written for the same command is not repeated. Profiles are taken in file-name order.
#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "training/corpus/sources.h"
#include "hostsim/profile_load.h"
#include "hostsim/tools.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

// Informational invocations only (no setters): what an operator types to learn about a host.
const char* const kInvocations[] = {
    "nvidia-smi -h",
    "nvidia-smi",
    "nvidia-smi -L",
    "nvidia-smi topo -m",
    "nvidia-smi -q -d MEMORY",
    "nvidia-smi -q -d TEMPERATURE",
    "nvidia-smi -q -d POWER",
    "nvidia-smi -q -d CLOCK",
    "nvidia-smi -q -d ECC",
    "nvidia-smi -q -d PERFORMANCE",
    "nvidia-smi -q -i 0",
    "nvidia-smi --help-query-gpu",
    "nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu --format=csv",
    "nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader",
    "nvidia-smi nvlink -s",
    "nvidia-smi dmon -c 2",
    "nvidia-smi pmon -c 1",
    "nvidia-smi mig -lgip",
    "nvcc --version",
    "nvcc --help",
    "nvcc --list-gpu-arch",
    "dcgmi discovery -l",
    "dcgmi group -l",
    "dcgmi health -g 0 -c",
    "dcgmi dmon -l",
    "dcgmi nvlink -s",
    "rocm-smi -h",
    "rocm-smi",
    "rocm-smi --showuse",
    "rocm-smi --showmemuse",
    "rocm-smi --showmeminfo vram",
    "rocm-smi --showtemp",
    "rocm-smi --showpower",
    "rocm-smi --showclocks",
    "rocm-smi --showtopo",
    "rocm-smi --showproductname",
    "rocm-smi --showdriverversion",
    "rocm-smi --showpids",
    "amd-smi --help",
    "amd-smi list",
    "amd-smi static",
    "amd-smi metric",
    "amd-smi topology",
    "amd-smi version",
    "rocminfo",
    "rocm_agent_enumerator",
    "ibstat",
    "ibstatus",
    "ibv_devices",
    "ibv_devinfo",
    "lspci",
    "lspci -tv",
    "all_reduce_perf -h",
    "all_reduce_perf -b 8 -e 256M -f 4 -g 8",
    "all_gather_perf -b 1M -e 1G -f 4 -g 8",
    "reduce_scatter_perf -b 1M -e 1G -f 4 -g 8",
    "alltoall_perf -b 1M -e 1G -f 4 -g 8",
    "sendrecv_perf -b 1M -e 1G -f 4 -g 2",
    "broadcast_perf -b 1M -e 1G -f 4 -g 8",
};

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

void add_tool_documents(const fs::path& data_dir, CorpusBuild& build) {
  const fs::path hosts = data_dir / "hosts";
  const std::vector<fs::path> files = host_profile_files(data_dir);
  if (files.empty()) {
    build.notes.push_back(fmt::format("{}: no host profiles; no tool documentation", hosts.string()));
    return;
  }
  std::set<std::pair<std::string, std::string>> seen;  // (command, output)
  for (const auto& file : files) {
    hostsim::Profile profile;
    try {
      profile = hostsim::load_profile(file.string());
    } catch (const hostsim::ProfileError& e) {
      throw InputError(e.what());
    }
    build.read.push_back({"", "hosts/" + file.filename().string(), "host-profile"});
    for (const char* invocation : kInvocations) {
      std::vector<std::string> words = split_words(invocation);
      const std::string tool = words.front();
      words.erase(words.begin());
      std::ostringstream out, err;
      const int status = hostsim::run_tool(profile, tool, words, out, err);
      if (status == 127 || status == 64) continue;
      const std::string output = out.str() + err.str();
      if (output.empty() || !seen.insert({invocation, output}).second) continue;
      build.documents.push_back({"tools/hostsim", fmt::format("{}:{}", profile.name, invocation),
                                 fmt::format("{}$ {}\n{}", profile.hostname, invocation, output)});
    }
  }
}

}  // namespace aimicius::corpus
