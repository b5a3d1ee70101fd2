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

}  // namespace

SlotBudget choose_slot_budget(const SlotBudgetInput& in) {
  if (in.free_bytes < 0 || in.activation_bytes < 0 || in.extra_slots < 0 || in.cap < 0 || !(in.margin >= 0.0) ||
      in.margin >= 1.0 || in.kv_bytes_per_token < 1 || in.capacity_tokens < 1 || in.prompts < 1)
    throw std::invalid_argument(fmt::format(
        "slot budget: free {} B, margin {}, activations {} B, {} B per token, {} tokens per slot, {} extra slots, "
        "{} prompts, cap {}",
        in.free_bytes, in.margin, in.activation_bytes, in.kv_bytes_per_token, in.capacity_tokens, in.extra_slots,
        in.prompts, in.cap));
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

}  // namespace aimicius::runtime
