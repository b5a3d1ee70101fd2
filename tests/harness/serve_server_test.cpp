// `aimicius serve` end to end over loopback with a real HTTP client: routes, OpenAI-shaped
// answers, streaming, errors with their status codes, batching of concurrent clients, graceful
// shutdown in process, and the `serve` command itself stopping on SIGTERM with exit code 0.
// The backend is the deterministic CountingBackend (no LibTorch); concurrency is arranged by
// holding the backend and counting, never by sleeping.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <thread>

#include "harness/serve/openai_server.h"
#include "serve_test_support.h"
#include "scratch_dir.h"

namespace aimicius::serve {
namespace {

using aimicius::testing::CountingBackend;
using nlohmann::json;

class ServeServer : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.model_id = "tiny";
    server_ = std::make_unique<OpenAiServer>(backend_, options);
    port_ = server_->bind();
    serving_ = std::thread([this] { served_ = server_->serve(); });
  }
  void SetUp() override { start(); }
  void TearDown() override {
    if (server_) server_->shutdown();
    if (serving_.joinable()) serving_.join();
  }
  void restart(ServerOptions options) {
    TearDown();
    start(options);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const json& body) const {
    return client().Post(path.c_str(), body.dump(), "application/json");
  }

  CountingBackend backend_;
  std::unique_ptr<OpenAiServer> server_;
  int port_ = 0;
  std::thread serving_;
  bool served_ = false;
};

json completion(const std::string& prompt) {
  return {{"model", "tiny"}, {"prompt", prompt}, {"max_tokens", 5}, {"temperature", 0}};
}

TEST_F(ServeServer, ModelsAndHealth) {
  auto res = client().Get("/v1/models");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json models = json::parse(res->body);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "tiny");
  EXPECT_EQ(json::parse(client().Get("/v1/models/tiny")->body)["id"], "tiny");
  EXPECT_EQ(client().Get("/v1/models/gpt-4")->status, 404);
  res = client().Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body)["status"], "ok");
}

TEST_F(ServeServer, CompletionAnswersInOpenAisShape) {
  auto res = post("/v1/completions", completion("nvidia-smi"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(res->body);
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["model"], "tiny");
  EXPECT_EQ(body["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  ASSERT_EQ(body["choices"].size(), 1u);
  EXPECT_EQ(body["choices"][0]["text"], "reply to nvidia-smi (max 5)");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(body["usage"]["completion_tokens"], 27);
  EXPECT_EQ(body["usage"]["total_tokens"], 37);

  // A list of prompts: one choice each, in order; a stop string reaches the backend.
  json two = completion("a");
  two["prompt"] = {"a", "bb"};
  two["stop"] = ")";
  const json both = json::parse(post("/v1/completions", two)->body);
  ASSERT_EQ(both["choices"].size(), 2u);
  EXPECT_EQ(both["choices"][0]["text"], "reply to a (max 5");
  EXPECT_EQ(both["choices"][1]["text"], "reply to bb (max 5");
  EXPECT_EQ(both["choices"][1]["index"], 1);
  EXPECT_EQ(both["choices"][1]["finish_reason"], "stop");
  // Distinct example ids per prompt (whichever calls carried them): an unseeded request samples
  // its own streams.
  std::map<std::string, GenerationRequest> seen;
  for (const auto& call : backend_.calls())
    for (const auto& r : call) seen[r.prompt] = r;
  ASSERT_EQ(seen.count("a") + seen.count("bb"), 2u);
  EXPECT_NE(seen["a"].example_id, seen["bb"].example_id);
  EXPECT_EQ(seen["a"].suite, "serve");
}

TEST_F(ServeServer, ChatPassesTheTurnsToTheBackend) {
  const json req = {{"model", "tiny"},
                    {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "hi"}}}},
                    {"temperature", 0}};
  auto res = post("/v1/chat/completions", req);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "chat system:Be brief. user:hi");
  const auto call = backend_.calls().back();
  ASSERT_EQ(call.size(), 1u);
  ASSERT_EQ(call[0].messages.size(), 2u);
  EXPECT_EQ(call[0].prompt, "system: Be brief.\nuser: hi\nassistant:");  // for backends without chat
}

TEST_F(ServeServer, StreamsConcatenateToTheNonStreamedAnswer) {
  json req = completion("stream me");
  const std::string plain = json::parse(post("/v1/completions", req)->body)["choices"][0]["text"];
  req["stream"] = true;
  req["stream_options"] = {{"include_usage", true}};
  auto res = post("/v1/completions", req);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  const auto events = aimicius::testing::sse_payloads(res->body);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(aimicius::testing::streamed_text(events, 0), plain);
  size_t text_chunks = 0;
  for (const auto& e : events)
    if (e.is_object() && !e["choices"].empty() && !e["choices"][0]["text"].get<std::string>().empty()) ++text_chunks;
  EXPECT_EQ(text_chunks, 6u);  // five streamed words and the last one with the result
  const json& finish = events[events.size() - 3];
  EXPECT_EQ(finish["object"], "text_completion");
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  const json& usage = events[events.size() - 2];
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], plain.size());

  json chat = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hi there"}}}}, {"stream", true}};
  const auto chat_events = aimicius::testing::sse_payloads(post("/v1/chat/completions", chat)->body);
  ASSERT_GE(chat_events.size(), 3u);
  EXPECT_EQ(chat_events[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(chat_events[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(aimicius::testing::streamed_text(chat_events, 0), "chat user:hi there");
  EXPECT_EQ(chat_events[chat_events.size() - 2]["choices"][0]["finish_reason"], "length");
}

// Streamed pieces reach the client while the backend is still generating, not with the result.
TEST_F(ServeServer, StreamedPiecesArriveBeforeTheGenerationEnds) {
  backend_.hold_return();
  std::mutex mu;
  std::string received;
  std::thread reader([&] {
    httplib::Client c = client();
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    json body = completion("incremental");
    body["stream"] = true;
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      std::lock_guard<std::mutex> lock(mu);
      received.append(data, n);
      return true;
    };
    c.send(req);
  });
  // The backend streamed every word but the last and is now held before returning.
  ASSERT_TRUE(aimicius::testing::eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return received.find("\"text\":\" (max\"") != std::string::npos;
  })) << received;
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(received.find("[DONE]"), std::string::npos);
    EXPECT_EQ(received.find("finish_reason\":\"length"), std::string::npos);
  }
  backend_.release_return();
  reader.join();
  const auto events = aimicius::testing::sse_payloads(received);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(aimicius::testing::streamed_text(events, 0), "reply to incremental (max 5)");
}

TEST_F(ServeServer, ErrorsHaveStatusCodesAndOpenAiBodies) {
  auto check = [](const httplib::Result& res, int status, const std::string& message_part) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    const json body = json::parse(res->body);
    ASSERT_TRUE(body.contains("error")) << res->body;
    EXPECT_TRUE(body["error"].contains("type"));
    EXPECT_TRUE(body["error"].contains("param"));
    EXPECT_TRUE(body["error"].contains("code"));
    EXPECT_NE(body["error"]["message"].get<std::string>().find(message_part), std::string::npos) << res->body;
  };
  check(client().Post("/v1/completions", "{\"model\": \"tiny\",", "application/json"), 400, "malformed JSON");
  check(post("/v1/completions", {{"model", "gpt-4"}, {"prompt", "x"}}), 404, "'gpt-4' does not exist");
  check(post("/v1/completions", {{"model", "tiny"}, {"prompt", "x"}, {"n", 3}}), 400, "only n=1");
  check(post("/v1/chat/completions", {{"model", "tiny"}, {"messages", "hi"}}), 400, "'messages' must be an array");
  check(client().Get("/v1/nothing"), 404, "unknown route GET /v1/nothing");
  check(client().Get("/v1/completions"), 405, "method GET is not allowed on /v1/completions (use POST)");
  check(post("/v1/models", json::object()), 405, "use GET");
  EXPECT_EQ(client().Get("/v1/completions")->get_header_value("Allow"), "POST");
  EXPECT_TRUE(backend_.calls().empty());  // no bad request reached the model

  ServerOptions small;
  small.max_body_bytes = 64;
  restart(small);
  json big = completion(std::string(100, 'x'));
  check(post("/v1/completions", big), 413, "larger than this server's limit of 64 bytes");
}

TEST_F(ServeServer, AFailingBackendIsA500AndTheServerGoesOn) {
  backend_.fail_next_calls();
  auto res = post("/v1/completions", completion("x"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(json::parse(res->body)["error"]["type"], "server_error");
  EXPECT_NE(res->body.find("the model fell over"), std::string::npos);
  EXPECT_EQ(client().Get("/health")->status, 200);
}

TEST_F(ServeServer, ConcurrentClientsShareBackendCallsAndGetTheirOwnAnswers) {
  ServerOptions o;
  o.batching = {5, std::chrono::milliseconds(0)};
  restart(o);
  backend_.hold();
  constexpr int kClients = 6;
  std::vector<std::string> answers(kClients);
  std::vector<std::thread> clients;
  auto ask = [&](int i) {
    auto res = post("/v1/completions", completion(fmt::format("client {}", i)));
    answers[i] = res && res->status == 200 ? json::parse(res->body)["choices"][0]["text"].get<std::string>()
                                           : "failed";
  };
  clients.emplace_back(ask, 0);
  ASSERT_TRUE(backend_.wait_entered(1));  // client 0's call holds the backend
  for (int i = 1; i < kClients; ++i) clients.emplace_back(ask, i);
  ASSERT_TRUE(aimicius::testing::eventually([&] { return server_->pending_requests() == kClients - 1; }));
  backend_.release();
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(answers[i], fmt::format("reply to client {} (max 5)", i));
  const auto calls = backend_.calls();
  ASSERT_EQ(calls.size(), 2u);  // 6 clients, 2 backend calls
  EXPECT_EQ(calls[1].size(), 5u);
  EXPECT_EQ(server_->batcher_stats().largest_batch, 5u);
}

TEST_F(ServeServer, ShutdownFinishesRequestsInFlightAndRefusesNewOnes) {
  backend_.hold();
  int plain_status = 0, stream_status = 0;
  std::string plain_body, stream_body;
  std::thread plain([&] {
    if (auto res = post("/v1/completions", completion("in flight"))) std::tie(plain_status, plain_body) = std::pair(res->status, res->body);
  });
  json stream_req = completion("streaming");
  stream_req["stream"] = true;
  std::thread stream([&] {
    if (auto res = post("/v1/completions", stream_req)) std::tie(stream_status, stream_body) = std::pair(res->status, res->body);
  });
  ASSERT_TRUE(backend_.wait_entered(1));
  ASSERT_TRUE(aimicius::testing::eventually(
      [&] { return backend_.calls().front().size() + server_->pending_requests() == 2; }));
  std::thread stopper([&] { server_->shutdown(); });
  ASSERT_TRUE(aimicius::testing::eventually([&] { return server_->draining(); }));
  auto refused = post("/v1/completions", completion("too late"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(json::parse(refused->body)["error"]["code"], "shutting_down");
  backend_.release();
  plain.join();
  stream.join();
  stopper.join();
  serving_.join();
  EXPECT_TRUE(served_);
  ASSERT_EQ(plain_status, 200);
  EXPECT_EQ(json::parse(plain_body)["choices"][0]["text"], "reply to in flight (max 5)");
  ASSERT_EQ(stream_status, 200);
  const auto events = aimicius::testing::sse_payloads(stream_body);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(aimicius::testing::streamed_text(events, 0), "reply to streaming (max 5)");
  EXPECT_FALSE(client().Get("/health"));  // the listener is closed
}

TEST(ServeModelId, IsTheCheckpointFolderOrTheReplayFilesName) {
  EXPECT_EQ(default_model_id("local:/models/sigma-1.5b/?device=cuda&dtype=bf16"), "sigma-1.5b");
  EXPECT_EQ(default_model_id("local:ckpt"), "ckpt");
  EXPECT_EQ(default_model_id("replay:runs/gpt4-cmdgen.jsonl"), "gpt4-cmdgen");
  EXPECT_EQ(default_model_id("oracle"), "oracle");
}

// The command: `aimicius serve --port 0` prints its address, answers, and exits 0 on SIGTERM.
TEST(ServeCommand, ServesReplayAnswersAndExitsZeroOnSigterm) {
  aimicius::testing::ScratchDir dir;
  aimicius::testing::write_file(dir / "answers.jsonl",
                                R"({"suite": "cmdgen", "example_id": "nv-1", "output": "nvidia-smi -L"})"
                                "\n");
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string model = "replay:" + (dir / "answers.jsonl").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(AIMICIUS_BIN, AIMICIUS_BIN, "serve", "--model", model.c_str(), "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* child_out = fdopen(out[0], "r");
  char line[512] = {0};
  ASSERT_NE(fgets(line, sizeof line, child_out), nullptr);
  const std::string banner = line;
  const auto at = banner.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << banner;
  EXPECT_NE(banner.find("model \"answers\""), std::string::npos) << banner;
  const int port = std::stoi(banner.substr(at + 17));

  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  const json req = {{"model", "answers"},
                    {"prompt", "List the GPUs"},
                    {"metadata", {{"suite", "cmdgen"}, {"example_id", "nv-1"}}}};
  auto res = c.Post("/v1/completions", req.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["choices"][0]["text"], "nvidia-smi -L");
  const json missing = {{"model", "answers"}, {"prompt", "x"}, {"metadata", {{"suite", "cmdgen"}, {"example_id", "zz"}}}};
  res = c.Post("/v1/completions", missing.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("no output for cmdgen/zz"), std::string::npos) << res->body;

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string rest;
  while (fgets(line, sizeof line, child_out)) rest += line;
  fclose(child_out);
  EXPECT_NE(rest.find("stopped after 2 requests in 2 backend calls"), std::string::npos) << rest;
}

}  // namespace
}  // namespace aimicius::serve
