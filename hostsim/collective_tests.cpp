// nccl-tests / rccl-tests simulation: the common option set of every *_perf binary (-t -g -b -e -i
// -f -n -m -w -p -c -o -d -r -z -y -T -G -C -a -h and their long forms), the run header with one
// "# Rank" line per GPU, one row per (datatype, op, size) with out-of-place and in-place
// time/algbw/busbw/#wrong, and the closing "Avg bus bandwidth" line. Numbers come from
// collective_model.h. Unknown options are a usage error (exit 1; the real binaries print the usage
// and exit 0, which would let an invented flag look like a clean run). Asking for more GPUs than
// the host shows fails with exit 1. Sweeps of more than kMaxRows sizes are not simulated.
#include "hostsim/collective_tests.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

constexpr std::size_t kMaxRows = 4096;
constexpr long kPidBase = 20417;  // simulated process ids: kPidBase + 37 * process

struct TypeInfo {
  const char* name;
  int size;
};
constexpr TypeInfo kTypes[] = {{"int8", 1},  {"uint8", 1},  {"int32", 4},  {"uint32", 4}, {"int64", 8},
                               {"uint64", 8}, {"half", 2}, {"float", 4}, {"double", 8}, {"bfloat16", 2}};
constexpr const char* kOps[] = {"sum", "prod", "max", "min", "avg", "mulsum"};

struct Option {
  char short_name;
  const char* long_name;
};
constexpr Option kOptions[] = {
    {'t', "nthreads"},  {'g', "ngpus"},   {'b', "minbytes"},       {'e', "maxbytes"},    {'i', "stepbytes"},
    {'f', "stepfactor"}, {'n', "iters"},  {'m', "agg_iters"},      {'w', "warmup_iters"}, {'p', "parallel_init"},
    {'c', "check"},     {'o', "op"},      {'d', "datatype"},       {'r', "root"},        {'z', "blocking"},
    {'y', "stream_null"}, {'T', "timeout"}, {'G', "cudagraph"},     {'C', "report_cputime"}, {'a', "average"},
};

struct Settings {
  long threads = 1, gpus = 1;
  std::uint64_t min_bytes = 32u << 20, max_bytes = 32u << 20, step_bytes = 1u << 20;
  long step_factor = 1, iters = 20, agg_iters = 1, warmup = 5, parallel_init = 0, check = 1, root = 0;
  long blocking = 0, graph = 0, cputime = 0;
  long average = 1;  // -a: which rank's time is reported: 0 rank 0, 1 mean, 2 min, 3 max
  std::vector<TypeInfo> types = {{"float", 4}};
  std::vector<std::string> ops = {"sum"};
};

long strtol_like(const std::string& text) { return std::strtol(text.c_str(), nullptr, 0); }

void usage(const std::string& tool, std::ostream& out) {
  out << "USAGE: " << tool << " \n"
      << "\t[-t,--nthreads <num threads>] \n\t[-g,--ngpus <gpus per thread>] \n"
      << "\t[-b,--minbytes <min size in bytes>] \n\t[-e,--maxbytes <max size in bytes>] \n"
      << "\t[-i,--stepbytes <increment size>] \n\t[-f,--stepfactor <increment factor>] \n"
      << "\t[-n,--iters <iteration count>] \n\t[-m,--agg_iters <aggregated iteration count>] \n"
      << "\t[-w,--warmup_iters <warmup iteration count>] \n\t[-p,--parallel_init <0/1>] \n"
      << "\t[-c,--check <0/1>] \n\t[-o,--op <sum/prod/min/max/avg/mulsum/all>] \n"
      << "\t[-d,--datatype <nccltype/all>] \n\t[-r,--root <root>] \n\t[-z,--blocking <0/1>] \n"
      << "\t[-y,--stream_null <0/1>] \n\t[-T,--timeout <time in seconds>] \n"
      << "\t[-G,--cudagraph <num graph launches>] \n\t[-C,--report_cputime <0/1>] \n"
      << "\t[-a,--average <0/1/2/3> report average iteration time <0=RANK0/1=AVG/2=MIN/3=MAX>] \n"
      << "\t[-h,--help]\n";
}

// Parses args into `s`. Returns an exit status when the run ends here (help, usage error, bad
// size), nothing to go on. Notices about defaulted values go to `out`, as the real tools print them.
std::optional<int> parse(const std::string& tool, const Args& args, Settings& s, std::ostream& out,
                         std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') continue;  // getopt leaves operands alone; the tests ignore them
    char name = 0;
    std::optional<std::string> value;
    if (arg == "-h" || arg == "--help") {
      usage(tool, out);
      return kExitOk;
    }
    if (starts_with(arg, "--")) {
      value = split_inline_value(arg);
      const std::string long_name = arg.substr(2);
      for (const auto& option : kOptions)
        if (long_name == option.long_name) name = option.short_name;
      if (!name) {
        err << tool << ": unrecognized option '" << args[i] << "'\n";
        usage(tool, err);
        return 1;
      }
    } else {
      name = arg[1];
      bool known = false;
      for (const auto& option : kOptions) known = known || option.short_name == name;
      if (!known) {
        err << tool << ": invalid option -- '" << name << "'\n";
        usage(tool, err);
        return 1;
      }
      if (arg.size() > 2) value = arg.substr(2);
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        err << tool << ": option requires an argument -- '" << name << "'\n";
        usage(tool, err);
        return 1;
      }
      value = args[++i];
    }
    const std::string& v = *value;
    switch (name) {
      case 't': s.threads = strtol_like(v); break;
      case 'g': s.gpus = strtol_like(v); break;
      case 'b':
      case 'e': {
        const double size = parse_collective_size(v);
        if (size < 0) {
          err << "invalid size specified for '" << (name == 'b' ? "minbytes" : "maxbytes") << "'\n";
          return 255;
        }
        (name == 'b' ? s.min_bytes : s.max_bytes) = static_cast<std::uint64_t>(size);
        break;
      }
      case 'i': s.step_bytes = static_cast<std::uint64_t>(std::max(0L, strtol_like(v))); break;  // no suffixes
      case 'f': s.step_factor = strtol_like(v); break;
      case 'n': s.iters = strtol_like(v); break;
      case 'm': s.agg_iters = strtol_like(v); break;
      case 'w': s.warmup = strtol_like(v); break;
      case 'p': s.parallel_init = strtol_like(v); break;
      case 'c': s.check = strtol_like(v); break;
      case 'r': s.root = strtol_like(v); break;
      case 'z': s.blocking = strtol_like(v); break;
      case 'G': s.graph = strtol_like(v); break;
      case 'C': s.cputime = strtol_like(v); break;
      case 'a': s.average = strtol_like(v); break;
      case 'y': case 'T': break;  // accepted; the real tool prints the same (timing noise aside)
      case 'o':
        if (v == "all") {
          s.ops.assign(std::begin(kOps), std::end(kOps));
        } else if (std::find(std::begin(kOps), std::end(kOps), v) != std::end(kOps)) {
          s.ops = {v};
        } else {
          out << "invalid op " << v << ", defaulting to sum .. \n";
          s.ops = {"sum"};
        }
        break;
      case 'd': {
        if (v == "all") {
          s.types.assign(std::begin(kTypes), std::end(kTypes));
          break;
        }
        const TypeInfo* found = nullptr;
        for (const auto& type : kTypes)
          if (v == type.name) found = &type;
        if (!found) out << "invalid type " << v << ", defaulting to float .. \n";
        s.types = {found ? *found : TypeInfo{"float", 4}};
        break;
      }
      default: break;
    }
  }
  if (s.threads < 1 || s.gpus < 1) {
    err << tool << ": the number of threads (-t) and of GPUs per thread (-g) must be at least 1\n";
    return 1;
  }
  if (s.min_bytes > s.max_bytes) {
    err << "invalid sizes for 'minbytes' and 'maxbytes': " << s.min_bytes << " > " << s.max_bytes << '\n';
    return 255;
  }
  return std::nullopt;
}

// The ranks do not finish an iteration at once: rank r takes (1 + skew_r) / (1 + mean skew) x the
// modelled time (the model is the mean), skew_r = 0.8% x ((5r + 2) mod n) / n. -a picks which time
// a row reports: rank 0's (0), the mean (1, the default), the fastest (2) or the slowest (3) rank's;
// other values report the mean.
double reported_time_factor(long average, long nranks) {
  if (nranks <= 1) return 1.0;
  auto skew = [&](long r) { return 0.008 * static_cast<double>((5 * r + 2) % nranks) / static_cast<double>(nranks); };
  double lo = skew(0), hi = skew(0), sum = 0;
  for (long r = 0; r < nranks; ++r) {
    lo = std::min(lo, skew(r));
    hi = std::max(hi, skew(r));
    sum += skew(r);
  }
  const double mean = 1.0 + sum / static_cast<double>(nranks);
  switch (average) {
    case 0: return (1.0 + skew(0)) / mean;
    case 2: return (1.0 + lo) / mean;
    case 3: return (1.0 + hi) / mean;
    default: return 1.0;
  }
}

std::vector<std::uint64_t> sweep(const Settings& s) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t size = s.min_bytes; size <= s.max_bytes && sizes.size() <= kMaxRows;
       size = s.step_factor > 1 ? size * static_cast<std::uint64_t>(s.step_factor) : size + s.step_bytes) {
    sizes.push_back(size);
    if ((s.step_factor > 1 && size == 0) || (s.step_factor <= 1 && s.step_bytes == 0)) {
      sizes.resize(kMaxRows + 1);  // never advances: the real binary loops forever
      break;
    }
  }
  return sizes;
}

// Visible GPUs as the process sees them (CUDA_VISIBLE_DEVICES; on AMD ROCR_ then HIP_VISIBLE_DEVICES,
// and CUDA_VISIBLE_DEVICES, which HIP also honours, when HIP_ is unset).
Profile visible_view(const Profile& profile, const ToolEnvironment& env) {
  Profile view = profile;
  if (profile.platform == "amd") {
    if (const auto* rocr = env.find("ROCR_VISIBLE_DEVICES")) view = with_visible_gpus(view, *rocr);
    if (const auto* hip = env.find("HIP_VISIBLE_DEVICES")) return with_visible_gpus(view, *hip);
  }
  if (const auto* cuda = env.find("CUDA_VISIBLE_DEVICES")) return with_visible_gpus(view, *cuda);
  return view;
}

int pci_bus_number(const std::string& bus_id) {
  const auto parts = split(bus_id, ':');
  return parts.size() >= 2 ? static_cast<int>(std::strtol(parts[1].c_str(), nullptr, 16)) : 0;
}

// "0000:18:00.0" -> "18000", the busId spelling of NCCL's INFO lines.
std::string nccl_bus_id(const std::string& bus_id) {
  const auto parts = split(bus_id, ':');
  if (parts.size() < 3) return bus_id;
  std::string tail = parts[2];
  tail.erase(std::remove(tail.begin(), tail.end(), '.'), tail.end());
  std::string lead = parts[0] == "0000" ? "" : parts[0];
  while (!lead.empty() && lead[0] == '0') lead.erase(0, 1);
  return lead + parts[1] + tail;
}

void print_debug(const Profile& p, const CollectiveKind& kind, const std::vector<int>& devices, int per_proc,
                 const LinkModel& link, const std::string& level, std::ostream& out) {
  if (!p.collectives) return;
  const std::string version = fmt::format("{} version {}{}", p.collectives->name, p.collectives->version,
                                          p.collectives->build.empty() ? "" : "+" + p.collectives->build);
  const std::string upper = to_upper(level);
  if (upper == "VERSION") {
    out << version << '\n';
    return;
  }
  if (upper != "INFO" && upper != "TRACE") return;
  const int n = static_cast<int>(devices.size());
  const int channels = link.fabric == "NVLink" ? 24 : link.fabric == "XGMI" ? 16 : 2;
  for (int r = 0; r < n; ++r) {
    const long pid = kPidBase + 37 * (r / per_proc);
    const std::string prefix = fmt::format("{}:{}:{} [{}] NCCL INFO ", p.hostname, pid, pid, devices[r]);
    if (r == 0) {
      out << prefix << version << '\n';
      std::string ring;
      for (int k = 0; k < n; ++k) ring += fmt::format(" {}", k);
      out << prefix << fmt::format("Channel 00/{:02d} :{}", channels, ring) << '\n';
    }
    out << prefix
        << fmt::format("comm 0x{:x} rank {} nranks {} cudaDev {} busId {} - Init COMPLETE",
                       0x55d0c0a00000L + 0x1000L * r, r, n, devices[r], nccl_bus_id(p.gpus[devices[r]].pci_bus_id))
        << '\n';
  }
  (void)kind;
}

}  // namespace

double parse_collective_size(const std::string& text) {
  const char* start = text.c_str();
  char* end = nullptr;
  const double number = std::strtod(start, &end);
  if (end == start) return -1.0;
  while (*end == ' ' || *end == '\t') ++end;
  double unit = 1;
  switch (*end) {
    case '\0': break;
    case 'G': case 'g': unit = 1024.0 * 1024 * 1024; break;
    case 'M': case 'm': unit = 1024.0 * 1024; break;
    case 'K': case 'k': unit = 1024.0; break;
    default: return -1.0;
  }
  return number * unit;
}

std::string format_collective_number(double value, int width) {
  int digits = 0;  // digits of the integer part (0 for values below 1)
  for (double bound = 1; value >= bound && digits < 40; bound *= 10) ++digits;
  if (digits < width - 2) return fmt::format("{:>{}.2f}", value, width);
  if (digits < width - 1) return fmt::format("{:>{}.1f}", value, width);
  if (digits < width + 1) return fmt::format("{:>{}.0f}", value, width);
  return fmt::format("{:>{}.1e}", value, width);
}

int run_collective_processes(const CollectiveKind& kind, const Profile& profile, const Args& args,
                             const ToolEnvironment& env, int nprocs, std::ostream& out, std::ostream& err) {
  const std::string tool = kind.tool;
  Settings s;
  if (const auto status = parse(tool, args, s, out, err)) return *status;
  const auto sizes = sweep(s);
  if (sizes.size() > kMaxRows) return not_simulated(tool, "a sweep of more than 4096 sizes", err);

  const Profile view = visible_view(profile, env);
  const int per_proc = static_cast<int>(s.threads * s.gpus);
  const int nranks = nprocs * per_proc;
  if (nranks > static_cast<int>(view.gpus.size())) {
    err << fmt::format("{}: {} GPUs requested ({} process{} x {} thread{} x {} GPU{}) but only {} {} visible on {}\n",
                       tool, nranks, nprocs, nprocs == 1 ? "" : "es", s.threads, s.threads == 1 ? "" : "s", s.gpus,
                       s.gpus == 1 ? "" : "s", view.gpus.size(), view.gpus.size() == 1 ? "is" : "are",
                       profile.hostname);
    return 1;
  }
  if (kind.rooted && (s.root < 0 || s.root >= nranks)) {
    err << fmt::format("{}: invalid root {} for {} ranks\n", tool, s.root, nranks);
    return 1;
  }
  if (std::string(kind.tool) == "hypercube_perf" && (nranks & (nranks - 1)) != 0) {
    err << fmt::format("{}: the hypercube test needs a power-of-two number of ranks, not {}\n", tool, nranks);
    return 1;
  }
  std::vector<int> devices;  // rank -> device index (single node: process p uses p*per_proc + i)
  for (int r = 0; r < nranks; ++r) devices.push_back(r);

  out << fmt::format(
      "# nThread {} nGpus {} minBytes {} maxBytes {} step: {}({}) warmup iters: {} iters: {} agg iters: {} "
      "validation: {} graph: {}\n",
      s.threads, s.gpus, s.min_bytes, s.max_bytes, s.step_factor > 1 ? s.step_factor : static_cast<long>(s.step_bytes),
      s.step_factor > 1 ? "factor" : "bytes", s.warmup, s.iters, s.agg_iters, s.check, s.graph);
  if (s.blocking) out << "# Blocking Enabled: wait for completion and barrier after each collective \n";
  if (s.parallel_init) out << "# Parallel Init Enabled: threads call into NcclInitRank concurrently \n";
  out << "#\n# Using devices\n";
  std::uint64_t max_mem = ~std::uint64_t{0};
  for (int r = 0; r < nranks; ++r) {
    const Gpu& gpu = view.gpus[devices[r]];
    out << fmt::format("#  Rank {:2d} Group {:2d} Pid {:6d} on {:>10} device {:2d} [0x{:02x}] {}\n", r, 0,
                       kPidBase + 37 * (r / per_proc), profile.hostname, devices[r] % per_proc + (r / per_proc) * per_proc,
                       pci_bus_number(gpu.pci_bus_id), gpu.name);
    max_mem = std::min<std::uint64_t>(max_mem, static_cast<std::uint64_t>(gpu.memory_total_mib) << 20);
  }
  std::uint64_t max_bytes = s.max_bytes;
  const std::uint64_t reserve = std::uint64_t{2} << 30;
  const std::uint64_t mem_max = max_mem > reserve ? (max_mem - reserve) / (s.check ? 3 : 2) : 0;
  if (max_bytes > mem_max) {
    max_bytes = mem_max;
    out << "#\n# Reducing maxBytes to " << max_bytes << " due to memory limitation\n";
  }
  const LinkModel link = link_model(view, devices);
  if (const auto* level = env.find("NCCL_DEBUG")) print_debug(view, kind, devices, per_proc, link, *level, out);

  const char* time_label = s.cputime ? "cputime" : "time";
  out << "#\n";
  out << fmt::format("# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}", "", "", "", "", "")
      << "           out-of-place                       in-place          \n";
  out << fmt::format("# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6} {:>6}  {:>7}  {:>6}  {:>6} {:>6}\n",
                     "size", "count", "type", "redop", "root", time_label, "algbw", "busbw", "#wrong", time_label,
                     "algbw", "busbw", "#wrong");
  out << fmt::format("# {:>10}  {:>12}  {:>8}  {:>6}  {:>6}  {:>7}  {:>6}  {:>6}  {:>5}  {:>7}  {:>6}  {:>6}  {:>5}\n",
                     "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");

  const TimingOptions timing{s.graph > 0, s.blocking != 0, s.cputime != 0};
  const double factor = bus_bandwidth_factor(kind, nranks);
  const double reported = reported_time_factor(s.average, nranks);
  const std::vector<std::string> ops = kind.reduces ? s.ops : std::vector<std::string>{"none"};
  double busbw_sum = 0;
  int busbw_count = 0;
  for (const auto& type : s.types)
    for (const auto& op : ops)
      for (const std::uint64_t requested : sizes) {
        if (requested > max_bytes) break;
        const RowSize row = row_size(kind, requested, type.size, nranks);
        out << fmt::format("{:12d}  {:12d}  {:>8}  {:>6}  {:6d}", row.bytes, row.count, type.name, op,
                           kind.rooted ? s.root : -1);
        for (const bool in_place : {false, true}) {
          const double time = collective_time_us(kind, row.bytes, nranks, link, timing, in_place) * reported;
          const double algbw = static_cast<double>(row.bytes) / 1e3 / time;  // GB/s
          const double busbw = algbw * factor;
          busbw_sum += busbw;
          ++busbw_count;
          out << "  " << format_collective_number(time, 7) << "  " << format_collective_number(algbw, 6) << "  "
              << format_collective_number(busbw, 6) << (s.check ? "       0" : "    N/A");
        }
        out << '\n';
      }
  out << "# Out of bounds values : 0 OK\n";
  out << fmt::format("# Avg bus bandwidth    : {:g} \n", busbw_count ? busbw_sum / busbw_count : 0.0);
  out << "#\n";
  return kExitOk;
}

int run_collective_test(const std::string& tool, const Profile& profile, const Args& args,
                        const ToolEnvironment& env, std::ostream& out, std::ostream& err) {
  const CollectiveKind* kind = find_collective(tool);
  if (!kind) return not_simulated(tool, "(not a collective test)", err);
  return run_collective_processes(*kind, profile, args, env, 1, out, err);
}

}  // namespace aimicius::hostsim
