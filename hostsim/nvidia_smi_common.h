// Pieces shared by the nvidia-smi sub-tools: GPU selection (-i), the spellings nvidia-smi uses
// for bus ids and values, and the sub-tool entry points that nvidia_smi.cpp dispatches to.
// Invariant: helpers are pure; "selected" GPU lists are in ascending index order, no duplicates.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hostsim/profile.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim::nvsmi {

// "00000000:18:00.0" (8-digit domain, upper-case hex), as nvidia-smi prints a bus id.
std::string bus_id(const Gpu& gpu);
// Resolves an -i value (index, comma list, UUID, PCI bus id in any common spelling); nullopt when
// some entry names no GPU.
std::optional<std::vector<int>> select_gpus(const Profile& profile, const std::string& id_text);
std::vector<int> all_gpus(const Profile& profile);
std::string enabled_text(bool on);  // "Enabled" / "Disabled"
std::string watts(double value);    // "71.23 W"
std::vector<const GpuProcess*> processes_on(const Profile& profile, int gpu_index);

int invalid_arguments(std::ostream& err);  // the real tool's message, exit 2
int no_devices(std::ostream& err);         // "No devices were found", exit 6

// Sub-tools (args exclude the sub-command word).
int run_topo(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_nvlink(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_dmon(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_pmon(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);
int run_mig(const Profile& profile, const Args& args, std::ostream& out, std::ostream& err);

// Main-mode outputs.
void print_gpu_list(const Profile& profile, const std::vector<int>& gpus, std::ostream& out);
void print_summary_table(const Profile& profile, const std::vector<int>& gpus, std::ostream& out);
// -q, limited to the -d sections when `sections` is non-empty; returns the exit status (2 for an
// unknown section, 64 for a known one that is not simulated).
int print_query_report(const Profile& profile, const std::vector<int>& gpus,
                       const std::vector<std::string>& sections, std::ostream& out, std::ostream& err);
void print_query_xml(const Profile& profile, const std::vector<int>& gpus, std::ostream& out);

struct CsvFormat {
  bool header = true;
  bool units = true;
};
// Parses "csv[,noheader][,nounits]"; nullopt when invalid.
std::optional<CsvFormat> parse_csv_format(const std::string& text);
// --query-gpu; returns the exit status (2 with the real tool's message for an unknown field).
int print_query_gpu(const Profile& profile, const std::vector<int>& gpus, const std::string& fields,
                    const CsvFormat& format, std::ostream& out, std::ostream& err);
int print_query_compute_apps(const Profile& profile, const std::vector<int>& gpus, const std::string& fields,
                             const CsvFormat& format, std::ostream& out, std::ostream& err);
void print_help_query_gpu(std::ostream& out);
void print_help_query_compute_apps(std::ostream& out);

}  // namespace aimicius::hostsim::nvsmi
