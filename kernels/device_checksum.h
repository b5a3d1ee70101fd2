// XOR checksum of a device buffer: reads every byte once and writes 4. Besides checking a buffer,
// the benchmarks use it to scrub the L2 cache between timed launches: reading a buffer larger
// than the L2 leaves it full of clean lines, whereas overwriting one (a memset) leaves it full of
// dirty lines whose write-back the next timed kernel would pay for (on an H100, 50 MB: ~17 us).
// Plain C++ reference: XOR of the buffer's 32-bit words.
//
// Contract: src is 16-byte aligned and bytes is a multiple of 4; *out (device memory) receives
// the checksum. Launches on `stream`, never syncs.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace aimicius::kernels {

cudaError_t device_xor_checksum(const void* src, size_t bytes, uint32_t* out, cudaStream_t stream);

// The read ceiling for a benchmark: one kernel launch that reads `bytes` once (four 16-byte loads in
// flight per thread, every SM busy) and XORs them into *sink without resetting it first, so the
// launch is the only stream work (unlike device_xor_checksum's memset). The value is meaningless.
// src 16-byte aligned, bytes a multiple of 64.
cudaError_t device_read_stream(const void* src, size_t bytes, uint32_t* sink, cudaStream_t stream);

}  // namespace aimicius::kernels
