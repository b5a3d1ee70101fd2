// Loading a host profile (JSON) into a Profile.
// Invariant: a returned Profile satisfies profile.h's invariants; anything else throws
// ProfileError whose message names the file and the offending field.
#pragma once

#include <stdexcept>
#include <string>

#include "hostsim/profile.h"

namespace aimicius::hostsim {

struct ProfileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Profile load_profile(const std::string& path);
Profile parse_profile(const std::string& json_text, const std::string& origin);

}  // namespace aimicius::hostsim
