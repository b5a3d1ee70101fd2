// The CPU kernels built for one ISA: kernels_avx512.cpp's flags plus -mamx-tile -mamx-int8
// -mamx-bf16 (runtime/cpu/CMakeLists.txt), which add the int8 tile products (matmul_q4_1_tiles,
// matmul_q8_0_tiles), the bfloat16 ones (matmul_bf16_tiles and its packing) and the tile attention.
// The source is kernels_impl.h.
#define AIMICIUS_CPU_KERNEL_NS amx
#define AIMICIUS_CPU_KERNEL_NAME "avx512-amx"
#include "runtime/cpu/kernels_impl.h"
