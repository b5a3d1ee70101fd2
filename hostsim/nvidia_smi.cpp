// nvidia-smi: option parsing of the main mode and dispatch to the sub-commands (topo, nvlink,
// dmon, pmon, mig) and outputs (table, -L, -q, -q -x, --query-gpu, --query-compute-apps).
// Invariants: an unknown option or a malformed value gives the real tool's "Invalid combination
// of input arguments" message and exit 2; privileged setters (-pm, -e, -p, -c, -r, -ac, -rac,
// -lgc, -rgc, -lmc, -rmc, -pl, -mig, -am, -caa) validate their value and then fail as on a
// non-root account ("Insufficient Permissions", exit 4); looping (-l, -lms) prints
// profile.loop_samples samples on the virtual clock (sample k at k x interval, each with its own
// timestamp and figures; hostsim/virtual_clock.h) without sleeping, then unbounded_loop_note; -f
// writes the output to the named file.
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/virtual_clock.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

using namespace nvsmi;

enum class ValueKind { kNone, kRequired, kOptional };
enum class Action {
  kHelp, kList, kQuery, kXml, kDtd, kDisplay, kId, kFile, kLoop, kLoopMs, kQueryGpu, kQueryApps,
  kFormat, kHelpQueryGpu, kHelpQueryApps, kSetter, kUnsupportedQuery
};

struct OptionSpec {
  const char* short_name;
  const char* long_name;
  ValueKind value;
  Action action;
  const char* setter_failure;  // for kSetter: "set persistence mode" ...
};

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = {
      {"-h", "--help", ValueKind::kNone, Action::kHelp, nullptr},
      {"-L", "--list-gpus", ValueKind::kNone, Action::kList, nullptr},
      {"-q", "--query", ValueKind::kNone, Action::kQuery, nullptr},
      {"-x", "--xml-format", ValueKind::kNone, Action::kXml, nullptr},
      {nullptr, "--dtd", ValueKind::kNone, Action::kDtd, nullptr},
      {"-d", "--display", ValueKind::kRequired, Action::kDisplay, nullptr},
      {"-i", "--id", ValueKind::kRequired, Action::kId, nullptr},
      {"-f", "--filename", ValueKind::kRequired, Action::kFile, nullptr},
      {"-l", "--loop", ValueKind::kOptional, Action::kLoop, nullptr},
      {"-lms", "--loop-ms", ValueKind::kOptional, Action::kLoopMs, nullptr},
      {nullptr, "--query-gpu", ValueKind::kRequired, Action::kQueryGpu, nullptr},
      {nullptr, "--query-compute-apps", ValueKind::kRequired, Action::kQueryApps, nullptr},
      {nullptr, "--query-accounted-apps", ValueKind::kRequired, Action::kUnsupportedQuery, nullptr},
      {nullptr, "--query-retired-pages", ValueKind::kRequired, Action::kUnsupportedQuery, nullptr},
      {nullptr, "--query-remapped-rows", ValueKind::kRequired, Action::kUnsupportedQuery, nullptr},
      {nullptr, "--query-supported-clocks", ValueKind::kRequired, Action::kUnsupportedQuery, nullptr},
      {nullptr, "--format", ValueKind::kRequired, Action::kFormat, nullptr},
      {nullptr, "--help-query-gpu", ValueKind::kNone, Action::kHelpQueryGpu, nullptr},
      {nullptr, "--help-query-compute-apps", ValueKind::kNone, Action::kHelpQueryApps, nullptr},
      {"-pm", "--persistence-mode", ValueKind::kRequired, Action::kSetter, "set persistence mode"},
      {"-e", "--ecc-config", ValueKind::kRequired, Action::kSetter, "set the ECC mode"},
      {"-p", "--reset-ecc-errors", ValueKind::kRequired, Action::kSetter, "reset ECC error counts"},
      {"-c", "--compute-mode", ValueKind::kRequired, Action::kSetter, "set the compute mode"},
      {"-r", "--gpu-reset", ValueKind::kNone, Action::kSetter, "reset"},
      {"-ac", "--applications-clocks", ValueKind::kRequired, Action::kSetter, "set applications clocks"},
      {"-rac", "--reset-applications-clocks", ValueKind::kNone, Action::kSetter, "reset applications clocks"},
      {"-lgc", "--lock-gpu-clocks", ValueKind::kRequired, Action::kSetter, "lock GPU clocks"},
      {"-rgc", "--reset-gpu-clocks", ValueKind::kNone, Action::kSetter, "reset locked GPU clocks"},
      {"-lmc", "--lock-memory-clocks", ValueKind::kRequired, Action::kSetter, "lock memory clocks"},
      {"-rmc", "--reset-memory-clocks", ValueKind::kNone, Action::kSetter, "reset locked memory clocks"},
      {"-pl", "--power-limit", ValueKind::kRequired, Action::kSetter, "change the power limit"},
      {"-mig", "--multi-instance-gpu", ValueKind::kRequired, Action::kSetter, "set MIG mode"},
      {"-am", "--accounting-mode", ValueKind::kRequired, Action::kSetter, "set accounting mode"},
      {"-caa", "--clear-accounted-apps", ValueKind::kNone, Action::kSetter, "clear accounted PIDs"},
  };
  return specs;
}

struct Request {
  bool help = false, list = false, query = false, xml = false, dtd = false;
  bool help_query_gpu = false, help_query_apps = false;
  std::optional<std::string> ids, file, query_gpu, query_apps, format, unsupported_query;
  std::vector<std::string> display;
  long long loop_interval_ms = 0;  // 0: one sample; else the interval of -l (seconds) / -lms
  const OptionSpec* setter = nullptr;
  std::string setter_name, setter_value;
};

const OptionSpec* find_spec(const std::string& name) {
  for (const auto& spec : option_specs())
    if ((spec.short_name && name == spec.short_name) || name == spec.long_name) return &spec;
  return nullptr;
}

bool is_number(const std::string& text) {
  if (text.empty()) return false;
  int dots = 0;
  for (char c : text) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots <= 1;
}

bool valid_int_pair(const std::string& value) {
  const auto parts = split(value, ',');
  if (parts.size() < 2 || parts.size() > 3) return false;
  for (std::size_t i = 0; i < 2; ++i)
    if (!parse_long(parts[i])) return false;
  return true;
}

bool valid_setter_value(const std::string& name, const std::string& raw) {
  const auto value = to_upper(raw);
  if (name == "-pm") return value == "0" || value == "1" || value == "ENABLED" || value == "DISABLED";
  if (name == "-e" || name == "-mig" || name == "-am") return value == "0" || value == "1" ||
                                                             value == "ENABLED" || value == "DISABLED";
  if (name == "-p") return value == "0" || value == "1" || value == "VOLATILE" || value == "AGGREGATE";
  if (name == "-c")
    return value == "0" || value == "1" || value == "2" || value == "3" || value == "DEFAULT" ||
           value == "EXCLUSIVE_THREAD" || value == "PROHIBITED" || value == "EXCLUSIVE_PROCESS";
  if (name == "-ac" || name == "-lgc" || name == "-lmc") return valid_int_pair(raw);
  if (name == "-pl") return is_number(raw);
  return true;
}

// Parses argv into a Request; returns an exit status on failure.
std::optional<int> parse_request(const Args& args, Request& request, std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (starts_with(name, "-") && name.find('=') != std::string::npos) {
      inline_value = name.substr(name.find('=') + 1);
      name = name.substr(0, name.find('='));
    }
    const OptionSpec* spec = find_spec(name);
    if (!spec) return invalid_arguments(err);
    std::optional<std::string> value = inline_value;
    if (spec->value == ValueKind::kRequired && !value) {
      if (i + 1 >= args.size()) return invalid_arguments(err);
      value = args[++i];
    } else if (spec->value == ValueKind::kOptional && !value && i + 1 < args.size() && is_number(args[i + 1])) {
      value = args[++i];
    } else if (spec->value == ValueKind::kNone && value) {
      return invalid_arguments(err);
    }
    switch (spec->action) {
      case Action::kHelp: request.help = true; break;
      case Action::kList: request.list = true; break;
      case Action::kQuery: request.query = true; break;
      case Action::kXml: request.xml = true; break;
      case Action::kDtd: request.dtd = true; break;
      case Action::kDisplay:
        for (const auto& section : split(*value, ',')) request.display.push_back(to_upper(trim(section)));
        break;
      case Action::kId: request.ids = *value; break;
      case Action::kFile: request.file = *value; break;
      case Action::kLoop:
      case Action::kLoopMs:
        if (value && (!is_number(*value) || std::stod(*value) <= 0)) return invalid_arguments(err);
        // -l without a value probes every 5 s (the real default); -lms needs its value in practice,
        // 1000 ms is assumed without one.
        request.loop_interval_ms = spec->action == Action::kLoop
                                       ? std::llround((value ? std::stod(*value) : 5.0) * 1000.0)
                                       : std::llround(value ? std::stod(*value) : 1000.0);
        if (request.loop_interval_ms <= 0) return invalid_arguments(err);
        break;
      case Action::kQueryGpu: request.query_gpu = *value; break;
      case Action::kQueryApps: request.query_apps = *value; break;
      case Action::kUnsupportedQuery: request.unsupported_query = spec->long_name; break;
      case Action::kFormat: request.format = *value; break;
      case Action::kHelpQueryGpu: request.help_query_gpu = true; break;
      case Action::kHelpQueryApps: request.help_query_apps = true; break;
      case Action::kSetter:
        if (request.setter) return invalid_arguments(err);
        request.setter = spec;
        request.setter_name = spec->short_name;
        request.setter_value = value.value_or("");
        if (!valid_setter_value(request.setter_name, request.setter_value)) return invalid_arguments(err);
        break;
    }
  }
  return std::nullopt;
}

void print_help(std::ostream& out) {
  out << "NVIDIA System Management Interface -- simulated by aimicius-hostsim\n\n"
         "nvidia-smi [OPTION1 [ARG1]] [OPTION2 [ARG2]] ...\n\n"
         "    -h,   --help                 Print usage information and exit.\n"
         "    -L,   --list-gpus            Display a list of GPUs connected to the system.\n"
         "    -q,   --query                Display GPU or Unit info.\n"
         "    -i,   --id=                  Target a specific GPU.\n"
         "    -f,   --filename=            Log to a specified file, rather than to stdout.\n"
         "    -x,   --xml-format           Produce XML output.\n"
         "    -d,   --display=             Display only selected information: MEMORY, UTILIZATION, ECC,\n"
         "                                 TEMPERATURE, POWER, CLOCK, COMPUTE, PIDS, PERFORMANCE,\n"
         "                                 PAGE_RETIREMENT, ACCOUNTING, ENCODER_STATS, FBC_STATS, ROW_REMAPPER\n"
         "    -l,   --loop=                Probe until Ctrl+C at specified second interval.\n"
         "    --query-gpu=                 Information about GPU (see --help-query-gpu).\n"
         "    --query-compute-apps=        List of active compute processes (see --help-query-compute-apps).\n"
         "    --format=                    csv, with optional noheader and nounits.\n"
         "    -pm, -e, -p, -c, -r, -ac, -rac, -lgc, -rgc, -lmc, -rmc, -pl, -mig, -am, -caa\n"
         "                                 Device modifications (need root).\n"
         "    topo, nvlink, dmon, pmon, mig  Sub-commands (see nvidia-smi SUBCOMMAND -h).\n";
}

int fail_setter(const Profile& profile, const Request& request, const std::vector<int>& gpus, std::ostream& out) {
  const auto& gpu = profile.gpus.at(gpus.front());
  if (request.setter_name == "-r")
    out << "Unable to reset GPU " << bus_id(gpu) << ": Insufficient Permissions\n";
  else
    out << "Unable to " << request.setter->setter_failure << " for GPU " << bus_id(gpu)
        << ": Insufficient Permissions\n";
  out << "Terminating early due to previous errors.\n";
  return kNvsmiNoPermission;
}

int produce_output(const Profile& profile, const Request& request, const std::vector<int>& gpus, std::ostream& out,
                   std::ostream& err) {
  // Looping: loop_samples samples on the virtual clock (virtual_clock.h), no sleeping; nvidia-smi
  // takes no count, so a loop always ends with unbounded_loop_note.
  const bool looping = request.loop_interval_ms > 0;
  const int samples = looping ? profile.loop_samples : 1;
  const auto at = [&](int sample) { return profile_at(profile, sample * request.loop_interval_ms); };
  if (request.query_gpu || request.query_apps) {
    if (!request.format) {
      err << "--format must be specified with --query-gpu or --query-compute-apps\n";
      return invalid_arguments(err);
    }
    const auto format = parse_csv_format(*request.format);
    if (!format) return invalid_arguments(err);
    for (int s = 0; s < samples; ++s) {
      CsvFormat sample_format = *format;
      if (s > 0) sample_format.header = false;
      const Profile sampled = at(s);
      const int status = request.query_gpu
                             ? print_query_gpu(sampled, gpus, *request.query_gpu, sample_format, out, err)
                             : print_query_compute_apps(sampled, gpus, *request.query_apps, sample_format, out, err);
      if (status != kExitOk) return status;
    }
    if (looping) out << unbounded_loop_note(samples);
    return kExitOk;
  }
  if (request.list) {
    print_gpu_list(profile, gpus, out);
    return kExitOk;
  }
  if (request.query) {
    for (int s = 0; s < samples; ++s) {
      const Profile sampled = at(s);
      if (request.xml) {
        if (!request.display.empty()) return not_simulated("nvidia-smi", "-q -x -d", err);
        print_query_xml(sampled, gpus, out);
      } else if (const int status = print_query_report(sampled, gpus, request.display, out, err)) {
        return status;
      }
    }
    if (looping) out << unbounded_loop_note(samples);
    return kExitOk;
  }
  for (int s = 0; s < samples; ++s) print_summary_table(at(s), gpus, out);
  if (looping) out << unbounded_loop_note(samples);
  return kExitOk;
}

int run_main_mode(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  Request request;
  if (const auto status = parse_request(args, request, err)) return *status;
  if (request.help) {
    print_help(out);
    return kExitOk;
  }
  if (request.help_query_gpu) {
    print_help_query_gpu(out);
    return kExitOk;
  }
  if (request.help_query_apps) {
    print_help_query_compute_apps(out);
    return kExitOk;
  }
  if (request.unsupported_query) return not_simulated("nvidia-smi", *request.unsupported_query, err);
  if (request.dtd) return not_simulated("nvidia-smi", "--dtd", err);
  const int output_modes = (request.query ? 1 : 0) + (request.list ? 1 : 0) + (request.query_gpu ? 1 : 0) +
                           (request.query_apps ? 1 : 0) + (request.setter ? 1 : 0);
  if (output_modes > 1 || (request.xml && !request.query) || (!request.display.empty() && !request.query) ||
      (request.format && !request.query_gpu && !request.query_apps))
    return invalid_arguments(err);
  std::vector<int> gpus = all_gpus(profile);
  if (request.ids) {
    const auto selected = select_gpus(profile, *request.ids);
    if (!selected) return no_devices(err);
    gpus = *selected;
  }
  if (gpus.empty()) return no_devices(err);
  if (request.setter) return fail_setter(profile, request, gpus, out);
  if (!request.file) return produce_output(profile, request, gpus, out, err);
  std::ostringstream buffer;
  const int status = produce_output(profile, request, gpus, buffer, err);
  std::ofstream file(*request.file);
  if (!file) {
    err << "Failed to open file " << *request.file << "\n";
    return kNvsmiInvalidArgument;
  }
  file << buffer.str();
  return status;
}

}  // namespace

int run_nvidia_smi(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty()) {
    const Args rest(args.begin() + 1, args.end());
    const auto& sub = args.front();
    if (sub == "topo") return run_topo(profile, rest, out, err);
    if (sub == "nvlink") return run_nvlink(profile, rest, out, err);
    if (sub == "dmon") return run_dmon(profile, rest, out, err);
    if (sub == "pmon") return run_pmon(profile, rest, out, err);
    if (sub == "mig") return run_mig(profile, rest, out, err);
    if (sub == "clocks" || sub == "vgpu" || sub == "drain" || sub == "conf-compute" || sub == "c2c" ||
        sub == "gpm" || sub == "mem-ecc")
      return not_simulated("nvidia-smi", sub, err);
  }
  return run_main_mode(profile, args, out, err);
}

}  // namespace aimicius::hostsim
