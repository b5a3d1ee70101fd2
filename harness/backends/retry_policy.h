// When an API request is tried again, and after how long.
//
// Retried: HTTP 408, 409, 429 and 5xx, transport failures (timeouts, refused or dropped
// connections) and 2xx bodies that are not the JSON the API promises. Not retried: every other
// 4xx (400 bad request, 401/403 auth, 404 unknown model or URL): trying again cannot help.
// Delay before retry n (0-based): base * 2^n, capped at max, with "equal jitter" (half fixed, half
// uniform random) so that concurrent workers do not retry in lockstep; a server's Retry-After
// (seconds) or retry-after-ms is a lower bound on the delay.
//
// Invariants: pure functions; the jitter comes from a caller-given 64-bit value (a hash of the
// example and attempt), so no random state is shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace aimicius {

struct RetryPolicy {
  int max_retries = 4;            // attempts = max_retries + 1
  double base_delay_ms = 500;
  double max_delay_ms = 30000;
};

bool is_retryable_status(long status);

// The server's requested wait from `retry-after-ms` or `retry-after` (seconds; an HTTP date is
// not understood and ignored), with lower-case header names.
std::optional<std::chrono::milliseconds> retry_after(const std::map<std::string, std::string>& headers);

// The wait before retry number `retry` (0 for the first retry).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, uint64_t jitter_bits,
                                        std::optional<std::chrono::milliseconds> server_wait);

}  // namespace aimicius
