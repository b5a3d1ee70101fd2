#include "harness/backends/spec_query.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& spec, const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    const int hi = i + 2 < value.size() ? hex_digit(value[i + 1]) : -1;
    const int lo = i + 2 < value.size() ? hex_digit(value[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw InputError(fmt::format("model spec \"{}\": bad %-escape in \"{}\" (write %25 for a literal %)", spec, value));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string with_spec_option(const std::string& spec, const std::string& key, const std::string& value) {
  const auto q = spec.find('?');
  if (q == std::string::npos) return spec + "?" + key + "=" + value;
  std::string out = spec.substr(0, q);
  char sep = '?';
  bool replaced = false;
  size_t pos = q + 1;
  while (pos <= spec.size()) {
    const size_t amp = std::min(spec.find('&', pos), spec.size());
    std::string item = spec.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    if (item.compare(0, key.size() + 1, key + "=") == 0) {
      if (replaced) continue;  // a repeated key: the one value now
      item = key + "=" + value;
      replaced = true;
    }
    out += sep + item;
    sep = '&';
  }
  if (!replaced) out += sep + key + "=" + value;
  return out;
}

SpecParts split_spec_options(const std::string& spec, const std::string& text) {
  SpecParts out;
  const auto q = text.find('?');
  out.base = text.substr(0, q);
  if (q == std::string::npos) return out;
  const std::string query = text.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    const size_t amp = std::min(query.find('&', pos), query.size());
    const std::string item = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty() && amp == query.size()) break;  // a trailing '&' or an empty query
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(fmt::format("model spec \"{}\": option \"{}\" needs key=value", spec, item));
    out.options.emplace_back(item.substr(0, eq), percent_decode(spec, item.substr(eq + 1)));
  }
  return out;
}

long long spec_int(const std::string& spec, const std::string& key, const std::string& value) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0')
    throw InputError(fmt::format("model spec \"{}\": {} must be an integer (got \"{}\")", spec, key, value));
  return v;
}

double spec_double(const std::string& spec, const std::string& key, const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  // nan and inf parse, but no option means them: nan even passes every "must be positive" check.
  if (value.empty() || *end != '\0' || !std::isfinite(v))
    throw InputError(fmt::format("model spec \"{}\": {} must be a finite number (got \"{}\")", spec, key, value));
  return v;
}

bool spec_bool(const std::string& spec, const std::string& key, const std::string& value) {
  if (value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  throw InputError(fmt::format("model spec \"{}\": {} must be 1/true or 0/false (got \"{}\")", spec, key, value));
}

}  // namespace aimicius
