// The openai: backend against a fault-injecting server on loopback (fake_openai_server.h): the
// exact JSON it sends, retries on 429 (Retry-After honoured), 5xx, timeouts, malformed bodies and
// dropped connections, no retry on 400/401, errors that name the example and never the key,
// whole runs where every example ends answered or with a stored error, the response cache (a
// wrapper that keeps the key the backend always used), how make_backend composes the wrappers,
// and the rate limiter (counted with an injected clock). Backoff bases are 1 ms so the file runs in
// seconds; the only wall-clock assertion is a lower bound (Retry-After).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>

#include "common/errors.h"
#include "fake_openai_server.h"
#include "common/sha256.h"
#include "harness/backends/backend_openai.h"
#include "harness/backends/backend_oracle.h"
#include "harness/backends/caching_backend.h"
#include "harness/backends/rate_limited_backend.h"
#include "harness/backends/rate_limiter.h"
#include "harness/store/response_cache.h"
#include "harness/backends/retry_policy.h"
#include "harness/runner/runner.h"
#include "harness/backends/spec_query.h"
#include "bench/synthetic_suite.h"
#include "scratch_dir.h"

namespace aimicius {
namespace {

using testing::Fault;
using testing::FakeOpenAIServer;
using testing::ScratchDir;
using namespace std::chrono_literals;

constexpr const char* kKeyEnv = "AIMICIUS_TEST_OPENAI_KEY";
constexpr const char* kKey = "sk-test-NEVER-STORED-4d2f";

struct KeyInEnvironment {
  KeyInEnvironment() { setenv(kKeyEnv, kKey, 1); }
  ~KeyInEnvironment() { unsetenv(kKeyEnv); }
};

std::string spec_for(const FakeOpenAIServer& server, const std::string& options) {
  return "openai:gpt-test@" + server.url() + "?base_delay_ms=1&max_delay_ms=5" + (options.empty() ? "" : "&" + options);
}

GenerationResult ask(Backend& backend, const std::string& prompt, const GenerationParams& params = {}) {
  auto results = backend.generate({{"unit", "ex-1", prompt}}, params);
  EXPECT_EQ(results.size(), 1u);
  return results.at(0);
}

// --- spec parsing ---------------------------------------------------------------------------

TEST(SpecOptions, SplitDecodeAndReject) {
  const auto p = split_spec_options("s", "dir?a=1&b=x=y&c=one%20%26%20two&");
  EXPECT_EQ(p.base, "dir");
  ASSERT_EQ(p.options.size(), 3u);
  EXPECT_EQ(p.options[1].second, "x=y");
  EXPECT_EQ(p.options[2].second, "one & two");
  EXPECT_TRUE(split_spec_options("s", "dir").options.empty());
  EXPECT_NE(testing::error_of([] { split_spec_options("s", "d?novalue"); }).find("needs key=value"), std::string::npos);
  EXPECT_NE(testing::error_of([] { split_spec_options("s", "d?a=%zz"); }).find("%-escape"), std::string::npos);
}

TEST(OpenAISpec, ParsesOptionsAndEndpoints) {
  const auto s = parse_openai_spec("openai:gpt-4o@https://api.openai.com/v1/?system=Be%20brief&rpm=60&price_in=2.5");
  EXPECT_EQ(s.model, "gpt-4o");
  EXPECT_EQ(s.endpoint_url(), "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(s.system, "Be brief");
  EXPECT_DOUBLE_EQ(s.rpm, 60);
  EXPECT_DOUBLE_EQ(s.price_in, 2.5);
  EXPECT_EQ(s.key_env, "OPENAI_API_KEY");
  EXPECT_EQ(parse_openai_spec("openai:m@http://h:8000/v1?api=completions").endpoint_url(), "http://h:8000/v1/completions");
  const auto az = parse_openai_spec("openai:dep1@https://r.openai.azure.com?azure=1&api_version=2024-06-01");
  EXPECT_EQ(az.endpoint_url(), "https://r.openai.azure.com/openai/deployments/dep1/chat/completions?api-version=2024-06-01");
  EXPECT_EQ(az.key_env, "AZURE_OPENAI_API_KEY");
  for (const char* bad : {"openai:gpt-4o", "openai:@http://h/v1", "openai:m@ftp://h", "openai:m@http://u:sk-1@h/v1",
                          "openai:m@http://h/v1?colour=red", "openai:m@http://h/v1?api=embeddings",
                          "openai:m@http://h/v1?azure=1", "openai:m@http://h/v1?retries=x", "openai:m@http://h/v1?timeout_s=0",
                          // nan passes every "must be positive" comparison; inf is no timeout either
                          "openai:m@http://h/v1?timeout_s=nan", "openai:m@http://h/v1?timeout_s=inf"})
    EXPECT_THROW(parse_openai_spec(bad), InputError) << bad;
}

// --- the wire format ------------------------------------------------------------------------

TEST(OpenAIBackend, ChatRequestCarriesEveryParameterAndTheKeyOnlyInTheHeader) {
  KeyInEnvironment key;
  FakeOpenAIServer server;
  OpenAIBackend backend(spec_for(server, std::string("system=You%20are%20terse&key_env=") + kKeyEnv +
                                             "&price_in=1000000&price_out=2000000"));
  GenerationParams params;
  params.temperature = 0.7;
  params.top_p = 0.9;
  params.max_new_tokens = 33;
  params.seed = 42;
  params.stop = {"\n\n", "END"};
  const auto r = ask(backend, "List GPUs.", params);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.output, "reply to List GPUs.");
  EXPECT_EQ(r.tokens_in, 10);   // the fake server counts characters
  EXPECT_EQ(r.tokens_out, 19);
  EXPECT_DOUBLE_EQ(r.cost_usd, 10 * 1.0 + 19 * 2.0);  // USD per 1M tokens
  EXPECT_FALSE(r.cached);

  const auto got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/v1/chat/completions");
  EXPECT_EQ(got[0].authorization, std::string("Bearer ") + kKey);
  const nlohmann::json expected = {
      {"model", "gpt-test"},
      {"messages", {{{"role", "system"}, {"content", "You are terse"}}, {{"role", "user"}, {"content", "List GPUs."}}}},
      {"temperature", 0.7},
      {"top_p", 0.9},
      {"max_tokens", 33},
      {"seed", 42},
      {"stop", {"\n\n", "END"}}};
  EXPECT_EQ(got[0].body, expected) << got[0].body.dump();
}

TEST(OpenAIBackend, CompletionsRequestPutsTheSystemTextBeforeThePrompt) {
  FakeOpenAIServer server;
  OpenAIBackend backend(spec_for(server, "api=completions&system=Shell%20only") + "&key_env=AIMICIUS_NO_SUCH_VAR");
  const auto r = ask(backend, "Show the driver.");
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.output, "reply to Shell only\n\nShow the driver.");
  const auto got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/v1/completions");
  EXPECT_EQ(got[0].authorization, "");  // no key in the environment: no header
  EXPECT_EQ(got[0].body.at("prompt"), "Shell only\n\nShow the driver.");
  EXPECT_FALSE(got[0].body.contains("messages"));
  EXPECT_EQ(got[0].body.at("model"), "gpt-test");
}

// Few-shot as turns: the request's turns are the messages, the spec's system= text opening the
// system turn; fewshot= is checked against api=.
TEST(OpenAIBackend, ChatTurnsAreSentAsMessages) {
  EXPECT_EQ(parse_openai_spec("openai:m@http://h/v1").prompt_style.fewshot, FewshotLayout::kTurns);
  EXPECT_EQ(parse_openai_spec("openai:m@http://h/v1?fewshot=inline").prompt_style.fewshot, FewshotLayout::kInline);
  EXPECT_FALSE(parse_openai_spec("openai:m@http://h/v1?api=completions").prompt_style.chat);
  EXPECT_THROW(parse_openai_spec("openai:m@http://h/v1?api=completions&fewshot=turns"), InputError);
  EXPECT_THROW(parse_openai_spec("openai:m@http://h/v1?fewshot=multiturn"), InputError);

  OpenAIBackend backend("openai:m@http://127.0.0.1:9/v1?system=Be%20brief");  // nothing is sent
  GenerationRequest request{"s", "e", "plain"};
  request.messages = {{"system", "Write commands."}, {"user", "Request: a"}, {"assistant", "ls"}, {"user", "Request: b"}};
  const auto body = nlohmann::json::parse(backend.request_body(request, GenerationParams{}));
  const nlohmann::json expected = {{{"role", "system"}, {"content", "Be brief\n\nWrite commands."}},
                                   {{"role", "user"}, {"content", "Request: a"}},
                                   {{"role", "assistant"}, {"content", "ls"}},
                                   {{"role", "user"}, {"content", "Request: b"}}};
  EXPECT_EQ(body.at("messages"), expected) << body.dump();
  // Without a system turn of its own, system= becomes one.
  request.messages = {{"user", "Request: b"}};
  EXPECT_EQ(nlohmann::json::parse(backend.request_body(request, GenerationParams{})).at("messages"),
            (nlohmann::json{{{"role", "system"}, {"content", "Be brief"}}, {{"role", "user"}, {"content", "Request: b"}}}));
  // A request without turns is the body it always was (response cache keys depend on it).
  EXPECT_EQ(backend.request_body(GenerationRequest{"s", "e", "plain"}, GenerationParams{}),
            backend.request_body("plain", GenerationParams{}));
}

TEST(OpenAIBackend, AzureDeploymentUrlAndApiKeyHeader) {
  KeyInEnvironment key;
  FakeOpenAIServer server;
  OpenAIBackend backend("openai:dep-1@" + server.base_url() + "?azure=1&api_version=2024-06-01&key_env=" + kKeyEnv);
  ASSERT_FALSE(ask(backend, "x").error);
  const auto got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/openai/deployments/dep-1/chat/completions");
  EXPECT_EQ(got[0].api_key, kKey);
  EXPECT_EQ(got[0].authorization, "");
}

TEST(OpenAIBackend, AtMostFourStopsAreSentAndAllAreAppliedToTheText) {
  FakeOpenAIServer server(nullptr, [](const std::string&) { return "nvidia-smi -L S5 rest"; });
  OpenAIBackend backend(spec_for(server, ""));
  GenerationParams params;
  params.stop = {"S1", "S2", "S3", "S4", "S5"};
  const auto r = ask(backend, "p", params);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.output, "nvidia-smi -L ");
  EXPECT_EQ(server.requests().at(0).body.at("stop").size(), 4u);
}

// --- faults and retries ---------------------------------------------------------------------

TEST(OpenAIBackend, RateLimitedThenAnsweredHonoursRetryAfter) {
  FakeOpenAIServer server([](const std::string&, int nth) { return nth == 0 ? Fault::kRateLimited : Fault::kNone; });
  server.set_retry_after("1");
  OpenAIBackend backend(spec_for(server, "retries=2"));
  const auto r = ask(backend, "p");
  ASSERT_FALSE(r.error) << *r.error;
  const auto got = server.requests();
  ASSERT_EQ(got.size(), 2u);
  // The backoff base is 1 ms: only Retry-After can explain a full second (a lower bound only).
  EXPECT_GE(got[1].at - got[0].at, 1000ms);
}

TEST(OpenAIBackend, ServerErrorsUntilRetriesRunOutGiveANamedError) {
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kServerError; });
  OpenAIBackend backend(spec_for(server, "retries=3"));
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(server.count_for("p"), 4);  // the first attempt and 3 retries
  for (const std::string& part : std::vector<std::string>{"unit/ex-1", server.url() + "/chat/completions", "after 4 attempts", "HTTP 500",
                                 "The server had an error"})
    EXPECT_NE(r.error->find(part), std::string::npos) << part << " in " << *r.error;
  EXPECT_TRUE(r.infra_error) << "the service failed, not the model: not judged";
}

TEST(OpenAIBackend, ClientErrorsAreNotRetried) {
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kBadRequest; });
  OpenAIBackend backend(spec_for(server, "retries=3"));
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(server.count_for("p"), 1);
  EXPECT_NE(r.error->find("HTTP 400"), std::string::npos) << *r.error;
  EXPECT_FALSE(r.infra_error) << "a refused request is the request's error";
}

TEST(OpenAIBackend, AnEchoedKeyIsMaskedInTheError) {
  KeyInEnvironment key;
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kUnauthorized; });
  OpenAIBackend backend(spec_for(server, std::string("retries=3&key_env=") + kKeyEnv));
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(server.count_for("p"), 1);
  EXPECT_EQ(r.error->find(kKey), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("Bearer ***"), std::string::npos) << *r.error;
  // A rejected key is the client's configuration, not an answer of the model's: not judged.
  EXPECT_TRUE(r.infra_error) << *r.error;
}

TEST(OpenAIBackend, MissingKeyIsNamedWhenTheServerAsksForOne) {
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kUnauthorized; });
  OpenAIBackend backend(spec_for(server, "key_env=AIMICIUS_NO_SUCH_VAR"));
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("$AIMICIUS_NO_SUCH_VAR"), std::string::npos) << *r.error;
}

TEST(OpenAIBackend, SlowResponsesTimeOutAndAreRetried) {
  FakeOpenAIServer server([](const std::string& p, int nth) {
    return p == "slow" || nth == 0 ? Fault::kSlow : Fault::kNone;
  });
  OpenAIBackend backend(spec_for(server, "retries=1&timeout_s=1"));
  const auto once = ask(backend, "slow once");
  ASSERT_FALSE(once.error) << *once.error;
  EXPECT_EQ(server.count_for("slow once"), 2);
  const auto always = ask(backend, "slow");
  ASSERT_TRUE(always.error);
  EXPECT_EQ(server.count_for("slow"), 2);
  EXPECT_NE(always.error->find("timeout_s=1 "), std::string::npos) << *always.error;
}

TEST(OpenAIBackend, MalformedBodiesAreRetriedThenNamed) {
  FakeOpenAIServer server([](const std::string& p, int nth) {
    return p == "bad" || nth == 0 ? Fault::kMalformed : Fault::kNone;
  });
  OpenAIBackend backend(spec_for(server, "retries=2"));
  const auto once = ask(backend, "bad once");
  ASSERT_FALSE(once.error) << *once.error;
  EXPECT_EQ(once.output, "reply to bad once");
  EXPECT_EQ(server.count_for("bad once"), 2);
  const auto always = ask(backend, "bad");
  ASSERT_TRUE(always.error);
  EXPECT_EQ(server.count_for("bad"), 3);
  EXPECT_NE(always.error->find("malformed body"), std::string::npos) << *always.error;
}

// Found writing fuzz/openai_response_fuzz.cpp (reading the parser): a "usage" count that is not
// an integer threw nlohmann's type_error out of the parser (and out of generate(): the whole run
// stopped with exit 1); 1e30 was cast to an integer (undefined behaviour). A count is a
// non-negative integer, else 0.
TEST(OpenAIBackend, UsageCountsOfAnyTypeNeverThrow) {
  const OpenAIBackend chat("openai:m@http://127.0.0.1:9/v1");
  const GenerationParams params;
  for (const char* usage : {R"({"prompt_tokens": "7", "completion_tokens": [1]})",
                            R"({"prompt_tokens": 1e30, "completion_tokens": 2.5})",
                            R"({"prompt_tokens": -4, "completion_tokens": null})",
                            R"({"prompt_tokens": 18446744073709551615, "completion_tokens": {}})"}) {
    const std::string body =
        std::string(R"({"choices": [{"message": {"content": "nvidia-smi -L"}}], "usage": )") + usage + "}";
    std::optional<GenerationResult> result;
    ASSERT_NO_THROW(result = chat.read_cache_entry(body, params)) << usage;
    ASSERT_TRUE(result) << usage;
    EXPECT_EQ(result->output, "nvidia-smi -L");
    EXPECT_GE(result->tokens_in, 0) << usage;
    EXPECT_GE(result->tokens_out, 0) << usage;
  }
  // A count past any request's (10^19 once summed past 2^63 and made `show` fail) is not a count.
  const std::string huge = R"({"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": )"
                           R"(10000000000000000000, "completion_tokens": 2000000000000, "total_tokens": 1}})";
  const auto result = chat.read_cache_entry(huge, params);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->tokens_in, 0);
  EXPECT_EQ(result->tokens_out, 0);
}

// A server sending more than any max_tokens answer (17 MiB) is cut off at 16 MiB: one attempt,
// not judged, named; memory and the database never see the rest.
TEST(OpenAIBackend, AnEnormousResponseIsCutOffAndNotJudged) {
  FakeOpenAIServer server(nullptr, [](const std::string&) { return std::string(17u << 20, 'A'); });
  OpenAIBackend backend(spec_for(server, "retries=3&base_delay_ms=1"));
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("the response passed the 16 MiB a response may have"), std::string::npos) << *r.error;
  EXPECT_TRUE(r.infra_error);
  EXPECT_TRUE(r.output.empty());
  EXPECT_EQ(server.count_for("p"), 1);
}

// An API that never answers (every connection dropped) is asked for the first 8 examples, each
// with its retries; the rest fail at once as infrastructure errors instead of hours of retries.
// Any response, even an error status, means it is up: then every request is sent.
TEST(OpenAIBackend, AnApiThatNeverAnswersIsNotAskedAgainAfterEightRequests) {
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kDrop; });
  OpenAIBackend backend(spec_for(server, "retries=1&base_delay_ms=1"));
  for (int i = 0; i < 12; ++i) {
    const auto r = ask(backend, "p" + std::to_string(i));
    ASSERT_TRUE(r.error);
    EXPECT_TRUE(r.infra_error);
    if (i >= 8) EXPECT_NE(r.error->find("not sent: the API answered none of the first 8 requests"), std::string::npos) << *r.error;
  }
  EXPECT_EQ(server.request_count(), 16u) << "8 requests x 2 attempts, then none";
  FakeOpenAIServer erroring([](const std::string&, int) { return Fault::kServerError; });
  OpenAIBackend up(spec_for(erroring, "retries=0"));
  for (int i = 0; i < 12; ++i) ask(up, "p" + std::to_string(i));
  EXPECT_EQ(erroring.request_count(), 12u) << "an API that answers 500 is up: every request is sent";
}

TEST(OpenAIBackend, DroppedConnectionsAreRetriedThenNamed) {
  FakeOpenAIServer server([](const std::string& p, int nth) {
    return p == "drop" || nth == 0 ? Fault::kDrop : Fault::kNone;
  });
  OpenAIBackend backend(spec_for(server, "retries=1"));
  const auto once = ask(backend, "drop once");
  ASSERT_FALSE(once.error) << *once.error;
  EXPECT_EQ(server.count_for("drop once"), 2);
  const auto always = ask(backend, "drop");
  ASSERT_TRUE(always.error);
  EXPECT_EQ(server.count_for("drop"), 2);
  EXPECT_NE(always.error->find("connection failed"), std::string::npos) << *always.error;
}

TEST(OpenAIBackend, UnreachableServerIsAnErrorPerExample) {
  OpenAIBackend backend("openai:m@http://127.0.0.1:1/v1?retries=1&base_delay_ms=1");
  const auto r = ask(backend, "p");
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("after 2 attempts"), std::string::npos) << *r.error;
}

// --- whole runs -----------------------------------------------------------------------------

struct RunFixture {
  ScratchDir dir;
  int examples;
  explicit RunFixture(int n) : examples(n) { write_synthetic_suite(dir / "suites", "syn", n); }
  std::string db() const { return (dir / "runs.db").string(); }
  RunOptions options(const std::string& spec, int jobs) const {
    RunOptions o;
    o.suites = {"syn"};
    o.data_dir = dir / "suites";
    o.model_spec = spec;
    o.jobs = jobs;
    o.batch_size = 3;
    return o;
  }
  int64_t run(const RunOptions& o, bool cache) {
    Store store = Store::open_for_write(db());
    const RunPlan plan = plan_run(o);
    BackendOptions bo;
    if (cache) bo.cache_db = db();
    auto backend = make_backend(o.model_spec, plan.suites, bo);
    Progress quiet(stderr, Progress::Style::kQuiet);
    const int64_t id = create_run(store, plan, *backend);
    execute_run(store, id, plan, *backend, quiet);
    return id;
  }
};

std::string synthetic_reply(const std::string& prompt) { return synthetic_answer(synthetic_number_in(prompt)); }

TEST(OpenAIRun, MixedFaultsEndAnsweredOrWithAStoredErrorNoneLostNoneDoubled) {
  RunFixture fx(20);
  // By example number: 0 always fails (500), 1 is rate limited once, 2 dropped once, 3 too slow
  // once, 4 answered at once.
  auto kind = [](const std::string& p) { return synthetic_number_in(p) % 5; };
  FakeOpenAIServer server(
      [&](const std::string& p, int nth) {
        switch (kind(p)) {
          case 0: return Fault::kServerError;
          case 1: return nth == 0 ? Fault::kRateLimited : Fault::kNone;
          case 2: return nth == 0 ? Fault::kDrop : Fault::kNone;
          case 3: return nth == 0 ? Fault::kSlow : Fault::kNone;
          default: return Fault::kNone;
        }
      },
      synthetic_reply);
  server.set_retry_after("0");
  const int64_t id = fx.run(fx.options(spec_for(server, "retries=2&timeout_s=1"), 4), /*cache=*/true);

  Store store = Store::open_for_read(fx.db());
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
  EXPECT_EQ(store.prediction_count(id), 20);
  EXPECT_EQ(store.stored_example_ids(id, "syn").size(), 20u);
  const auto errors = store.example_errors(id, 100);
  ASSERT_EQ(errors.size(), 4u);
  for (const auto& e : errors) {
    EXPECT_EQ(std::stoi(e.example_id.substr(1)) % 5, 0) << e.example_id;
    EXPECT_NE(e.error.find("syn/" + e.example_id), std::string::npos) << e.error;
    EXPECT_NE(e.error.find("after 3 attempts"), std::string::npos) << e.error;
  }
  for (const auto& r : server.requests()) {
    const int expected = std::map<int, int>{{0, 3}, {1, 2}, {2, 2}, {3, 2}, {4, 1}}.at(kind(r.prompt));
    EXPECT_EQ(server.count_for(r.prompt), expected) << r.prompt;
  }
  EXPECT_EQ(server.request_count(), 4u * 3 + 12u * 2 + 4u);
  // The four that failed after their retries are not judged (infra_error): the mean is over the
  // sixteen answered, every one of them right.
  EXPECT_EQ(store.infra_error_count(id), 4);
  for (const auto& m : store.metric_summaries(id))
    if (m.metric == "exact_match") {
      EXPECT_EQ(m.examples, 16);
      EXPECT_DOUBLE_EQ(m.mean, 1.0);
    }

  // Rerunning asks again only for what failed: answered examples come from the cache.
  const size_t before = server.request_count();
  const int64_t again = fx.run(fx.options(spec_for(server, "retries=2&timeout_s=1"), 4), true);
  EXPECT_EQ(server.request_count() - before, 4u * 3);
  Store reread = Store::open_for_read(fx.db());
  EXPECT_EQ(reread.run_usage(again).cached, 16);
}

TEST(OpenAIRun, InFlightRequestsAreBoundedByJobs) {
  RunFixture fx(24);
  FakeOpenAIServer server([](const std::string&, int) { return Fault::kBrief; }, synthetic_reply);
  fx.run(fx.options(spec_for(server, ""), 3), false);
  EXPECT_EQ(server.request_count(), 24u);
  EXPECT_LE(server.max_in_flight(), 3);
  EXPECT_GE(server.max_in_flight(), 1);
}

TEST(OpenAIRun, CacheAnswersReruns_NoCacheAsksAgain_KeyNeverStored) {
  KeyInEnvironment key;
  RunFixture fx(12);
  FakeOpenAIServer server(nullptr, synthetic_reply);
  const std::string spec = spec_for(server, std::string("key_env=") + kKeyEnv + "&price_in=3&price_out=15");
  const int64_t first = fx.run(fx.options(spec, 2), true);
  EXPECT_EQ(server.request_count(), 12u);
  const int64_t second = fx.run(fx.options(spec, 2), true);
  EXPECT_EQ(server.request_count(), 12u);  // zero new requests
  const int64_t third = fx.run(fx.options(spec, 2), false);
  EXPECT_EQ(server.request_count(), 24u);
  {
    Store store = Store::open_for_read(fx.db());
    const RunUsage u1 = store.run_usage(first), u2 = store.run_usage(second), u3 = store.run_usage(third);
    EXPECT_EQ(u1.cached, 0);
    EXPECT_GT(u1.tokens_in, 0);
    EXPECT_GT(u1.cost_usd, 0.0);
    EXPECT_NEAR(u1.cost_usd, (u1.tokens_in * 3.0 + u1.tokens_out * 15.0) / 1e6, 1e-12);
    EXPECT_EQ(u2.cached, 12);
    EXPECT_EQ(u2.tokens_in, 0);
    EXPECT_DOUBLE_EQ(u2.cost_usd, 0.0);
    EXPECT_EQ(u3.cached, 0);
    EXPECT_DOUBLE_EQ(u3.cost_usd, u1.cost_usd);
    for (int64_t id : {first, second, third})
      for (const auto& m : store.metric_summaries(id))
        if (m.metric == "exact_match") {
          EXPECT_DOUBLE_EQ(m.mean, 1.0);
        }
  }
  // The key reached the server but no byte of it is in the database (or its WAL).
  ASSERT_EQ(server.requests().at(0).authorization, std::string("Bearer ") + kKey);
  for (const auto& suffix : {"", "-wal", "-shm"}) {
    const auto path = fx.db() + suffix;
    if (std::filesystem::exists(path)) {
      EXPECT_EQ(testing::read_file(path).find(kKey), std::string::npos) << path;
    }
  }
}

TEST(OpenAIRun, ResumeAsksOnlyForWhatIsNeitherStoredNorCached) {
  RunFixture fx(10);
  FakeOpenAIServer server(nullptr, synthetic_reply);
  const RunOptions options = fx.options(spec_for(server, ""), 2);
  BackendOptions cached;
  cached.cache_db = fx.db();
  int64_t id = 0;
  {
    // A process killed mid-run: it got answers for examples 0-3 but stored only 0 and 1.
    Store store = Store::open_for_write(fx.db());
    const RunPlan plan = plan_run(options);
    auto backend = make_backend(options.model_spec, plan.suites, cached);
    id = create_run(store, plan, *backend);
    const LoadedSuite& syn = plan.suites.at(0);
    std::vector<GenerationRequest> first;
    for (int i = 0; i < 4; ++i) first.push_back(build_request(*syn.suite, syn.examples[i], backend->prompt_style()));
    GenerationParams params;  // as the runner asks (the cache key covers every parameter)
    const SuiteGeneration generation = suite_generation(*syn.suite, options, backend->prompt_style());
    params.max_new_tokens = generation.max_new_tokens;
    params.seed = options.seed;
    params.stop = generation.stop;
    const auto results = backend->generate(first, params);
    for (int i = 0; i < 2; ++i) {
      PredictionRecord p;
      p.run_id = id;
      p.suite = "syn";
      p.example_id = first[i].example_id;
      p.prompt_sha256 = "h";
      p.raw_output = p.answer = results[i].output;
      store.record_example(p, {});
    }
  }
  EXPECT_EQ(server.request_count(), 4u);
  Store store = Store::open_for_write(fx.db());
  const RunPlan plan = plan_resume(store, id, fx.dir / "suites", 2, {});
  auto backend = make_backend(plan.options.model_spec, plan.suites, cached);
  check_resume_backend(*store.find_run(id), *backend);
  Progress quiet(stderr, Progress::Style::kQuiet);
  execute_run(store, id, plan, *backend, quiet);
  EXPECT_EQ(server.request_count(), 10u);  // examples 4-9 only: 0-1 were stored, 2-3 cached
  EXPECT_EQ(store.prediction_count(id), 10);
  EXPECT_EQ(store.run_usage(id).cached, 2);
  EXPECT_EQ(store.find_run(id)->status, kRunComplete);
}

TEST(OpenAIRun, CommandLineCachesAndNoCacheAsksAgain) {
  RunFixture fx(5);
  FakeOpenAIServer server(nullptr, synthetic_reply);
  auto aimicius = [&](const std::string& args) {
    const auto out = fx.dir / "out.txt";
    const std::string cmd = std::string("'") + AIMICIUS_BIN + "' --db '" + fx.db() + "' --data-dir '" +
                            (fx.dir / "suites").string() + "' " + args + " >'" + out.string() + "' 2>&1 </dev/null";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::read_file(out);
    return testing::read_file(out);
  };
  const std::string run = "run --suite syn --model '" + spec_for(server, "price_in=1") + "'";
  aimicius(run);
  EXPECT_EQ(server.request_count(), 5u);
  aimicius(run);
  EXPECT_EQ(server.request_count(), 5u);
  EXPECT_NE(aimicius("show 2").find("5 examples stored (5 from the response cache"), std::string::npos);
  aimicius(run + " --no-cache");
  EXPECT_EQ(server.request_count(), 10u);
  EXPECT_NE(aimicius("show 3").find("(0 from the response cache"), std::string::npos);
}

// Issue 19: an API that is down is an infrastructure error, not a model scoring 0. The run
// completes with every example not judged and says how to retry; a plain --resume of it is
// refused naming --retry-errors; once the API is back, --retry-errors judges exactly those.
TEST(OpenAIRun, CommandLineRetryErrorsJudgesWhatTheApiFailedOn) {
  RunFixture fx(4);
  std::atomic<bool> down{true};
  FakeOpenAIServer server([&](const std::string&, int) { return down ? Fault::kServerError : Fault::kNone; },
                          synthetic_reply);
  auto aimicius = [&](const std::string& args, int expected_exit) {
    const auto out = fx.dir / "out.txt";
    const std::string cmd = std::string("'") + AIMICIUS_BIN + "' --db '" + fx.db() + "' --data-dir '" +
                            (fx.dir / "suites").string() + "' " + args + " >'" + out.string() + "' 2>&1 </dev/null";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == expected_exit) << args << ": " << testing::read_file(out);
    return testing::read_file(out);
  };
  // Nothing judged: the run measured nothing, so it exits 2 saying why, with every row stored.
  const std::string first = aimicius("run --suite syn --model '" + spec_for(server, "retries=1&base_delay_ms=1") + "'", 2);
  EXPECT_NE(first.find("4 examples not judged (infrastructure errors)"), std::string::npos) << first;
  EXPECT_NE(first.find("none of its 4 example(s) was judged"), std::string::npos) << first;
  EXPECT_NE(first.find("HTTP 500"), std::string::npos) << first;
  EXPECT_NE(first.find("aimicius run --resume 1 --retry-errors"), std::string::npos) << first;
  EXPECT_EQ(Store::open_for_read(fx.db()).infra_error_count(1), 4);
  EXPECT_NE(aimicius("run --resume 1", 2).find("--retry-errors"), std::string::npos);
  aimicius("run --retry-errors", 2);  // only with --resume
  down = false;
  const size_t before = server.request_count();
  aimicius("run --resume 1 --retry-errors", 0);
  EXPECT_EQ(server.request_count() - before, 4u);
  Store store = Store::open_for_read(fx.db());
  EXPECT_EQ(store.infra_error_count(1), 0);
  EXPECT_EQ(store.prediction_count(1), 4);
  EXPECT_EQ(store.find_run(1)->status, kRunComplete);
  for (const auto& m : store.metric_summaries(1)) {
    if (m.metric == "exact_match") {
      EXPECT_EQ(m.examples, 4);
    }
  }
}

// --- the response cache and the rate limits as wrappers ----------------------------------------

// The cache key of an openai: request as it was computed when the cache was built into the
// backend, written out here so that no change to the wrappers can move it: entries in existing
// databases must keep answering.
std::string legacy_openai_key(const std::string& url, const std::string& prompt, const GenerationParams& p) {
  const nlohmann::json body = {{"model", "gpt-test"},
                               {"messages", {{{"role", "user"}, {"content", prompt}}}},
                               {"temperature", p.temperature},
                               {"top_p", p.top_p},
                               {"max_tokens", p.max_new_tokens},
                               {"seed", p.seed},
                               {"stop", p.stop}};
  return sha256_hex(nlohmann::json{{"url", url + "/chat/completions"}, {"body", body}}.dump());
}

TEST(OpenAICache, EntriesWrittenBeforeTheWrappersKeepAnswering) {
  ScratchDir dir;
  const std::string db = (dir / "c.db").string();
  FakeOpenAIServer server(nullptr, [](const std::string& p) { return "live " + p; });
  GenerationParams params;
  params.max_new_tokens = 40;
  params.stop = {"\n"};
  {
    ResponseCache old(db);
    old.put(legacy_openai_key(server.url(), "list gpus", params),
            R"({"choices": [{"message": {"content": "nvidia-smi -L\nmore"}}], "usage": {"prompt_tokens": 5, "completion_tokens": 4}})");
  }
  BackendOptions options;
  options.cache_db = db;
  auto backend = make_backend(spec_for(server, "price_in=1"), {}, options);
  const auto hit = ask(*backend, "list gpus", params);
  ASSERT_FALSE(hit.error) << *hit.error;
  EXPECT_EQ(server.request_count(), 0u);
  EXPECT_TRUE(hit.cached);
  EXPECT_EQ(hit.output, "nvidia-smi -L");  // every stop applied to the stored body, as when it came
  EXPECT_EQ(hit.tokens_in, 5);
  EXPECT_EQ(hit.tokens_out, 4);
  EXPECT_DOUBLE_EQ(hit.cost_usd, 0.0);
  // A live answer goes in under the same key, as the server's body.
  const auto live = ask(*backend, "show the driver", params);
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_FALSE(live.cached);
  EXPECT_GT(live.cost_usd, 0.0);
  const auto entry = ResponseCache(db).lookup(legacy_openai_key(server.url(), "show the driver", params));
  ASSERT_TRUE(entry);
  EXPECT_EQ(nlohmann::json::parse(*entry).at("choices").at(0).at("message").at("content"), "live show the driver");
}

TEST(MakeBackend, PutsTheWrappersAroundOpenAIAsTheSpecAndOptionsSay) {
  ScratchDir dir;
  BackendOptions cache;
  cache.cache_db = (dir / "c.db").string();
  const std::string url = "openai:m@http://127.0.0.1:1/v1";
  auto plain = make_backend(url, {}, {});
  EXPECT_NE(dynamic_cast<OpenAIBackend*>(plain.get()), nullptr);
  auto limited = make_backend(url + "?rpm=60", {}, {});
  auto* rate = dynamic_cast<RateLimitedBackend*>(limited.get());
  ASSERT_NE(rate, nullptr);
  EXPECT_NE(dynamic_cast<OpenAIBackend*>(&rate->inner()), nullptr);
  // The cache outside the limiter: an answer from the cache costs no rate budget.
  auto both = make_backend(url + "?tpm=1000", {}, cache);
  auto* caching = dynamic_cast<CachingBackend*>(both.get());
  ASSERT_NE(caching, nullptr);
  auto* inner_rate = dynamic_cast<RateLimitedBackend*>(&caching->inner());
  ASSERT_NE(inner_rate, nullptr);
  EXPECT_NE(dynamic_cast<OpenAIBackend*>(&inner_rate->inner()), nullptr);
  EXPECT_EQ(both->spec(), url + "?tpm=1000");
  EXPECT_EQ(both->content_hash(), plain->content_hash());  // limits do not change what answers
  auto cached_only = make_backend(url, {}, cache);
  ASSERT_NE(dynamic_cast<CachingBackend*>(cached_only.get()), nullptr);
  EXPECT_NE(dynamic_cast<OpenAIBackend*>(&dynamic_cast<CachingBackend*>(cached_only.get())->inner()), nullptr);
  // Only openai: is wrapped, as before the wrappers: the others answer without a cache.
  EXPECT_NE(dynamic_cast<OracleBackend*>(make_backend("oracle", {}, cache).get()), nullptr);
}

// --- retry policy and rate limiter ------------------------------------------------------------

TEST(RetryPolicy, BackoffGrowsWithJitterAndRespectsRetryAfter) {
  RetryPolicy p;
  p.base_delay_ms = 100;
  p.max_delay_ms = 1000;
  for (uint64_t bits : {uint64_t{0}, ~uint64_t{0}, uint64_t{0x1234567890abcdef}}) {
    for (int retry = 0; retry < 8; ++retry) {
      const double cap = std::min(1000.0, 100.0 * (1 << retry));
      const auto d = backoff_delay(p, retry, bits, std::nullopt).count();
      EXPECT_GE(d, cap / 2) << retry;
      EXPECT_LE(d, cap) << retry;
    }
  }
  EXPECT_EQ(backoff_delay(p, 0, 0, 5000ms).count(), 5000);  // the server's wait is a lower bound
  EXPECT_EQ(retry_after({{"retry-after", "2"}}), std::optional<std::chrono::milliseconds>(2000ms));
  EXPECT_EQ(retry_after({{"retry-after-ms", "150"}, {"retry-after", "9"}}), std::optional<std::chrono::milliseconds>(150ms));
  EXPECT_FALSE(retry_after({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
  for (long s : {408L, 409L, 429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(is_retryable_status(s)) << s;
  for (long s : {400L, 401L, 403L, 404L, 422L}) EXPECT_FALSE(is_retryable_status(s)) << s;
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  RateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

TEST(RateLimiter, RequestsPerMinuteAreCountedNotTimed) {
  FakeClock clock;
  RateLimiter limiter(60, 0, clock.fn());  // one a second, a burst of one
  // 200 callers at the same instant: request k may go at (k - 1) seconds.
  int within_a_minute = 0;
  for (int k = 0; k < 200; ++k) {
    const auto wait = limiter.reserve(0);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count(), k * 1000) << k;
    if (wait < 60s) ++within_a_minute;
  }
  EXPECT_EQ(within_a_minute, 60);
  // Time passing pays the debt: 200 s later the next request goes at once.
  clock.now += 200s;
  EXPECT_EQ(limiter.reserve(0).count(), 0);
  EXPECT_GT(limiter.reserve(0).count(), 0);
}

TEST(RateLimiter, TokensPerMinuteWithSettlement) {
  FakeClock clock;
  RateLimiter limiter(0, 6000, clock.fn());  // 100 tokens a second, a bucket of 100
  EXPECT_EQ(limiter.reserve(50).count(), 0);
  EXPECT_EQ(limiter.reserve(50).count(), 0);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(limiter.reserve(50)).count(), 500);
  clock.now += 1500ms;  // pays the 50-token debt and refills to the full 100
  EXPECT_EQ(limiter.reserve(100).count(), 0);
  limiter.settle(100, 10);  // estimated at 100, used 10: 90 back
  EXPECT_EQ(limiter.reserve(90).count(), 0);
  EXPECT_GT(limiter.reserve(1).count(), 0);
  RateLimiter off(0, 0, clock.fn());
  EXPECT_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.reserve(1000).count(), 0);
}

}  // namespace
}  // namespace aimicius
