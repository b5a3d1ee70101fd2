// The rocm-smi --show* reports as SmiSections (smi_log.h), one builder per option.
// Invariants: builders read only the profile (GPUs must carry AmdGpuInfo); a bad option value
// sets `problem` (an argparse-style message) and returns no section.
#pragma once

#include <string>
#include <vector>

#include "hostsim/profile.h"
#include "hostsim/smi_log.h"

namespace aimicius::hostsim {

bool is_rocm_show_option(const std::string& long_option);
std::vector<SmiSection> build_rocm_sections(const Profile& profile, const std::vector<int>& devices,
                                            const std::string& long_option, const std::vector<std::string>& values,
                                            std::string& problem);

}  // namespace aimicius::hostsim
