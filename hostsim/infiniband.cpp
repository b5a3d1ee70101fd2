// InfiniBand diagnostics: ibstat (all CAs, one CA, one CA port; -l, -p, -s), ibstatus, and the
// verbs utilities ibv_devices and ibv_devinfo (-d DEV, -i PORT, -l, -v).
// Invariants: data comes from profile.infiniband in profile order; an unknown CA or port fails
// the way the real tools do (message, non-zero exit); unknown options exit non-zero.
#include <fmt/format.h>

#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {
namespace {

const IbHca* find_hca(const Profile& profile, const std::string& name) {
  for (const auto& hca : profile.infiniband)
    if (hca.name == name) return &hca;
  return nullptr;
}

void ibstat_port_lines(const IbPort& port, const std::string& indent, std::ostream& out) {
  out << indent << "State: " << port.state << '\n'
      << indent << "Physical state: " << port.physical_state << '\n'
      << indent << "Rate: " << port.rate_gbps << '\n'
      << indent << "Base lid: " << port.base_lid << '\n'
      << indent << "LMC: " << port.lmc << '\n'
      << indent << "SM lid: " << port.sm_lid << '\n'
      << indent << "Capability mask: " << port.capability_mask << '\n'
      << indent << "Port GUID: " << port.port_guid << '\n'
      << indent << "Link layer: " << port.link_layer << '\n';
}

void ibstat_ca(const IbHca& hca, std::ostream& out) {
  out << "CA '" << hca.name << "'\n"
      << "\tCA type: " << hca.ca_type << '\n'
      << "\tNumber of ports: " << hca.ports.size() << '\n'
      << "\tFirmware version: " << hca.firmware_version << '\n'
      << "\tHardware version: " << hca.hardware_version << '\n'
      << "\tNode GUID: " << hca.node_guid << '\n'
      << "\tSystem image GUID: " << hca.system_image_guid << '\n';
  for (const auto& port : hca.ports) {
    out << "\tPort " << port.number << ":\n";
    ibstat_port_lines(port, "\t\t", out);
  }
}

int ib_usage_error(const std::string& tool, const std::string& option, std::ostream& err) {
  err << tool << ": invalid option -- '" << (starts_with(option, "--") ? option.substr(2) : option.substr(1))
      << "'\nUsage: " << tool << " [options] <ca_name> [portnum]\n";
  return 255;
}

// "946d:ae03:00a1:b2c0" from "0x946dae0300a1b2c0".
std::string colon_guid(const std::string& guid) {
  const std::string hex = starts_with(guid, "0x") ? guid.substr(2) : guid;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i && i % 4 == 0) out += ':';
    out += hex[i];
  }
  return out;
}

std::string plain_guid(const std::string& guid) { return starts_with(guid, "0x") ? guid.substr(2) : guid; }

std::string port_state_code(const std::string& state) {
  const auto upper = to_upper(state);
  if (upper == "ACTIVE") return "PORT_ACTIVE (4)";
  if (upper == "DOWN") return "PORT_DOWN (1)";
  if (upper == "INITIALIZING" || upper == "INIT") return "PORT_INIT (2)";
  if (upper == "ARMED") return "PORT_ARMED (3)";
  return "PORT_NOP (0)";
}

std::string mtu_code(int mtu) {
  const int code = mtu == 256 ? 1 : mtu == 512 ? 2 : mtu == 1024 ? 3 : mtu == 2048 ? 4 : 5;
  return fmt::format("{} ({})", mtu, code);
}

}  // namespace

int run_ibstat(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  bool list = false, guids = false, short_form = false;
  std::vector<std::string> positional;
  for (const auto& arg : args) {
    if (arg == "-l" || arg == "--list_of_cas") list = true;
    else if (arg == "-p" || arg == "--port_list") guids = true;
    else if (arg == "-s" || arg == "--short") short_form = true;
    else if (arg == "-h" || arg == "--help") {
      out << "Usage: ibstat [options] <ca_name> [portnum]\n"
             "  -l  list CA names\n  -p  list port GUIDs\n  -s  short output\n";
      return kExitOk;
    } else if (starts_with(arg, "-")) return ib_usage_error("ibstat", arg, err);
    else positional.push_back(arg);
  }
  if (list) {
    for (const auto& hca : profile.infiniband) out << hca.name << '\n';
    return kExitOk;
  }
  if (positional.size() > 2) return ib_usage_error("ibstat", "-", err);
  std::vector<const IbHca*> selected;
  if (positional.empty()) {
    for (const auto& hca : profile.infiniband) selected.push_back(&hca);
  } else if (const auto* hca = find_hca(profile, positional[0])) {
    selected.push_back(hca);
  } else {
    err << "ibpanic: [" << 1 << "] main: '" << positional[0] << "' IB device can't be found: No such device\n";
    return 255;
  }
  if (positional.size() == 2) {
    const auto number = parse_long(positional[1]);
    for (const auto& port : selected.front()->ports)
      if (number && port.number == *number) {
        out << "CA: '" << selected.front()->name << "'\n" << "Port " << port.number << ":\n";
        ibstat_port_lines(port, "", out);
        return kExitOk;
      }
    err << "ibpanic: [1] main: stat of IB device '" << positional[0] << "' port " << positional[1]
        << " failed: No such device\n";
    return 255;
  }
  for (const auto* hca : selected) {
    if (guids) {
      for (const auto& port : hca->ports) out << port.port_guid << '\n';
    } else if (short_form) {
      out << "CA '" << hca->name << "'\n\tCA type: " << hca->ca_type << "\n\tNumber of ports: " << hca->ports.size()
          << "\n\tFirmware version: " << hca->firmware_version << "\n\tHardware version: " << hca->hardware_version
          << "\n\tNode GUID: " << hca->node_guid << "\n\tSystem image GUID: " << hca->system_image_guid << '\n';
    } else {
      ibstat_ca(*hca, out);
    }
  }
  return kExitOk;
}

int run_ibstatus(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  // Each argument names a device and, after a colon, one of its ports (the real script reads that
  // port's sysfs entries only); without a port, every port of the device.
  std::vector<std::pair<const IbHca*, const IbPort*>> selected;
  for (const auto& arg : args) {
    if (starts_with(arg, "-")) {
      err << "Usage: ibstatus [devname[:port]]...\n";
      return 1;
    }
    const auto parts = split(arg, ':');
    const auto* hca = find_hca(profile, parts[0]);
    if (!hca || parts.size() > 2) {
      err << "Infiniband device '" << arg << "' not found\n";
      return 1;
    }
    if (parts.size() == 1) {
      for (const auto& port : hca->ports) selected.emplace_back(hca, &port);
      continue;
    }
    const auto number = parse_long(parts[1]);
    const IbPort* port = nullptr;
    for (const auto& candidate : hca->ports)
      if (number && candidate.number == *number) port = &candidate;
    if (!port) {
      err << "Infiniband device '" << parts[0] << "' port '" << parts[1] << "' not found\n";
      return 1;
    }
    selected.emplace_back(hca, port);
  }
  if (args.empty())
    for (const auto& hca : profile.infiniband)
      for (const auto& port : hca.ports) selected.emplace_back(&hca, &port);
  for (const auto& [hca, port] : selected) {
    const bool active = to_upper(port->state) == "ACTIVE";
    out << "Infiniband device '" << hca->name << "' port " << port->number << " status:\n"
        << "\tdefault gid:\t fe80:0000:0000:0000:" << colon_guid(port->port_guid) << '\n'
        << fmt::format("\tbase lid:\t 0x{:x}\n", port->base_lid) << fmt::format("\tsm lid:\t\t 0x{:x}\n", port->sm_lid)
        << "\tstate:\t\t " << (active ? "4: ACTIVE" : "1: DOWN") << '\n'
        << "\tphys state:\t " << (port->physical_state == "LinkUp" ? "5: LinkUp" : "3: Disabled") << '\n'
        << "\trate:\t\t " << port->rate_gbps << " Gb/sec (" << port->width << ' ' << port->speed_name << ")\n"
        << "\tlink_layer:\t " << port->link_layer << "\n\n";
  }
  return kExitOk;
}

int run_ibv_devices(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty()) {
    err << "Usage: ibv_devices\n";
    return 1;
  }
  out << "    device          \t   node GUID\n    ------          \t----------------\n";
  for (const auto& hca : profile.infiniband) out << fmt::format("    {:<16}\t{}\n", hca.name, plain_guid(hca.node_guid));
  return kExitOk;
}

int run_ibv_devinfo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err) {
  std::optional<std::string> device;
  std::optional<long> port_number;
  bool verbose = false, list = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value = split_inline_value(name);
    if (!value && name.size() > 2 && (starts_with(name, "-d") || starts_with(name, "-i")) && name[1] != '-') {
      value = name.substr(2);
      name = name.substr(0, 2);
    }
    if (name == "-v" || name == "--verbose") verbose = true;
    else if (name == "-l" || name == "--list") list = true;
    else if (name == "-d" || name == "--ib-dev" || name == "-i" || name == "--ib-port") {
      if (!value) {
        if (i + 1 >= args.size()) return ib_usage_error("ibv_devinfo", name, err);
        value = args[++i];
      }
      if (name == "-d" || name == "--ib-dev") device = *value;
      else if (!(port_number = parse_long(*value))) return ib_usage_error("ibv_devinfo", name, err);
    } else {
      err << "Usage: ibv_devinfo [-d device] [-i port] [-l] [-v]\n";
      return 1;
    }
  }
  if (list) {
    out << profile.infiniband.size() << " HCAs found:\n";
    for (const auto& hca : profile.infiniband) out << '\t' << hca.name << '\n';
    return kExitOk;
  }
  std::vector<const IbHca*> selected;
  if (device) {
    const auto* hca = find_hca(profile, *device);
    if (!hca) {
      err << "IB device '" << *device << "' wasn't found\n";
      return 255;
    }
    selected.push_back(hca);
  } else {
    for (const auto& hca : profile.infiniband) selected.push_back(&hca);
  }
  if (selected.empty()) {
    out << "No IB devices found\n";
    return 255;
  }
  for (const auto* hca : selected) {
    const bool ethernet = !hca->ports.empty() && hca->ports.front().link_layer == "Ethernet";
    out << "hca_id:\t" << hca->name << '\n'
        << "\ttransport:\t\t\tInfiniBand (0)\n"
        << "\tfw_ver:\t\t\t\t" << hca->firmware_version << '\n'
        << "\tnode_guid:\t\t\t" << colon_guid(hca->node_guid) << '\n'
        << "\tsys_image_guid:\t\t\t" << colon_guid(hca->system_image_guid) << '\n'
        << "\tvendor_id:\t\t\t" << hca->vendor_id << '\n'
        << "\tvendor_part_id:\t\t\t" << hca->vendor_part_id << '\n'
        << "\thw_ver:\t\t\t\t0x" << hca->hardware_version << '\n'
        << "\tboard_id:\t\t\t" << hca->board_id << '\n'
        << "\tphys_port_cnt:\t\t\t" << hca->ports.size() << '\n';
    if (verbose)
      for (const auto& attribute : hca->verbose_attributes)
        out << '\t' << attribute.name << ":\t\t\t" << attribute.value << '\n';
    bool port_found = false;
    for (const auto& port : hca->ports) {
      if (port_number && port.number != *port_number) continue;
      port_found = true;
      out << "\t\tport:\t" << port.number << '\n'
          << "\t\t\tstate:\t\t\t" << port_state_code(port.state) << '\n'
          << "\t\t\tmax_mtu:\t\t" << mtu_code(port.max_mtu) << '\n'
          << "\t\t\tactive_mtu:\t\t" << mtu_code(port.active_mtu) << '\n'
          << "\t\t\tsm_lid:\t\t\t" << port.sm_lid << '\n'
          << "\t\t\tport_lid:\t\t" << port.base_lid << '\n'
          << fmt::format("\t\t\tport_lmc:\t\t0x{:02x}\n", port.lmc)
          << "\t\t\tlink_layer:\t\t" << port.link_layer << '\n';
      if (verbose) {
        out << "\t\t\tmax_msg_sz:\t\t0x40000000\n"
            << "\t\t\tport_cap_flags:\t\t" << port.capability_mask << '\n'
            << "\t\t\tactive_width:\t\t" << port.width << " (" << (port.width == "4X" ? 2 : 1) << ")\n"
            << "\t\t\tactive_speed:\t\t" << port.rate_gbps / 4 << ".0 Gbps\n"
            << "\t\t\tphys_state:\t\t" << (port.physical_state == "LinkUp" ? "LINK_UP (5)" : "DISABLED (3)") << '\n'
            << "\t\t\tGID[  0]:\t\tfe80:0000:0000:0000:" << colon_guid(port.port_guid)
            << (ethernet ? ", RoCE v1" : "") << '\n';
      }
      out << '\n';
    }
    if (port_number && !port_found) {
      err << "Failed to query port " << *port_number << " props\n";
      return 255;
    }
  }
  return kExitOk;
}

}  // namespace aimicius::hostsim
