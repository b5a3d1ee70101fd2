// The per-family grammar tables behind all_grammars() (option_grammar.h), and the helper that
// builds one ToolGrammar from the compact notation. Private to hostsim/grammar/.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hostsim/grammar/option_grammar.h"

namespace aimicius::grammar {

struct SubcommandSpec {
  std::string words;    // "topo", "benchmark list"
  std::string options;  // compact notation
  bool nested = false;  // its first positional starts a command (nsys profile ./app ...)
};

ToolGrammar make_tool(std::vector<std::string> names, Style style, std::string install_dir, const std::string& global,
                      const std::vector<SubcommandSpec>& subcommands = {}, bool nested = false);

// GPU tools: nvidia-smi, dcgmi, nvcc, nsys, ncu, rocm-smi, amd-smi, hipcc, nccl/rccl-tests, ...
void add_gpu_tool_grammars(std::vector<ToolGrammar>& out);
// Cluster and Linux tools: mpirun, perftest, InfiniBand diagnostics, util-linux, coreutils, ...
void add_system_tool_grammars(std::vector<ToolGrammar>& out);

}  // namespace aimicius::grammar
