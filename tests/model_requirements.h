// The skip-or-fail rule for tests that need the models scripts/fetch-models.sh downloads into
// models/ (all-MiniLM-L6-v2; the SmolLM2-135M-Instruct GGUF): without them they skip and say so,
// unless AIMICIUS_REQUIRE_MODELS=1 (scripts/test.sh and CI), which turns the skip into a failure.
// The encoder's part needs AIMICIUS_ENCODER_MODEL_DIR defined, SmolLM2's AIMICIUS_SOURCE_DIR.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#ifdef AIMICIUS_SOURCE_DIR
#include "runtime/gguf/gguf_checkpoint.h"
#endif

namespace aimicius::testing {

inline bool models_required() {
  const char* value = std::getenv("AIMICIUS_REQUIRE_MODELS");
  return value != nullptr && std::string(value) == "1";
}
#ifdef AIMICIUS_ENCODER_MODEL_DIR
inline std::filesystem::path encoder_model_dir() { return AIMICIUS_ENCODER_MODEL_DIR; }
inline bool encoder_model_present() { return std::filesystem::exists(encoder_model_dir() / "model.safetensors"); }
#endif
#ifdef AIMICIUS_SOURCE_DIR
// The bundled SmolLM2 GGUF file, when fetch-models.sh has put it in models/smollm2/.
inline std::optional<std::filesystem::path> smollm2_gguf() {
  const std::filesystem::path dir = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "models" / "smollm2";
  return std::filesystem::is_directory(dir) ? runtime::gguf::find_gguf(dir) : std::nullopt;
}
#endif

}  // namespace aimicius::testing

// Sets `file` (a new const variable) to the bundled SmolLM2 GGUF, or ends the test: skipped, or
// failed when AIMICIUS_REQUIRE_MODELS=1.
#define AIMICIUS_NEED_SMOLLM2(file)                                                                        \
  const auto file##_found = ::aimicius::testing::smollm2_gguf();                                          \
  if (!file##_found) {                                                                                     \
    if (::aimicius::testing::models_required()) FAIL() << "models/smollm2 has no .gguf and AIMICIUS_REQUIRE_MODELS=1"; \
    GTEST_SKIP() << "models/smollm2/*.gguf is absent (scripts/fetch-models.sh puts it there)";            \
  }                                                                                                        \
  const std::filesystem::path file = *file##_found

// Ends the current test when the model is absent: skipped, or failed when AIMICIUS_REQUIRE_MODELS=1.
// In a build without LibTorch (the sanitized one), which cannot run the encoder, it always skips.
#ifdef AIMICIUS_ENCODER_UNAVAILABLE
#define AIMICIUS_NEED_ENCODER_MODEL() \
  GTEST_SKIP() << "this build has no LibTorch, so no sentence encoder to load " << ::aimicius::testing::encoder_model_dir()
#else
#define AIMICIUS_NEED_ENCODER_MODEL()                                                                      \
  do {                                                                                                     \
    if (!::aimicius::testing::encoder_model_present()) {                                                   \
      if (::aimicius::testing::models_required()) {                                                        \
        FAIL() << ::aimicius::testing::encoder_model_dir() << " is missing and AIMICIUS_REQUIRE_MODELS=1"; \
      }                                                                                                    \
      GTEST_SKIP() << ::aimicius::testing::encoder_model_dir()                                             \
                   << " is missing: run scripts/fetch-models.sh to fetch all-MiniLM-L6-v2";                \
    }                                                                                                      \
  } while (0)
#endif
