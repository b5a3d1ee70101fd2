// Issue 21's served-engine test: a run through the `openai:` backend (as against vLLM, SGLang or
// TGI) against `aimicius serve` on loopback with 64 requests in flight at once (--jobs 64, one
// example per request) and the server's connection caps raised to match: every one of the 128
// examples is answered, stored once, judged right, and the server did hold 64 requests at once.
// The served backend answers the synthetic suite's examples correctly, and its first call waits
// (up to 60 s) until 64 requests are in the server (in the call or queued behind it), so the
// check does not depend on timing: a client or server that cannot hold 64 at once fails it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "bench/synthetic_suite.h"
#include "harness/backends/backend.h"
#include "harness/runner/progress.h"
#include "harness/runner/runner.h"
#include "harness/serve/openai_server.h"
#include "harness/store/store.h"
#include "scratch_dir.h"

namespace aimicius::serve {
namespace {

constexpr int kInFlight = 64;
constexpr int kExamples = 128;

class GatedSyntheticBackend final : public Backend {
 public:
  std::string spec() const override { return "synthetic"; }
  std::string content_hash() const override { return "synthetic"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams&) override {
    std::unique_lock<std::mutex> lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!opened_ && std::chrono::steady_clock::now() < deadline) {
      peak_ = std::max(peak_, pending_() + batch.size());
      if (peak_ >= static_cast<size_t>(kInFlight)) break;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lock.lock();
    }
    opened_ = true;  // once: the rest of the run goes at full speed
    std::vector<GenerationResult> out(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) out[i].output = synthetic_answer(synthetic_number_in(batch[i].prompt));
    return out;
  }
  void watch(std::function<size_t()> pending) { pending_ = std::move(pending); }
  size_t peak() {
    std::lock_guard<std::mutex> lock(mu_);
    return peak_;
  }

 private:
  std::mutex mu_;
  std::function<size_t()> pending_ = [] { return size_t{0}; };
  size_t peak_ = 0;
  bool opened_ = false;
};

TEST(ServeManyInFlight, OpenAIRunWith64RequestsInFlightStoresEveryExampleOnce) {
  aimicius::testing::ScratchDir dir;
  write_synthetic_suite(dir.path() / "suites", "syn", kExamples);
  GatedSyntheticBackend served;
  ServerOptions o;
  o.port = 0;
  o.model_id = "syn";
  o.batching.max_batch = 16;
  // All requests come from one address: the per-client cap must hold them all (docs/SCALING.md).
  o.connections = {2 * kInFlight, 2 * kInFlight};
  OpenAiServer server(served, o);
  served.watch([&server] { return server.pending_requests(); });
  const int port = server.bind();
  std::thread serving([&server] { server.serve(); });

  RunOptions options;
  options.suites = {"syn"};
  options.data_dir = dir.path() / "suites";
  options.model_spec = "openai:syn@http://127.0.0.1:" + std::to_string(port) + "/v1?api=completions&key_env=AIMICIUS_NO_KEY";
  options.jobs = kInFlight;
  options.batch_size = 1;
  options.max_new_tokens = 16;
  Store store = Store::open_for_write((dir.path() / "runs.db").string());
  const RunPlan plan = plan_run(options);
  auto backend = make_backend(options.model_spec, plan.suites, {});
  Progress quiet(stderr, Progress::Style::kQuiet);
  const int64_t id = create_run(store, plan, *backend);
  execute_run(store, id, plan, *backend, quiet);
  server.shutdown();
  serving.join();

  EXPECT_GE(served.peak(), static_cast<size_t>(kInFlight)) << "the server never held 64 requests at once";
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  std::set<std::string> ids;
  for (const StoredExample& e : store.stored_examples(id)) {
    EXPECT_FALSE(e.error) << e.example_id << ": " << e.error.value_or("");
    EXPECT_TRUE(ids.insert(e.example_id).second) << "stored twice: " << e.example_id;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kExamples));
  bool exact = false;
  for (const auto& m : store.metric_summaries(id))
    if (m.metric == "exact_match") {
      exact = true;
      EXPECT_EQ(m.examples, kExamples);
      EXPECT_DOUBLE_EQ(m.mean, 1.0);
    }
  EXPECT_TRUE(exact);
}

}  // namespace
}  // namespace aimicius::serve
