// nvcc: --version/-V, --list-gpu-arch/-arch-ls, --list-gpu-code/-code-ls, --help.
// Invariant: nothing is compiled: any other invocation (a compilation) is reported as not
// simulated (exit 64), never faked.
#include "hostsim/exit_codes.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {

int run_nvcc(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (!profile.cuda_toolkit) return not_simulated("nvcc", "(no CUDA toolkit in the profile)", err);
  const auto& toolkit = *profile.cuda_toolkit;
  if (args.empty()) {
    err << "nvcc fatal   : No input files specified; use option --help for more information\n";
    return 1;
  }
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "-V")) {
    out << "nvcc: NVIDIA (R) Cuda compiler driver\n"
        << "Copyright (c) " << toolkit.copyright_years << " NVIDIA Corporation\n"
        << "Built on " << toolkit.built_on << '\n'
        << "Cuda compilation tools, release " << toolkit.release << ", V" << toolkit.version << '\n'
        << "Build " << toolkit.build << '\n';
    return kExitOk;
  }
  if (args.size() == 1 && (args[0] == "--list-gpu-arch" || args[0] == "-arch-ls")) {
    for (const auto& arch : toolkit.gpu_archs) out << arch << '\n';
    return kExitOk;
  }
  if (args.size() == 1 && (args[0] == "--list-gpu-code" || args[0] == "-code-ls")) {
    for (const auto& code : toolkit.gpu_codes) out << code << '\n';
    return kExitOk;
  }
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    out << "Usage  : nvcc [options] <inputfile>\n\n"
           "Simulated by aimicius-hostsim: only --version (-V), --list-gpu-arch (-arch-ls),\n"
           "--list-gpu-code (-code-ls) and --help are answered; compilation is not simulated.\n";
    return kExitOk;
  }
  for (const auto& arg : args)
    if (!arg.empty() && arg[0] != '-') return not_simulated("nvcc", "compilation", err);
  return not_simulated("nvcc", args.front(), err);
}

}  // namespace aimicius::hostsim
