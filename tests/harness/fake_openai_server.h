// A fault-injecting OpenAI-compatible server for tests, on 127.0.0.1 at a free port (cpp-httplib).
// A script decides, per request, what the server does with it: answer, 429 with Retry-After,
// 500, answer too late, answer with a malformed body, or drop the connection without a
// response. Every request is recorded (path, headers of interest, body, arrival time).
//
// Invariants: each connection carries one request (keep-alive off), so a dropped connection can
// never be silently re-sent by the client's connection reuse and the server's counts are exactly
// the client's attempts; a slow answer wakes up when the server stops, so tests end promptly.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/loopback_server.h"

namespace aimicius::testing {

// kSlow answers after the slow delay (past the client's timeout); kBrief after 20 ms (to overlap
// requests); kUnauthorized echoes the credential it got in its error body, as some servers do.
enum class Fault { kNone, kRateLimited, kServerError, kSlow, kMalformed, kDrop, kBadRequest, kUnauthorized, kBrief };

struct ReceivedRequest {
  std::string path;
  std::string authorization;  // the Authorization header, "" when absent
  std::string api_key;        // the api-key header (Azure), "" when absent
  nlohmann::json body;
  std::string prompt;  // the last message's content (chat) or the prompt (completions)
  std::chrono::steady_clock::time_point at;
};

class FakeOpenAIServer {
 public:
  // What to do with the `nth` (0-based) request carrying `prompt`.
  using Script = std::function<Fault(const std::string& prompt, int nth)>;
  // The text the server answers for `prompt`.
  using Answer = std::function<std::string(const std::string& prompt)>;

  explicit FakeOpenAIServer(Script script = {}, Answer answer = {})
      : script_(script ? std::move(script) : [](const std::string&, int) { return Fault::kNone; }),
        answer_(answer ? std::move(answer) : [](const std::string& p) { return "reply to " + p; }) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
    server_.http().set_keep_alive_max_count(1);
    server_.http().Post("/v1/chat/completions", handler);
    server_.http().Post("/v1/completions", handler);
    server_.http().Post(R"(/openai/deployments/([^/]+)/chat/completions)", handler);
    server_.start();
  }

  ~FakeOpenAIServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();  // server_ stops and joins after this
  }

  std::string base_url() const { return server_.base_url(); }
  std::string url() const { return base_url() + "/v1"; }

  // The Retry-After header sent with 429 (seconds, as text), and how late a slow answer comes.
  void set_retry_after(std::string seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    retry_after_ = std::move(seconds);
  }
  void set_slow_delay(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    slow_ = d;
  }

  std::vector<ReceivedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }
  int count_for(const std::string& prompt) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_prompt_.find(prompt);
    return it == per_prompt_.end() ? 0 : it->second;
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ReceivedRequest r;
    r.at = std::chrono::steady_clock::now();
    r.path = req.path;
    r.authorization = req.get_header_value("Authorization");
    r.api_key = req.get_header_value("api-key");
    r.body = nlohmann::json::parse(req.body, nullptr, false);
    const bool chat = r.body.is_object() && r.body.contains("messages");
    if (chat && r.body["messages"].is_array() && !r.body["messages"].empty())
      r.prompt = r.body["messages"].back().value("content", "");
    else if (r.body.is_object() && r.body.contains("prompt") && r.body["prompt"].is_string())
      r.prompt = r.body["prompt"].get<std::string>();
    int nth = 0;
    std::string retry_after;
    std::chrono::milliseconds slow{};
    {
      std::lock_guard<std::mutex> lock(mu_);
      nth = per_prompt_[r.prompt]++;
      received_.push_back(r);
      retry_after = retry_after_;
      slow = slow_;
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    }
    struct Leave {
      FakeOpenAIServer* s;
      ~Leave() {
        std::lock_guard<std::mutex> lock(s->mu_);
        --s->in_flight_;
      }
    } leave{this};
    switch (script_(r.prompt, nth)) {
      case Fault::kBadRequest:
        res.status = 400;
        res.set_content(R"({"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error"}})",
                        "application/json");
        return;
      case Fault::kUnauthorized:
        res.status = 401;
        res.set_content(nlohmann::json{{"error", {{"message", "Incorrect API key provided: " + r.authorization + r.api_key}}}}.dump(),
                        "application/json");
        return;
      case Fault::kBrief:
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;
      case Fault::kRateLimited:
        res.status = 429;
        res.set_header("Retry-After", retry_after);
        res.set_content(R"({"error":{"message":"Rate limit reached","type":"requests"}})", "application/json");
        return;
      case Fault::kServerError:
        res.status = 500;
        res.set_content(R"({"error":{"message":"The server had an error","type":"server_error"}})", "application/json");
        return;
      case Fault::kMalformed:
        res.set_content(R"({"choices": [{"message": {"content": "trunc)", "application/json");
        return;
      case Fault::kDrop:
        drop_connection(req.remote_port);
        return;
      case Fault::kSlow: {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, slow, [this] { return stopping_; });
        break;  // then answer, too late for the client
      }
      case Fault::kNone:
        break;
    }
    const std::string text = answer_(r.prompt);
    nlohmann::json reply = {{"id", "fake-" + std::to_string(nth)},
                            {"usage", {{"prompt_tokens", static_cast<int64_t>(r.prompt.size())},
                                       {"completion_tokens", static_cast<int64_t>(text.size())}}}};
    reply["choices"] = chat ? nlohmann::json::array({{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}}})
                            : nlohmann::json::array({{{"index", 0}, {"text", text}}});
    res.set_content(reply.dump(), "application/json");
  }

  // Shuts down the server side of the connection from `remote_port` so that the client gets no
  // response at all (httplib's handlers cannot reach their socket). The fd stays open until httplib
  // closes it, so no other connection can take its number meanwhile.
  void drop_connection(int remote_port) const {
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      int fd = -1;
      try {
        fd = std::stoi(entry.path().filename().string());
      } catch (const std::exception&) {
        continue;
      }
      sockaddr_in peer{}, local{};
      socklen_t peer_len = sizeof(peer), local_len = sizeof(local);
      if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 || peer.sin_family != AF_INET) continue;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
      if (ntohs(peer.sin_port) == remote_port && ntohs(local.sin_port) == server_.port()) {
        shutdown(fd, SHUT_RDWR);
        return;
      }
    }
  }

  Script script_;
  Answer answer_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string retry_after_ = "1";
  std::chrono::milliseconds slow_{10000};  // woken early when the server stops
  std::vector<ReceivedRequest> received_;
  std::map<std::string, int> per_prompt_;
  int in_flight_ = 0, max_in_flight_ = 0;
  LoopbackServer server_{80};  // last: stops (joining its handlers) before the state above goes
};

}  // namespace aimicius::testing
