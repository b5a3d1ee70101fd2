// The CPU kernels built for one ISA: -mavx2 -mfma -mf16c (runtime/CMakeLists.txt). The source is kernels_impl.h.
#define AIMICIUS_CPU_KERNEL_NS avx2
#define AIMICIUS_CPU_KERNEL_NAME "avx2"
#include "runtime/cpu/kernels_impl.h"
