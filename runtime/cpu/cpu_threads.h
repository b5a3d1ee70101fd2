// How many threads the CPU path runs: the CPUs this process may use (sched_getaffinity: a taskset
// or a container's cpuset, not the machine's core count), so that its thread pool never holds more
// threads than it has cores to run them.
#pragma once

namespace aimicius::runtime::cpu {

// At least 1.
int usable_cpu_count();

}  // namespace aimicius::runtime::cpu
