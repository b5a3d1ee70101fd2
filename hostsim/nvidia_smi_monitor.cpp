// nvidia-smi dmon (device monitoring) and pmon (process monitoring).
// Invariants: -c N prints N samples; without -c the profile's loop_samples, then
// unbounded_loop_note; sample k is the host k x (-d seconds, default 1) after the profile's
// timestamp on the virtual clock
// (hostsim/virtual_clock.h: its own time and figures, no sleeping); metric groups print in the fixed order p u c v m e t
// whatever order -s lists them; the two header lines are printed once, before the samples.
#include <fmt/format.h>

#include "hostsim/clock_text.h"
#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"
#include "hostsim/virtual_clock.h"

namespace aimicius::hostsim::nvsmi {
namespace {

struct MonitorOptions {
  std::vector<int> gpus;
  long count = 0;
  bool unbounded = false;        // no -c: samples until interrupted (count is then loop_samples)
  long long interval_ms = 1000;  // -d (seconds)
  std::string metrics;
  std::string time_prefix;  // "", "D", "T", "DT"
};

struct Column {
  std::string name, unit;
  std::string (*value)(const Gpu&);
};

std::string n(long v) { return std::to_string(v); }

const std::vector<std::pair<char, std::vector<Column>>>& dmon_groups() {
  static const std::vector<std::pair<char, std::vector<Column>>> groups = {
      {'p',
       {{"pwr", "W", [](const Gpu& g) { return n(static_cast<long>(g.power_draw_w + 0.5)); }},
        {"gtemp", "C", [](const Gpu& g) { return n(g.temperature_gpu); }},
        {"mtemp", "C", [](const Gpu& g) { return g.temperature_memory ? n(*g.temperature_memory) : "-"; }}}},
      {'u',
       {{"sm", "%", [](const Gpu& g) { return n(g.utilization_gpu); }},
        {"mem", "%", [](const Gpu& g) { return n(g.utilization_memory); }},
        {"enc", "%", [](const Gpu& g) { return n(g.utilization_encoder); }},
        {"dec", "%", [](const Gpu& g) { return n(g.utilization_decoder); }},
        {"jpg", "%", [](const Gpu&) { return std::string("0"); }},
        {"ofa", "%", [](const Gpu&) { return std::string("0"); }}}},
      {'c',
       {{"mclk", "MHz", [](const Gpu& g) { return n(g.clocks.memory_mhz); }},
        {"pclk", "MHz", [](const Gpu& g) { return n(g.clocks.graphics_mhz); }}}},
      {'v',
       {{"pviol", "%", [](const Gpu&) { return std::string("0"); }},
        {"tviol", "bool", [](const Gpu&) { return std::string("0"); }}}},
      {'m',
       {{"fb", "MB", [](const Gpu& g) { return n(g.memory_used_mib); }},
        {"bar1", "MB", [](const Gpu& g) { return n(g.bar1_used_mib); }},
        {"ccpm", "MB", [](const Gpu&) { return std::string("0"); }}}},
      {'e',
       {{"sbecc", "errs", [](const Gpu& g) { return n(g.ecc_volatile.sram_correctable + g.ecc_volatile.dram_correctable); }},
        {"dbecc", "errs",
         [](const Gpu& g) { return n(g.ecc_volatile.sram_uncorrectable + g.ecc_volatile.dram_uncorrectable); }},
        {"pci", "errs", [](const Gpu& g) { return n(g.pcie_replay_count); }}}},
      {'t',
       {{"rxpci", "MB/s", [](const Gpu& g) { return n(g.profiling.pcie_rx_bytes / 1000000); }},
        {"txpci", "MB/s", [](const Gpu& g) { return n(g.profiling.pcie_tx_bytes / 1000000); }}}},
  };
  return groups;
}

// Parses the options common to dmon and pmon; returns an exit status on failure.
std::optional<int> parse_monitor(const Profile& profile, const Args& args, const std::string& allowed_metrics,
                                 const std::string& tool, MonitorOptions& options, std::ostream& err) {
  options.gpus = all_gpus(profile);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& name = args[i];
    const bool takes_value = name == "-i" || name == "--id" || name == "-c" || name == "--count" || name == "-d" ||
                             name == "--delay" || name == "-s" || name == "--select" || name == "-o" ||
                             name == "--options";
    if (name == "-f" || name == "--filename" || name == "-g" || name == "--gpm-metrics" || name == "--format" ||
        name == "-h" || name == "--help")
      return not_simulated("nvidia-smi", tool + " " + name, err);
    if (!takes_value || i + 1 >= args.size()) return invalid_arguments(err);
    const auto& value = args[++i];
    if (name == "-i" || name == "--id") {
      const auto selected = select_gpus(profile, value);
      if (!selected) return no_devices(err);
      options.gpus = *selected;
    } else if (name == "-c" || name == "--count") {
      const auto count = parse_long(value);
      if (!count || *count <= 0) return invalid_arguments(err);
      options.count = *count;
    } else if (name == "-d" || name == "--delay") {
      if (!parse_long(value) || *parse_long(value) <= 0) return invalid_arguments(err);
      options.interval_ms = *parse_long(value) * 1000LL;
    } else if (name == "-s" || name == "--select") {
      for (char c : value)
        if (allowed_metrics.find(c) == std::string::npos) return invalid_arguments(err);
      options.metrics = value;
    } else {
      const auto upper = to_upper(value);
      if (upper != "D" && upper != "T" && upper != "DT" && upper != "TD") return invalid_arguments(err);
      options.time_prefix = upper;
    }
  }
  if (options.count == 0) options.count = profile.loop_samples, options.unbounded = true;
  return std::nullopt;
}

std::string prefix_headers(const MonitorOptions& o, bool units) {
  std::string text;
  if (o.time_prefix.find('D') != std::string::npos) text += units ? "#YYYYMMDD " : "#Date     ";
  if (o.time_prefix.find('T') != std::string::npos) text += units ? "HH:MM:SS " : "Time     ";
  return text;
}

std::string prefix_values(const Profile& p, const MonitorOptions& o) {
  std::string text;
  if (o.time_prefix.find('D') != std::string::npos) text += " " + date_compact(p.timestamp) + " ";
  if (o.time_prefix.find('T') != std::string::npos) text += time_of_day(p.timestamp) + " ";
  return text;
}

}  // namespace

int run_dmon(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  MonitorOptions options;
  if (const auto status = parse_monitor(profile, args, "pucvmet", "dmon", options, err)) return *status;
  const std::string metrics = options.metrics.empty() ? "puc" : options.metrics;
  std::vector<const Column*> columns;
  for (const auto& [key, group] : dmon_groups())
    if (metrics.find(key) != std::string::npos)
      for (const auto& column : group) columns.push_back(&column);
  std::string names = prefix_headers(options, false) + "# gpu", units = prefix_headers(options, true) + "# Idx";
  for (const auto* column : columns) {
    names += fmt::format(" {:>6}", column->name);
    units += fmt::format(" {:>6}", column->unit);
  }
  out << names << " \n" << units << " \n";
  for (long sample = 0; sample < options.count; ++sample) {
    const Profile at = profile_at(profile, sample * options.interval_ms);
    for (int index : options.gpus) {
      std::string row = prefix_values(at, options) + fmt::format("{:>5}", index);
      for (const auto* column : columns) row += fmt::format(" {:>6}", column->value(at.gpus.at(index)));
      out << row << " \n";
    }
  }
  if (options.unbounded) out << unbounded_loop_note(options.count);
  return kExitOk;
}

int run_pmon(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  MonitorOptions options;
  if (const auto status = parse_monitor(profile, args, "um", "pmon", options, err)) return *status;
  const std::string metrics = options.metrics.empty() ? "u" : options.metrics;
  const bool util = metrics.find('u') != std::string::npos, mem = metrics.find('m') != std::string::npos;
  std::string names = prefix_headers(options, false) + "# gpu         pid   type";
  std::string units = prefix_headers(options, true) + "# Idx           #    C/G";
  if (mem) {
    names += "     fb";
    units += "     MB";
  }
  if (util) {
    names += "     sm    mem    enc    dec    jpg    ofa";
    units += "      %      %      %      %      %      %";
  }
  out << names << "    command \n" << units << "    name \n";
  for (long sample = 0; sample < options.count; ++sample) {
    const Profile at = profile_at(profile, sample * options.interval_ms);
    for (int index : options.gpus) {
      const auto running = processes_on(at, index);
      if (running.empty()) {
        std::string row = prefix_values(at, options) + fmt::format("{:>5} {:>11} {:>6}", index, "-", "-");
        if (mem) row += fmt::format(" {:>6}", "-");
        if (util) row += fmt::format(" {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}", "-", "-", "-", "-", "-", "-");
        out << row << "    -              \n";
        continue;
      }
      for (const auto* process : running) {
        std::string row = prefix_values(at, options) +
                          fmt::format("{:>5} {:>11} {:>6}", index, process->pid, process->type);
        if (mem) row += fmt::format(" {:>6}", process->used_memory_mib);
        if (util)
          row += fmt::format(" {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}", process->sm_percent, process->mem_percent, "-",
                             "-", "-", "-");
        out << row << fmt::format("    {:<15}\n", process->name);
      }
    }
  }
  if (options.unbounded) out << unbounded_loop_note(options.count);
  return kExitOk;
}

}  // namespace aimicius::hostsim::nvsmi
