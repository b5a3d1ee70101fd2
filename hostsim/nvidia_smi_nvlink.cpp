// nvidia-smi nvlink: -s/--status (per-link speed), -e/--errorcounters (replay, recovery, CRC),
// with -i/--id to select GPUs and -l/--link to select one link.
// Invariants: GPUs without NVLink print only their "GPU i: name (UUID: ...)" line; other
// nvlink options (-c, -p, -R, -gt, ...) are not simulated (exit 64).
#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {

int run_nvlink(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  bool status = false, errors = false;
  std::optional<std::string> ids;
  std::optional<long> link;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value = split_inline_value(name);
    auto take_value = [&]() -> bool {
      if (value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (name == "-s" || name == "--status") status = true;
    else if (name == "-e" || name == "--errorcounters") errors = true;
    else if (name == "-i" || name == "--id") {
      if (!take_value()) return invalid_arguments(err);
      ids = *value;
    } else if (name == "-l" || name == "--link") {
      if (!take_value() || !parse_long(*value)) return invalid_arguments(err);
      link = parse_long(*value);
    } else if (name == "-c" || name == "--capabilities" || name == "-p" || name == "--pcibusid" || name == "-R" ||
               name == "-gt" || name == "-sc" || name == "-gc" || name == "-r" || name == "-g" || name == "-ec" ||
               name == "-h" || name == "--help") {
      return not_simulated("nvidia-smi", "nvlink " + name, err);
    } else {
      return invalid_arguments(err);
    }
  }
  if (status == errors) return invalid_arguments(err);  // exactly one report
  std::vector<int> gpus = all_gpus(profile);
  if (ids) {
    const auto selected = select_gpus(profile, *ids);
    if (!selected) return no_devices(err);
    gpus = *selected;
  }
  for (int index : gpus) {
    const auto& gpu = profile.gpus.at(index);
    out << "GPU " << gpu.index << ": " << gpu.name << " (UUID: " << gpu.uuid << ")\n";
    for (const auto& l : gpu.nvlinks) {
      if (link && l.link != *link) continue;
      if (status) {
        if (l.active) out << fmt::format("\t Link {}: {:.3f} GB/s\n", l.link, l.speed_gbps);
        else out << fmt::format("\t Link {}: <inactive>\n", l.link);
      } else {
        out << fmt::format("\t Link {}: Replay Errors: {}\n", l.link, l.replay_errors);
        out << fmt::format("\t Link {}: Recovery Errors: {}\n", l.link, l.recovery_errors);
        out << fmt::format("\t Link {}: CRC Errors: {}\n", l.link, l.crc_errors);
      }
    }
  }
  return kExitOk;
}

}  // namespace aimicius::hostsim::nvsmi
