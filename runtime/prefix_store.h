// One generate() call's shared prefixes (runtime/prefix_plan.h) held in cache slots of their own,
// and the one way the scheduler prefills token runs in planned groups (prefill_groups).
//
// The store owns `slots` cache slots from `first_slot` on (after the sequences' slots). A prefix
// is prefilled when the first admitted prompt that needs it arrives (a child prefix starts as a
// copy of its parent's rows), copied into the slots of its admitted prompts, and freed as soon as
// no waiting prompt and no uncomputed child prefix needs it. Prompts must be admitted in
// plan.order: each prefix's prompts then come as one run, the prefixes held at once are the
// ancestors of the next one to compute, and `slots` >= the plan's deepest level always suffices.
// A prompt takes at most its length - 1 rows (its last token is prefilled with the rest, for the
// first logits).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "runtime/local_model.h"
#include "runtime/model.h"
#include "runtime/prefill_plan.h"
#include "runtime/prefix_plan.h"

namespace aimicius::runtime {

// Prefills runs[j] into slots[j] after the held[j] rows already there (empty held: none), in the
// padded groups plan_prefill_groups makes; on_group gets each group's members (indices into runs)
// and their last-token logits [members, vocab]. Returns the number of forwards.
int64_t prefill_groups(Model& model, KVCache& cache, const PrefillLimits& limits,
                       const std::vector<std::vector<int32_t>>& runs, const std::vector<int64_t>& slots,
                       const std::vector<int64_t>& held,
                       const std::function<void(const std::vector<int64_t>&, const torch::Tensor&)>& on_group);

class PrefixStore {
 public:
  // The store slots a plan needs: one per nesting level, at most one per prefix.
  static int64_t slots_needed(const PrefixPlan& plan);
  PrefixStore(const PrefixPlan& plan, const std::vector<std::vector<int32_t>>& prompts, int64_t first_slot,
              int64_t slots);
  // Starts each admitted prompt's slot (prompt_slots[j], emptied) with its prefix's rows, computing
  // the prefixes needed first; returns the rows each now holds (0: no prefix). Counts prefixes,
  // forwards and tokens in `stats`.
  std::vector<int64_t> provide(const std::vector<int64_t>& admitted, const std::vector<int64_t>& prompt_slots,
                               Model& model, KVCache& cache, const PrefillLimits& limits, ScheduleStats& stats);

 private:
  void release(int64_t prefix);  // one fewer user; frees its slot at none
  const PrefixPlan& plan_;
  const std::vector<std::vector<int32_t>>& prompts_;
  std::vector<int64_t> slot_;   // per prefix: its store slot while held, else -1
  std::vector<bool> ready_;     // per prefix: held and computed
  std::vector<bool> done_;      // per prefix: computed and freed (never needed again)
  std::vector<int64_t> users_;  // per prefix: prompts not yet given it + children not yet computed
  std::vector<int64_t> free_;   // free store slots
};

}  // namespace aimicius::runtime
