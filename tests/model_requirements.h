// The skip-or-fail rule for tests that need the downloaded all-MiniLM-L6-v2 model (fetched by
// scripts/fetch-models.sh into models/): without it they skip and say so, unless
// AIMICIUS_REQUIRE_MODELS=1 (scripts/test.sh and CI), which turns the skip into a failure.
// Test targets that include this define AIMICIUS_ENCODER_MODEL_DIR.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace aimicius::testing {

inline std::filesystem::path encoder_model_dir() { return AIMICIUS_ENCODER_MODEL_DIR; }
inline bool encoder_model_present() { return std::filesystem::exists(encoder_model_dir() / "model.safetensors"); }
inline bool models_required() {
  const char* value = std::getenv("AIMICIUS_REQUIRE_MODELS");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace aimicius::testing

// Ends the current test when the model is absent: skipped, or failed when AIMICIUS_REQUIRE_MODELS=1.
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
