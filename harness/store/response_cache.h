// The API response cache of a run's database, for API backends called from several worker
// threads: a Store's connection is used by one thread at a time, so the cache opens its own
// connection to the same file and serialises its statements with a mutex. SQLite's WAL mode and
// busy timeout let it write between the run's own (short) transactions.
//
// Invariants: keys are sha256 hex of a canonical request that holds no credential; only
// successful response bodies are stored; a lookup never throws for a missing entry.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "harness/store/store.h"

namespace aimicius {

class ResponseCache {
 public:
  explicit ResponseCache(const std::string& db_path) : store_(Store::open_for_write(db_path)) {}

  std::optional<std::string> lookup(const std::string& request_sha256) {
    std::lock_guard<std::mutex> lock(mu_);
    return store_.cached_response(request_sha256);
  }
  void put(const std::string& request_sha256, const std::string& response_json) {
    std::lock_guard<std::mutex> lock(mu_);
    store_.store_response(request_sha256, response_json);
  }

 private:
  std::mutex mu_;
  Store store_;
};

}  // namespace aimicius
