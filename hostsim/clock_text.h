// The profile's fixed "now" rendered the ways the tools print it.
// Invariant: the input is the profile timestamp "YYYY-MM-DDTHH:MM:SS[.mmm]"; output depends on
// nothing else (no clock, no time zone).
#pragma once

#include <string>

namespace aimicius::hostsim {

std::string ctime_style(const std::string& iso);          // "Tue May 14 09:30:00 2024"
std::string slash_style(const std::string& iso);          // "2024/05/14 09:30:00.000"
std::string time_of_day(const std::string& iso);          // "09:30:00"
std::string date_compact(const std::string& iso);         // "20240514"

}  // namespace aimicius::hostsim
