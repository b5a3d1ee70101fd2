#include "harness/serve/request_batcher.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "common/jinja/value.h"

namespace aimicius::serve {

bool batchable(const GenerationParams& a, const GenerationParams& b) {
  const bool sampling = a.temperature > 0.0 || b.temperature > 0.0;
  return a.max_new_tokens == b.max_new_tokens && a.temperature == b.temperature && a.top_k == b.top_k &&
         a.top_p == b.top_p && a.stop == b.stop && (!sampling || a.seed == b.seed);
}

namespace {
BatcherOptions checked(BatcherOptions options) {
  if (options.max_batch == 0) throw std::invalid_argument("RequestBatcher: max_batch must be at least 1");
  return options;
}
}  // namespace

RequestBatcher::RequestBatcher(Backend& backend, BatcherOptions options)
    : backend_(backend), options_(checked(options)), thread_([this] { loop(); }) {}

RequestBatcher::~RequestBatcher() { stop(); }

std::future<GenerationResult> RequestBatcher::submit(BatchItem item) {
  Entry e{std::move(item), {}, std::chrono::steady_clock::now()};
  auto future = e.promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) throw std::runtime_error("the server is shutting down");
    queue_.push_back(std::move(e));
  }
  cv_.notify_all();
  return future;
}

void RequestBatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t RequestBatcher::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

BatcherStats RequestBatcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void RequestBatcher::loop() {
  for (;;) {
    std::vector<Entry> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      const auto deadline = queue_.front().arrived + options_.window;
      cv_.wait_until(lock, deadline, [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      // The oldest request and every queued one that can share its call, oldest first. The lead's
      // parameters are copied: the loop moves the lead out of the queue and erases it first, and a
      // reference would then compare the others with freed memory (moved-from stop strings read as
      // none, so a request without stops joined a lead that had some; found by ASan).
      const GenerationParams lead = queue_.front().item.params;
      for (auto it = queue_.begin(); it != queue_.end() && group.size() < options_.max_batch;) {
        if (batchable(lead, it->item.params)) {
          group.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      stats_.generate_calls += 1;
      stats_.requests += static_cast<int64_t>(group.size());
      stats_.largest_batch = std::max(stats_.largest_batch, group.size());
    }
    run_group(group);
  }
}

std::optional<std::vector<GenerationResult>> RequestBatcher::call(std::vector<Entry>& group,
                                                                  const std::vector<size_t>& members,
                                                                  std::vector<bool>& streamed, std::string& error,
                                                                  bool& refused) {
  std::vector<GenerationRequest> batch;
  for (size_t i : members) batch.push_back(group[i].item.request);
  GenerationParams params = group[members.front()].item.params;
  params.on_text = [&](size_t j, const std::string& piece) {
    if (j >= members.size()) return;
    Entry& e = group[members[j]];
    streamed[members[j]] = true;
    if (e.item.on_text) e.item.on_text(piece);
  };
  try {
    auto results = backend_.generate(batch, params);
    if (results.size() != batch.size())
      throw std::runtime_error(fmt::format("the backend returned {} results for {} requests", results.size(), batch.size()));
    return results;
  } catch (const jinja::TemplateError& e) {
    error = fmt::format("the model's chat template refused the conversation: {}", e.what());
    refused = true;
    return std::nullopt;
  } catch (const std::exception& e) {
    error = fmt::format("the backend failed: {}", e.what());
    return std::nullopt;
  }
}

void RequestBatcher::run_group(std::vector<Entry>& group) {
  std::vector<bool> streamed(group.size(), false);
  std::vector<size_t> everyone(group.size());
  for (size_t i = 0; i < group.size(); ++i) everyone[i] = i;
  std::string error;
  bool refused = false;
  std::vector<GenerationResult> results(group.size());
  if (auto all = call(group, everyone, streamed, error, refused)) {
    results = std::move(*all);
  } else {
    // One bad request (a prompt the model cannot take) must not fail the others that happened to
    // share its call: each is tried again alone, unless it already streamed text to its client
    // (a second run would send that text twice).
    for (size_t i = 0; i < group.size(); ++i) {
      std::string own_error = error;
      bool own_refused = refused;
      std::optional<std::vector<GenerationResult>> alone;
      if (group.size() > 1 && !streamed[i]) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          stats_.generate_calls += 1;
        }
        own_refused = false;
        alone = call(group, {i}, streamed, own_error, own_refused);
      }
      if (alone) {
        results[i] = std::move(alone->front());
      } else {
        results[i].error = own_error;
        results[i].invalid_request = own_refused;
      }
    }
  }
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].item.on_done) {
      try {
        group[i].item.on_done(results[i]);
      } catch (const std::exception& e) {  // the waiting handler still gets its answer, with this error
        if (!results[i].error) results[i].error = fmt::format("delivering the result failed: {}", e.what());
      }
    }
    group[i].promise.set_value(std::move(results[i]));
  }
}

}  // namespace aimicius::serve
