// Exit statuses shared by the simulated tools. The tool-specific ones mirror what the real
// tools return (see hostsim/README.md for the per-tool choices).
// Invariant: kNotSimulated is used only when a valid-looking request is outside the simulation.
#pragma once

namespace aimicius::hostsim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotSimulated = 64;     // "option X is not simulated"
inline constexpr int kExitCommandNotFound = 127; // tool not installed on this profile
inline constexpr int kExitBadProfile = 126;      // missing or invalid host profile

// nvidia-smi (values of NVML return codes, as the real tool exits with them)
inline constexpr int kNvsmiInvalidArgument = 2;
inline constexpr int kNvsmiNoPermission = 4;
inline constexpr int kNvsmiNotFound = 6;

}  // namespace aimicius::hostsim
