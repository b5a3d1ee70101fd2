// lspci: the device list (default, -n, -nn, -D, -k), filters (-d [vendor]:[device][:class],
// -s [[domain:]bus:][slot][.func]), verbose forms (-v; -vv and -vvv show the PCIe link
// capability/status as when run by root) and the tree (-t, -tv).
// Invariants: devices print in profile order; the tree follows PciDevice::parent links; other
// options (-x, -xxx, -b, -m, -M, -A, -H, -i, -p, -P, -q, -Q) are not simulated (exit 64).
#include <algorithm>

#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

struct LspciOptions {
  int numeric = 0, verbose = 0;
  bool tree = false, full_domain = false, kernel = false;
  std::optional<std::string> device_filter, slot_filter;
};

std::string short_slot(const PciDevice& d) {
  const auto parts = split(d.slot, ':');
  return parts.size() == 3 ? parts[1] + ":" + parts[2] : d.slot;
}

bool hex_equal(const std::string& want, const std::string& have) {
  return want.empty() || to_lower(want) == to_lower(have);
}

bool matches_device(const PciDevice& d, const std::string& filter) {
  const auto parts = split(filter, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  if (!hex_equal(parts[0], d.vendor_id) || !hex_equal(parts[1], d.device_id)) return false;
  return parts.size() < 3 || hex_equal(parts[2], d.class_id);
}

// Compares numerically ("3b" == "003b"); empty matches anything.
bool hex_part_equal(const std::string& want, const std::string& have) {
  if (want.empty()) return true;
  try {
    return std::stoul(want, nullptr, 16) == std::stoul(have, nullptr, 16);
  } catch (...) {
    return false;
  }
}

bool matches_slot(const PciDevice& d, const std::string& filter) {
  const auto full = split(d.slot, ':');  // domain, bus, dev.fn
  const auto dev_fn = split(full[2], '.');
  auto parts = split(filter, ':');
  std::string domain, bus, slot_fn;
  if (parts.size() == 3) domain = parts[0], bus = parts[1], slot_fn = parts[2];
  else if (parts.size() == 2) bus = parts[0], slot_fn = parts[1];
  else if (parts.size() == 1) slot_fn = parts[0];
  else return false;
  const auto sf = split(slot_fn, '.');
  const std::string slot = sf[0], fn = sf.size() > 1 ? sf[1] : "";
  return hex_part_equal(domain, full[0]) && hex_part_equal(bus, full[1]) && hex_part_equal(slot, dev_fn[0]) &&
         hex_part_equal(fn, dev_fn.size() > 1 ? dev_fn[1] : "0");
}

std::string describe(const PciDevice& d, const LspciOptions& o) {
  const std::string slot = o.full_domain ? d.slot : short_slot(d);
  const std::string rev = d.revision.empty() ? "" : " (rev " + d.revision + ")";
  if (o.numeric == 1) return fmt::format("{} {}: {}:{}{}", slot, d.class_id, d.vendor_id, d.device_id, rev);
  if (o.numeric >= 2)
    return fmt::format("{} {} [{}]: {} {} [{}:{}]{}", slot, d.class_name, d.class_id, d.vendor_name, d.device_name,
                       d.vendor_id, d.device_id, rev);
  return fmt::format("{} {}: {} {}{}", slot, d.class_name, d.vendor_name, d.device_name, rev);
}

void kernel_lines(const PciDevice& d, std::ostream& out) {
  if (!d.kernel_driver.empty()) out << "\tKernel driver in use: " << d.kernel_driver << '\n';
  if (!d.kernel_modules.empty()) out << "\tKernel modules: " << d.kernel_modules << '\n';
}

void verbose_lines(const PciDevice& d, const LspciOptions& o, std::ostream& out) {
  if (!d.subsystem_vendor_name.empty()) {
    out << "\tSubsystem: " << d.subsystem_vendor_name << ' ' << d.subsystem_name;
    if (o.numeric >= 2) out << " [" << d.subsystem_vendor_id << ':' << d.subsystem_id << ']';
    out << '\n';
  }
  if (!d.physical_slot.empty()) out << "\tPhysical Slot: " << d.physical_slot << '\n';
  if (o.verbose == 1) {
    out << "\tFlags: bus master, fast devsel, latency 0";
    if (d.numa_node >= 0) out << ", NUMA node " << d.numa_node;
    if (d.iommu_group >= 0) out << ", IOMMU group " << d.iommu_group;
    out << '\n';
    if (d.link_cap_width) out << "\tCapabilities: [60] Express Endpoint, MSI 00\n";
  } else {
    out << "\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+\n"
        << "\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n"
        << "\tLatency: 0\n";
    if (d.numa_node >= 0) out << "\tNUMA node: " << d.numa_node << '\n';
    if (d.iommu_group >= 0) out << "\tIOMMU group: " << d.iommu_group << '\n';
    if (d.link_cap_width) {
      out << "\tCapabilities: [60] Express (v2) Endpoint, MSI 00\n"
          << "\t\tLnkCap:\tPort #0, Speed " << d.link_cap_speed << ", Width x" << d.link_cap_width
          << ", ASPM not supported\n"
          << "\t\tLnkSta:\tSpeed " << d.link_status_speed << ", Width x" << d.link_status_width << '\n';
    }
  }
  kernel_lines(d, out);
  out << '\n';
}

// --- tree ---------------------------------------------------------------------------------
std::vector<std::string> render_node(const Profile& p, const PciDevice& d, const LspciOptions& o);

std::vector<std::string> render_children(const Profile& p, const std::vector<const PciDevice*>& children,
                                         const LspciOptions& o) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < children.size(); ++i) {
    const bool only = children.size() == 1, last = i + 1 == children.size();
    const std::string connector = only ? "--" : (last ? "\\-" : "+-");
    const auto sub = render_node(p, *children[i], o);
    lines.push_back(connector + sub.front());
    for (std::size_t j = 1; j < sub.size(); ++j) lines.push_back((last ? "  " : "| ") + sub[j]);
  }
  return lines;
}

std::vector<const PciDevice*> children_of(const Profile& p, const std::string& slot) {
  std::vector<const PciDevice*> children;
  for (const auto& d : p.pci_devices)
    if (d.parent == slot) children.push_back(&d);
  return children;
}

std::vector<std::string> render_node(const Profile& p, const PciDevice& d, const LspciOptions& o) {
  const std::string dev_fn = split(d.slot, ':').back();
  const auto children = children_of(p, d.slot);
  if (children.empty() || d.secondary_bus.empty()) {
    return {o.verbose ? dev_fn + "  " + d.vendor_name + " " + d.device_name : dev_fn};
  }
  const std::string head = dev_fn + "-" + d.secondary_bus + "-";
  const auto kids = render_children(p, children, o);
  std::vector<std::string> lines{head + kids.front()};
  for (std::size_t j = 1; j < kids.size(); ++j) lines.push_back(std::string(head.size(), ' ') + kids[j]);
  return lines;
}

void print_tree(const Profile& p, const LspciOptions& o, std::ostream& out) {
  std::vector<std::string> roots;  // "[0000:00]"
  for (const auto& d : p.pci_devices) {
    if (!d.parent.empty()) continue;
    const auto parts = split(d.slot, ':');
    const std::string root = "[" + parts[0] + ":" + parts[1] + "]";
    if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
  }
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    std::vector<const PciDevice*> members;
    for (const auto& d : p.pci_devices) {
      const auto parts = split(d.slot, ':');
      if (d.parent.empty() && "[" + parts[0] + ":" + parts[1] + "]" == roots[r]) members.push_back(&d);
    }
    const std::string head = roots[r] + "-";
    const auto kids = render_children(p, members, o);
    std::vector<std::string> group{head + kids.front()};
    for (std::size_t j = 1; j < kids.size(); ++j) group.push_back(std::string(head.size(), ' ') + kids[j]);
    const bool only = roots.size() == 1, last = r + 1 == roots.size();
    const std::string connector = only ? "-" : (r == 0 ? "-+-" : (last ? " \\-" : " +-"));
    const std::string continuation = only ? " " : (last ? "   " : " | ");
    lines.push_back(connector + group.front());
    for (std::size_t j = 1; j < group.size(); ++j) lines.push_back(continuation + group[j]);
  }
  for (const auto& line : lines) out << line << '\n';
}

int usage_error(const std::string& what, std::ostream& err) {
  err << "lspci: " << what << "\nUsage: lspci [<switches>]\n";
  return 1;
}

}  // namespace

int run_lspci(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  LspciOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--version") {
      out << "lspci version 3.9.0\n";
      return kExitOk;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') return usage_error("invalid argument " + arg, err);
    for (std::size_t c = 1; c < arg.size(); ++c) {
      const char flag = arg[c];
      if (flag == 'n') ++options.numeric;
      else if (flag == 'v') ++options.verbose;
      else if (flag == 't') options.tree = true;
      else if (flag == 'D') options.full_domain = true;
      else if (flag == 'k') options.kernel = true;
      else if (flag == 'd' || flag == 's') {
        std::string value = arg.substr(c + 1);
        if (value.empty()) {
          if (i + 1 >= args.size()) return usage_error(std::string("option requires an argument -- '") + flag + "'", err);
          value = args[++i];
        }
        (flag == 'd' ? options.device_filter : options.slot_filter) = value;
        break;
      } else if (std::string("xbmMAHipPqQ").find(flag) != std::string::npos) {
        return not_simulated("lspci", std::string("-") + flag, err);
      } else {
        return usage_error(std::string("invalid option -- '") + flag + "'", err);
      }
    }
  }
  if (options.device_filter && split(*options.device_filter, ':').size() < 2)
    return usage_error("-d: Invalid vendor ID", err);
  if (options.tree) {
    print_tree(profile, options, out);
    return kExitOk;
  }
  for (const auto& device : profile.pci_devices) {
    if (options.device_filter && !matches_device(device, *options.device_filter)) continue;
    if (options.slot_filter && !matches_slot(device, *options.slot_filter)) continue;
    out << describe(device, options) << '\n';
    if (options.verbose) verbose_lines(device, options, out);
    else if (options.kernel) kernel_lines(device, out);
  }
  return kExitOk;
}

}  // namespace aimicius::hostsim
