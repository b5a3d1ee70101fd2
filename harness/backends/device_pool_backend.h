// `run --devices 0,1,...`: one model replica per device in one process, behind one Backend. The
// runner hands it a suite's pending examples as it would one local: model; each replica takes
// chunks of them from one shared position (guided self-scheduling: large chunks first, at least
// a --batch-size's worth, smaller near the end, so replicas finish together) and every result
// goes to the runner's one writer through on_result as its sequence ends.
//
// Invariants:
// - Every replica answers as the others would: same spec but the device, same content hash and
//   prompt style (checked at construction), so which replica answers an example changes nothing
//   the run records; spec() is the spec as the user wrote it, without the device.
// - A replica runs one call at a time (its own lock); the pool's callbacks (on_result, on_text)
//   are called from the replicas' threads one at a time, with indices of the pool's batch.
// - generate() returns one result per request in request order; when a replica throws (or a
//   callback does, as the runner's stop does), no new chunk starts, the other replicas finish
//   theirs, and the first exception is rethrown.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/backends/backend.h"

namespace aimicius {

class DevicePoolBackend final : public Backend {
 public:
  // `replicas` non-empty; InputError when they differ in content hash or prompt style.
  DevicePoolBackend(std::string spec, std::vector<std::unique_ptr<Backend>> replicas);
  std::string spec() const override { return spec_; }
  std::string content_hash() const override { return replicas_.front()->content_hash(); }
  int64_t requests_per_call(int64_t batch_size) const override;
  PromptStyle prompt_style() const override { return replicas_.front()->prompt_style(); }
  // The replicas' engines, each once, in device order ("; " between them).
  std::string engine() const override;
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch) override;
  size_t replica_count() const { return replicas_.size(); }

 private:
  std::string spec_;
  std::vector<std::unique_ptr<Backend>> replicas_;
  std::vector<std::unique_ptr<std::mutex>> busy_;  // one per replica
};

// The device names of --devices: "cpu", "cuda", "cuda:N", or N (= cuda:N). InputError otherwise,
// and for an empty list.
std::vector<std::string> parse_device_list(const std::vector<std::string>& devices);

// Each replica's spec: `spec` with device=D (devices as parse_device_list names them). Runtimes
// that share a device share its free memory: each gets memory_share = the spec's (default 0.9) /
// the runtimes on that device, so that pools sized from memory (max_active=auto, a fixed
// max_active that ran out) fit together instead of each sizing one from the same free bytes.
std::vector<std::string> replica_specs(const std::string& spec, const std::vector<std::string>& devices);

// The model of `spec` (local: only: InputError for other kinds) once per device, as one backend.
std::unique_ptr<Backend> make_backend_on_devices(const std::string& spec, const std::vector<std::string>& devices,
                                                 const std::vector<LoadedSuite>& suites,
                                                 const BackendOptions& options = {});

}  // namespace aimicius
