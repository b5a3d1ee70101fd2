// rocminfo (HSA system attributes and agent list, subset) and rocm_agent_enumerator.
// Invariants: CPU agents come first (profile.rocm.cpu_agents), then one GPU agent per GCD in
// profile order; rocm_agent_enumerator prints gfx000 for the CPU then each GPU's gfx target.
#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

void kv(std::ostream& out, const std::string& indent, const std::string& key, const std::string& value) {
  out << fmt::format("{}{:<25}{:<35}\n", indent, key + ":", value);
}

}  // namespace

int run_rocminfo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty()) {
    if (args[0] == "--help" || args[0] == "-h") {
      out << "Usage: rocminfo\n";
      return kExitOk;
    }
    return not_simulated("rocminfo", args[0], err);
  }
  const RocmInfo rocm = profile.rocm.value_or(RocmInfo{});
  out << "ROCk module version " << rocm.driver_version << " is loaded\n";
  out << "=====================    \nHSA System Attributes    \n=====================    \n";
  kv(out, "", "Runtime Version", "1.14");
  kv(out, "", "Runtime Ext Version", "1.6");
  kv(out, "", "System Timestamp Freq.", "1000.000000MHz");
  kv(out, "", "Machine Model", "LARGE");
  kv(out, "", "System Endianness", "LITTLE");
  kv(out, "", "Mwaitx", "DISABLED");
  kv(out, "", "DMAbuf Support", "YES");
  out << "\n==========               \nHSA Agents               \n==========               \n";
  int agent = 1;
  for (int c = 0; c < rocm.cpu_agents; ++c, ++agent) {
    out << "*******                  \nAgent " << agent << "                  \n*******                  \n";
    kv(out, "  ", "Name", rocm.cpu_name);
    kv(out, "  ", "Uuid", "CPU-XX");
    kv(out, "  ", "Marketing Name", rocm.cpu_name);
    kv(out, "  ", "Vendor Name", "CPU");
    kv(out, "  ", "Feature", "None specified");
    kv(out, "  ", "Profile", "FULL_PROFILE");
    kv(out, "  ", "Node", std::to_string(c));
    kv(out, "  ", "Device Type", "CPU");
    kv(out, "  ", "Compute Unit", std::to_string(rocm.cpu_compute_units));
  }
  for (const auto& gpu : profile.gpus) {
    if (!gpu.amd) continue;
    const auto& a = *gpu.amd;
    int max_sclk = 0;
    for (const auto& domain : a.clocks)
      if (domain.name == "sclk" && !domain.levels_mhz.empty()) max_sclk = domain.levels_mhz.back();
    out << "*******                  \nAgent " << agent++ << "                  \n*******                  \n";
    kv(out, "  ", "Name", a.gfx_target);
    kv(out, "  ", "Uuid", gpu.uuid);
    kv(out, "  ", "Marketing Name", a.market_name.empty() ? a.card_series : a.market_name);
    kv(out, "  ", "Vendor Name", "AMD");
    kv(out, "  ", "Feature", "KERNEL_DISPATCH");
    kv(out, "  ", "Profile", "BASE_PROFILE");
    kv(out, "  ", "Node", std::to_string(a.node_id));
    kv(out, "  ", "Device Type", "GPU");
    kv(out, "  ", "Chip ID", std::to_string(std::stoi(a.card_model.empty() ? "0" : a.card_model, nullptr, 16)) +
                                  "(" + a.card_model + ")");
    kv(out, "  ", "Max Clock Freq. (MHz)", std::to_string(max_sclk));
    kv(out, "  ", "BDFID", std::to_string(gpu.index));
    kv(out, "  ", "Internal Node ID", std::to_string(a.node_id));
    kv(out, "  ", "Compute Unit", std::to_string(a.compute_units));
    kv(out, "  ", "Wavefront Size", "64(0x40)");
    out << "  ISA Info:               \n    ISA 1                    \n";
    kv(out, "      ", "Name", "amdgcn-amd-amdhsa--" + a.gfx_target + ":sramecc+:xnack-");
  }
  out << "*** Done ***             \n";
  return kExitOk;
}

int run_rocm_agent_enumerator(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty()) return not_simulated("rocm_agent_enumerator", args[0], err);
  out << "gfx000\n";
  for (const auto& gpu : profile.gpus)
    if (gpu.amd) out << gpu.amd->gfx_target << '\n';
  return kExitOk;
}

}  // namespace aimicius::hostsim
