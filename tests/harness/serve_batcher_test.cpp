// The request batcher with a counting backend: concurrent requests share backend calls, each
// gets its own answer, incompatible parameters never share a call, and nothing queued is lost on
// stop or on a backend failure. Batches are arranged by counts (a full batch, a held backend),
// never by timing.
#include <gtest/gtest.h>

#include "harness/serve/request_batcher.h"
#include "serve_test_support.h"

namespace aimicius::serve {
namespace {

using aimicius::testing::CountingBackend;

BatchItem item(const std::string& prompt, int64_t max_tokens = 8) {
  BatchItem it;
  it.request.suite = "serve";
  it.request.example_id = prompt;
  it.request.prompt = prompt;
  it.params.max_new_tokens = max_tokens;
  return it;
}

// A window far longer than any test: a batch leaves only when full (or on stop).
constexpr std::chrono::hours kForever{1};

TEST(ServeBatcher, AFullBatchIsOneBackendCallAndEachRequestGetsItsOwnAnswer) {
  CountingBackend backend;
  RequestBatcher batcher(backend, {4, kForever});
  std::vector<std::future<GenerationResult>> futures;
  for (int i = 0; i < 4; ++i) futures.push_back(batcher.submit(item(fmt::format("p{}", i))));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(futures[i].get().output, fmt::format("reply to p{} (max 8)", i));
  ASSERT_EQ(backend.calls().size(), 1u);
  EXPECT_EQ(backend.calls()[0].size(), 4u);
  EXPECT_EQ(batcher.stats().generate_calls, 1);
  EXPECT_EQ(batcher.stats().requests, 4);
}

TEST(ServeBatcher, RequestsArrivingDuringACallShareTheNextOne) {
  CountingBackend backend;
  backend.hold();
  RequestBatcher batcher(backend, {8, std::chrono::milliseconds(0)});
  std::vector<std::future<GenerationResult>> futures;
  futures.push_back(batcher.submit(item("first")));
  ASSERT_TRUE(backend.wait_entered(1));  // the first call is in the backend, held
  for (int i = 0; i < 6; ++i) futures.push_back(batcher.submit(item(fmt::format("q{}", i))));
  ASSERT_TRUE(aimicius::testing::eventually([&] { return batcher.pending() == 6; }));
  backend.release();
  EXPECT_EQ(futures[0].get().output, "reply to first (max 8)");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(futures[i + 1].get().output, fmt::format("reply to q{} (max 8)", i));
  const auto calls = backend.calls();
  ASSERT_EQ(calls.size(), 2u);  // 7 requests, 2 calls
  EXPECT_EQ(calls[1].size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(calls[1][i].prompt, fmt::format("q{}", i));  // oldest first
}

TEST(ServeBatcher, DifferentParametersNeverShareACall) {
  CountingBackend backend;
  backend.hold();
  RequestBatcher batcher(backend, {8, std::chrono::milliseconds(0)});
  auto first = batcher.submit(item("first"));
  ASSERT_TRUE(backend.wait_entered(1));
  auto a = batcher.submit(item("a", 8));
  auto b = batcher.submit(item("b", 9));  // other max_tokens
  auto c = batcher.submit(item("c", 8));
  BatchItem sampled = item("d", 8);
  sampled.params.temperature = 0.7;
  auto d = batcher.submit(std::move(sampled));
  ASSERT_TRUE(aimicius::testing::eventually([&] { return batcher.pending() == 4; }));
  backend.release();
  EXPECT_EQ(a.get().output, "reply to a (max 8)");
  EXPECT_EQ(b.get().output, "reply to b (max 9)");
  EXPECT_EQ(c.get().output, "reply to c (max 8)");
  EXPECT_EQ(d.get().output, "reply to d (max 8)");
  first.get();
  const auto calls = backend.calls();
  ASSERT_EQ(calls.size(), 4u);  // first | a, c | b | d
  EXPECT_EQ(calls[1].size(), 2u);
  EXPECT_EQ(calls[1][1].prompt, "c");
  EXPECT_EQ(calls[2][0].prompt, "b");
  EXPECT_EQ(calls[3][0].prompt, "d");
}

// The lead request leaves the queue first: the others must still be compared with its own
// parameters (its stop strings), not with what is left of it.
TEST(ServeBatcher, RequestsWithoutTheLeadsStopStringsNeverShareItsCall) {
  CountingBackend backend;
  backend.hold();
  RequestBatcher batcher(backend, {8, std::chrono::milliseconds(0)});
  auto first = batcher.submit(item("first"));
  ASSERT_TRUE(backend.wait_entered(1));
  BatchItem lead = item("lead", 8);
  lead.params.stop = {"STOP-AT-THIS-LONG-MARKER", "and another stop string that is not short"};
  auto a = batcher.submit(std::move(lead));
  auto b = batcher.submit(item("plain", 8));  // no stop strings
  ASSERT_TRUE(aimicius::testing::eventually([&] { return batcher.pending() == 2; }));
  backend.release();
  a.get();
  b.get();
  first.get();
  const auto calls = backend.calls();
  ASSERT_EQ(calls.size(), 3u) << "first | lead | plain";
  EXPECT_EQ(calls[1].size(), 1u);
  EXPECT_EQ(calls[2][0].prompt, "plain");
}

TEST(ServeBatcher, BatchableComparesEverySamplingParameter) {
  GenerationParams a;
  EXPECT_TRUE(batchable(a, a));
  GenerationParams b = a;
  b.seed = 5;
  EXPECT_TRUE(batchable(a, b));  // greedy: the seed does not matter
  a.temperature = b.temperature = 1.0;
  EXPECT_FALSE(batchable(a, b));
  b.seed = a.seed;
  EXPECT_TRUE(batchable(a, b));
  b.stop = {"\n"};
  EXPECT_FALSE(batchable(a, b));
  b = a;
  b.top_p = 0.9;
  EXPECT_FALSE(batchable(a, b));
  b = a;
  b.top_k = 3;
  EXPECT_FALSE(batchable(a, b));
}

TEST(ServeBatcher, StopAnswersEverythingQueuedAndRefusesNewRequests) {
  CountingBackend backend;
  RequestBatcher batcher(backend, {8, kForever});
  auto a = batcher.submit(item("a"));
  auto b = batcher.submit(item("b"));
  batcher.stop();  // the window would hold them for an hour: stop sends them now
  EXPECT_EQ(a.get().output, "reply to a (max 8)");
  EXPECT_EQ(b.get().output, "reply to b (max 8)");
  EXPECT_EQ(backend.calls().size(), 1u);
  EXPECT_THROW(batcher.submit(item("c")), std::runtime_error);
}

TEST(ServeBatcher, ABackendExceptionBecomesEachRequestsError) {
  CountingBackend backend;
  backend.fail_next_calls();
  RequestBatcher batcher(backend, {2, kForever});
  int done_calls = 0;
  BatchItem first = item("a");
  first.on_done = [&](const GenerationResult& r) { done_calls += r.error ? 1 : 0; };
  auto a = batcher.submit(std::move(first));
  auto b = batcher.submit(item("b"));
  const auto ra = a.get(), rb = b.get();
  ASSERT_TRUE(ra.error && rb.error);
  EXPECT_EQ(*ra.error, "the backend failed: the model fell over");
  EXPECT_EQ(done_calls, 1);
}

TEST(ServeBatcher, ARequestTheBackendCannotTakeFailsAloneNotItsBatchMates) {
  CountingBackend backend;
  RequestBatcher batcher(backend, {3, kForever});
  auto a = batcher.submit(item("a"));
  auto poison = batcher.submit(item("poison"));
  auto b = batcher.submit(item("b"));
  EXPECT_EQ(a.get().output, "reply to a (max 8)");
  EXPECT_EQ(b.get().output, "reply to b (max 8)");
  const auto bad = poison.get();
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(*bad.error, "the backend failed: cannot take the prompt 'poison'");
  const auto calls = backend.calls();
  ASSERT_EQ(calls.size(), 4u);  // the shared call, then each request alone
  EXPECT_EQ(calls[0].size(), 3u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(calls[i].size(), 1u);
  EXPECT_EQ(batcher.stats().generate_calls, 4);
}

TEST(ServeBatcher, StreamedPiecesReachTheirOwnRequest) {
  CountingBackend backend;
  RequestBatcher batcher(backend, {2, kForever});
  std::string got_a, got_b;
  BatchItem a = item("alpha"), b = item("beta");
  a.on_text = [&](const std::string& piece) { got_a += piece; };
  b.on_text = [&](const std::string& piece) { got_b += piece; };
  auto fa = batcher.submit(std::move(a));
  auto fb = batcher.submit(std::move(b));
  const std::string out_a = fa.get().output, out_b = fb.get().output;
  // Everything but the last word was streamed, to the right request.
  EXPECT_EQ(got_a, "reply to alpha (max");
  EXPECT_EQ(got_b, "reply to beta (max");
  EXPECT_EQ(out_a.substr(0, got_a.size()), got_a);
  EXPECT_EQ(out_b.substr(0, got_b.size()), got_b);
}

}  // namespace
}  // namespace aimicius::serve
