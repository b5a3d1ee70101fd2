// mpirun (Open MPI syntax), simulated for single-node launches of the nccl-tests / rccl-tests
// binaries: `mpirun -np N [-H localhost:N | -H <this host>:N] [-x VAR[=VALUE]] [--bind-to X]
// [--map-by X] [--mca K V] [--allow-run-as-root] [--oversubscribe] PROGRAM ARGS...` runs PROGRAM as N
// processes on this host and prints what rank 0 prints (one table; one "# Rank" line per GPU, the
// process ids differing per process). Multi-node launches (-H naming another host, --hostfile),
// launches without -np and programs other than the collective tests are not simulated (exit 64).
#include <optional>

#include <fmt/format.h>

#include "hostsim/collective_tests.h"
#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

bool is_local_host(const std::string& host, const Profile& profile) {
  return host == "localhost" || host == "127.0.0.1" || host == profile.hostname;
}

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int run_mpirun(const Profile& profile, const Args& args, const ToolEnvironment& env, std::ostream& out,
               std::ostream& err) {
  ToolEnvironment child_env = env;
  long nprocs = -1, slots = -1;
  bool oversubscribe = false;
  std::size_t i = 0;
  const auto value_of = [&](const std::string& option) -> std::optional<std::string> {
    if (i + 1 >= args.size()) {
      err << "mpirun: Error: option \"" << option << "\" did not have enough parameters (1)\n";
      return std::nullopt;
    }
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.empty() || arg[0] != '-') break;  // the program
    std::optional<std::string> inline_value;
    if (starts_with(arg, "--")) inline_value = split_inline_value(arg);
    const auto next = [&]() -> std::optional<std::string> { return inline_value ? inline_value : value_of(arg); };
    if (arg == "-np" || arg == "--np" || arg == "-n" || arg == "-c") {
      const auto v = next();
      if (!v) return 1;
      const auto n = parse_long(*v);
      if (!n || *n < 1) {
        err << "mpirun: Error: the number of processes must be a positive integer, not \"" << *v << "\"\n";
        return 1;
      }
      nprocs = *n;
    } else if (arg == "-H" || arg == "--host" || arg == "-host") {
      const auto v = next();
      if (!v) return 1;
      slots = 0;
      for (const auto& entry : split(*v, ',')) {
        const auto parts = split(entry, ':');
        if (!is_local_host(parts[0], profile))
          return not_simulated("mpirun", "-H " + *v + " (a multi-node launch)", err);
        slots += parts.size() > 1 ? parse_long(parts[1]).value_or(1) : 1;
      }
    } else if (arg == "--hostfile" || arg == "-hostfile" || arg == "--machinefile" || arg == "-machinefile") {
      return not_simulated("mpirun", arg + " (a multi-node launch)", err);
    } else if (arg == "-x") {
      const auto v = next();
      if (!v) return 1;
      const auto eq = v->find('=');
      if (eq != std::string::npos) child_env.set(v->substr(0, eq), v->substr(eq + 1));
    } else if (arg == "--mca" || arg == "-mca") {
      if (!value_of(arg) || !value_of(arg)) return 1;
    } else if (arg == "--bind-to" || arg == "--map-by" || arg == "--rank-by" || arg == "-N" || arg == "--npernode") {
      if (!next()) return 1;
    } else if (arg == "--oversubscribe") {
      oversubscribe = true;
    } else if (arg == "--allow-run-as-root" || arg == "--tag-output" || arg == "--report-bindings" ||
               arg == "--display-map") {
    } else {
      err << "mpirun: Error: unknown option \"" << args[i] << "\"\nType 'mpirun --help' for usage.\n";
      return 1;
    }
  }
  if (i >= args.size()) {
    err << "mpirun could not find anything to do.\n";
    return 1;
  }
  const std::string program = basename_of(args[i]);
  const CollectiveKind* kind = find_collective(program);
  if (!kind) return not_simulated("mpirun", "program " + args[i], err);
  if (nprocs < 0) return not_simulated("mpirun", "without -np (one process per core)", err);
  if (slots >= 0 && nprocs > slots && !oversubscribe) {
    err << fmt::format("There are not enough slots available in the system to satisfy the {} slots\n"
                       "that were requested by the application:\n\n  {}\n\n"
                       "Either request fewer slots for your application, or make more slots available for use.\n",
                       nprocs, args[i]);
    return 1;
  }
  const Args program_args(args.begin() + static_cast<long>(i) + 1, args.end());
  const int status = run_collective_processes(*kind, profile, program_args, child_env, static_cast<int>(nprocs), out, err);
  if (status != 0 && status != kExitNotSimulated)
    err << fmt::format("mpirun: {} exited with status {} on {}; the job was aborted\n", program, status,
                       profile.hostname);
  return status;
}

}  // namespace aimicius::hostsim
