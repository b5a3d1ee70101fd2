// `aimicius serve` over the LibTorch runtime on a random-weight tiny checkpoint, end to end over
// loopback: greedy completions are exactly LocalModel::generate's text, streamed chunks
// concatenate to the non-streamed answer (also when a stop string cuts it), chat goes through
// the checkpoint's chat format as LocalModel::generate_chat does, and concurrent (batched)
// requests answer as single ones; the local: backend's max_active option (continuous batching)
// answers a batch as the whole batch at once does. Skipped in builds without the runtime.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "common/errors.h"
#include "common/utf8.h"
#include "harness/serve/openai_server.h"
#include "serve_test_support.h"
#include "scratch_dir.h"
#ifdef AIMICIUS_HAVE_RUNTIME
#include "runtime/checkpoint_writer.h"
#include "runtime/local_model.h"
#include "runtime/tokenizer/chat_template.h"
#endif

namespace aimicius::serve {
namespace {

using nlohmann::json;

#ifdef AIMICIUS_HAVE_RUNTIME

class ServeLocalModel : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::CheckpointOptions opts;
    opts.init_std = 0.3;  // peaked logits: greedy text is not a run of one token
    runtime::write_random_checkpoint(runtime::preset_config("tiny-diffqkv"), dir_.path(), opts);
    model_ = runtime::LocalModel::load(dir_.path(), {});
    backend_ = make_backend("local:" + dir_.path().string(), {});
    ServerOptions o;
    o.port = 0;
    o.model_id = "tiny";
    server_ = std::make_unique<OpenAiServer>(*backend_, o);
    port_ = server_->bind();
    serving_ = std::thread([this] { server_->serve(); });
  }
  void TearDown() override {
    server_->shutdown();
    serving_.join();
  }
  json post(const std::string& path, const json& body) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    auto res = c.Post(path.c_str(), body.dump(), "application/json");
    if (!res) throw std::runtime_error("no answer from the server");
    if (res->status != 200) throw std::runtime_error(fmt::format("status {}: {}", res->status, res->body));
    if (body.value("stream", false)) return aimicius::testing::sse_payloads(res->body);
    return json::parse(res->body);
  }
  runtime::Generation reference(const std::string& prompt, int64_t max_tokens, std::vector<std::string> stop = {}) {
    runtime::SamplingParams p;
    p.max_new_tokens = max_tokens;
    p.stop = std::move(stop);
    return model_->generate({prompt}, p)[0];
  }

  aimicius::testing::ScratchDir dir_;
  std::unique_ptr<runtime::LocalModel> model_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<OpenAiServer> server_;
  int port_ = 0;
  std::thread serving_;
};

json completion(const json& prompt, int64_t max_tokens) {
  return {{"model", "tiny"}, {"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}};
}

TEST_F(ServeLocalModel, GreedyCompletionsAreExactlyTheRuntimesText) {
  const std::vector<std::string> prompts = {"nvidia-smi -q", "rocm-smi --showuse"};
  const json body = post("/v1/completions", completion(prompts, 12));
  ASSERT_EQ(body["choices"].size(), 2u);
  int64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto want = reference(prompts[i], 12);
    ASSERT_FALSE(want.text.empty());
    EXPECT_EQ(body["choices"][i]["text"], valid_utf8(want.text)) << i;
    EXPECT_EQ(body["choices"][i]["finish_reason"], want.finish_reason == "length" ? "length" : "stop");
    prompt_tokens += want.prompt_tokens;
    completion_tokens += static_cast<int64_t>(want.tokens.size());
  }
  EXPECT_EQ(body["usage"]["prompt_tokens"], prompt_tokens);
  EXPECT_EQ(body["usage"]["completion_tokens"], completion_tokens);
}

TEST_F(ServeLocalModel, StreamedChunksConcatenateToTheAnswerWithAndWithoutStop) {
  json req = completion("nvidia-smi -q", 16);
  const std::string whole = post("/v1/completions", req)["choices"][0]["text"];
  req["stream"] = true;
  const json events = post("/v1/completions", req);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(aimicius::testing::streamed_text(events.get<std::vector<json>>(), 0), whole);
  size_t pieces = 0;
  for (const auto& e : events)
    if (e.is_object() && !e["choices"][0]["text"].get<std::string>().empty()) ++pieces;
  EXPECT_GE(pieces, 3u) << "the runtime should stream token by token, not only the final text";

  // A stop string taken from the answer: the stream holds back what the stop later cuts.
  const std::string raw = reference("nvidia-smi -q", 16).text;
  size_t at = 2;
  while (at < raw.size() && !(raw[at] >= 0x21 && raw[at] <= 0x7e)) ++at;
  ASSERT_LT(at, raw.size()) << "the random model produced no ASCII character to stop at";
  const std::string stop = raw.substr(at, 1);
  req["stop"] = stop;
  const json stopped = post("/v1/completions", req);
  const auto want = reference("nvidia-smi -q", 16, {stop});
  EXPECT_EQ(want.finish_reason, "stop");
  EXPECT_EQ(aimicius::testing::streamed_text(stopped.get<std::vector<json>>(), 0), valid_utf8(want.text));
  EXPECT_EQ(stopped[stopped.size() - 2]["choices"][0]["finish_reason"], "stop");
}

TEST_F(ServeLocalModel, ChatUsesTheCheckpointsChatFormat) {
  const json req = {{"model", "tiny"},
                    {"messages", {{{"role", "system"}, {"content", "Answer with a command."}},
                                  {{"role", "user"}, {"content", "list the GPUs"}}}},
                    {"max_tokens", 10},
                    {"temperature", 0}};
  const json body = post("/v1/chat/completions", req);
  runtime::SamplingParams p;
  p.max_new_tokens = 10;
  const auto want =
      model_->generate_chat({{{"system", "Answer with a command."}, {"user", "list the GPUs"}}}, p)[0];
  EXPECT_EQ(body["choices"][0]["message"]["content"], valid_utf8(want.text));
  EXPECT_EQ(body["usage"]["prompt_tokens"], want.prompt_tokens);
  // The formatted conversation is longer than its bare text (bos + the two contents).
  EXPECT_GT(want.prompt_tokens, 1 + 22 + 13);
  json streamed_req = req;
  streamed_req["stream"] = true;
  const json events = post("/v1/chat/completions", streamed_req);
  EXPECT_EQ(aimicius::testing::streamed_text(events.get<std::vector<json>>(), 0), valid_utf8(want.text));
}

TEST_F(ServeLocalModel, ConcurrentRequestsAnswerAsSingleOnes) {
  const std::vector<std::string> prompts = {"dcgmi diag -r 1", "ibstat", "nvcc --version", "amd-smi list"};
  std::vector<std::string> got(prompts.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < prompts.size(); ++i)
    clients.emplace_back([&, i] { got[i] = post("/v1/completions", completion(prompts[i], 8))["choices"][0]["text"]; });
  for (auto& t : clients) t.join();
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(got[i], valid_utf8(reference(prompts[i], 8).text)) << i;
}

TEST_F(ServeLocalModel, ASeededSampleRepeats) {
  json req = completion("nvidia-smi", 10);
  req["temperature"] = 1.0;
  req["seed"] = 42;
  EXPECT_EQ(post("/v1/completions", req)["choices"][0]["text"], post("/v1/completions", req)["choices"][0]["text"]);
}

// A prompt that does not fit the model's context is the client's error, as OpenAI answers it: 400
// with code context_length_exceeded (not a 500), plain and streamed; the server goes on serving.
TEST_F(ServeLocalModel, APromptBeyondTheContextIsABadRequest) {
  const int64_t context = model_->config().max_position_embeddings;
  const std::string too_long(static_cast<size_t>(context) + 10, 'x');  // byte-level: one token per byte
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(120, 0);
  auto res = c.Post("/v1/completions", completion(too_long, 4).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  const json error = json::parse(res->body).at("error");
  EXPECT_EQ(error.at("code"), "context_length_exceeded");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_NE(error.at("message").get<std::string>().find("exceeds the model's context"), std::string::npos);
  json streamed = completion(too_long, 4);
  streamed["stream"] = true;
  auto sres = c.Post("/v1/completions", streamed.dump(), "application/json");
  ASSERT_TRUE(sres);
  EXPECT_NE(sres->body.find("context_length_exceeded"), std::string::npos) << sres->body;
  EXPECT_FALSE(post("/v1/completions", completion("nvidia-smi", 4))["choices"][0]["text"].get<std::string>().empty());
}

// A tiny checkpoint in `dir` whose chat template raises on a system turn, as Gemma's does.
void write_checkpoint_refusing_system_turns(const std::filesystem::path& dir) {
  runtime::write_random_checkpoint(runtime::preset_config("tiny-diffqkv"), dir, {});
  aimicius::testing::write_file(
      dir / "chat_template.jinja",
      "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}"
      "{% endif %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
}

// A conversation the checkpoint's chat template refuses (a system turn, which Gemma's template
// raises on) is the client's request error: 400 invalid_request, not a 500; others are served.
TEST(ServeChatTemplate, AConversationTheTemplateRefusesIsABadRequest) {
  aimicius::testing::ScratchDir dir;
  write_checkpoint_refusing_system_turns(dir.path());
  auto backend = make_backend("local:" + dir.path().string() + "?chat=1", {});
  ServerOptions o;
  o.port = 0;
  o.model_id = "tiny";
  OpenAiServer server(*backend, o);
  const int port = server.bind();
  std::thread serving([&] { server.serve(); });
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  const auto chat = [&](const json& messages) {
    return c.Post("/v1/chat/completions", json{{"model", "tiny"}, {"messages", messages}, {"max_tokens", 2}}.dump(),
                  "application/json");
  };
  const auto refused = chat(json::array({{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}}));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_NE(refused->body.find("System role not supported"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("invalid_request"), std::string::npos) << refused->body;
  const auto served = chat(json::array({{{"role", "user"}, {"content", "hi"}}}));
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200) << served->body;
  server.shutdown();
  serving.join();
}

// In a run (the backend's generate over a batch of chat examples), a conversation the template
// refuses is that example's error, flagged as the request's fault; the batch's other examples are
// answered (before, the whole call failed and every example of the run with it).
TEST(LocalBackendChat, AConversationTheTemplateRefusesIsThatExamplesErrorOnly) {
  aimicius::testing::ScratchDir dir;
  write_checkpoint_refusing_system_turns(dir.path());
  auto backend = make_backend("local:" + dir.path().string() + "?chat=1", {});
  std::vector<GenerationRequest> batch;
  for (int i = 0; i < 3; ++i) {
    GenerationRequest r{"cmdgen", fmt::format("ex-{}", i), "list the GPUs"};
    if (i == 1) r.messages.push_back({"system", "Answer with a command."});
    r.messages.push_back({"user", "list the GPUs"});
    batch.push_back(r);
  }
  GenerationParams params;
  params.max_new_tokens = 4;
  const auto got = backend->generate(batch, params);
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[1].error.has_value());
  EXPECT_NE(got[1].error->find("System role not supported"), std::string::npos) << *got[1].error;
  EXPECT_TRUE(got[1].invalid_request);
  EXPECT_FALSE(got[1].infra_error);
  for (const size_t i : {0u, 2u}) {
    EXPECT_FALSE(got[i].error.has_value()) << i << ": " << got[i].error.value_or("");
    EXPECT_GT(got[i].tokens_out, 0) << i;
  }
}

// local:DIR?max_active=2 generates a batch of six two at a time (slots refilled as sequences end)
// and answers each request as the default backend, which generates all six at once.
TEST_F(ServeLocalModel, BackendMaxActiveAnswersAsTheWholeBatch) {
  auto two_at_a_time = make_backend("local:" + dir_.path().string() + "?max_active=2", {});
  std::vector<GenerationRequest> batch;
  for (const char* prompt : {"nvidia-smi -q", "ls", "dmesg | tail", "a", "ibstat mlx5_0", "rocm-smi --showuse"})
    batch.push_back({"cmdgen", prompt, prompt});
  GenerationParams params;
  params.max_new_tokens = 12;
  params.stop = {"\n"};
  const auto want = backend_->generate(batch, params), got = two_at_a_time->generate(batch, params);
  ASSERT_EQ(got.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(got[i].output, want[i].output) << i;
    EXPECT_EQ(got[i].tokens_out, want[i].tokens_out) << i;
    EXPECT_EQ(got[i].finish_reason, want[i].finish_reason) << i;
  }
  EXPECT_THROW(make_backend("local:" + dir_.path().string() + "?max_active=-1", {}), InputError);
}

#else

TEST(ServeLocalModel, SkippedWithoutTheRuntime) { GTEST_SKIP() << "this build has no LibTorch runtime (local: models)"; }

#endif

}  // namespace
}  // namespace aimicius::serve
