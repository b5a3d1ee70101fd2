#include "scorers/command/command_execution.h"

#include <map>
#include <sstream>

#include <fmt/format.h>

#include "hostsim/tools.h"

namespace aimicius {
namespace {

constexpr const char* kBinary = "/opt/aimicius/bin/aimicius-hostsim";
constexpr const char* kProfile = "/opt/aimicius/host.json";

std::map<std::string, int> token_counts(std::string_view text) {
  std::map<std::string, int> counts;
  std::istringstream in{std::string(text)};
  for (std::string token; in >> token;) ++counts[token];
  return counts;
}

nlohmann::json run_detail(const SandboxResult& r) {
  nlohmann::json detail = {{"exit_code", r.exit_code},     {"signal", r.term_signal},
                           {"timed_out", r.timed_out},     {"stdout", r.stdout_text},
                           {"stderr", r.stderr_text},      {"stdout_truncated", r.stdout_truncated},
                           {"wall_seconds", r.wall_seconds}};
  if (!r.work_dir_error.empty()) detail["work_dir_error"] = r.work_dir_error;
  return detail;
}

}  // namespace

std::vector<std::string> default_simulated_tools() {
  std::vector<std::string> names;
  for (const auto& tool : hostsim::simulated_tools()) names.push_back(tool.name);
  return names;
}

const std::vector<std::string>& command_utilities() {
  static const std::vector<std::string> names = {
      "sh",   "cat",  "echo",  "printf", "head",  "tail",     "grep",  "egrep",  "fgrep", "sort",
      "uniq", "wc",   "cut",   "tr",     "sed",   "awk",      "tee",   "xargs",  "ls",    "env",
      "true", "false", "sleep", "seq",   "paste", "nl",       "tac",   "rev",    "fold",  "expr",
      "test", "[",    "basename", "dirname", "mkdir", "rm",   "cp",    "mv",     "touch", "column",
      "comm", "join", "diff",  "cmp",    "od",    "timeout",  "yes",   "which",  "readlink", "stat"};
  return names;
}

namespace {

// Where real installations put the tool of that name, besides /usr/bin and /usr/sbin.
const char* install_dir(const std::string& tool) {
  if (tool == "nvcc") return "/usr/local/cuda/bin";
  if (tool == "rocm-smi" || tool == "amd-smi" || tool == "rocminfo" || tool == "rocm_agent_enumerator")
    return "/opt/rocm/bin";
  return nullptr;
}

}  // namespace

SandboxRequest simulated_host_request(const SimulatedHost& host, std::string command,
                                      const std::vector<SandboxFile>& fixture, const SandboxLimits& limits) {
  SandboxRequest r;
  r.command = std::move(command);
  r.files = fixture;
  r.limits = limits;
  r.host_executables = command_utilities();
  r.binds = {{host.hostsim_binary, kBinary}, {host.profile, kProfile}};
  r.dirs = {"/usr/local/cuda/bin", "/opt/rocm/bin"};
  for (const auto& tool : host.tools) {
    for (const char* dir : {"/usr/bin", "/usr/sbin"}) r.symlinks.emplace_back(kBinary, fmt::format("{}/{}", dir, tool));
    if (const char* dir = install_dir(tool)) r.symlinks.emplace_back(kBinary, fmt::format("{}/{}", dir, tool));
  }
  r.path_dirs = {"/usr/local/cuda/bin", "/opt/rocm/bin"};
  r.env = {{"AIMICIUS_HOST_PROFILE", kProfile}};
  return r;
}

std::string normalize_output(std::string_view text) {
  std::string out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
    out += line;
    out += '\n';
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  if (out == "\n") out.clear();
  return out;
}

double output_similarity(std::string_view a, std::string_view b) {
  const auto ca = token_counts(a), cb = token_counts(b);
  int64_t na = 0, nb = 0, common = 0;
  for (const auto& [t, n] : ca) na += n;
  for (const auto& [t, n] : cb) nb += n;
  if (na == 0 && nb == 0) return 1.0;
  for (const auto& [t, n] : ca)
    if (auto it = cb.find(t); it != cb.end()) common += std::min(n, it->second);
  return 2.0 * static_cast<double>(common) / static_cast<double>(na + nb);
}

CommandExecutionScore score_command_execution(const Sandbox& sandbox, const SimulatedHost& host,
                                              std::string_view candidate, std::string_view reference,
                                              const std::vector<SandboxFile>& fixture, const SandboxLimits& limits) {
  const SandboxResult ref = sandbox.run(simulated_host_request(host, std::string(reference), fixture, limits));
  if (ref.exit_code != 0 || ref.timed_out)
    throw std::invalid_argument(fmt::format("reference command `{}` failed on {} (exit {}, signal {}{}): {}", reference,
                                            host.profile.filename().string(), ref.exit_code, ref.term_signal,
                                            ref.timed_out ? ", timed out" : "", ref.stderr_text.substr(0, 500)));
  if (!ref.work_dir_error.empty())
    throw std::invalid_argument(fmt::format("reference command `{}` on {}: {}", reference,
                                            host.profile.filename().string(), ref.work_dir_error));
  CommandExecutionScore score;
  score.detail = {{"reference", run_detail(ref)}};
  score.reference_output = normalize_output(ref.stdout_text);
  if (candidate.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    score.detail["candidate"] = nullptr;
    return score;  // no command: nothing to run, 0 on both
  }
  const SandboxResult cand = sandbox.run(simulated_host_request(host, std::string(candidate), fixture, limits));
  const std::string ref_out = normalize_output(ref.stdout_text), cand_out = normalize_output(cand.stdout_text);
  const bool same_status = cand.exit_code == ref.exit_code && cand.term_signal == ref.term_signal && !cand.timed_out;
  const bool same_stdout = cand_out == ref_out;
  // A work dir not read in full (a bound reached, or full) matches nothing: the reference's never is.
  const bool same_files = cand.work_dir_error.empty() && cand.work_dir == ref.work_dir;
  score.execution_match = same_status && same_stdout && same_files ? 1.0 : 0.0;
  score.output_similarity = cand.exit_code == 0 && !cand.timed_out ? output_similarity(cand_out, ref_out) : 0.0;
  score.candidate_output = cand_out;
  score.candidate_succeeded = cand.exit_code == 0 && !cand.timed_out;
  score.detail["candidate"] = run_detail(cand);
  score.detail["same_status"] = same_status;
  score.detail["same_stdout"] = same_stdout;
  score.detail["same_work_dir"] = same_files;
  return score;
}

}  // namespace aimicius
