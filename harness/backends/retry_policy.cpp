#include "harness/backends/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace aimicius {

bool is_retryable_status(long status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<std::chrono::milliseconds> retry_after(const std::map<std::string, std::string>& headers) {
  auto number = [](const std::string& text) -> std::optional<double> {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(v >= 0) || v > 86400e3) return std::nullopt;
    return v;
  };
  if (auto it = headers.find("retry-after-ms"); it != headers.end())
    if (auto ms = number(it->second)) return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(*ms)));
  if (auto it = headers.find("retry-after"); it != headers.end())
    if (auto s = number(it->second)) return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(*s * 1000)));
  return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, uint64_t jitter_bits,
                                        std::optional<std::chrono::milliseconds> server_wait) {
  const double exp = policy.base_delay_ms * std::pow(2.0, std::min(retry, 30));
  const double capped = std::min(policy.max_delay_ms, exp);
  const double unit = static_cast<double>(jitter_bits >> 11) / static_cast<double>(uint64_t{1} << 53);  // [0, 1)
  double ms = capped / 2 + unit * capped / 2;
  if (server_wait) ms = std::max(ms, static_cast<double>(server_wait->count()));
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ms)));
}

}  // namespace aimicius
