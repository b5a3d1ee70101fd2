// The option part of a model spec: "KIND:ARG?key=value&key=value". One parser for every backend
// kind (local:, openai:), so options are written and rejected the same way everywhere.
//
// Invariants: keys keep their order; a value is everything after the first '=' (it may contain
// '='); %XX escapes in values are decoded (so a system prompt can hold '&' as %26); an item
// without '=' or an empty key is an InputError naming the spec.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace aimicius {

struct SpecParts {
  std::string base;                                          // before the first '?'
  std::vector<std::pair<std::string, std::string>> options;  // after it, in order
};

// `spec` is only used in error messages; `text` is the part after "KIND:".
SpecParts split_spec_options(const std::string& spec, const std::string& text);

// `spec` ("KIND:ARG?..." or "KIND:ARG") with its option `key` set to `value` (which must need no
// %-escape): an existing `key=...` item is replaced in place, else `key=value` is appended. The
// other items are kept byte for byte.
std::string with_spec_option(const std::string& spec, const std::string& key, const std::string& value);

// Typed readers for option values; errors name the spec and the option.
long long spec_int(const std::string& spec, const std::string& key, const std::string& value);
double spec_double(const std::string& spec, const std::string& key, const std::string& value);
bool spec_bool(const std::string& spec, const std::string& key, const std::string& value);

}  // namespace aimicius
