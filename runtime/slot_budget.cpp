#include "runtime/slot_budget.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::runtime {
namespace {

double gib(double bytes) { return bytes / (1024.0 * 1024.0 * 1024.0); }

// 4096 -> "4,096": the token counts people read in the log line.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

int64_t whole_pages(int64_t tokens, int64_t page) { return (tokens + page - 1) / page * page; }

SlotBudget choose_paged_budget(const SlotBudgetInput& in) {
  if (in.mean_tokens < 1) throw std::invalid_argument(fmt::format("slot budget: average need {}", in.mean_tokens));
  const double usable = static_cast<double>(in.free_bytes) * (1.0 - in.margin) - static_cast<double>(in.activation_bytes);
  const int64_t page = in.page_tokens, capacity = whole_pages(in.capacity_tokens, page);
  const int64_t fits = usable > 0 ? static_cast<int64_t>(usable / static_cast<double>(in.kv_bytes_per_token)) / page * page : 0;
  const int64_t floor_tokens = capacity * (1 + in.extra_slots);  // one longest sequence and the store
  const int64_t all_at_once = std::max(in.total_tokens, capacity) + capacity * in.extra_slots;
  SlotBudget out;
  out.pool_tokens = std::max(std::min(fits, all_at_once), floor_tokens);
  const int64_t need = whole_pages(in.mean_tokens, page);
  const int64_t fit = fits < floor_tokens ? 1 : (out.pool_tokens - capacity * in.extra_slots) / need;
  out.slots = std::clamp<int64_t>(fit, 1, in.prompts);
  std::string bound = fits < floor_tokens ? "; less than one longest sequence fits, one taken"
                      : fit >= in.prompts ? "; all prompts fit"
                                          : "";
  if (in.cap > 0 && out.slots > in.cap) {
    out.slots = in.cap;
    bound = fmt::format("; capped at {}", in.cap);
  }
  out.reason = fmt::format(
      "max_active {} (paged KV cache): {:.1f} GiB free, a pool of {} tokens ({:.2f} GiB, pages of {}), {} tokens a "
      "sequence on average ({} in whole pages; the longest {} + {}), {:.0f}% margin, {:.2f} GiB for activations{}{}",
      out.slots, gib(static_cast<double>(in.free_bytes)), grouped(out.pool_tokens),
      gib(static_cast<double>(out.pool_tokens) * static_cast<double>(in.kv_bytes_per_token)), page,
      grouped(in.mean_tokens), grouped(need),
      grouped(in.longest_prompt), grouped(in.capacity_tokens - in.longest_prompt), in.margin * 100.0,
      gib(static_cast<double>(in.activation_bytes)),
      in.extra_slots > 0 ? fmt::format(", {} prefix slots", in.extra_slots) : std::string(), bound);
  return out;
}

}  // namespace

SlotBudget choose_slot_budget(const SlotBudgetInput& in) {
  if (in.free_bytes < 0 || in.activation_bytes < 0 || in.extra_slots < 0 || in.cap < 0 || !(in.margin >= 0.0) ||
      in.margin >= 1.0 || in.kv_bytes_per_token < 1 || in.capacity_tokens < 1 || in.prompts < 1)
    throw std::invalid_argument(fmt::format(
        "slot budget: free {} B, margin {}, activations {} B, {} B per token, {} tokens per slot, {} extra slots, "
        "{} prompts, cap {}",
        in.free_bytes, in.margin, in.activation_bytes, in.kv_bytes_per_token, in.capacity_tokens, in.extra_slots,
        in.prompts, in.cap));
  if (in.page_tokens > 0) return choose_paged_budget(in);
  const double per_slot = static_cast<double>(in.kv_bytes_per_token) * static_cast<double>(in.capacity_tokens);
  const double usable = static_cast<double>(in.free_bytes) * (1.0 - in.margin) - static_cast<double>(in.activation_bytes);
  const double fit = usable > 0 ? std::floor(usable / per_slot) - static_cast<double>(in.extra_slots) : 0.0;
  int64_t slots = static_cast<int64_t>(std::clamp(fit, 1.0, static_cast<double>(in.prompts)));
  std::string bound = fit < 1.0 ? "; less than one fits, one taken" : fit > in.prompts ? "; all prompts fit" : "";
  if (in.cap > 0 && slots > in.cap) {
    slots = in.cap;
    bound = fmt::format("; capped at {}", in.cap);
  }
  SlotBudget out;
  out.slots = slots;
  out.reason = fmt::format(
      "max_active {}: {:.1f} GiB free, {:.2f} GiB KV per sequence ({} + {} tokens), {:.0f}% margin, {:.2f} GiB for "
      "activations{}{}",
      slots, gib(static_cast<double>(in.free_bytes)), gib(per_slot), grouped(in.longest_prompt),
      grouped(in.capacity_tokens - in.longest_prompt), in.margin * 100.0, gib(static_cast<double>(in.activation_bytes)),
      in.extra_slots > 0 ? fmt::format(", {} prefix slots", in.extra_slots) : std::string(), bound);
  return out;
}

SlotBudget fixed_slot_budget(const SlotBudgetInput& in, int64_t slots) {
  if (slots < 1) throw std::invalid_argument(fmt::format("slot budget: {} fixed slots", slots));
  SlotBudgetInput capped = in;
  capped.cap = slots;
  SlotBudget out;
  out.slots = slots;
  if (in.page_tokens <= 0) {
    choose_slot_budget(capped);  // the same checks of the input
    return out;
  }
  SlotBudget paged = choose_slot_budget(capped);
  const double usable = static_cast<double>(in.free_bytes) * (1.0 - in.margin) - static_cast<double>(in.activation_bytes);
  const double need = static_cast<double>(slots + in.extra_slots) *
                      static_cast<double>(whole_pages(in.capacity_tokens, in.page_tokens)) *
                      static_cast<double>(in.kv_bytes_per_token);
  if (need <= usable) return out;
  paged.reason = fmt::format(
      "max_active {} (paged KV cache): {} slots of {} tokens would need {:.2f} GiB of K/V, {:.1f} GiB free ({:.0f}% "
      "margin, {:.2f} GiB for activations), so a pool of {} tokens ({:.2f} GiB, pages of {}); sequences wait for pages",
      slots, slots + in.extra_slots, grouped(in.capacity_tokens), gib(need), gib(static_cast<double>(in.free_bytes)),
      in.margin * 100.0, gib(static_cast<double>(in.activation_bytes)), grouped(paged.pool_tokens),
      gib(static_cast<double>(paged.pool_tokens) * static_cast<double>(in.kv_bytes_per_token)), in.page_tokens);
  paged.slots = slots;
  return paged;
}

}  // namespace aimicius::runtime
