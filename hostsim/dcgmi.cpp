// dcgmi (DCGM command line): discovery -l, group -l/-c, health -g N -c/-s, diag -r 1|2|3
// [-i GPUS] [-j], dmon -l / -e FIELDS [-i GPUS] [-c N] [-d MS], nvlink -s / -g GPU -e.
// Invariants: the host engine is the profile (no state kept between runs: group -c reports the
// next free id, 2); diag runs always pass (the simulated hardware is healthy); dmon prints
// -c samples (profile.loop_samples and unbounded_loop_note without -c or with -c 0), sample k
// taken k x -d ms (default 1000) after the profile's timestamp on the virtual clock
// (hostsim/virtual_clock.h), without sleeping; unknown sub-commands or options fail with a usage
// error (exit 255, as DCGM's argument parser does).
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"
#include "hostsim/virtual_clock.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

constexpr int kDcgmUsage = 255;

int usage(const std::string& what, std::ostream& err) {
  err << "PARSE ERROR:\n             " << what << "\n\nFor complete USAGE and HELP type:\n   dcgmi --help\n\n";
  return kDcgmUsage;
}

// Option lookup over "-x VALUE" / "--long VALUE" / "--long=VALUE".
struct Options {
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::string> flags;
  bool has(const std::string& a, const std::string& b = "") const {
    for (const auto& f : flags)
      if (f == a || (!b.empty() && f == b)) return true;
    for (const auto& [k, v] : values)
      if (k == a || (!b.empty() && k == b)) return true;
    return false;
  }
  std::string get(const std::string& a, const std::string& b = "") const {
    for (const auto& [k, v] : values)
      if (k == a || (!b.empty() && k == b)) return v;
    return "";
  }
};

std::optional<Options> parse_options(const Args& args, const std::vector<std::string>& with_value,
                                     const std::vector<std::string>& flags, std::string& bad) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value = split_inline_value(name);
    if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (!value) {
        if (i + 1 >= args.size()) {
          bad = "Missing a value for flag " + name;
          return std::nullopt;
        }
        value = args[++i];
      }
      options.values.emplace_back(name, *value);
    } else if (std::find(flags.begin(), flags.end(), name) != flags.end() && !value) {
      options.flags.push_back(name);
    } else {
      bad = "Argument: " + args[i] + " is not a valid argument";
      return std::nullopt;
    }
  }
  return options;
}

std::optional<std::vector<int>> gpu_list(const Profile& p, const std::string& text) {
  if (text.empty()) return nvsmi::all_gpus(p);
  return nvsmi::select_gpus(p, text);
}

std::string box_line(std::size_t left, std::size_t right) {
  return "+" + std::string(left, '-') + "+" + std::string(right, '-') + "+";
}

int discovery(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options = parse_options(args, {}, {"-l", "--list"}, bad);
  if (!options) return usage(bad, err);
  if (!options->has("-l", "--list")) return not_simulated("dcgmi", "discovery (without -l)", err);
  out << p.gpus.size() << " GPUs found.\n" << box_line(8, 70) << '\n';
  out << fmt::format("| {:<6} | {:<68} |\n", "GPU ID", "Device Information") << box_line(8, 70) << '\n';
  for (const auto& gpu : p.gpus) {
    out << fmt::format("| {:<6} | {:<68} |\n", gpu.index, "Name: " + gpu.name);
    out << fmt::format("| {:<6} | {:<68} |\n", "", "PCI Bus ID: " + nvsmi::bus_id(gpu));
    out << fmt::format("| {:<6} | {:<68} |\n", "", "Device UUID: " + gpu.uuid);
    out << box_line(8, 70) << '\n';
  }
  const int switches = p.dcgm ? p.dcgm->nvswitch_count : 0;
  out << switches << " NvSwitches found.\n+-----------+\n| Switch ID |\n+-----------+\n";
  for (int s = 0; s < switches; ++s) out << fmt::format("| {:<9} |\n", p.dcgm->nvswitch_first_id + s);
  out << "+-----------+\n";
  return kExitOk;
}

struct Group {
  int id;
  std::string name;
  std::string entities;
};

std::vector<Group> default_groups(const Profile& p) {
  std::vector<std::string> gpus, switches;
  for (const auto& gpu : p.gpus) gpus.push_back("GPU " + std::to_string(gpu.index));
  const int count = p.dcgm ? p.dcgm->nvswitch_count : 0;
  for (int s = 0; s < count; ++s) switches.push_back("NvSwitch " + std::to_string(p.dcgm->nvswitch_first_id + s));
  return {{0, "DCGM_ALL_SUPPORTED_GPUS", gpus.empty() ? "None" : join(gpus, ", ")},
          {1, "DCGM_ALL_SUPPORTED_NVSWITCHES", switches.empty() ? "None" : join(switches, ", ")}};
}

int group(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options = parse_options(args, {"-c", "--create", "-d", "--delete", "-g", "--group", "-a", "--add",
                                            "-r", "--remove"},
                                     {"-l", "--list", "--default", "--defaultnvswitches", "-i", "--info", "-j", "--json"},
                                     bad);
  if (!options) return usage(bad, err);
  if (options->has("-l", "--list")) {
    const auto groups = default_groups(p);
    const std::string rule = box_line(19, 58);
    out << rule << '\n' << fmt::format("| {:<76} |\n", "GROUPS") << fmt::format("| {:<76} |\n", fmt::format("{} groups found.", groups.size()));
    out << "+" << std::string(19, '=') << "+" << std::string(58, '=') << "+\n";
    out << fmt::format("| {:<17} | {:<56} |\n", "Groups", "");
    for (const auto& g : groups) {
      out << fmt::format("| {:<17} | {:<56} |\n", "-> " + std::to_string(g.id), "");
      out << fmt::format("| {:<17} | {:<56} |\n", "   -> Group ID", g.id);
      out << fmt::format("| {:<17} | {:<56} |\n", "   -> Group Name", g.name);
      out << fmt::format("| {:<17} | {:<56} |\n", "   -> Entities", g.entities);
    }
    out << rule << '\n';
    return kExitOk;
  }
  if (options->has("-c", "--create")) {
    out << "Successfully created group \"" << options->get("-c", "--create") << "\" with a group ID of 2\n";
    if (!options->has("--default") && !options->has("--defaultnvswitches") && !options->has("-a", "--add"))
      return kExitOk;
    out << "Added default entities to group 2\n";
    return kExitOk;
  }
  return not_simulated("dcgmi", "group " + (args.empty() ? std::string() : args.front()), err);
}

bool known_group(const Profile& p, const std::string& id) {
  for (const auto& g : default_groups(p))
    if (std::to_string(g.id) == id) return true;
  return false;
}

int health(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options = parse_options(args, {"-g", "--group", "-s", "--set"},
                                     {"-c", "--check", "-f", "--fetch", "-j", "--json"}, bad);
  if (!options) return usage(bad, err);
  const std::string group_id = options->has("-g", "--group") ? options->get("-g", "--group") : "0";
  if (!known_group(p, group_id)) {
    err << "Error: Unable to find group " << group_id << ". Return: Setting not configured\n";
    return kDcgmUsage;
  }
  if (options->has("-s", "--set")) {
    const auto systems = options->get("-s", "--set");
    for (char c : systems)
      if (std::string("apimdtnva").find(c) == std::string::npos) return usage("Invalid health system: " + systems, err);
    out << "Health monitor systems set successfully.\n";
    return kExitOk;
  }
  if (options->has("-c", "--check")) {
    if (options->has("-j", "--json")) {
      out << nlohmann::json{{"Health Monitor Report", {{"Overall Health", "Healthy"}}}}.dump(4) << '\n';
      return kExitOk;
    }
    out << box_line(27, 58) << '\n' << fmt::format("| {:<84} |\n", "Health Monitor Report");
    out << "+" << std::string(27, '=') << "+" << std::string(58, '=') << "+\n";
    out << fmt::format("| {:<25} | {:<56} |\n", "Overall Health", "Healthy") << box_line(27, 58) << '\n';
    return kExitOk;
  }
  if (options->has("-f", "--fetch")) {
    out << "Health monitor systems report:\n" << fmt::format("  {:<22}{}\n", "PCIe", "On") << "  (all other systems Off)\n";
    return kExitOk;
  }
  return usage("One of -c, -s or -f is required", err);
}

struct DiagTest {
  const char* category;
  const char* name;
  int level;
};

const std::vector<DiagTest>& diag_tests() {
  static const std::vector<DiagTest> tests = {
      {"Deployment", "Denylist", 1},
      {"Deployment", "NVML Library", 1},
      {"Deployment", "CUDA Main Library", 1},
      {"Deployment", "Permissions and OS Blocks", 1},
      {"Deployment", "Persistence Mode", 1},
      {"Deployment", "Environment Variables", 1},
      {"Deployment", "Page Retirement/Row Remap", 1},
      {"Deployment", "Graphics Processes", 1},
      {"Deployment", "Inforom", 1},
      {"Integration", "PCIe", 2},
      {"Hardware", "GPU Memory", 2},
      {"Hardware", "Diagnostic", 3},
      {"Hardware", "Memtest", 4},
      {"Stress", "Targeted Stress", 3},
      {"Stress", "Targeted Power", 3},
      {"Stress", "Memory Bandwidth", 3},
      {"Stress", "Pulse Test", 4},  // level 4 = level 3 + the pulse test and memtest (DCGM >= 2.4)
  };
  return tests;
}

int diag(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options =
      parse_options(args, {"-r", "--run", "-i", "--gpuList", "-g", "--group", "-p", "--parameters"},
                    {"-j", "--json", "-v", "--verbose", "--fail-early"}, bad);
  if (!options) return usage(bad, err);
  const auto level_text = options->get("-r", "--run");
  const auto level = parse_long(level_text);
  if (!level || *level < 1 || *level > 4) {
    if (!level_text.empty() && !level) return not_simulated("dcgmi", "diag -r " + level_text, err);
    return usage("-r must be given a level of 1, 2, 3 or 4", err);
  }
  const auto gpus = gpu_list(p, options->get("-i", "--gpuList"));
  if (!gpus) {
    err << "Error: Invalid GPU list " << options->get("-i", "--gpuList") << "\n";
    return kDcgmUsage;
  }
  std::vector<std::string> device_ids;
  for (int index : *gpus) {
    const auto& id = p.gpus[index].pci_device_id;
    device_ids.push_back(id.size() >= 6 ? to_lower(id.substr(2, 4)) : id);
  }
  const std::string version = p.dcgm ? p.dcgm->version : "N/A";
  if (options->has("-j", "--json")) {
    nlohmann::json categories = nlohmann::json::array();
    for (const char* category : {"Deployment", "Integration", "Hardware", "Stress"}) {
      nlohmann::json tests = nlohmann::json::array();
      for (const auto& test : diag_tests())
        if (test.category == std::string(category) && test.level <= *level) {
          // Deployment checks are of the host; the plugin tests report one result per GPU.
          nlohmann::json results = nlohmann::json::array();
          if (test.category == std::string("Deployment")) results.push_back({{"status", "Pass"}});
          else
            for (int index : *gpus) results.push_back({{"gpu_ids", std::to_string(index)}, {"status", "Pass"}});
          tests.push_back({{"name", test.name}, {"results", results}});
        }
      if (!tests.empty()) categories.push_back({{"category", category}, {"tests", tests}});
    }
    nlohmann::json report = {{"DCGM GPU Diagnostic", {{"test_categories", categories}}},
                             {"Driver Version Detected", p.driver_version},
                             {"GPU Device IDs", device_ids},
                             {"version", version}};
    out << report.dump(4) << '\n';
    return kExitOk;
  }
  const std::string rule = box_line(27, 48);
  const auto row = [&](const std::string& a, const std::string& b) {
    out << fmt::format("| {:<25} | {:<46} |\n", a, b);
  };
  out << "Successfully ran diagnostic for group.\n" << rule << '\n';
  row("Diagnostic", "Result");
  out << "+" << std::string(27, '=') << "+" << std::string(48, '=') << "+\n";
  out << "|-----  Metadata  ----------+------------------------------------------------|\n";
  row("DCGM Version", version);
  row("Driver Version Detected", p.driver_version);
  row("GPU Device IDs Detected", join(device_ids, ","));
  std::string category;
  for (const auto& test : diag_tests()) {
    if (test.level > *level) continue;
    if (test.category != category) {
      category = test.category;
      const std::string label = "-----  " + category + "  ";
      out << (category == "Deployment" ? "|" : "+") << label << std::string(27 - label.size(), '-') << "+"
          << std::string(48, '-') << (category == "Deployment" ? "|" : "+") << '\n';
    }
    row(test.name, test.category == std::string("Deployment") ? "Pass" : "Pass - All");
  }
  out << rule << '\n';
  return kExitOk;
}

struct DcgmField {
  int id;
  const char* tag;
  const char* long_name;
  std::function<std::string(const Gpu&)> value;
};

std::string fixed3(double v) { return fmt::format("{:.3f}", v); }

const std::vector<DcgmField>& dcgm_fields() {
  static const std::vector<DcgmField> fields = {
      {100, "SMCLK", "sm_clock", [](const Gpu& g) { return std::to_string(g.clocks.sm_mhz); }},
      {101, "MMCLK", "memory_clock", [](const Gpu& g) { return std::to_string(g.clocks.memory_mhz); }},
      {140, "MMTMP", "memory_temp",
       [](const Gpu& g) { return g.temperature_memory ? std::to_string(*g.temperature_memory) : "N/A"; }},
      {150, "TMPTR", "gpu_temp", [](const Gpu& g) { return std::to_string(g.temperature_gpu); }},
      {155, "POWER", "power_usage", [](const Gpu& g) { return fixed3(g.power_draw_w); }},
      {203, "GPUTL", "gpu_utilization", [](const Gpu& g) { return std::to_string(g.utilization_gpu); }},
      {204, "MCUTL", "mem_copy_utilization", [](const Gpu& g) { return std::to_string(g.utilization_memory); }},
      {250, "FBTTL", "fb_total", [](const Gpu& g) { return std::to_string(g.memory_total_mib); }},
      {251, "FBFRE", "fb_free",
       [](const Gpu& g) { return std::to_string(g.memory_total_mib - g.memory_reserved_mib - g.memory_used_mib); }},
      {252, "FBUSD", "fb_used", [](const Gpu& g) { return std::to_string(g.memory_used_mib); }},
      {1001, "GRACT", "gr_engine_active", [](const Gpu& g) { return fixed3(g.profiling.gr_engine_active); }},
      {1002, "SMACT", "sm_active", [](const Gpu& g) { return fixed3(g.profiling.sm_active); }},
      {1003, "SMOCC", "sm_occupancy", [](const Gpu& g) { return fixed3(g.profiling.sm_occupancy); }},
      {1004, "TENSO", "tensor_active", [](const Gpu& g) { return fixed3(g.profiling.tensor_active); }},
      {1005, "DRAMA", "dram_active", [](const Gpu& g) { return fixed3(g.profiling.dram_active); }},
      {1006, "FP64A", "fp64_active", [](const Gpu& g) { return fixed3(g.profiling.fp64_active); }},
      {1007, "FP32A", "fp32_active", [](const Gpu& g) { return fixed3(g.profiling.fp32_active); }},
      {1008, "FP16A", "fp16_active", [](const Gpu& g) { return fixed3(g.profiling.fp16_active); }},
      {1009, "PCITX", "pcie_tx_bytes", [](const Gpu& g) { return std::to_string(g.profiling.pcie_tx_bytes); }},
      {1010, "PCIRX", "pcie_rx_bytes", [](const Gpu& g) { return std::to_string(g.profiling.pcie_rx_bytes); }},
      {1011, "NVLTX", "nvlink_tx_bytes", [](const Gpu& g) { return std::to_string(g.profiling.nvlink_tx_bytes); }},
      {1012, "NVLRX", "nvlink_rx_bytes", [](const Gpu& g) { return std::to_string(g.profiling.nvlink_rx_bytes); }},
  };
  return fields;
}

int dmon(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options = parse_options(args, {"-e", "--field-id", "-i", "--entity-id", "-c", "--count", "-d", "--delay",
                                            "-g", "--group-id", "-f", "--field-group-id"},
                                     {"-l", "--list"}, bad);
  if (!options) return usage(bad, err);
  if (options->has("-l", "--list")) {
    out << std::string(83, '_') << '\n'
        << fmt::format("{:>39}{:>20}{:>15}\n", "Long Name", "Short Name", "Field ID") << std::string(83, '_') << '\n';
    for (const auto& field : dcgm_fields()) out << fmt::format("{:<45}{:<19}{:>8}\n", field.long_name, field.tag, field.id);
    return kExitOk;
  }
  if (options->has("-f", "--field-group-id") || options->has("-g", "--group-id"))
    return not_simulated("dcgmi", "dmon -f/-g", err);
  if (!options->has("-e", "--field-id")) return usage("Required argument missing: fieldIds", err);
  std::vector<const DcgmField*> chosen;
  for (const auto& text : split(options->get("-e", "--field-id"), ',')) {
    const auto id = parse_long(trim(text));
    const DcgmField* found = nullptr;
    for (const auto& field : dcgm_fields())
      if (id && field.id == *id) found = &field;
    if (!found) {
      if (id) return not_simulated("dcgmi", "dmon field " + trim(text), err);
      return usage("Invalid field id " + text, err);
    }
    chosen.push_back(found);
  }
  const auto gpus = gpu_list(p, options->get("-i", "--entity-id"));
  if (!gpus) {
    err << "Error: invalid entity id list\n";
    return kDcgmUsage;
  }
  long count = p.loop_samples;
  bool unbounded = true;  // no -c, or -c 0: samples until interrupted
  if (options->has("-c", "--count")) {
    const auto parsed = parse_long(options->get("-c", "--count"));
    if (!parsed || *parsed < 0) return usage("Invalid count", err);
    if (*parsed > 0) count = *parsed, unbounded = false;
  }
  long long delay_ms = 1000;  // -d: milliseconds between samples (virtual clock, no sleeping)
  if (options->has("-d", "--delay")) {
    const auto parsed = parse_long(options->get("-d", "--delay"));
    if (!parsed || *parsed <= 0) return usage("Invalid delay", err);
    delay_ms = *parsed;
  }
  std::string header = fmt::format("{:<10}", "#Entity"), ids = fmt::format("{:<10}", "ID");
  for (const auto* field : chosen) {
    header += fmt::format("{:<13}", field->tag);
    ids += std::string(13, ' ');
  }
  out << trim(header) << '\n' << trim(ids) << '\n';
  for (long sample = 0; sample < count; ++sample) {
    const Profile at = profile_at(p, sample * delay_ms);
    for (int index : *gpus) {
      std::string row = fmt::format("{:<10}", "GPU " + std::to_string(index));
      for (const auto* field : chosen) row += fmt::format("{:<13}", field->value(at.gpus[index]));
      out << trim(row) << '\n';
    }
  }
  if (unbounded) out << unbounded_loop_note(count);
  return kExitOk;
}

int nvlink(const Profile& p, const Args& args, std::ostream& out, std::ostream& err) {
  std::string bad;
  const auto options = parse_options(args, {"-g", "--gpuid"}, {"-s", "--link-status", "-e", "--errors", "-j", "--json"}, bad);
  if (!options) return usage(bad, err);
  if (options->has("-s", "--link-status")) {
    out << "+----------------------+\n|  NvLink Link Status  |\n+----------------------+\nGPUs:\n";
    for (const auto& gpu : p.gpus) {
      out << "    gpuId " << gpu.index << ":\n        ";
      std::vector<std::string> states;
      for (const auto& link : gpu.nvlinks) states.push_back(link.active ? "U" : "D");
      out << (states.empty() ? "_" : join(states, " ")) << '\n';
    }
    out << "NvSwitches:\n";
    const int count = p.dcgm ? p.dcgm->nvswitch_count : 0;
    for (int s = 0; s < count; ++s) {
      out << "    physicalId " << p.dcgm->nvswitch_first_id + s << ":\n        ";
      out << join(std::vector<std::string>(p.dcgm->nvswitch_links, "U"), " ") << '\n';
    }
    if (count == 0) out << "    No NvSwitches found.\n";
    out << "\nKey: Up=U, Down=D, Disabled=X, Not Supported=_\n";
    return kExitOk;
  }
  if (options->has("-e", "--errors")) {
    if (!options->has("-g", "--gpuid")) return usage("Required argument missing: gpuid", err);
    const auto id = parse_long(options->get("-g", "--gpuid"));
    if (!id || *id < 0 || *id >= static_cast<long>(p.gpus.size())) {
      err << "Error: invalid GPU id " << options->get("-g", "--gpuid") << "\n";
      return kDcgmUsage;
    }
    const auto& gpu = p.gpus[*id];
    const std::string rule = "+" + std::string(30, '-') + "+" + std::string(25, '-') + "+";
    out << rule << '\n' << fmt::format("| {:<54} |\n", "NVLINK Error Counts")
        << fmt::format("| {:<54} |\n", "GPU " + std::to_string(gpu.index));
    out << "+" << std::string(30, '=') << "+" << std::string(25, '=') << "+\n";
    for (const auto& link : gpu.nvlinks) {
      out << fmt::format("| {:<28} | {:<23} |\n", "Link " + std::to_string(link.link), "");
      out << fmt::format("| {:<28} | {:<23} |\n", "   -> CRC FLIT Error", link.crc_errors);
      out << fmt::format("| {:<28} | {:<23} |\n", "   -> CRC Data Error", 0);
      out << fmt::format("| {:<28} | {:<23} |\n", "   -> Replay Error", link.replay_errors);
      out << fmt::format("| {:<28} | {:<23} |\n", "   -> Recovery Error", link.recovery_errors);
    }
    out << rule << '\n';
    return kExitOk;
  }
  return usage("One of -s or -e is required", err);
}

}  // namespace

int run_dcgmi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) return usage("Missing a required subsystem (discovery, group, health, diag, dmon, nvlink ...)", err);
  const auto& sub = args.front();
  const Args rest(args.begin() + 1, args.end());
  if (sub == "discovery") return discovery(profile, rest, out, err);
  if (sub == "group") return group(profile, rest, out, err);
  if (sub == "health") return health(profile, rest, out, err);
  if (sub == "diag") return diag(profile, rest, out, err);
  if (sub == "dmon") return dmon(profile, rest, out, err);
  if (sub == "nvlink") return nvlink(profile, rest, out, err);
  if (sub == "config" || sub == "policy" || sub == "stats" || sub == "topo" || sub == "introspect" ||
      sub == "fieldgroup" || sub == "modules" || sub == "profile" || sub == "set" || sub == "test")
    return not_simulated("dcgmi", sub, err);
  if (sub == "-v" || sub == "--version") {
    out << "version: " << (profile.dcgm ? profile.dcgm->version : "N/A") << '\n';
    return kExitOk;
  }
  return usage("Invalid subsystem: " + sub, err);
}

}  // namespace aimicius::hostsim
