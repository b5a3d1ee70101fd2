// nvidia-smi mig: -lgip (GPU instance profiles), -lgi / -lci (instances), and the privileged
// -cgi/-dgi/-cci/-dci (fail as on a non-root account, exit 4).
// Invariants: the simulated host has no MIG instances, so -lgi/-lci report none (exit 6 like
// the real tool); -lgip lists the profile's MIG profiles per GPU with "free" instances 0 while
// MIG is disabled; GPUs without MIG profiles make -lgip report "No MIG-supported devices found."
#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {
namespace {

const std::string kRule = "+" + std::string(77, '-') + "+";

std::string row(const std::string& inner) { return fmt::format("|{:<77}|\n", inner); }

void print_profiles(const Profile& profile, const std::vector<int>& gpus, std::ostream& out) {
  out << kRule << '\n' << row(" GPU instance profiles:");
  out << row(" GPU   Name             ID    Instances   Memory     P2P    SM    DEC   ENC");
  out << row("                              Free/Total   GiB              CE    JPEG  OFA");
  out << "|" << std::string(77, '=') << "|\n";
  bool first = true;
  for (int index : gpus) {
    const auto& gpu = profile.gpus.at(index);
    for (const auto& mig : gpu.mig_profiles) {
      if (!first) out << kRule << '\n';
      first = false;
      const int free = gpu.mig_mode == "Enabled" ? mig.instances_total : 0;
      out << row(fmt::format(" {:>3}  {:<16}{:>3}    {:>4}      {:>6.2f}     {:<5}{:>5}  {:>4}  {:>4}", index,
                             mig.name, mig.id, fmt::format("{}/{}", free, mig.instances_total), mig.memory_gib,
                             mig.p2p ? "Yes" : "No", mig.sm, mig.dec, mig.enc));
      out << row(fmt::format("{:>60}  {:>4}  {:>4}", mig.ce, mig.jpeg, mig.ofa));
    }
  }
  out << kRule << '\n';
}

}  // namespace

int run_mig(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  std::vector<int> gpus = all_gpus(profile);
  std::string action;
  bool privileged = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& name = args[i];
    if (name == "-i" || name == "--id") {
      if (i + 1 >= args.size()) return invalid_arguments(err);
      const auto selected = select_gpus(profile, args[++i]);
      if (!selected) return no_devices(err);
      gpus = *selected;
    } else if (name == "-lgip" || name == "--list-gpu-instance-profiles" || name == "-lgi" ||
               name == "--list-gpu-instances" || name == "-lci" || name == "--list-compute-instances") {
      if (!action.empty()) return invalid_arguments(err);
      action = name == "--list-gpu-instance-profiles" ? "-lgip"
               : name == "--list-gpu-instances"      ? "-lgi"
               : name == "--list-compute-instances"  ? "-lci"
                                                     : name;
    } else if (name == "-cgi" || name == "--create-gpu-instance" || name == "-cci" ||
               name == "--create-compute-instance") {
      if (!action.empty() || i + 1 >= args.size()) return invalid_arguments(err);
      action = "create";
      privileged = true;
      ++i;
    } else if (name == "-dgi" || name == "--destroy-gpu-instance" || name == "-dci" ||
               name == "--destroy-compute-instance") {
      if (!action.empty()) return invalid_arguments(err);
      action = "destroy";
      privileged = true;
    } else if (name == "-C" || name == "--default-compute-instance") {
      if (action != "create") return invalid_arguments(err);
    } else if (name == "-gi" || name == "--gpu-instance-id" || name == "-ci" || name == "--compute-instance-id") {
      if (i + 1 >= args.size()) return invalid_arguments(err);
      ++i;
    } else if (name == "-lgipp" || name == "-lcip" || name == "--list-compute-instance-profiles") {
      return not_simulated("nvidia-smi", "mig " + name, err);
    } else {
      return invalid_arguments(err);
    }
  }
  if (action.empty()) return invalid_arguments(err);
  bool any_enabled = false, any_supported = false;
  for (int index : gpus) {
    any_enabled = any_enabled || profile.gpus.at(index).mig_mode == "Enabled";
    any_supported = any_supported || !profile.gpus.at(index).mig_profiles.empty();
  }
  if (privileged) {
    if (!any_enabled) {
      out << "No MIG-enabled devices found.\n";
      return kNvsmiNotFound;
    }
    out << "Unable to " << action << " instances on GPU " << gpus.front() << ": Insufficient Permissions\n";
    return kNvsmiNoPermission;
  }
  if (action == "-lgip") {
    if (!any_supported) {
      out << "No MIG-supported devices found.\n";
      return kNvsmiNotFound;
    }
    print_profiles(profile, gpus, out);
    return kExitOk;
  }
  out << (any_enabled ? (action == "-lgi" ? "No GPU instances found.\n" : "No compute instances found.\n")
                      : "No MIG-enabled devices found.\n");
  return kNvsmiNotFound;
}

}  // namespace aimicius::hostsim::nvsmi
