// amd-smi: list, static, metric, process, topology, version (subset), with -g/--gpu selection
// and --json output.
// Invariants: text output is amd-smi's indented "KEY: value" tree (4 spaces per level, a blank
// line after each GPU); --json prints the same tree as a JSON array of per-GPU objects with
// lower-case keys; an unknown command or option gives argparse's usage error (exit 2).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

struct Node {
  std::string key;
  std::string value;  // leaf when children is empty
  std::vector<Node> children;
};

Node leaf(const std::string& key, const std::string& value) { return {key, value, {}}; }
Node branch(const std::string& key, std::vector<Node> children) { return {key, "", std::move(children)}; }

void render_text(const Node& node, int depth, std::ostream& out) {
  out << std::string(4 * depth, ' ') << node.key << ':';
  if (node.children.empty()) {
    out << ' ' << node.value << '\n';
    return;
  }
  out << '\n';
  for (const auto& child : node.children) render_text(child, depth + 1, out);
}

nlohmann::ordered_json to_json(const Node& node) {
  if (node.children.empty()) {
    if (const auto number = parse_long(node.value)) return *number;
    return node.value;
  }
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& child : node.children) object[to_lower(child.key)] = to_json(child);
  return object;
}

int argparse_error(const std::string& message, std::ostream& err) {
  err << "usage: amd-smi [-h] {version,list,static,firmware,ucode,bad-pages,metric,process,profile,event,topology,"
         "set,reset,monitor,xgmi,partition} ...\n"
      << "amd-smi: error: " << message << '\n';
  return 2;
}

struct GpuReport {
  int index;
  std::vector<Node> sections;
};

std::vector<Node> static_sections(const Profile& p, const Gpu& g, const std::vector<std::string>& wanted) {
  const auto& a = *g.amd;
  auto want = [&](const std::string& name) {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  std::vector<Node> sections;
  if (want("asic"))
    sections.push_back(branch("ASIC", {leaf("MARKET_NAME", a.market_name.empty() ? a.card_series : a.market_name),
                                       leaf("VENDOR_ID", "0x1002"), leaf("VENDOR_NAME", a.card_vendor),
                                       leaf("SUBVENDOR_ID", "0x1002"), leaf("DEVICE_ID", a.card_model),
                                       leaf("REV_ID", a.device_rev), leaf("ASIC_SERIAL", a.unique_id),
                                       leaf("OAM_ID", "N/A"), leaf("NUM_COMPUTE_UNITS", std::to_string(a.compute_units)),
                                       leaf("TARGET_GRAPHICS_VERSION", a.gfx_target)}));
  if (want("bus"))
    sections.push_back(branch("BUS", {leaf("BDF", g.pci_bus_id),
                                      leaf("MAX_PCIE_WIDTH", std::to_string(g.pcie_width_max)),
                                      leaf("MAX_PCIE_SPEED", fmt::format("{} GT/s", g.pcie_gen_max >= 4 ? 16 : 8)),
                                      leaf("PCIE_INTERFACE_VERSION", fmt::format("Gen {}", g.pcie_gen_max)),
                                      leaf("SLOT_TYPE", "OAM")}));
  if (want("vbios"))
    sections.push_back(branch("VBIOS", {leaf("NAME", a.card_series), leaf("BUILD_DATE", "N/A"),
                                        leaf("PART_NUMBER", g.vbios_version), leaf("VERSION", g.vbios_version)}));
  if (want("board"))
    sections.push_back(branch("BOARD", {leaf("MODEL_NUMBER", a.card_sku), leaf("PRODUCT_SERIAL", g.serial),
                                        leaf("FRU_ID", "N/A"), leaf("PRODUCT_NAME", a.card_series),
                                        leaf("MANUFACTURER_NAME", a.card_vendor)}));
  if (want("limit"))
    sections.push_back(branch("LIMIT", {leaf("MAX_POWER", fmt::format("{:.0f} W", a.max_power_w)),
                                        leaf("SLOWDOWN_EDGE_TEMPERATURE", "N/A"),
                                        leaf("SLOWDOWN_HOTSPOT_TEMPERATURE", fmt::format("{} °C", g.temperature_slowdown)),
                                        leaf("SHUTDOWN_HOTSPOT_TEMPERATURE", fmt::format("{} °C", g.temperature_shutdown))}));
  if (want("driver"))
    sections.push_back(branch("DRIVER", {leaf("NAME", "amdgpu"), leaf("VERSION", p.driver_version)}));
  if (want("vram"))
    sections.push_back(branch("VRAM", {leaf("TYPE", "HBM"), leaf("VENDOR", "N/A"),
                                       leaf("SIZE", fmt::format("{} MB", g.memory_total_mib))}));
  if (want("numa"))
    sections.push_back(branch("NUMA", {leaf("NODE", std::to_string(g.numa_node)),
                                       leaf("AFFINITY", std::to_string(g.numa_node))}));
  return sections;
}

std::vector<Node> metric_sections(const Gpu& g, const std::vector<std::string>& wanted) {
  const auto& a = *g.amd;
  auto want = [&](const std::string& name) {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  std::vector<Node> sections;
  if (want("usage"))
    sections.push_back(branch("USAGE", {leaf("GFX_ACTIVITY", fmt::format("{} %", g.utilization_gpu)),
                                        leaf("UMC_ACTIVITY", fmt::format("{} %", g.utilization_memory)),
                                        leaf("MM_ACTIVITY", "N/A")}));
  if (want("power"))
    sections.push_back(branch("POWER", {leaf("SOCKET_POWER", a.socket_power_w ? fmt::format("{:.0f} W", *a.socket_power_w) : "N/A"),
                                        leaf("GFX_VOLTAGE", "N/A"), leaf("SOC_VOLTAGE", "N/A"),
                                        leaf("MEM_VOLTAGE", "N/A"), leaf("POWER_MANAGEMENT", "ENABLED"),
                                        leaf("THROTTLE_STATUS", "UNTHROTTLED")}));
  if (want("clock")) {
    std::vector<Node> clocks;
    for (const auto& domain : a.clocks) {
      const int mhz = domain.current_level < static_cast<int>(domain.levels_mhz.size())
                          ? domain.levels_mhz[domain.current_level] : 0;
      clocks.push_back(branch(to_upper(domain.name), {leaf("CLK", fmt::format("{} MHz", mhz)),
                                                      leaf("MIN_CLK", fmt::format("{} MHz", domain.levels_mhz.front())),
                                                      leaf("MAX_CLK", fmt::format("{} MHz", domain.levels_mhz.back()))}));
    }
    sections.push_back(branch("CLOCK", clocks));
  }
  if (want("temperature"))
    sections.push_back(branch("TEMPERATURE", {leaf("EDGE", fmt::format("{} °C", a.temp_edge_c)),
                                              leaf("HOTSPOT", fmt::format("{} °C", a.temp_junction_c)),
                                              leaf("MEM", fmt::format("{} °C", a.temp_memory_c))}));
  if (want("pcie"))
    sections.push_back(branch("PCIE", {leaf("WIDTH", std::to_string(g.pcie_width_current)),
                                       leaf("SPEED", fmt::format("{} GT/s", g.pcie_gen_current >= 4 ? 16 : 8)),
                                       leaf("REPLAY_COUNT", std::to_string(a.pcie_replay_count))}));
  if (want("ecc"))
    sections.push_back(branch("ECC", {leaf("TOTAL_CORRECTABLE_COUNT", std::to_string(g.ecc_volatile.dram_correctable)),
                                      leaf("TOTAL_UNCORRECTABLE_COUNT", std::to_string(g.ecc_volatile.dram_uncorrectable))}));
  if (want("fan"))
    sections.push_back(branch("FAN", {leaf("SPEED", g.fan_percent ? std::to_string(*g.fan_percent) : "N/A"),
                                      leaf("MAX", "N/A"), leaf("RPM", "N/A"), leaf("USAGE", "N/A")}));
  if (want("mem-usage")) {
    const long free_mib = g.memory_total_mib - g.memory_used_mib;
    sections.push_back(branch("MEM_USAGE", {leaf("TOTAL_VRAM", fmt::format("{} MB", g.memory_total_mib)),
                                            leaf("USED_VRAM", fmt::format("{} MB", g.memory_used_mib)),
                                            leaf("FREE_VRAM", fmt::format("{} MB", free_mib))}));
  }
  return sections;
}

struct Parsed {
  std::vector<int> gpus;
  bool json = false, csv = false;
  std::vector<std::string> wanted;  // canonical section names
};

std::optional<int> parse_common(const Profile& p, const Args& args,
                                const std::vector<std::pair<std::string, std::string>>& flags, Parsed& parsed,
                                std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "-g" || arg == "--gpu") {
      bool any = false;
      while (i + 1 < args.size() && !starts_with(args[i + 1], "-")) {
        const auto& value = args[++i];
        if (value == "all") {
          any = true;
          continue;
        }
        const auto index = parse_long(value);
        if (!index || *index < 0 || *index >= static_cast<long>(p.gpus.size())) {
          err << "GPU ID " << value << " is not a valid ID\n";
          return 255;
        }
        parsed.gpus.push_back(static_cast<int>(*index));
        any = true;
      }
      if (!any) return argparse_error("argument -g/--gpu: expected at least one argument", err);
    } else if (arg == "--json") {
      parsed.json = true;
    } else if (arg == "--csv") {
      parsed.csv = true;
    } else {
      const auto it = std::find_if(flags.begin(), flags.end(), [&](const auto& f) {
        return arg == f.first || arg == "--" + f.second;
      });
      if (it == flags.end()) return argparse_error("unrecognized arguments: " + arg, err);
      parsed.wanted.push_back(it->second);
    }
  }
  if (parsed.gpus.empty())
    for (const auto& gpu : p.gpus) parsed.gpus.push_back(gpu.index);
  return std::nullopt;
}

void print_reports(const std::vector<GpuReport>& reports, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& report : reports) {
      nlohmann::ordered_json object;
      object["gpu"] = report.index;
      for (const auto& section : report.sections) object[to_lower(section.key)] = to_json(section);
      array.push_back(object);
    }
    out << array.dump(4) << '\n';
    return;
  }
  for (const auto& report : reports) {
    out << "GPU: " << report.index << '\n';
    for (const auto& section : report.sections) render_text(section, 1, out);
    out << '\n';
  }
}

int topology(const Profile& p, const Parsed& parsed, std::ostream& out) {
  const auto& d = parsed.gpus;
  auto table = [&](const std::string& title, const std::function<std::string(int, int)>& cell) {
    out << title << ":\n" << fmt::format("{:<13}", "");
    for (int col : d) out << fmt::format("{:<13}", p.gpus[col].pci_bus_id);
    out << '\n';
    for (int row : d) {
      out << fmt::format("{:<13}", p.gpus[row].pci_bus_id);
      for (int col : d) out << fmt::format("{:<13}", cell(row, col));
      out << '\n';
    }
    out << '\n';
  };
  const auto& t = p.topology;
  table("ACCESS TABLE", [](int, int) { return std::string("ENABLED"); });
  table("WEIGHT TABLE", [&](int a, int b) { return t.weight.empty() ? "N/A" : std::to_string(t.weight[a][b]); });
  table("HOPS TABLE", [&](int a, int b) { return t.hops.empty() ? "N/A" : std::to_string(t.hops[a][b]); });
  table("LINK TYPE TABLE", [&](int a, int b) {
    return a == b ? std::string("SELF") : (t.link_type.empty() ? std::string("N/A") : t.link_type[a][b]);
  });
  return kExitOk;
}

}  // namespace

int run_amd_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  for (const auto& gpu : profile.gpus)
    if (!gpu.amd) return not_simulated("amd-smi", "(profile GPUs lack AMD data)", err);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    (args.empty() ? err : out) << "usage: amd-smi [-h] {version,list,static,metric,process,topology} ...\n"
                                  "AMD System Management Interface (simulated by aimicius-hostsim)\n";
    return args.empty() ? 2 : kExitOk;
  }
  const std::string command = args[0];
  const Args rest(args.begin() + 1, args.end());
  const auto& rocm = profile.rocm;
  if (command == "version") {
    if (!rest.empty()) return argparse_error("unrecognized arguments: " + rest[0], err);
    out << "AMDSMI Tool: " << (rocm ? rocm->amd_smi_version : "N/A") << " | AMDSMI Library version: "
        << (rocm ? rocm->amd_smi_library_version : "N/A") << " | ROCm version: " << (rocm ? rocm->rocm_version : "N/A")
        << '\n';
    return kExitOk;
  }
  Parsed parsed;
  std::vector<std::pair<std::string, std::string>> flags;
  if (command == "static")
    flags = {{"-a", "asic"}, {"-b", "bus"}, {"-V", "vbios"}, {"-B", "board"}, {"-l", "limit"},
             {"-d", "driver"}, {"-v", "vram"}, {"-u", "numa"}};
  else if (command == "metric")
    flags = {{"-u", "usage"}, {"-p", "power"}, {"-c", "clock"}, {"-t", "temperature"}, {"-P", "pcie"},
             {"-e", "ecc"}, {"-f", "fan"}, {"-m", "mem-usage"}};
  else if (command != "list" && command != "process" && command != "topology") {
    if (command == "firmware" || command == "ucode" || command == "bad-pages" || command == "monitor" ||
        command == "event" || command == "xgmi" || command == "partition" || command == "profile" ||
        command == "set" || command == "reset")
      return not_simulated("amd-smi", command, err);
    return argparse_error("argument command: invalid choice: '" + command + "'", err);
  }
  if (const auto status = parse_common(profile, rest, flags, parsed, err)) return *status;
  if (parsed.csv) return not_simulated("amd-smi", "--csv", err);
  std::vector<GpuReport> reports;
  if (command == "topology") return topology(profile, parsed, out);
  for (int index : parsed.gpus) {
    const auto& gpu = profile.gpus[index];
    GpuReport report{index, {}};
    if (command == "list") {
      report.sections = {leaf("BDF", gpu.pci_bus_id), leaf("UUID", gpu.uuid), leaf("KFD_ID", gpu.amd->kfd_id),
                         leaf("NODE_ID", std::to_string(gpu.amd->node_id)), leaf("PARTITION_ID", "0")};
    } else if (command == "static") {
      report.sections = static_sections(profile, gpu, parsed.wanted);
    } else if (command == "metric") {
      report.sections = metric_sections(gpu, parsed.wanted);
    } else {  // process
      std::vector<Node> processes;
      for (const auto& process : profile.processes)
        if (process.gpu_index == index)
          processes.push_back(branch("PROCESS_INFO",
                                     {leaf("NAME", process.name), leaf("PID", std::to_string(process.pid)),
                                      branch("MEMORY_USAGE", {leaf("GTT_MEM", "0 B"), leaf("CPU_MEM", "0 B"),
                                                              leaf("VRAM_MEM", fmt::format("{} MiB", process.used_memory_mib))})}));
      if (processes.empty()) processes.push_back(leaf("PROCESS_INFO", "No running processes detected"));
      report.sections = processes;
    }
    reports.push_back(report);
  }
  print_reports(reports, parsed.json, out);
  return kExitOk;
}

}  // namespace aimicius::hostsim
