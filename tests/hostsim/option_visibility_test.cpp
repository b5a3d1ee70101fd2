// Every option value of the cmdgen references is visible in what the simulated tool does: for each
// reference of datasets/cmdgen/ that starts with a simulated tool and runs, each value in it (an
// option's value, a positional argument, a VAR=value prefix) is changed to other values of the same
// kind (a number +-1, a size doubled or halved or with another unit, another list member, another
// datatype/op/query field/section, another device name), and each changed command that behaves
// exactly like the reference (same exit status, stdout and written files) is an *invisible* value:
// a wrong answer that execution cannot tell apart. The test fails on any invisible value outside
// kAllowed, each of which says why the real tool prints the same.
// It prints, per tool, how many one-value-changed commands execution tells apart (the figures of
// the hostsim README). AIMICIUS_VISIBILITY_HOSTSIM and AIMICIUS_VISIBILITY_PROFILES point it at
// another build and profile folder (to measure an older hostsim the same way).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "dataset_commands.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

namespace fs = std::filesystem;

// Changed values that the real tool also ignores or prints identically, so that execution rightly
// cannot tell them apart (the command matcher must): (tool, option, text the reference contains,
// why). A tool ending in '*' names every tool with that prefix; "_perf" names every nccl-tests one.
struct Allowed {
  const char* tool;
  const char* option;  // the option whose value is changed (a VAR of a VAR=value prefix)
  const char* when;    // the reference contains this ("" for any)
  const char* why;
};
const std::vector<Allowed> kAllowed = {
    {"_perf", "-z", "-z 1", "a 0/1 switch: the real tool treats 2 as 1 (a right answer, not a wrong one)"},
    {"_perf", "-p", "-p 1", "a 0/1 switch: the real tool treats 2 as 1"},
    {"_perf", "-C", "-C 1", "a 0/1 switch: the real tool treats 2 as 1"},
    {"_perf", "HSA_FORCE_FINE_GRAIN_PCIE", "",
     "changes where RCCL allocates host memory; the real test prints the same header and, on XGMI-linked GCDs, "
     "no different bandwidth"},
    {"nvidia-smi", "-i", "driver_version", "the driver version is the host's: every GPU prints the same"},
    {"nvidia-smi", "-i", "clocks.max", "every GPU of a model has the same maximum clocks"},
    {"nvidia-smi", "-d", "-s m", "dmon -s m prints memory in use, which a running job keeps constant, and no time "
     "column without -o T: the real tool prints the same for another interval"},
    {"dcgmi", "-g", "health", "every group is healthy on the simulated host; the real report then names no group"},
    {"dcgmi", "-i", "diag -r", "the text report says Pass - All and the device ids, the same for any GPUs of one "
     "model (the JSON report, -j, lists the GPUs)"},
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// The symlinked tools point at the hostsim binary under test (another build's, when set).
const fs::path& tools_dir() { return testing::tool_links(env_or("AIMICIUS_VISIBILITY_HOSTSIM", AIMICIUS_HOSTSIM_BIN)); }

struct Outcome {
  int status = -1;
  std::string out;
  std::map<std::string, std::string> files;
  bool operator==(const Outcome& o) const { return status == o.status && out == o.out && files == o.files; }
};

Outcome run_command(const std::string& profile, const std::string& command) {
  static int counter = 0;
  const auto dir = fs::temp_directory_path() /
                   ("aimicius-visibility-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  const std::string profiles = env_or("AIMICIUS_VISIBILITY_PROFILES", AIMICIUS_HOST_PROFILES_DIR);
  std::string quoted;
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  const std::string script = "cd '" + dir.string() + "' && PATH='" + tools_dir().string() +
                             ":/usr/bin:/bin' AIMICIUS_HOST_PROFILE='" + profiles + "/" + profile +
                             ".json' sh -c '" + quoted + "' >.stdout 2>/dev/null";
  const int raw = std::system(script.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    if (e.path().filename() == ".stdout") o.out = text.str();
    else o.files[e.path().filename().string()] = text.str();
  }
  fs::remove_all(dir);
  return o;
}

const std::vector<std::string> kTypes = {"int8", "uint8", "int32", "uint32", "int64", "uint64",
                                         "half", "float", "double", "bfloat16"};
const std::vector<std::string> kOps = {"sum", "prod", "max", "min", "avg"};
// Interchangeable members of comma lists: query fields, -q -d sections, amd-smi/rocm-smi words.
const std::vector<std::vector<std::string>> kPools = {
    {"memory.used", "memory.total", "memory.free", "temperature.gpu", "power.draw", "utilization.gpu",
     "clocks.sm", "pci.bus_id", "serial", "uuid", "fan.speed", "pstate"},
    {"pid", "used_memory", "process_name", "gpu_uuid"},
    {"MEMORY", "UTILIZATION", "ECC", "TEMPERATURE", "POWER", "CLOCK", "PIDS", "PERFORMANCE"},
    {"vram", "vis_vram", "gtt", "all"},
};

std::vector<std::string> other_members(const std::string& value, const std::vector<std::string>& pool) {
  std::vector<std::string> others;
  for (const auto& member : pool)
    if (member != value && others.size() < 3) others.push_back(member);
  return others;
}

// Other values of the same kind as `value` (never an equivalent spelling of it).
std::vector<std::string> mutations(const std::string& value) {
  static const std::regex integer("[0-9]+"), size("([0-9]+)([KMGkmg])"), decimal("[0-9]+\\.[0-9]+"),
      device("([a-z_]+[a-z]_?)([0-9]+)");
  std::smatch m;
  std::vector<std::string> out;
  if (std::regex_match(value, integer)) {
    const long n = std::stol(value);
    out.push_back(std::to_string(n + 1));
    if (n > 0) out.push_back(std::to_string(n - 1));
    if (n > 1) out.push_back(std::to_string(n * 2));
    return out;
  }
  if (std::regex_match(value, m, size)) {
    const long n = std::stol(m[1]);
    const std::string unit = m[2];
    out.push_back(std::to_string(n * 2) + unit);
    if (n % 2 == 0) out.push_back(std::to_string(n / 2) + unit);
    out.push_back(std::to_string(n) + (unit == "K" || unit == "k" ? "M" : "K"));
    return out;
  }
  if (std::regex_match(value, decimal)) return {std::to_string(std::stod(value) * 2)};
  if (value == "all") return {"float", "sum", "half"};
  for (const auto* pool : {&kTypes, &kOps})
    if (std::find(pool->begin(), pool->end(), value) != pool->end()) return other_members(value, *pool);
  if (value.find(',') != std::string::npos) {
    const auto items = split(value, ',');
    // One member changed (a number +-1, another pool member) or dropped.
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (const auto& changed : mutations(items[i])) {
        auto copy = items;
        copy[i] = changed;
        std::string joined;
        for (const auto& item : copy) joined += (joined.empty() ? "" : ",") + item;
        if (std::find(items.begin(), items.end(), changed) == items.end()) out.push_back(joined);
        break;
      }
    }
    if (items.size() > 1) out.push_back(value.substr(0, value.rfind(',')));
    return out;
  }
  for (const auto& pool : kPools)
    if (std::find(pool.begin(), pool.end(), value) != pool.end()) return other_members(value, pool);
  if (std::regex_match(value, m, device)) return {m[1].str() + std::to_string(std::stol(m[2]) + 1)};
  return out;
}

struct Site {
  std::size_t word;       // index into the command's whitespace-separated words
  std::string prefix;     // kept before the value ("--maxbytes=", "CUDA_VISIBLE_DEVICES=")
  std::string value;
  std::string option;     // the option it belongs to ("" when positional)
};

bool is_pipe_or_redirect(const std::string& word) {
  return word == "|" || word == "||" || word == "&&" || word == ";" || word[0] == '>' || word[0] == '<';
}

// The values of the simulated tool's part of the command (up to the first pipe or redirect).
std::vector<Site> value_sites(const std::vector<std::string>& words) {
  std::vector<Site> sites;
  std::string last_option;
  bool in_tool = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (is_pipe_or_redirect(w)) break;
    if (!in_tool && w.find('=') != std::string::npos && w[0] != '-') {
      sites.push_back({i, w.substr(0, w.find('=') + 1), w.substr(w.find('=') + 1), w.substr(0, w.find('='))});
      continue;
    }
    if (!in_tool) {
      in_tool = true;
      continue;
    }
    if (w[0] == '-') {
      if (const auto eq = w.find('='); eq != std::string::npos) {
        sites.push_back({i, w.substr(0, eq + 1), w.substr(eq + 1), w.substr(0, eq)});
        last_option.clear();
      } else {
        last_option = w;
      }
      continue;
    }
    if (w.find('\'') != std::string::npos || w.find('"') != std::string::npos) continue;
    sites.push_back({i, "", w, last_option});
  }
  return sites;
}

bool allowed(const std::string& tool, const std::string& option, const std::string& reference) {
  for (const auto& a : kAllowed) {
    const std::string name = a.tool;
    const bool tool_matches = name == "_perf" ? ends_with(tool, "_perf") : tool == name;
    if (tool_matches && option == a.option && reference.find(a.when) != std::string::npos) return true;
  }
  return false;
}

TEST(OptionVisibility, ChangingAnyValueOfAReferenceChangesWhatItDoes) {
  const auto commands = testing::simulated_commands();
  struct Tally {
    int values = 0, changed = 0, told_apart = 0;
  };
  std::map<std::string, Tally> per_tool;
  std::vector<std::string> invisible;
  for (const auto& command : commands) {
    if (!command.execute) continue;
    std::istringstream split_words(command.command);
    std::vector<std::string> words;
    for (std::string w; split_words >> w;) words.push_back(w);
    // The profile the reference runs on (exit 0), as the coverage test picks it.
    std::string profile;
    Outcome reference;
    for (const auto& candidate : testing::candidate_profiles(command)) {
      reference = run_command(candidate, command.command);
      if (reference.status == 0) {
        profile = candidate;
        break;
      }
    }
    if (profile.empty()) continue;  // setters, compilations: they fail by design (coverage test)
    const std::string tool = command.words[0];
    for (const auto& site : value_sites(words)) {
      const auto changes = mutations(site.value);
      if (changes.empty()) continue;
      auto& tally = per_tool[tool];
      ++tally.values;
      for (const auto& changed : changes) {
        auto copy = words;
        copy[site.word] = site.prefix + changed;
        std::string mutated;
        for (const auto& w : copy) mutated += (mutated.empty() ? "" : " ") + w;
        ++tally.changed;
        if (!(run_command(profile, mutated) == reference)) {
          ++tally.told_apart;
          continue;
        }
        if (!allowed(tool, site.option, command.command))
          invisible.push_back(command.id + ": `" + command.command + "` -> `" + mutated + "` (" +
                              (site.option.empty() ? "positional" : site.option) + ")");
      }
    }
  }
  int changed = 0, told_apart = 0;
  for (const auto& [tool, t] : per_tool) {
    std::printf("  %-22s %3d values, %4d changed commands, %4d told apart\n", tool.c_str(), t.values, t.changed,
                t.told_apart);
    changed += t.changed;
    told_apart += t.told_apart;
  }
  std::printf("  %-22s %4d changed commands, %4d told apart\n", "all", changed, told_apart);
  EXPECT_GT(changed, 300);
  std::string list;
  for (const auto& line : invisible) list += "  " + line + "\n";
  EXPECT_TRUE(invisible.empty()) << invisible.size() << " changed values execution cannot tell apart:\n" << list;
}

}  // namespace
}  // namespace aimicius::hostsim
