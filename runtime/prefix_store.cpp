#include "runtime/prefix_store.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {

int64_t prefill_groups(Model& model, KVCache& cache, const PrefillLimits& limits,
                       const std::vector<std::vector<int32_t>>& runs, const std::vector<int64_t>& slots,
                       const std::vector<int64_t>& held,
                       const std::function<void(const std::vector<int64_t>&, const torch::Tensor&)>& on_group) {
  std::vector<int64_t> lengths;
  for (const auto& r : runs) lengths.push_back(static_cast<int64_t>(r.size()));
  int64_t forwards = 0;
  for (const auto& group : plan_prefill_groups(lengths, limits, held)) {
    std::vector<std::vector<int32_t>> members;
    std::vector<int64_t> member_slots;
    for (int64_t j : group) {
      members.push_back(runs[j]);
      member_slots.push_back(slots[j]);
    }
    const torch::Tensor logits = model.prefill(members, cache, member_slots);
    if (on_group) on_group(group, logits);
    ++forwards;
  }
  return forwards;
}

int64_t PrefixStore::slots_needed(const PrefixPlan& plan) {
  int64_t levels = 0;
  for (const auto& p : plan.prefixes) levels = std::max(levels, p.level);
  return std::min<int64_t>(levels, static_cast<int64_t>(plan.prefixes.size()));
}

PrefixStore::PrefixStore(const PrefixPlan& plan, const std::vector<std::vector<int32_t>>& prompts, int64_t first_slot,
                         int64_t slots)
    : plan_(plan), prompts_(prompts) {
  const size_t n = plan.prefixes.size();
  if (slots < slots_needed(plan))
    throw std::invalid_argument(fmt::format("prefix store: {} slots for prefixes nested {} deep", slots, slots_needed(plan)));
  slot_.assign(n, -1);
  ready_.assign(n, false);
  done_.assign(n, false);
  users_.assign(n, 0);
  for (int64_t x : plan.prefix_of)
    if (x >= 0) ++users_[x];
  for (const auto& p : plan.prefixes)
    if (p.parent >= 0) ++users_[p.parent];
  for (int64_t s = first_slot + slots - 1; s >= first_slot; --s) free_.push_back(s);  // lowest on top
}

void PrefixStore::release(int64_t x) {
  if (--users_[x] > 0) return;
  free_.push_back(slot_[x]);
  slot_[x] = -1;
  ready_[x] = false;
  done_[x] = true;
}

std::vector<int64_t> PrefixStore::provide(const std::vector<int64_t>& admitted, const std::vector<int64_t>& prompt_slots,
                                          Model& model, KVCache& cache, const PrefillLimits& limits,
                                          ScheduleStats& stats) {
  std::vector<int64_t> held(admitted.size(), 0);
  if (plan_.prefixes.empty()) return held;  // reuse off, or nothing shared (prefix_of may be empty)
  // Admitted prompts by their prefix, and the prefixes they need that are not held yet (with
  // their missing ancestors), in preorder.
  std::map<int64_t, std::vector<size_t>> users;
  std::vector<int64_t> needed;
  for (size_t j = 0; j < admitted.size(); ++j) {
    const int64_t x = plan_.prefix_of[admitted[j]];
    if (x < 0) continue;
    users[x].push_back(j);
    for (int64_t y = x; y >= 0 && !ready_[y]; y = plan_.prefixes[y].parent) {
      if (done_[y]) throw std::logic_error(fmt::format("prefix store: prefix {} needed after it was freed", y));
      if (std::find(needed.begin(), needed.end(), y) != needed.end()) break;
      needed.push_back(y);
    }
  }
  std::sort(needed.begin(), needed.end());

  // Copies prefix x's rows into the slots of its admitted prompts (each at most its length - 1).
  auto give = [&](int64_t x) {
    const auto it = users.find(x);
    if (it == users.end()) return;
    std::map<int64_t, std::vector<int64_t>> by_rows;
    for (size_t j : it->second) {
      const int64_t rows = std::min<int64_t>(plan_.prefixes[x].length, static_cast<int64_t>(prompts_[admitted[j]].size()) - 1);
      held[j] = rows;
      by_rows[rows].push_back(prompt_slots[j]);
      stats.prefix_tokens_reused += rows;
    }
    for (const auto& [rows, slots] : by_rows) cache.copy_prefix(slot_[x], slots, rows);
    for (size_t k = 0; k < it->second.size(); ++k) release(x);
  };
  for (const auto& entry : users)
    if (ready_[entry.first]) give(entry.first);

  // Rounds: the next needed prefixes whose parents are held, as many as there are free slots,
  // prefilled together; then handed to their prompts, which may free them and their parents.
  size_t next = 0;
  while (next < needed.size()) {
    std::vector<int64_t> round;
    while (next < needed.size() && !free_.empty()) {
      const int64_t x = needed[next], parent = plan_.prefixes[x].parent;
      if (parent >= 0 && !ready_[parent]) break;  // its parent is in this round
      slot_[x] = free_.back();
      free_.pop_back();
      round.push_back(x);
      ++next;
    }
    if (round.empty()) throw std::logic_error("prefix store: no free slot for the next prefix");
    std::vector<std::vector<int32_t>> runs;
    std::vector<int64_t> slots, from;
    for (int64_t x : round) {
      const SharedPrefix& p = plan_.prefixes[x];
      const int64_t start = p.parent >= 0 ? plan_.prefixes[p.parent].length : 0;
      cache.clear(slot_[x]);  // its pages kept: reserved for the call (LocalModel)
      if (p.parent >= 0) cache.copy_prefix(slot_[p.parent], {slot_[x]}, start);
      const auto& tokens = prompts_[p.representative];
      runs.emplace_back(tokens.begin() + start, tokens.begin() + p.length);
      slots.push_back(slot_[x]);
      from.push_back(start);
      stats.prefix_tokens_prefilled += p.length - start;
    }
    stats.prefills += prefill_groups(model, cache, limits, runs, slots, from, nullptr);
    stats.prefixes += static_cast<int64_t>(round.size());
    for (int64_t x : round) {
      ready_[x] = true;
      if (plan_.prefixes[x].parent >= 0) release(plan_.prefixes[x].parent);
    }
    for (int64_t x : round)
      if (ready_[x]) give(x);
  }
  return held;
}

}  // namespace aimicius::runtime
