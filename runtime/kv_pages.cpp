#include "runtime/kv_pages.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {

KvPages::KvPages(int64_t slots, int64_t pages, int64_t page_tokens, int64_t max_tokens_per_slot)
    : page_tokens_(page_tokens), free_(pages) {
  if (slots < 1 || pages < 1 || page_tokens < 1 || max_tokens_per_slot < 1 || pages > INT32_MAX)
    throw std::invalid_argument(fmt::format("KV pages: {} slots, {} pages of {} tokens, {} tokens a slot", slots, pages,
                                            page_tokens, max_tokens_per_slot));
  stride_ = pages_for(max_tokens_per_slot);
  owner_.assign(pages, -1);
  held_.resize(slots);
  table_.assign(slots * stride_, -1);
}

int64_t KvPages::reserved(int64_t slot) const {
  if (slot < 0 || slot >= slots()) throw std::out_of_range(fmt::format("KV pages: no slot {} of {}", slot, slots()));
  return static_cast<int64_t>(held_[slot].size()) * page_tokens_;
}

bool KvPages::reserve(int64_t slot, int64_t tokens) {
  const int64_t have = reserved(slot) / page_tokens_;
  const int64_t need = pages_for(tokens);
  if (need > stride_)
    throw std::out_of_range(fmt::format("KV pages: slot {} cannot hold {} tokens (at most {})", slot, tokens,
                                        stride_ * page_tokens_));
  if (need <= have) return true;
  if (need - have > free_) return false;
  const std::vector<int32_t> got = take(need - have, have > 0 ? held_[slot].back() : -1);
  for (int32_t page : got) {
    owner_[page] = static_cast<int32_t>(slot);
    table_[slot * stride_ + static_cast<int64_t>(held_[slot].size())] = page;
    held_[slot].push_back(page);
  }
  free_ -= static_cast<int64_t>(got.size());
  ++version_;
  return true;
}

void KvPages::release(int64_t slot) {
  reserved(slot);  // range check
  if (held_[slot].empty()) return;
  for (int32_t page : held_[slot]) owner_[page] = -1;
  free_ += static_cast<int64_t>(held_[slot].size());
  held_[slot].clear();
  std::fill(table_.begin() + slot * stride_, table_.begin() + (slot + 1) * stride_, -1);
  ++version_;
}

std::vector<int32_t> KvPages::take(int64_t count, int64_t after) {
  const int64_t n = pages();
  auto free_run = [&](int64_t first) {
    if (first < 0 || first + count > n) return false;
    for (int64_t p = first; p < first + count; ++p)
      if (owner_[p] != -1) return false;
    return true;
  };
  std::vector<int32_t> out;
  auto run_from = [&](int64_t first) {
    for (int64_t p = first; p < first + count; ++p) out.push_back(static_cast<int32_t>(p));
    return out;
  };
  if (after >= 0 && free_run(after + 1)) return run_from(after + 1);
  // First fit: the first free run of `count` pages, found in one pass.
  for (int64_t p = 0, run = 0; p < n; ++p) {
    run = owner_[p] == -1 ? run + 1 : 0;
    if (run == count) return run_from(p - count + 1);
  }
  for (int64_t p = 0; p < n && static_cast<int64_t>(out.size()) < count; ++p)
    if (owner_[p] == -1) out.push_back(static_cast<int32_t>(p));
  return out;
}

int64_t KvPages::row(int64_t slot, int64_t t) const {
  if (t < 0 || t >= reserved(slot))
    throw std::out_of_range(fmt::format("KV pages: token {} of slot {} (room for {})", t, slot, reserved(slot)));
  return static_cast<int64_t>(held_[slot][t / page_tokens_]) * page_tokens_ + t % page_tokens_;
}

std::optional<int64_t> KvPages::contiguous_rows(int64_t slot, int64_t tokens) const {
  if (tokens <= 0) return 0;  // nothing is read: any start will do
  const int64_t used = pages_for(tokens);
  if (used > static_cast<int64_t>(held_[slot].size())) return std::nullopt;
  for (int64_t i = 1; i < used; ++i)
    if (held_[slot][i] != held_[slot][i - 1] + 1) return std::nullopt;
  return static_cast<int64_t>(held_[slot][0]) * page_tokens_;
}

}  // namespace aimicius::runtime
