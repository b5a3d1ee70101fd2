// The bookkeeping of a paged KV cache (the block table of vLLM's PagedAttention): the cache's rows
// are cut into pages of page_tokens rows, every slot (one sequence at a time) holds a list of pages,
// its row of the block table, and pages come from one pool when a slot is given room and go back
// when it is released. So a short sequence holds a short sequence's memory, not the longest one's.
// No tensors here: runtime/model.h's KVCache holds the rows, and the kernels read the table
// (kernels/attention_params.h: token t of slot s is row t % page_tokens of page table[s][t / page_tokens]).
//
// Invariants (checked by the tests, kept by every method):
// - A page belongs to at most one slot; free pages belong to none; held + free = pages.
// - A slot's pages cover its tokens [0, reserved(slot)) in order: entry i of its table row is the
//   page of tokens [i x page_tokens, (i + 1) x page_tokens); entries past them are -1.
// - reserve() only adds pages at the end of a slot's list (rows already written never move), and
//   changes nothing when the pool cannot give them all.
// - version() changes whenever the table does, so that a device copy of it is refreshed only then.
// Placement: a slot's new pages are taken, where the pool allows, as one run that continues its last
// page (else the first run of free pages long enough; else the lowest free pages), so that most
// sequences lie in one run of rows and the prefill can read them in place (contiguous_rows).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace aimicius::runtime {

class KvPages {
 public:
  // Throws std::invalid_argument unless slots, pages and page_tokens are >= 1 and max_tokens_per_slot
  // >= 1 (the table's width is ceil(max_tokens_per_slot / page_tokens) pages).
  KvPages(int64_t slots, int64_t pages, int64_t page_tokens, int64_t max_tokens_per_slot);

  int64_t slots() const { return static_cast<int64_t>(held_.size()); }
  int64_t pages() const { return static_cast<int64_t>(owner_.size()); }
  int64_t page_tokens() const { return page_tokens_; }
  int64_t free_pages() const { return free_; }
  // Entries per slot in table(): the most pages one slot may hold.
  int64_t table_stride() const { return stride_; }
  // Tokens slot's pages hold room for (a multiple of page_tokens).
  int64_t reserved(int64_t slot) const;
  // Pages a slot needs for `tokens` rows.
  int64_t pages_for(int64_t tokens) const { return (tokens + page_tokens_ - 1) / page_tokens_; }

  // Gives `slot` room for `tokens` rows in all (its pages kept, more added at the end). Returns
  // false, changing nothing, when the pool has too few free pages. Throws std::out_of_range for a
  // slot out of range or `tokens` over max_tokens_per_slot.
  bool reserve(int64_t slot, int64_t tokens);
  // Every page of `slot` back to the pool.
  void release(int64_t slot);

  // The row of the cache (page x page_tokens + offset) holding token t of slot; t < reserved(slot)
  // (std::out_of_range otherwise).
  int64_t row(int64_t slot, int64_t t) const;
  // The first row, when tokens [0, tokens) of slot lie in one run of consecutive rows.
  std::optional<int64_t> contiguous_rows(int64_t slot, int64_t tokens) const;

  // [slots, table_stride] page ids, -1 past each slot's pages.
  const std::vector<int32_t>& table() const { return table_; }
  uint64_t version() const { return version_; }

 private:
  // `count` free pages for slot, preferring the run after `after` (-1: none), then the first free
  // run of that length, then the lowest free pages; fewer than count when the pool has fewer free.
  std::vector<int32_t> take(int64_t count, int64_t after);

  int64_t page_tokens_, stride_;
  std::vector<int32_t> owner_;           // per page: its slot, -1 when free
  std::vector<std::vector<int32_t>> held_;  // per slot: its pages in token order
  std::vector<int32_t> table_;
  int64_t free_;
  uint64_t version_ = 0;
};

}  // namespace aimicius::runtime
