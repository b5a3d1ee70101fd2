// Scoring a generated command by running it: candidate and reference run in identical fresh
// sandboxes on the same simulated host (the project's hostsim tools answering from a host
// profile), and their behaviour is compared.
//
// execution_match = 1 when exit status, normalised stdout and the final work-dir state are all
// equal; a candidate whose work dir was not read in full (SandboxResult::work_dir_error: a bound
// of the sandbox reached) has no equal work dir. output_similarity = F1 of the multisets of whitespace-separated tokens of the two
// normalised stdouts (1 when both are empty; 0 when the candidate fails or times out): a graded
// score for near misses. An empty candidate is not run and scores 0 on both. Normalisation
// strips trailing spaces per line, "\r", and trailing blank lines.
// Both outputs are kept in the detail for reports. A reference that does not exit 0 is a data
// bug: std::invalid_argument with its stderr, as is a reference whose work dir reaches a bound.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/sandbox/sandbox.h"

namespace aimicius {

// Where simulated GPU/cluster tools come from inside the sandbox.
struct SimulatedHost {
  std::filesystem::path hostsim_binary;  // the aimicius-hostsim multi-call binary
  std::filesystem::path profile;         // a host profile, datasets/hosts/NAME.json
  std::vector<std::string> tools;        // names put on PATH, each a link to the binary
};

// The tools hostsim simulates, by the name a command calls them.
std::vector<std::string> default_simulated_tools();

// The host programs a scored command may use besides the simulated tools: the shell and a fixed
// set of coreutils and text tools that pipelines around the GPU tools use (`nvidia-smi ... | grep`,
// `| awk`, `| sort | uniq -c`, `xargs`, `tee FILE`). Nothing else of the host runs (no compilers,
// interpreters, package tools or the machine's own CUDA/ROCm installation), so what a command does
// depends on the simulated host alone. Left out on purpose: `date` (the machine's clock, never the
// simulated host's), interpreters (python3, perl: they run anything), and network tools.
const std::vector<std::string>& command_utilities();

// A sandbox request that runs `command` on the simulated host, with `fixture` in /work: the host
// sees command_utilities() from the machine and the simulated tools where real installs put them
// (/usr/bin and /usr/sbin for every tool, /usr/local/cuda/bin for nvcc, /opt/rocm/bin for the ROCm
// tools), so `nvidia-smi`, `/usr/bin/nvidia-smi` and `/usr/local/cuda/bin/nvcc` all run the
// simulation. PATH: /usr/local/cuda/bin:/opt/rocm/bin:/usr/local/bin:/usr/bin:/bin.
SandboxRequest simulated_host_request(const SimulatedHost& host, std::string command,
                                      const std::vector<SandboxFile>& fixture, const SandboxLimits& limits);

std::string normalize_output(std::string_view text);
double output_similarity(std::string_view a, std::string_view b);

struct CommandExecutionScore {
  double execution_match = 0.0;
  double output_similarity = 0.0;
  nlohmann::json detail;
  // For scorers that compare the outputs their own way (e.g. by embeddings): the normalised
  // stdouts, and whether the candidate ran and exited 0 within its limits.
  std::string reference_output;
  std::string candidate_output;
  bool candidate_succeeded = false;
};

CommandExecutionScore score_command_execution(const Sandbox& sandbox, const SimulatedHost& host,
                                              std::string_view candidate, std::string_view reference,
                                              const std::vector<SandboxFile>& fixture, const SandboxLimits& limits);

}  // namespace aimicius
