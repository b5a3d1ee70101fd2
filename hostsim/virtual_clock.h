// The virtual clock of looping commands (nvidia-smi -l/-lms, dmon/pmon -d, dcgmi dmon -d): a
// looping command prints a bounded number of samples, sample k taken k x interval after the
// profile's timestamp, without sleeping.
// Invariants: profile_at(p, 0) is p itself, so a single-shot command prints the profile as
// written; profile_at(p, t) is a pure function of (p, t): its timestamp is p.timestamp + t, and
// each GPU's dynamic figures (utilisation, power, temperatures, clocks, fan, PCIe/NVLink
// throughput, DCGM activity, AMD energy counter) move by a deterministic amount drawn from (profile
// name, GPU index, t), staying plausible: a busy GPU moves more than an idle one, nothing leaves
// [0, 100] % or goes above its power limit or maximum clock, and the energy counter only grows.
// Static facts (names, ids, memory sizes, processes, topology) never change with time.
#pragma once

#include <string>

#include "hostsim/profile.h"

namespace aimicius::hostsim {

// "YYYY-MM-DDTHH:MM:SS[.mmm]" plus `ms` milliseconds, written with milliseconds.
std::string advance_timestamp(const std::string& iso, long long ms);

// The host as sampled `elapsed_ms` after the profile's timestamp.
Profile profile_at(const Profile& profile, long long elapsed_ms);

// The last line of a looping command given no sample count (nvidia-smi -l/-lms, dmon and pmon
// without -c, dcgmi dmon without -c or with -c 0). On a real host it samples until it is
// interrupted; here it stops after profile.loop_samples samples and says so, so that its output is
// never the output of the same command told to take that many samples and end (which is a
// different answer: one ends, the other does not).
std::string unbounded_loop_note(long samples);

}  // namespace aimicius::hostsim
