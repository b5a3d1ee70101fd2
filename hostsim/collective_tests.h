// The nccl-tests / rccl-tests binaries (all_reduce_perf, all_gather_perf, ...) simulated on a host
// profile, for one process (run_collective_test in tools.h) or for the processes of a single-node
// mpirun (hostsim/mpirun.cpp).
// Invariant: the output is a pure function of (profile, kind, args, environment, nprocs).
#pragma once

#include <ostream>

#include "hostsim/collective_model.h"
#include "hostsim/tools.h"

namespace aimicius::hostsim {

// Runs `nprocs` MPI processes of the test on one host (1: launched directly). Prints what the
// real binary's rank 0 prints; returns its exit status.
int run_collective_processes(const CollectiveKind& kind, const Profile& profile, const Args& args,
                             const ToolEnvironment& env, int nprocs, std::ostream& out, std::ostream& err);

// nccl-tests' size argument: a number with an optional K/M/G suffix (powers of 1024); -1 when
// malformed.
double parse_collective_size(const std::string& text);

// The fixed-width number format of the result columns (2, 1 or 0 decimals as the integer part
// grows, exponent notation when it cannot fit `width`).
std::string format_collective_number(double value, int width);

}  // namespace aimicius::hostsim
