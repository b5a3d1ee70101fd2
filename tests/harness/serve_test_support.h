// Shared by the serve tests: a deterministic backend that counts its calls (and can hold a call
// open until the test releases it, so concurrency is arranged by counts, never by sleeping), and
// a Server-Sent Events reader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/backends/backend.h"

namespace aimicius::testing {

// Waits (generously) until `ready()` holds; false after 60 s. For conditions another thread makes
// true: the timeout only turns a hang into a failure.
template <class F>
bool eventually(F ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Answers "reply to <prompt> (max N)"; a chat request "chat <role>:<content>|...". A call with
// the prompt "poison" in it throws. Streams the
// answer word by word when asked to, except its last word (which comes with the result).
class CountingBackend final : public Backend {
 public:
  static std::string answer(const GenerationRequest& r, const GenerationParams& p) {
    std::string text;
    if (r.messages.empty()) {
      text = fmt::format("reply to {} (max {})", r.prompt, p.max_new_tokens);
    } else {
      text = "chat";
      for (const auto& m : r.messages) text += fmt::format(" {}:{}", m.role, m.content);
    }
    for (const auto& s : p.stop)
      if (const auto cut = text.find(s); cut != std::string::npos) text.resize(cut);
    return text;
  }

  std::string spec() const override { return "counting"; }
  std::string content_hash() const override { return "counting"; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      calls_.push_back(batch);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      if (fail_) throw std::runtime_error("the model fell over");
      for (const auto& r : batch)
        if (r.prompt == "poison") throw std::runtime_error("cannot take the prompt 'poison'");
    }
    std::vector<GenerationResult> out;
    for (size_t i = 0; i < batch.size(); ++i) {
      GenerationResult r;
      r.output = answer(batch[i], params);
      r.tokens_in = static_cast<int64_t>(batch[i].prompt.size());
      r.tokens_out = static_cast<int64_t>(r.output.size());
      r.finish_reason = params.stop.empty() ? "length" : "stop";
      if (params.on_text) {
        const size_t last_space = r.output.rfind(' ');
        for (size_t pos = 0; last_space != std::string::npos && pos < last_space;) {
          const size_t next = r.output.find(' ', pos + 1);
          params.on_text(i, r.output.substr(pos, next - pos));
          pos = next;
        }
      }
      out.push_back(std::move(r));
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !hold_return_; });
    return out;
  }

  // While held, generate() blocks after recording its call.
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  // While held, generate() blocks after streaming, before returning its results.
  void hold_return() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_return_ = true;
  }
  void release_return() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_return_ = false;
    }
    cv_.notify_all();
  }
  void fail_next_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = true;
  }
  bool wait_entered(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return entered_ >= n; });
  }
  std::vector<std::vector<GenerationRequest>> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  bool hold_return_ = false;
  bool fail_ = false;
  size_t entered_ = 0;
  std::vector<std::vector<GenerationRequest>> calls_;
};

// The JSON payloads of an SSE body, in order; the final "[DONE]" is returned as the string.
inline std::vector<nlohmann::json> sse_payloads(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("data: ", 0) != 0) throw std::runtime_error("not an SSE data line: " + line);
    const std::string data = line.substr(6);
    out.push_back(data == "[DONE]" ? nlohmann::json("[DONE]") : nlohmann::json::parse(data));
  }
  return out;
}

// The text of choice `index` in a stream: completions' "text" or chat's "delta.content".
inline std::string streamed_text(const std::vector<nlohmann::json>& payloads, size_t index) {
  std::string text;
  for (const auto& p : payloads) {
    if (!p.is_object() || !p.contains("choices")) continue;
    for (const auto& c : p["choices"]) {
      if (c["index"] != index) continue;
      if (c.contains("text")) text += c["text"].get<std::string>();
      if (c.contains("delta") && c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
    }
  }
  return text;
}

}  // namespace aimicius::testing
