// rocm-smi: the concise default table and the --show* reports, with -d/--device selection and
// --json / --csv renderings (smi_log.h).
// Invariants: options are parsed like the real tool's argparse (an unknown option: usage and
// "unrecognized arguments", exit 2); --show* reports print in the order given on the command
// line; setters (--setperflevel, --resetclocks, --gpureset, ...) fail as on a non-root account
// ("Permission denied", exit 4); recognised but unsimulated reports exit 64.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/rocm_smi_sections.h"
#include "hostsim/smi_log.h"
#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

constexpr int kArgparseError = 2;
constexpr int kRocmPermission = 4;

int argparse_error(const std::string& message, std::ostream& err) {
  err << "usage: rocm-smi [-h] [-V] [-d DEVICE [DEVICE ...]] [--alldevices] [--showhw] [-a] [-i] [-v] [-e [EVENT ...]]\n"
         "                [--showdriverversion] [--showtempgraph] [--showfwinfo [BLOCK ...]] [--showmclkrange] ...\n"
      << "rocm-smi: error: " << message << '\n';
  return kArgparseError;
}

const std::vector<std::string>& setter_options() {
  static const std::vector<std::string> setters = {
      "--setperflevel", "--resetclocks", "-r", "--setpoweroverdrive", "--resetpoweroverdrive", "--gpureset",
      "--setperfdeterminism", "--resetperfdeterminism", "--setsclk", "--setmclk", "--setfclk", "--setsocclk",
      "--setpcie", "--setfan", "--resetfans", "--setprofile", "--resetprofile", "--setcomputepartition",
      "--resetcomputepartition", "--setmemorypartition", "--resetmemorypartition", "--setoverdrive",
      "--setmemoverdrive", "--setslevel", "--setmlevel", "--setvc", "--setsrange", "--setmrange", "--resetxgmierr",
      "--rasenable", "--rasdisable", "--rasinject", "--setpowerplaytable"};
  return setters;
}

const std::vector<std::string>& unsimulated_options() {
  static const std::vector<std::string> options = {
      "--showvoltage", "--showvc", "--showsclkrange", "--showmclkrange", "--showprofile", "--showevents", "-e",
      "--showtempgraph", "--showmemvendor", "--showpagesinfo", "--showpendingpages", "--showunreservablepages",
      "--showvoltagerange", "--showhw", "--showtopoaccess", "--showmetrics", "--showpower-all", "--showenergy",
      "--showmclkrange", "--showsocclk", "--showpcie", "--showcperinfo", "--loglevel", "--showxgmibw",
      "--showmeminfo-all", "--showcomputepartitions", "--showmemorypartitions", "--showpids-verbose"};
  return options;
}

bool takes_list(const std::string& option) {
  return option == "--showmeminfo" || option == "--showfwinfo" || option == "--showpidgpus";
}

struct RocmRequest {
  std::vector<int> devices;
  bool json = false, csv = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> shows;  // option, its values
  std::optional<std::string> setter;
  std::optional<std::string> unsimulated;
};

std::string canonical(const std::string& option) {
  static const std::vector<std::pair<std::string, std::string>> shorts = {
      {"-u", "--showuse"}, {"-t", "--showtemp"}, {"-P", "--showpower"}, {"-c", "--showclocks"},
      {"-s", "--showclkfrq"}, {"-v", "--showvbios"}, {"-f", "--showfan"}, {"-M", "--showmaxpower"},
      {"-i", "--showid"}, {"-a", "--showallinfo"}, {"-p", "--showperflevel"}, {"-b", "--showbw"},
      {"-l", "--showprofile"}};
  for (const auto& [s, l] : shorts)
    if (option == s) return l;
  return option;
}

std::optional<int> parse_rocm(const Profile& profile, const Args& args, RocmRequest& request, std::ostream& out,
                              std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string option = canonical(args[i]);
    auto take_values = [&]() {
      std::vector<std::string> values;
      while (i + 1 < args.size() && !starts_with(args[i + 1], "-")) values.push_back(args[++i]);
      return values;
    };
    if (option == "-h" || option == "--help") {
      out << "usage: rocm-smi [-h] [-d DEVICE [DEVICE ...]] [--showuse] [--showmemuse] [--showmeminfo TYPE ...] ...\n\n"
             "AMD ROCm System Management Interface (simulated by aimicius-hostsim)\n";
      return kExitOk;
    }
    if (option == "-V" || option == "--version") {
      out << "ROCM-SMI version: 2.3.1\nROCM-SMI-LIB version: 7.3.0\n";
      return kExitOk;
    }
    if (option == "-d" || option == "--device") {
      const auto values = take_values();
      if (values.empty()) return argparse_error("argument -d/--device: expected at least one argument", err);
      for (const auto& value : values) {
        const auto index = parse_long(value);
        if (!index) return argparse_error("argument -d/--device: invalid int value: '" + value + "'", err);
        if (*index < 0 || *index >= static_cast<long>(profile.gpus.size())) {
          err << "ERROR: GPU[" << *index << "]\t: Invalid device ID: " << *index << '\n';
          return 1;
        }
        if (std::find(request.devices.begin(), request.devices.end(), *index) == request.devices.end())
          request.devices.push_back(static_cast<int>(*index));
      }
      continue;
    }
    if (option == "--alldevices") continue;
    if (option == "--json") {
      request.json = true;
      continue;
    }
    if (option == "--csv") {
      request.csv = true;
      continue;
    }
    if (std::find(setter_options().begin(), setter_options().end(), option) != setter_options().end()) {
      request.setter = option;
      take_values();
      continue;
    }
    if (std::find(unsimulated_options().begin(), unsimulated_options().end(), option) != unsimulated_options().end()) {
      request.unsimulated = option;
      continue;
    }
    if (is_rocm_show_option(option)) {
      auto values = takes_list(option) ? take_values() : std::vector<std::string>{};
      if (option == "--showmeminfo" && values.empty())
        return argparse_error("argument --showmeminfo: expected at least one argument", err);
      request.shows.emplace_back(option, values);
      continue;
    }
    return argparse_error("unrecognized arguments: " + args[i], err);
  }
  return std::nullopt;
}

void print_concise(const Profile& profile, const std::vector<int>& devices, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"Device", "Node", "IDs", "", "Temp", "Power", "Partitions", "SCLK", "MCLK", "Fan", "Perf", "PwrCap", "VRAM%", "GPU%"},
      {"", "", "(DID,", "GUID)", "(Junction)", "(Socket)", "(Mem, Compute, ID)", "", "", "", "", "", "", ""}};
  for (int index : devices) {
    const auto& gpu = profile.gpus[index];
    const auto& amd = *gpu.amd;
    auto clock_of = [&](const std::string& name) {
      for (const auto& domain : amd.clocks)
        if (domain.name == name && domain.current_level < static_cast<int>(domain.levels_mhz.size()))
          return std::to_string(domain.levels_mhz[domain.current_level]) + "Mhz";
      return std::string("N/A");
    };
    const long vram_percent = gpu.memory_total_mib ? std::lround(100.0 * gpu.memory_used_mib / gpu.memory_total_mib) : 0;
    rows.push_back({std::to_string(index), std::to_string(amd.node_id), amd.card_model + ",", std::to_string(amd.guid),
                    fmt::format("{:.1f}°C", static_cast<double>(amd.temp_junction_c)),
                    amd.socket_power_w ? fmt::format("{:.1f}W", *amd.socket_power_w) : "N/A",
                    fmt::format("{}, {}, 0", amd.memory_partition.empty() ? "N/A" : amd.memory_partition,
                                amd.compute_partition.empty() ? "N/A" : amd.compute_partition),
                    clock_of("sclk"), clock_of("mclk"), gpu.fan_percent ? std::to_string(*gpu.fan_percent) + "%" : "0%",
                    amd.perf_level, fmt::format("{:.1f}W", amd.max_power_w), std::to_string(vram_percent) + "%",
                    std::to_string(gpu.utilization_gpu) + "%"});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::size_t length = 0;
      for (unsigned char ch : row[c]) length += (ch & 0xC0) != 0x80;  // UTF-8 code points
      widths[c] = std::max(widths[c], length);
    }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::size_t length = 0;
      for (unsigned char ch : row[c]) length += (ch & 0xC0) != 0x80;
      line += row[c] + std::string(widths[c] - length, ' ') + "  ";
    }
    lines.push_back(line);
  }
  std::size_t width = 0;
  for (const auto w : widths) width += w + 2;
  if (width % 2) ++width;
  out << "\n\n" << smi_spacer(" ROCm System Management Interface ", width) << '\n'
      << smi_spacer(" Concise Info ", width) << '\n'
      << lines[0] << '\n' << lines[1] << '\n' << std::string(width, '=') << '\n';
  for (std::size_t l = 2; l < lines.size(); ++l) out << lines[l] << '\n';
  out << std::string(width, '=') << '\n' << smi_spacer(" End of ROCm SMI Log ", width) << '\n';
}

}  // namespace

int run_rocm_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  for (const auto& gpu : profile.gpus)
    if (!gpu.amd) return not_simulated("rocm-smi", "(profile GPUs lack AMD data)", err);
  RocmRequest request;
  if (const auto status = parse_rocm(profile, args, request, out, err)) return *status;
  if (request.devices.empty())
    for (const auto& gpu : profile.gpus) request.devices.push_back(gpu.index);
  std::sort(request.devices.begin(), request.devices.end());
  if (request.setter) {
    out << "\n\n" << smi_spacer(" ROCm System Management Interface ") << '\n';
    for (int index : request.devices)
      err << "ERROR: GPU[" << index << "]\t: " << request.setter->substr(2)
          << ": Permission denied (root privileges are required)\n";
    out << smi_spacer(" End of ROCm SMI Log ") << '\n';
    return kRocmPermission;
  }
  if (request.unsimulated) return not_simulated("rocm-smi", *request.unsimulated, err);
  if (request.shows.empty()) {
    if (request.json || request.csv) request.shows.emplace_back("--showallinfo", std::vector<std::string>{});
    else {
      print_concise(profile, request.devices, out);
      return kExitOk;
    }
  }
  std::vector<SmiSection> sections;
  for (const auto& [option, values] : request.shows) {
    std::string problem;
    auto built = build_rocm_sections(profile, request.devices, option, values, problem);
    if (!problem.empty()) return argparse_error(problem, err);
    for (auto& section : built) sections.push_back(std::move(section));
  }
  if (request.json) render_smi_json(sections, out);
  else if (request.csv) render_smi_csv(sections, out);
  else render_smi_text(sections, out);
  return kExitOk;
}

}  // namespace aimicius::hostsim
