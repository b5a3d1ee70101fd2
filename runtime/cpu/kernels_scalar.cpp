// The CPU kernels built for one ISA: no ISA flags: the portable reference. The source is kernels_impl.h.
#define AIMICIUS_CPU_KERNEL_NS scalar
#define AIMICIUS_CPU_KERNEL_NAME "scalar"
#include "runtime/cpu/kernels_impl.h"
