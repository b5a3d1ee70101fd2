// A run split into N shards (`aimicius run --shard K/N`): which examples shard K of N runs.
//
// Invariants:
// - An example's shard is a function of its identity alone (suite name and example id: the first
//   8 bytes of sha256("suite\nid") mod N), never of its position, so adding a suite or an example
//   moves no other example to another shard, and every process computes the same split.
// - The N shards of a run are disjoint and together hold every example of the unsharded run (the
//   same --limit cut first, then the split), so merging them (merge.h) gives the unsharded run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace aimicius {

struct Shard {
  int64_t index = 0;  // K, in [0, count)
  int64_t count = 1;  // N >= 1

  std::string label() const;  // "K/N"
  nlohmann::json to_json() const;  // {"index": K, "count": N}: runs.config["shard"]
  static Shard from_json(const nlohmann::json& j);
  bool operator==(const Shard& o) const { return index == o.index && count == o.count; }
};

// "K/N" with 0 <= K < N; InputError naming the text otherwise.
Shard parse_shard(const std::string& text);

// The shard (in [0, count)) of the example `example_id` of `suite` when a run is split in `count`.
int64_t shard_of(const std::string& suite, const std::string& example_id, int64_t count);

// Whether the example belongs to `shard` (every example does when there is none).
bool in_shard(const std::optional<Shard>& shard, const std::string& suite, const std::string& example_id);

}  // namespace aimicius
