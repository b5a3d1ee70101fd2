// The CPU kernels built for one ISA: -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni (runtime/CMakeLists.txt). The source is kernels_impl.h.
#define AIMICIUS_CPU_KERNEL_NS avx512
#define AIMICIUS_CPU_KERNEL_NAME "avx512"
#include "runtime/cpu/kernels_impl.h"
