// Batching of concurrent requests for `aimicius serve`: HTTP handler threads submit one request
// each; one batcher thread groups what arrives close together and calls Backend::generate once per
// group, so the runtime decodes the group's sequences together (one decode step advances them all).
//
// Grouping: a backend call takes one GenerationParams for its whole batch, so only requests with
// the same parameters share a call (same max tokens, temperature, top-p, top-k, stop strings, and
// seed when sampling; the seed does not matter at temperature 0). Requests with other parameters
// wait for their own call rather than being forced into a group: answers never depend on what
// else was queued. Sampling stays per request either way: the local backend seeds each sequence
// from (seed, suite, example_id), not from its position in the batch.
//
// When a group is sent: the oldest queued request waits at most `window` for company; the group
// goes at once when `max_batch` requests are queued, or when stopping. A group holds at most
// `max_batch` requests, the oldest first.
//
// A backend exception in a shared call does not fail the whole group: each request is then tried
// alone (unless it already streamed text), so only the one the backend cannot take gets the error.
//
// Invariants: every submitted request is answered exactly once (its future is set; on_done runs
// first), also when the backend throws (then the request's result carries the error) and when the
// batcher stops (stop() answers everything queued, then joins).
// No request is accepted after stop(). One backend call at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "harness/backends/backend.h"

namespace aimicius::serve {

struct BatchItem {
  GenerationRequest request;
  GenerationParams params;  // its on_text is not used: see on_text below
  // Streamed pieces of this request's output (backends that stream), from the batcher thread.
  std::function<void(const std::string& piece)> on_text;
  // Called with the result, from the batcher thread, before the future is set.
  std::function<void(const GenerationResult&)> on_done;
};

struct BatcherOptions {
  size_t max_batch = 8;
  std::chrono::milliseconds window{10};
};

struct BatcherStats {
  int64_t generate_calls = 0;
  int64_t requests = 0;
  size_t largest_batch = 0;
};

// True when two requests' parameters let them share one backend call.
bool batchable(const GenerationParams& a, const GenerationParams& b);

class RequestBatcher {
 public:
  RequestBatcher(Backend& backend, BatcherOptions options);
  ~RequestBatcher();
  RequestBatcher(const RequestBatcher&) = delete;
  RequestBatcher& operator=(const RequestBatcher&) = delete;

  // Queues a request. Throws std::runtime_error once stop() was called.
  std::future<GenerationResult> submit(BatchItem item);
  // Answers every queued request, then ends the batcher thread. Idempotent.
  void stop();

  size_t pending() const;  // queued, not yet handed to the backend
  BatcherStats stats() const;

 private:
  struct Entry {
    BatchItem item;
    std::promise<GenerationResult> promise;
    std::chrono::steady_clock::time_point arrived;
  };
  void loop();
  void run_group(std::vector<Entry>& group);
  // One backend call for group[members]; nullopt (and `error`) when the backend throws; `refused`
  // when that was the chat template refusing a conversation (a jinja::TemplateError: the request's
  // fault). streamed[i] records that group[i] already sent text to its client.
  std::optional<std::vector<GenerationResult>> call(std::vector<Entry>& group, const std::vector<size_t>& members,
                                                    std::vector<bool>& streamed, std::string& error, bool& refused);

  Backend& backend_;
  const BatcherOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  bool stopping_ = false;
  BatcherStats stats_;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace aimicius::serve
