// `run --devices` (issue 21): the device list, the spec each replica gets, the pool's scheduling
// (every request answered once, in order, by some replica; callbacks one at a time with the pool's
// indices; a replica's failure reaches the caller), and two runtimes of the bundled checkpoint in
// one process answering a run exactly as one does (on CPU; on one GPU where there is one).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/errors.h"
#include "harness/backends/device_pool_backend.h"
#include "harness/backends/spec_query.h"
#include "harness/runner/runner.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

TEST(DevicePool, DeviceListNamesCudaByNumberAndRefusesTheRest) {
  EXPECT_EQ(parse_device_list({"0", "1"}), (std::vector<std::string>{"cuda:0", "cuda:1"}));
  EXPECT_EQ(parse_device_list({"cpu", "cpu", "cuda", "cuda:3"}),
            (std::vector<std::string>{"cpu", "cpu", "cuda", "cuda:3"}));
  for (const char* bad : {"gpu0", "", "cuda:", "cuda:x", "-1", "mps"})
    EXPECT_THROW(parse_device_list({bad}), InputError) << bad;
  EXPECT_THROW(parse_device_list({}), InputError);
}

TEST(DevicePool, EachReplicaGetsTheSpecWithItsDevice) {
  EXPECT_EQ(with_spec_option("local:ckpt", "device", "cpu"), "local:ckpt?device=cpu");
  EXPECT_EQ(with_spec_option("local:ckpt?device=cuda&dtype=bf16", "device", "cuda:1"),
            "local:ckpt?device=cuda:1&dtype=bf16");
  EXPECT_EQ(with_spec_option("local:ckpt?chat=1", "device", "cuda:0"), "local:ckpt?chat=1&device=cuda:0");
  EXPECT_EQ(with_spec_option("local:ckpt?device=cpu&device=cuda", "device", "cuda:2"), "local:ckpt?device=cuda:2");
}

// Runtimes on one device divide its memory share; a device of its own keeps the spec's.
TEST(DevicePool, RuntimesSharingADeviceShareItsMemory) {
  EXPECT_EQ(replica_specs("local:ckpt?max_active=auto", {"cuda:0", "cuda:0", "cuda:1"}),
            (std::vector<std::string>{"local:ckpt?max_active=auto&device=cuda:0&memory_share=0.45",
                                      "local:ckpt?max_active=auto&device=cuda:0&memory_share=0.45",
                                      "local:ckpt?max_active=auto&device=cuda:1"}));
  EXPECT_EQ(replica_specs("local:ckpt?memory_share=0.6", {"cpu", "cpu", "cpu"}),
            std::vector<std::string>(3, "local:ckpt?memory_share=0.2&device=cpu"));
  EXPECT_EQ(replica_specs("local:ckpt?memory_share=0.6", {"cuda:0", "cuda:1"}),
            (std::vector<std::string>{"local:ckpt?memory_share=0.6&device=cuda:0",
                                      "local:ckpt?memory_share=0.6&device=cuda:1"}));
  EXPECT_THROW(replica_specs("local:ckpt?memory_share=lots", {"cpu", "cpu"}), InputError);
  // Out of range: left for each replica's parser to refuse, not divided into range.
  EXPECT_EQ(replica_specs("local:ckpt?memory_share=2", {"cpu", "cpu"}),
            std::vector<std::string>(2, "local:ckpt?memory_share=2&device=cpu"));
}

TEST(DevicePool, OnlyLocalModelsRunOnDevices) {
  try {
    make_backend_on_devices("oracle", {"cpu", "cpu"}, {});
    FAIL() << "oracle on devices";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("local:"), std::string::npos) << e.what();
  }
}

// A replica that answers "<prompt>!" and counts what it answered; it fails on a prompt "boom".
class CountingReplica final : public Backend {
 public:
  explicit CountingReplica(std::string hash = "h") : hash_(std::move(hash)) {}
  std::string spec() const override { return "counting"; }
  std::string content_hash() const override { return hash_; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    if (++calls_in_flight_ > 1) overlapped_ = true;  // the pool runs one call per replica at a time
    std::vector<GenerationResult> out(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].prompt == "boom") {
        --calls_in_flight_;
        throw std::runtime_error("replica failed");
      }
      out[i].output = batch[i].prompt + "!";
      if (params.on_result) params.on_result(i, out[i]);
      std::this_thread::yield();  // let the other replicas interleave
    }
    answered_ += batch.size();
    --calls_in_flight_;
    return out;
  }
  std::atomic<size_t> answered_{0};
  std::atomic<int> calls_in_flight_{0};
  std::atomic<bool> overlapped_{false};

 private:
  std::string hash_;
};

TEST(DevicePool, EveryRequestIsAnsweredOnceInOrderWithCallbacksOneAtATime) {
  std::vector<std::unique_ptr<Backend>> replicas;
  std::vector<CountingReplica*> raw;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<CountingReplica>());
    raw.push_back(static_cast<CountingReplica*>(replicas.back().get()));
  }
  DevicePoolBackend pool("local:x", std::move(replicas));
  EXPECT_EQ(pool.spec(), "local:x");
  EXPECT_EQ(pool.replica_count(), 3u);
  std::vector<GenerationRequest> batch;
  for (int i = 0; i < 200; ++i) batch.push_back({"s", std::to_string(i), "p" + std::to_string(i)});
  GenerationParams params;
  params.max_active = 4;
  std::mutex mu;
  std::map<size_t, std::string> delivered;
  std::atomic<int> inside{0};
  bool concurrent = false;
  params.on_result = [&](size_t i, const GenerationResult& r) {
    if (++inside > 1) concurrent = true;
    {
      std::lock_guard<std::mutex> lock(mu);
      EXPECT_TRUE(delivered.emplace(i, r.output).second) << "delivered twice: " << i;
    }
    --inside;
  };
  const auto results = pool.generate(batch, params);
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(results[i].output, batch[i].prompt + "!") << i;
    EXPECT_EQ(delivered.at(i), results[i].output) << i;
  }
  EXPECT_FALSE(concurrent) << "the pool called on_result from two replicas at once";
  size_t total = 0;
  for (const auto* r : raw) {
    total += r->answered_;
    EXPECT_FALSE(r->overlapped_);
  }
  EXPECT_EQ(total, batch.size());
}

TEST(DevicePool, AReplicaFailureReachesTheCaller) {
  std::vector<std::unique_ptr<Backend>> replicas;
  replicas.push_back(std::make_unique<CountingReplica>());
  replicas.push_back(std::make_unique<CountingReplica>());
  DevicePoolBackend pool("local:x", std::move(replicas));
  std::vector<GenerationRequest> batch(20, GenerationRequest{"s", "e", "fine"});
  batch[13].prompt = "boom";
  EXPECT_THROW(pool.generate(batch, {}), std::runtime_error);
}

TEST(DevicePool, ReplicasOfDifferentModelsAreRefused) {
  std::vector<std::unique_ptr<Backend>> replicas;
  replicas.push_back(std::make_unique<CountingReplica>("a"));
  replicas.push_back(std::make_unique<CountingReplica>("b"));
  EXPECT_THROW(DevicePoolBackend("local:x", std::move(replicas)), InputError);
}

#ifdef AIMICIUS_HAVE_RUNTIME
// A run of the fixture's cmdgen examples on the bundled checkpoint; example id -> raw output.
std::map<std::string, std::string> run_on(const std::vector<std::string>& devices, const std::string& spec) {
  ScratchDir dir;
  RunOptions o;
  o.suites = {"cmdgen"};
  o.data_dir = testing::fixture_data_dir();
  o.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
  o.limit = 6;
  o.max_new_tokens = 12;
  o.batch_size = 2;
  o.devices = devices;
  Store store = Store::open_for_write((dir.path() / "d.db").string());
  const RunPlan plan = plan_run(o);
  auto backend = devices.empty() ? make_backend(spec, plan.suites) : make_backend_on_devices(spec, devices, plan.suites);
  Progress quiet(stderr, Progress::Style::kQuiet);
  const int64_t id = create_run(store, plan, *backend);
  execute_run(store, id, plan, *backend, quiet);
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  EXPECT_EQ(store.find_run(id)->model_spec, spec);
  std::map<std::string, std::string> out;
  for (const auto& e : store.stored_examples(id)) {
    EXPECT_FALSE(e.error) << e.example_id << ": " << e.error.value_or("");
    out[e.example_id] = e.raw_output;
  }
  EXPECT_EQ(out.size(), 6u);
  return out;
}

const std::string kCheckpoint = std::string("local:") + AIMICIUS_BUNDLED_DATA_DIR + "/../checkpoints/sigma-mini";

TEST(DevicePoolLocal, TwoCpuRuntimesAnswerTheRunAsOneDoes) {
  const auto one = run_on({}, kCheckpoint);
  EXPECT_EQ(run_on({"cpu", "cpu"}, kCheckpoint), one);
}

// Two runtimes sizing their pools from the same memory (max_active=auto, each with half the share).
TEST(DevicePoolLocal, TwoCpuRuntimesSizedFromMemoryAnswerTheRunAsOneDoes) {
  const std::string spec = kCheckpoint + "?max_active=auto";
  const auto one = run_on({}, spec);
  EXPECT_EQ(run_on({"cpu", "cpu"}, spec), one);
}

TEST(DevicePoolLocal, TwoRuntimesOnOneGpuAnswerTheRunAsOneDoes) {
  try {
    make_backend(kCheckpoint + "?device=cuda", {});
  } catch (const InputError& e) {
    GTEST_SKIP() << "no CUDA device: " << e.what();
  }
  const auto one = run_on({}, kCheckpoint + "?device=cuda");
  EXPECT_EQ(run_on({"cuda:0", "cuda:0"}, kCheckpoint + "?device=cuda"), one);
}
#else
TEST(DevicePoolLocal, NeedsTheRuntime) { GTEST_SKIP() << "built without LibTorch: no local model to replicate"; }
#endif

}  // namespace
}  // namespace aimicius
