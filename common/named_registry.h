// NamedRegistry: a fixed table of (name, value) pairs that input refers to by name, such as the
// scorer types and extractors a suite.json may name or the model shapes `--preset` accepts.
// Written once so that every such table answers an unknown name the same way:
//   InputError "[WHERE: ]unknown KIND \"NAME\" (known: a, b, c)"
// with the names in table order, so the user sees at once what would have worked.
//
// Invariants: the table is fixed at construction (held in a function-local static const by its
// owner, so there is no mutable global); names are unique (a duplicate is a programming error:
// std::logic_error at construction); lookups are exact and case-sensitive.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"

namespace aimicius {

template <typename Value>
class NamedRegistry {
 public:
  // `kind` says what the table holds, in errors: "scorer type", "extractor", "preset".
  NamedRegistry(std::string kind, std::vector<std::pair<std::string, Value>> entries)
      : kind_(std::move(kind)), entries_(std::move(entries)) {
    for (std::size_t i = 0; i < entries_.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (entries_[i].first == entries_[j].first)
          throw std::logic_error(fmt::format("{} \"{}\" is registered twice", kind_, entries_[i].first));
  }

  // The value registered as `name`; `where` (the file, line or option at fault) prefixes the error
  // when not empty.
  const Value& find(std::string_view name, std::string_view where = {}) const {
    for (const auto& [known, value] : entries_)
      if (known == name) return value;
    throw InputError(fmt::format("{}unknown {} \"{}\" (known: {})", where.empty() ? "" : fmt::format("{}: ", where),
                                 kind_, name, fmt::join(names(), ", ")));
  }

  // Every name, in table order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& entry : entries_) out.push_back(entry.first);
    return out;
  }

 private:
  std::string kind_;
  std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace aimicius
