// The behaviour wrappers around backends that are no API (caching_backend.h, rate_limited_backend.h),
// and the interface's defaults (backend.h): the response cache around replay: answers a second
// run from the store, flagged cached, at no cost, and never caches errors; identical requests of
// one batch are asked once; outputs that are not UTF-8 come back byte for byte; the limiter paces
// requests and settles tokens; backends without log-likelihoods say so per request.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "common/sha256.h"
#include "harness/backends/backend_oracle.h"
#include "harness/backends/backend_replay.h"
#include "harness/backends/backend_wrapper.h"
#include "harness/backends/caching_backend.h"
#include "harness/backends/rate_limited_backend.h"
#include "harness/store/response_cache.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

// Counts what reaches the wrapped backend, to prove what the wrappers kept from it.
class Counting final : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    ++calls;
    requests += static_cast<int>(batch.size());
    return BackendWrapper::generate(batch, params);
  }
  std::atomic<int> calls{0};
  std::atomic<int> requests{0};
};

// Answers every request with fixed bytes and token counts (what a model might say).
class Fixed final : public Backend {
 public:
  Fixed(std::string output, int64_t tokens_in, int64_t tokens_out)
      : output_(std::move(output)), in_(tokens_in), out_(tokens_out) {}
  std::string spec() const override { return "fixed"; }
  std::string content_hash() const override { return "fixed-1"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams&) override {
    std::vector<GenerationResult> out(batch.size());
    for (auto& r : out) {
      r.output = output_;
      r.tokens_in = in_;
      r.tokens_out = out_;
      r.finish_reason = "length";
    }
    return out;
  }

 private:
  std::string output_;
  int64_t in_, out_;
};

std::filesystem::path write_replay(const ScratchDir& dir) {
  const auto file = dir / "answers.jsonl";
  testing::write_file(file, R"({"suite": "s", "example_id": "a", "output": "nvidia-smi -L"}
{"suite": "s", "example_id": "b", "output": "rocm-smi"}
)");
  return file;
}

struct CachedReplay {
  ScratchDir dir;
  std::shared_ptr<ResponseCache> cache = std::make_shared<ResponseCache>((dir / "cache.db").string());
  Counting* counting = nullptr;
  std::unique_ptr<CachingBackend> backend;
  CachedReplay() {
    auto c = std::make_unique<Counting>(std::make_unique<ReplayBackend>(write_replay(dir)));
    counting = c.get();
    backend = std::make_unique<CachingBackend>(std::move(c), cache);
  }
};

const std::vector<GenerationRequest> kTwo = {{"s", "a", "prompt a"}, {"s", "b", "prompt b"}};

TEST(CachingBackend, AroundReplayTheSecondRunIsAnsweredFromTheCache) {
  CachedReplay fx;
  GenerationParams params;
  params.max_new_tokens = 64;
  const auto first = fx.backend->generate(kTwo, params);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].output, "nvidia-smi -L");
  EXPECT_EQ(first[1].output, "rocm-smi");
  EXPECT_FALSE(first[0].cached || first[1].cached);
  EXPECT_EQ(fx.counting->requests, 2);

  const auto second = fx.backend->generate(kTwo, params);
  EXPECT_EQ(fx.counting->requests, 2);  // nothing reached replay
  ASSERT_EQ(second.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(second[i].output, first[i].output);
    EXPECT_TRUE(second[i].cached);
    EXPECT_DOUBLE_EQ(second[i].cost_usd, 0.0);
    EXPECT_FALSE(second[i].error);
  }
  // The entry is under the sha256 of the wrapped backend's canonical request, which names the
  // spec, the content hash, the example and the parameters.
  const std::string canonical = fx.backend->canonical_request(kTwo[0], params);
  EXPECT_NE(canonical.find(fx.backend->spec()), std::string::npos) << canonical;
  EXPECT_NE(canonical.find(fx.backend->content_hash()), std::string::npos) << canonical;
  EXPECT_TRUE(fx.cache->lookup(sha256_hex(canonical)));
  // Other parameters are another request: asked again.
  params.max_new_tokens = 65;
  fx.backend->generate({kTwo[0]}, params);
  EXPECT_EQ(fx.counting->requests, 3);
  // So is the same prompt for another example (replay answers by example).
  fx.backend->generate({{"s", "b", "prompt a"}}, params);
  EXPECT_EQ(fx.counting->requests, 4);
}

TEST(CachingBackend, ErrorsAreNotCachedAndAskedAgain) {
  CachedReplay fx;
  const std::vector<GenerationRequest> missing = {{"s", "zz", "p"}};
  ASSERT_TRUE(fx.backend->generate(missing, {})[0].error);
  const auto again = fx.backend->generate(missing, {});
  ASSERT_TRUE(again[0].error);
  EXPECT_FALSE(again[0].cached);
  EXPECT_EQ(fx.counting->requests, 2);
}

TEST(CachingBackend, OneRequestTwiceInABatchIsAskedOnce) {
  CachedReplay fx;
  const auto r = fx.backend->generate({kTwo[0], kTwo[1], kTwo[0]}, {});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(fx.counting->requests, 2);
  EXPECT_FALSE(r[0].cached);
  EXPECT_TRUE(r[2].cached);  // as if it had come after the first
  EXPECT_EQ(r[2].output, r[0].output);
  EXPECT_EQ(r[1].output, "rocm-smi");
}

TEST(CachingBackend, KeepsEveryFieldAndBytesThatAreNotUtf8) {
  ScratchDir dir;
  const std::string bytes = std::string("ok \xff\xfe tail\0end", 14);  // invalid UTF-8 and a NUL
  auto counting = std::make_unique<Counting>(std::make_unique<Fixed>(bytes, 7, 9));
  Counting& seen = *counting;
  CachingBackend backend(std::move(counting), std::make_shared<ResponseCache>((dir / "c.db").string()));
  const auto live = backend.generate({{"s", "a", "p"}}, {})[0];
  const auto hit = backend.generate({{"s", "a", "p"}}, {})[0];
  EXPECT_EQ(seen.requests, 1);
  EXPECT_TRUE(hit.cached);
  EXPECT_EQ(hit.output, bytes);
  EXPECT_EQ(hit.output.size(), 14u);
  EXPECT_EQ(hit.tokens_in, 7);
  EXPECT_EQ(hit.tokens_out, 9);
  EXPECT_EQ(hit.finish_reason, "length");
  EXPECT_EQ(live.output, bytes);
}

TEST(CachingBackend, AnUnreadableEntryIsAskedAgainAndReplaced) {
  CachedReplay fx;
  const std::string key = sha256_hex(fx.backend->canonical_request(kTwo[0], {}));
  fx.cache->put(key, "not json");
  const auto r = fx.backend->generate({kTwo[0]}, {});
  EXPECT_FALSE(r[0].cached);
  EXPECT_EQ(r[0].output, "nvidia-smi -L");
  EXPECT_EQ(fx.counting->requests, 1);
  EXPECT_TRUE(fx.backend->generate({kTwo[0]}, {})[0].cached);
}

TEST(RateLimitedBackend, PacesRequestsAroundReplay) {
  ScratchDir dir;
  const auto file = write_replay(dir);
  auto counting = std::make_unique<Counting>(std::make_unique<ReplayBackend>(file));
  Counting& seen = *counting;
  // 1200 a minute: 20 a second, a burst of 20; 30 requests need at least (30 - 20) / 20 s.
  RateLimitedBackend backend(std::move(counting), 1200, 0);
  std::vector<GenerationRequest> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(kTwo[i % 2]);
  const auto start = std::chrono::steady_clock::now();
  const auto results = backend.generate(batch, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 0.45);
  ASSERT_EQ(results.size(), 30u);
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i].output, i % 2 ? "rocm-smi" : "nvidia-smi -L");
  EXPECT_EQ(seen.calls, 30);  // one request at a time
  EXPECT_GT(results.back().latency_ms, 10.0);  // the last one waited for its turn, and says so
  EXPECT_EQ(backend.spec(), "replay:" + file.string());  // the wrapper answers as what it wraps
}

TEST(RateLimitedBackend, SettlesTokensTheBackendReports) {
  // 60000 tokens a minute: 1000 a second, a bucket of 1000. Each request reserves its estimate
  // (0 / 4 + 500 tokens) and gives back what it did not use (it used 100): 15 requests need
  // 14 x 100 + 500 tokens granted, (1900 - 1000) / 1000 s of waiting, where unsettled estimates
  // would need (7500 - 1000) / 1000 s.
  RateLimitedBackend backend(std::make_unique<Fixed>("x", 40, 60), 0, 60000);
  GenerationParams params;
  params.max_new_tokens = 500;
  std::vector<GenerationRequest> batch(15, GenerationRequest{"s", "a", ""});
  const auto start = std::chrono::steady_clock::now();
  backend.generate(batch, params);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 0.8);
  EXPECT_LT(seconds, 3.0);
}

TEST(BackendDefaults, BackendsWithoutLogLikelihoodsSaySoPerRequest) {
  ScratchDir dir;
  ReplayBackend replay(write_replay(dir));
  OracleBackend oracle({});
  CachingBackend cached(std::make_unique<ReplayBackend>(write_replay(dir)),
                        std::make_shared<ResponseCache>((dir / "c.db").string()));
  for (Backend* b : std::vector<Backend*>{&replay, &oracle, &cached}) {
    const auto r = b->loglikelihood({{"s", "a", "p", " c"}, {"s", "b", "p", " d"}});
    ASSERT_EQ(r.size(), 2u);
    for (const auto& one : r) {
      ASSERT_TRUE(one.error);
      EXPECT_NE(one.error->find("cannot score continuations"), std::string::npos) << *one.error;
      EXPECT_NE(one.error->find(b->spec()), std::string::npos) << *one.error;
    }
  }
}

}  // namespace
}  // namespace aimicius
