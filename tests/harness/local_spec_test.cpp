// The local: backend's spec options as the runtime takes them, on the bundled SmolLM2 GGUF (the
// quantised CPU path by default, `quantized=0` the dequantised LibTorch path, `threads=N` the CPU
// path's threads), and values that are not what an option takes refused before any weight is read.
// Label data: it needs models/smollm2/*.gguf (scripts/fetch-models.sh) and skips without it,
// unless AIMICIUS_REQUIRE_MODELS=1. Built where the runtime is (local: needs LibTorch).
#include <gtest/gtest.h>

#ifdef AIMICIUS_HAVE_RUNTIME

#include <string>

#include "common/errors.h"
#include "harness/backends/backend_local.h"
#include "model_requirements.h"

namespace aimicius {
namespace {

TEST(LocalSpec, QuantizedAndThreadsReachTheRuntime) {
  AIMICIUS_NEED_SMOLLM2(file);
  const std::string spec = "local:" + file.string();
  const LocalBackend quantised(spec + "?threads=1");
  EXPECT_NE(quantised.decode_path(1).cpu.find(", 1 threads"), std::string::npos) << quantised.decode_path(1).cpu;
  const LocalBackend two_threads(spec + "?threads=2&quantized=1");
  EXPECT_NE(two_threads.decode_path(1).cpu.find(", 2 threads"), std::string::npos) << two_threads.decode_path(1).cpu;
  const LocalBackend dequantised(spec + "?quantized=0");
  EXPECT_EQ(dequantised.decode_path(1).cpu, "") << "quantized=0 is the LibTorch float32 path";
  // The engine a run records: the kernel build, the same for any thread count; none off the path.
  EXPECT_EQ(quantised.engine().rfind("cpu ", 0), 0u) << quantised.engine();
  EXPECT_EQ(quantised.engine(), two_threads.engine());
  EXPECT_EQ(quantised.engine().find("threads"), std::string::npos) << quantised.engine();
  EXPECT_EQ(dequantised.engine(), "");
  // decode_ahead: off by default on the CPU (its discarded rows would be pure cost), on when asked.
  EXPECT_FALSE(quantised.decode_path(1).ahead);
  EXPECT_TRUE(LocalBackend(spec + "?decode_ahead=1").decode_path(1).ahead);
  EXPECT_FALSE(LocalBackend(spec + "?decode_ahead=0").decode_path(1).ahead);
}

TEST(LocalSpec, ValuesAnOptionDoesNotTakeAreInputErrorsNamingIt) {
  AIMICIUS_NEED_SMOLLM2(file);
  const std::string spec = "local:" + file.string();
  const auto refused = [&](const std::string& options, const std::string& needle) {
    try {
      LocalBackend backend(spec + "?" + options);
      ADD_FAILURE() << options << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << options << ": " << e.what();
    }
  };
  // Booleans are 1/true or 0/false: "yes" used to mean false without a word.
  refused("quantized=yes", "quantized must be 1/true or 0/false");
  refused("chat=on", "chat must be 1/true or 0/false");
  refused("prefix_reuse=off", "prefix_reuse must be 1/true or 0/false");
  refused("fixed_length=2", "fixed_length must be 1/true or 0/false");
  refused("decode_ahead=auto", "decode_ahead must be 1/true or 0/false");
  refused("threads=-1", "threads must be at least 0");
  refused("threads=two", "threads");
  refused("quantised=1", "unknown option \"quantised\"");
  refused("memory_share=0", "memory_share must be in (0, 1]");
  refused("memory_share=1.5", "memory_share must be in (0, 1]");
  refused("memory_share=nan", "memory_share");
}

}  // namespace
}  // namespace aimicius
#endif  // AIMICIUS_HAVE_RUNTIME
