// Picks the kernels of runtime/cpu/kernels.h by what the CPU supports (kernels_<isa>.cpp are the
// builds of kernels_impl.h).
#include "runtime/cpu/kernels.h"

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "runtime/dtype.h"
#include "runtime/gguf/ggml_types.h"

#if defined(AIMICIUS_CPU_AMX_KERNELS) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace aimicius::runtime::cpu {
namespace scalar { const KernelTable& table(); }
#ifdef AIMICIUS_CPU_X86_KERNELS
namespace avx2 { const KernelTable& table(); }
namespace avx512 { const KernelTable& table(); }
#endif
#ifdef AIMICIUS_CPU_AMX_KERNELS
namespace amx { const KernelTable& table(); }
#endif

namespace {

// Linux hands out AMX tile data (8 KB of register state a thread) only to a process that asks
// (arch_prctl ARCH_REQ_XCOMP_PERM): without it the first tile instruction is SIGILL. Asked once;
// a kernel or hypervisor that refuses means no AMX here.
bool tiles_permitted() {
#if defined(AIMICIUS_CPU_AMX_KERNELS) && defined(__linux__)
  static const bool permitted = [] {
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return permitted;
#else
  return false;
#endif
}

}  // namespace

float f16_value(uint16_t h) { return gguf::f16_to_float(h); }
uint16_t f16_bits(float x) { return float_to_f16(x); }

int64_t tile_keys(int64_t keys) { return (keys + 31) / 32 * 32; }

// kernels_impl.h's attend_tiles: q hi and lo (16 x dk bfloat16 each: 16 dk floats), scores (16 x
// tile_keys floats), p hi and lo (16 x tile_keys bfloat16 each: as many floats), outputs (16 x dv).
int64_t attend_tiles_scratch(int64_t keys, int64_t dk, int64_t dv) {
  return kTileQueries * dk + 2 * kTileQueries * tile_keys(keys) + kTileQueries * dv;
}

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
#ifdef AIMICIUS_CPU_AMX_KERNELS
    case Isa::kAmx:
      return isa_supported(Isa::kAvx512) && __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-int8") &&
             __builtin_cpu_supports("amx-bf16") &&
             tiles_permitted();
#endif
    default: return false;
  }
}

Isa isa_within(const char* capability) {
  Isa cap = Isa::kAmx;
  if (capability && *capability) {
    const std::string v = capability;
    if (v == "scalar") cap = Isa::kScalar;
    else if (v == "avx2") cap = Isa::kAvx2;
    else if (v == "avx512") cap = Isa::kAvx512;
    else if (v == "amx") cap = Isa::kAmx;
    else throw InputError(fmt::format("AIMICIUS_CPU_CAPABILITY={}: expected scalar, avx2, avx512 or amx", v));
  }
  for (Isa isa : {Isa::kAmx, Isa::kAvx512, Isa::kAvx2})
    if (static_cast<int>(isa) <= static_cast<int>(cap) && isa_supported(isa)) return isa;
  return Isa::kScalar;
}

Isa best_isa() {
  static const Isa best = isa_within(std::getenv("AIMICIUS_CPU_CAPABILITY"));
  return best;
}

const KernelTable& kernels(Isa isa) {
#ifdef AIMICIUS_CPU_AMX_KERNELS
  if (isa == Isa::kAmx && isa_supported(isa)) return amx::table();
#endif
#ifdef AIMICIUS_CPU_X86_KERNELS
  if (isa == Isa::kAvx512 && isa_supported(isa)) return avx512::table();
  if (isa == Isa::kAvx2 && isa_supported(isa)) return avx2::table();
#endif
  return scalar::table();
}

}  // namespace aimicius::runtime::cpu
