#include "harness/runner/shard.h"

#include <charconv>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"

namespace aimicius {
namespace {

std::optional<int64_t> parse_count(const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string Shard::label() const { return fmt::format("{}/{}", index, count); }

nlohmann::json Shard::to_json() const { return {{"index", index}, {"count", count}}; }

Shard Shard::from_json(const nlohmann::json& j) { return {j.at("index").get<int64_t>(), j.at("count").get<int64_t>()}; }

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : parse_count(text.substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_count(text.substr(slash + 1));
  if (!k || !n || *n < 1 || *k < 0 || *k >= *n)
    throw InputError(fmt::format("--shard \"{}\": expected K/N with 0 <= K < N (e.g. 0/4 for the first of four "
                                 "shards)",
                                 text));
  return {*k, *n};
}

int64_t shard_of(const std::string& suite, const std::string& example_id, int64_t count) {
  const std::string h = sha256_hex(suite + "\n" + example_id);
  return static_cast<int64_t>(std::stoull(h.substr(0, 16), nullptr, 16) % static_cast<uint64_t>(count));
}

bool in_shard(const std::optional<Shard>& shard, const std::string& suite, const std::string& example_id) {
  return !shard || shard_of(suite, example_id, shard->count) == shard->index;
}

}  // namespace aimicius
