// Picks the kernels of runtime/cpu/kernels.h by what the CPU supports (kernels_<isa>.cpp are the
// builds of kernels_impl.h).
#include "runtime/cpu/kernels.h"

#include "runtime/gguf/ggml_types.h"

namespace aimicius::runtime::cpu {
namespace scalar { const KernelTable& table(); }
#ifdef AIMICIUS_CPU_X86_KERNELS
namespace avx2 { const KernelTable& table(); }
namespace avx512 { const KernelTable& table(); }
#endif

float f16_value(uint16_t h) { return gguf::f16_to_float(h); }

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
#ifdef AIMICIUS_CPU_X86_KERNELS
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Isa::kAvx512:
      return isa_supported(Isa::kAvx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
    default: return false;
  }
}

Isa best_isa() {
  static const Isa best = isa_supported(Isa::kAvx512) ? Isa::kAvx512
                          : isa_supported(Isa::kAvx2) ? Isa::kAvx2
                                                      : Isa::kScalar;
  return best;
}

const KernelTable& kernels(Isa isa) {
#ifdef AIMICIUS_CPU_X86_KERNELS
  if (isa == Isa::kAvx512 && isa_supported(isa)) return avx512::table();
  if (isa == Isa::kAvx2 && isa_supported(isa)) return avx2::table();
#endif
  return scalar::table();
}

}  // namespace aimicius::runtime::cpu
