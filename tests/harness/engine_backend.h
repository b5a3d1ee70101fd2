// A test wrapper whose answers "depend on" an engine (Backend::engine), as a local GGUF model's
// depend on its CPU kernel build: for the tests of what a run records (runner, shard merge).
#pragma once

#include <memory>
#include <string>

#include "harness/backends/backend_wrapper.h"

namespace aimicius::testing {

class EngineBackend final : public BackendWrapper {
 public:
  EngineBackend(std::unique_ptr<Backend> inner, std::string engine)
      : BackendWrapper(std::move(inner)), engine_(std::move(engine)) {}
  std::string engine() const override { return engine_; }

 private:
  std::string engine_;
};

}  // namespace aimicius::testing
