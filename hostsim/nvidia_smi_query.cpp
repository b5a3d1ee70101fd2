// nvidia-smi --query-gpu / --query-compute-apps (CSV) and their --help-query-* listings.
// Invariants: the header names each field by its canonical name plus " [unit]" when it has one
// (units stay in the header with nounits, as with the real tool); values a GPU lacks print
// "[N/A]"; an unknown field gives `Field "X" is not a valid field to query.` and exit 2.
#include <functional>

#include <fmt/format.h>

#include "hostsim/clock_text.h"
#include "hostsim/exit_codes.h"
#include "hostsim/nvidia_smi_common.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim::nvsmi {
namespace {

struct Value {
  std::string number;  // the value without unit; "[N/A]" when missing
  bool has_unit = true;
};

struct GpuField {
  std::vector<std::string> names;  // canonical first, then aliases
  std::string unit;                // "MiB", "%", "W", "MHz" or ""
  std::string description;
  std::function<std::string(const Profile&, const Gpu&)> value;
};

std::string na() { return "[N/A]"; }
std::string int_text(long v) { return std::to_string(v); }
std::string hex2(const std::string& bus, int part) {
  const auto pieces = split(bus, ':');
  if (part == 0) return "0x" + to_upper(pieces.size() == 3 ? pieces[0] : "0000");
  const auto bus_dev = pieces.size() == 3 ? pieces[1] + ":" + pieces[2] : bus;
  const auto fields = split(bus_dev, ':');
  if (part == 1) return "0x" + to_upper(fields[0]);
  return "0x" + to_upper(split(fields.size() > 1 ? fields[1] : "00.0", '.')[0]);
}

const std::vector<GpuField>& gpu_fields() {
  using P = const Profile&;
  using G = const Gpu&;
  static const std::vector<GpuField> fields = {
      {{"timestamp"}, "", "Time of the query (the profile's fixed clock).",
       [](P p, G) { return slash_style(p.timestamp); }},
      {{"driver_version"}, "", "Version of the installed NVIDIA display driver.",
       [](P p, G) { return p.driver_version; }},
      {{"count"}, "", "Number of NVIDIA GPUs in the system.",
       [](P p, G) { return std::to_string(p.gpus.size()); }},
      {{"name", "gpu_name"}, "", "Official product name of the GPU.", [](P, G g) { return g.name; }},
      {{"serial", "gpu_serial"}, "", "Serial number printed on the board.",
       [](P, G g) { return g.serial.empty() ? na() : g.serial; }},
      {{"uuid", "gpu_uuid"}, "", "Globally unique immutable identifier of the GPU.", [](P, G g) { return g.uuid; }},
      {{"pci.bus_id", "gpu_bus_id"}, "", "PCI bus id as domain:bus:device.function.",
       [](P, G g) { return bus_id(g); }},
      {{"pci.domain"}, "", "PCI domain number (hex).", [](P, G g) { return hex2(g.pci_bus_id, 0); }},
      {{"pci.bus"}, "", "PCI bus number (hex).", [](P, G g) { return hex2(g.pci_bus_id, 1); }},
      {{"pci.device"}, "", "PCI device number (hex).", [](P, G g) { return hex2(g.pci_bus_id, 2); }},
      {{"pci.device_id"}, "", "PCI vendor and device id (hex).", [](P, G g) { return g.pci_device_id; }},
      {{"pci.sub_device_id"}, "", "PCI sub-system id (hex).", [](P, G g) { return g.pci_subsystem_id; }},
      {{"pcie.link.gen.current"}, "", "Current PCIe link generation.",
       [](P, G g) { return int_text(g.pcie_gen_current); }},
      {{"pcie.link.gen.max"}, "", "Maximum PCIe link generation.", [](P, G g) { return int_text(g.pcie_gen_max); }},
      {{"pcie.link.width.current"}, "", "Current PCIe link width.",
       [](P, G g) { return int_text(g.pcie_width_current); }},
      {{"pcie.link.width.max"}, "", "Maximum PCIe link width.", [](P, G g) { return int_text(g.pcie_width_max); }},
      {{"index"}, "", "Zero based index of the GPU.", [](P, G g) { return int_text(g.index); }},
      {{"display_mode"}, "", "Whether a physical display is connected.", [](P, G) { return std::string("Disabled"); }},
      {{"display_active"}, "", "Whether a display is initialized on the GPU.",
       [](P, G) { return std::string("Disabled"); }},
      {{"persistence_mode"}, "", "Persistence mode flag.", [](P, G g) { return enabled_text(g.persistence_mode); }},
      {{"accounting.mode"}, "", "Accounting mode flag.", [](P, G) { return std::string("Disabled"); }},
      {{"vbios_version"}, "", "BIOS version of the board.", [](P, G g) { return g.vbios_version; }},
      {{"compute_cap"}, "", "CUDA compute capability (major.minor).",
       [](P, G g) { return g.compute_capability.empty() ? na() : g.compute_capability; }},
      {{"fan.speed"}, "%", "Fan speed as a percentage of its maximum.",
       [](P, G g) { return g.fan_percent ? int_text(*g.fan_percent) : na(); }},
      {{"pstate"}, "", "Current performance state (P0 fastest .. P12 slowest).", [](P, G g) { return g.pstate; }},
      {{"memory.total"}, "MiB", "Total installed GPU memory.", [](P, G g) { return int_text(g.memory_total_mib); }},
      {{"memory.reserved"}, "MiB", "Memory reserved by the driver and firmware.",
       [](P, G g) { return int_text(g.memory_reserved_mib); }},
      {{"memory.used"}, "MiB", "Memory allocated by active contexts.",
       [](P, G g) { return int_text(g.memory_used_mib); }},
      {{"memory.free"}, "MiB", "Free memory.",
       [](P, G g) { return int_text(g.memory_total_mib - g.memory_reserved_mib - g.memory_used_mib); }},
      {{"compute_mode"}, "", "Compute mode flag.", [](P, G g) { return g.compute_mode; }},
      {{"utilization.gpu"}, "%", "Percent of time a kernel was running during the last sample period.",
       [](P, G g) { return int_text(g.utilization_gpu); }},
      {{"utilization.memory"}, "%", "Percent of time device memory was read or written.",
       [](P, G g) { return int_text(g.utilization_memory); }},
      {{"ecc.mode.current"}, "", "Current ECC mode.", [](P, G g) { return enabled_text(g.ecc_enabled); }},
      {{"ecc.mode.pending"}, "", "ECC mode after the next reboot.", [](P, G g) { return enabled_text(g.ecc_enabled); }},
      {{"ecc.errors.corrected.volatile.total"}, "", "Corrected ECC errors since the driver loaded.",
       [](P, G g) { return int_text(g.ecc_volatile.sram_correctable + g.ecc_volatile.dram_correctable); }},
      {{"ecc.errors.uncorrected.volatile.total"}, "", "Uncorrected ECC errors since the driver loaded.",
       [](P, G g) { return int_text(g.ecc_volatile.sram_uncorrectable + g.ecc_volatile.dram_uncorrectable); }},
      {{"ecc.errors.corrected.aggregate.total"}, "", "Corrected ECC errors over the GPU's lifetime.",
       [](P, G g) { return int_text(g.ecc_aggregate.sram_correctable + g.ecc_aggregate.dram_correctable); }},
      {{"ecc.errors.uncorrected.aggregate.total"}, "", "Uncorrected ECC errors over the GPU's lifetime.",
       [](P, G g) { return int_text(g.ecc_aggregate.sram_uncorrectable + g.ecc_aggregate.dram_uncorrectable); }},
      {{"temperature.gpu"}, "", "Core GPU temperature in degrees C.", [](P, G g) { return int_text(g.temperature_gpu); }},
      {{"temperature.memory"}, "", "HBM memory temperature in degrees C.",
       [](P, G g) { return g.temperature_memory ? int_text(*g.temperature_memory) : na(); }},
      {{"power.management"}, "", "Whether power management is enabled.", [](P, G) { return std::string("Enabled"); }},
      {{"power.draw"}, "W", "Last measured power draw of the board.",
       [](P, G g) { return fmt::format("{:.2f}", g.power_draw_w); }},
      {{"power.limit"}, "W", "Software power limit.", [](P, G g) { return fmt::format("{:.2f}", g.power_limit_w); }},
      {{"enforced.power.limit"}, "W", "Power limit enforced by the power management algorithm.",
       [](P, G g) { return fmt::format("{:.2f}", g.power_limit_w); }},
      {{"power.default_limit"}, "W", "Default power limit.",
       [](P, G g) { return fmt::format("{:.2f}", g.power_default_limit_w); }},
      {{"power.min_limit"}, "W", "Minimum settable power limit.",
       [](P, G g) { return fmt::format("{:.2f}", g.power_min_limit_w); }},
      {{"power.max_limit"}, "W", "Maximum settable power limit.",
       [](P, G g) { return fmt::format("{:.2f}", g.power_max_limit_w); }},
      {{"clocks.current.graphics", "clocks.gr"}, "MHz", "Current graphics clock.",
       [](P, G g) { return int_text(g.clocks.graphics_mhz); }},
      {{"clocks.current.sm", "clocks.sm"}, "MHz", "Current SM clock.", [](P, G g) { return int_text(g.clocks.sm_mhz); }},
      {{"clocks.current.memory", "clocks.mem"}, "MHz", "Current memory clock.",
       [](P, G g) { return int_text(g.clocks.memory_mhz); }},
      {{"clocks.current.video", "clocks.video"}, "MHz", "Current video encoder/decoder clock.",
       [](P, G g) { return int_text(g.clocks.video_mhz); }},
      {{"clocks.applications.graphics", "clocks.applications.gr"}, "MHz", "Applications graphics clock.",
       [](P, G g) { return int_text(g.application_clocks.graphics_mhz); }},
      {{"clocks.applications.memory", "clocks.applications.mem"}, "MHz", "Applications memory clock.",
       [](P, G g) { return int_text(g.application_clocks.memory_mhz); }},
      {{"clocks.default_applications.graphics", "clocks.default_applications.gr"}, "MHz",
       "Default applications graphics clock.", [](P, G g) { return int_text(g.application_clocks.graphics_mhz); }},
      {{"clocks.default_applications.memory", "clocks.default_applications.mem"}, "MHz",
       "Default applications memory clock.", [](P, G g) { return int_text(g.application_clocks.memory_mhz); }},
      {{"clocks.max.graphics", "clocks.max.gr"}, "MHz", "Maximum graphics clock.",
       [](P, G g) { return int_text(g.max_clocks.graphics_mhz); }},
      {{"clocks.max.sm"}, "MHz", "Maximum SM clock.", [](P, G g) { return int_text(g.max_clocks.sm_mhz); }},
      {{"clocks.max.memory", "clocks.max.mem"}, "MHz", "Maximum memory clock.",
       [](P, G g) { return int_text(g.max_clocks.memory_mhz); }},
      {{"mig.mode.current"}, "", "Current MIG mode.", [](P, G g) { return g.mig_mode == "N/A" ? na() : g.mig_mode; }},
      {{"mig.mode.pending"}, "", "MIG mode after the next reset.",
       [](P, G g) { return g.mig_mode == "N/A" ? na() : g.mig_mode; }},
  };
  return fields;
}

template <typename Field>
const Field* find_field(const std::vector<Field>& fields, const std::string& name) {
  for (const auto& field : fields)
    for (const auto& alias : field.names)
      if (alias == name) return &field;
  return nullptr;
}

std::string header_of(const std::vector<std::string>& names, const std::string& unit) {
  return unit.empty() ? names.front() : fmt::format("{} [{}]", names.front(), unit);
}

std::string cell(const std::string& value, const std::string& unit, const CsvFormat& format) {
  if (value == na() || unit.empty() || !format.units) return value;
  return unit == "%" ? value + " %" : value + " " + unit;
}

template <typename Field, typename Row>
int print_csv(const std::vector<Field>& table, const std::string& field_list, const CsvFormat& format,
              const std::vector<Row>& rows, std::ostream& out, std::ostream& err) {
  std::vector<const Field*> chosen;
  for (const auto& raw : split(field_list, ',')) {
    const auto name = trim(raw);
    const Field* field = find_field(table, name);
    if (!field) {
      err << "Field \"" << name << "\" is not a valid field to query.\n\n";
      return kNvsmiInvalidArgument;
    }
    chosen.push_back(field);
  }
  if (format.header) {
    std::vector<std::string> headers;
    for (const auto* field : chosen) headers.push_back(header_of(field->names, field->unit));
    out << join(headers, ", ") << '\n';
  }
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const auto* field : chosen) cells.push_back(cell(row(*field), field->unit, format));
    out << join(cells, ", ") << '\n';
  }
  return kExitOk;
}

struct AppField {
  std::vector<std::string> names;
  std::string unit;
  std::string description;
  std::function<std::string(const Profile&, const Gpu&, const GpuProcess&)> value;
};

const std::vector<AppField>& app_fields() {
  using P = const Profile&;
  using G = const Gpu&;
  using A = const GpuProcess&;
  static const std::vector<AppField> fields = {
      {{"timestamp"}, "", "Time of the query.", [](P p, G, A) { return slash_style(p.timestamp); }},
      {{"gpu_name"}, "", "Product name of the GPU the process runs on.", [](P, G g, A) { return g.name; }},
      {{"gpu_bus_id"}, "", "PCI bus id of that GPU.", [](P, G g, A) { return bus_id(g); }},
      {{"gpu_serial"}, "", "Serial number of that GPU.", [](P, G g, A) { return g.serial; }},
      {{"gpu_uuid"}, "", "UUID of that GPU.", [](P, G g, A) { return g.uuid; }},
      {{"pid"}, "", "Process id of the compute application.", [](P, G, A a) { return std::to_string(a.pid); }},
      {{"process_name", "name"}, "", "Process name.", [](P, G, A a) { return a.name; }},
      {{"used_gpu_memory", "used_memory"}, "MiB", "Memory used on the GPU by the context.",
       [](P, G, A a) { return std::to_string(a.used_memory_mib); }},
  };
  return fields;
}

}  // namespace

std::optional<CsvFormat> parse_csv_format(const std::string& text) {
  const auto parts = split(text, ',');
  if (trim(parts.front()) != "csv") return std::nullopt;
  CsvFormat format;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto option = trim(parts[i]);
    if (option == "noheader") format.header = false;
    else if (option == "nounits") format.units = false;
    else return std::nullopt;
  }
  return format;
}

int print_query_gpu(const Profile& profile, const std::vector<int>& gpus, const std::string& fields,
                    const CsvFormat& format, std::ostream& out, std::ostream& err) {
  std::vector<std::function<std::string(const GpuField&)>> rows;
  for (int index : gpus) {
    const Gpu& gpu = profile.gpus.at(index);
    rows.push_back([&profile, &gpu](const GpuField& field) { return field.value(profile, gpu); });
  }
  return print_csv(gpu_fields(), fields, format, rows, out, err);
}

int print_query_compute_apps(const Profile& profile, const std::vector<int>& gpus, const std::string& fields,
                             const CsvFormat& format, std::ostream& out, std::ostream& err) {
  std::vector<std::function<std::string(const AppField&)>> rows;
  for (int index : gpus)
    for (const auto* process : processes_on(profile, index)) {
      const Gpu& gpu = profile.gpus.at(index);
      rows.push_back([&profile, &gpu, process](const AppField& field) { return field.value(profile, gpu, *process); });
    }
  return print_csv(app_fields(), fields, format, rows, out, err);
}

void print_help_query_gpu(std::ostream& out) {
  out << "List of valid properties to query for the switch \"--query-gpu=\":\n\n";
  for (const auto& field : gpu_fields()) {
    out << '"' << join(field.names, "\" or \"") << "\"\n" << field.description << "\n\n";
  }
}

void print_help_query_compute_apps(std::ostream& out) {
  out << "List of valid properties to query for the switch \"--query-compute-apps=\":\n\n";
  for (const auto& field : app_fields()) {
    out << '"' << join(field.names, "\" or \"") << "\"\n" << field.description << "\n\n";
  }
}

}  // namespace aimicius::hostsim::nvsmi
