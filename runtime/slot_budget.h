// How many sequences (KV-cache slots) one generate() call can hold at once, from the memory the
// device has free: `max_active=auto` (SamplingParams::auto_max_active). Pure arithmetic, so the
// choice is tested without a device; runtime/device_memory.h measures the free bytes.
//
// slots = floor((free x (1 - margin) - activations) / per_slot) - extra_slots, where per_slot is
// a slot's K and V bytes for the call's longest prompt plus its new tokens (the cache is made for
// that capacity) and extra_slots are the prefix store's slots of the same size; then clamped to
// [1, prompts] (never 0: a device too small for one slot still gets one, and the cache's
// allocation then fails with the device's own error; never more than there are prompts) and to
// `cap` when cap > 0. The reason says which numbers decided, in one line, for the log.
//
// Paged (page_tokens > 0, runtime/kv_pages.h): a slot holds only its own sequence's pages, so the
// cache is one pool of every free byte's tokens (in whole pages), the prefix store's slots are set
// aside at full capacity, and slots = the rest over the sequences' average need (prompt + new
// tokens, in whole pages), clamped as above: sequences wait for pages when longer ones come
// together. The pool is never smaller than one longest sequence plus the store, and never larger
// than every sequence at once plus the store (a small call does not take the whole device).
#pragma once

#include <cstdint>
#include <string>

namespace aimicius::runtime {

struct SlotBudgetInput {
  int64_t free_bytes = 0;          // free on the device now (CUDA) or available (CPU)
  double margin = 0.10;            // share of free_bytes left alone (allocator slack, fragmentation)
  int64_t activation_bytes = 0;    // reserved for the largest forward's activations (a prefill group)
  int64_t kv_bytes_per_token = 0;  // K and V over all layers, one token
  int64_t capacity_tokens = 0;     // tokens one slot holds: the longest prompt + its new tokens
  int64_t longest_prompt = 0;      // of capacity_tokens, the prompt's part (for the reason)
  int64_t extra_slots = 0;         // slots of the same size held besides the sequences' (prefix store)
  int64_t prompts = 0;             // sequences the call has
  int64_t cap = 0;                 // > 0: at most this many
  int64_t page_tokens = 0;         // > 0: a paged cache of pages this long
  int64_t mean_tokens = 0;         // paged: a sequence's average prompt + new tokens
  int64_t total_tokens = 0;        // paged: every sequence's prompt + new tokens, each in whole pages
};

struct SlotBudget {
  int64_t slots = 1;
  int64_t pool_tokens = 0;  // paged: the pool's rows (whole pages); 0 unpaged (slots x capacity)
  std::string reason;  // "max_active 96: 41.0 GiB free, 0.38 GiB KV per sequence (4,096 + 64 tokens), ..."
};

// Throws std::invalid_argument for a negative byte count, a margin outside [0, 1), or a capacity,
// per-token size or prompt count below 1 (paged: or an average need below 1).
SlotBudget choose_slot_budget(const SlotBudgetInput& in);

// `max_active=N` (a fixed number of slots): the N slots and the prefix store's at full capacity
// (whole pages) when their K/V fits the memory choose_slot_budget would use (reason empty, pool 0:
// unpaged). When it does not and the cache can be paged (page_tokens > 0), the paged pool
// choose_slot_budget makes for that memory, still N slots: sequences wait for pages instead of
// the call failing on an allocation (on an 80 GB H100, STD-1.5B at 64 slots failed every prompt of
// its longest-prompt suites, most likely so). Unpaged, the N slots as asked (the allocation then
// fails with the device's error). Throws as above, and for N < 1.
SlotBudget fixed_slot_budget(const SlotBudgetInput& in, int64_t slots);

}  // namespace aimicius::runtime
