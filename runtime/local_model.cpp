#include "runtime/local_model.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/jinja/template.h"
#include "common/utf8.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/gguf/gguf_tokenizer.h"
#include "runtime/model.h"
#include "runtime/device_memory.h"
#include "runtime/host_transfer.h"
#include "runtime/prefill_plan.h"
#include "runtime/prefix_plan.h"
#include "runtime/prefix_store.h"
#include "runtime/slot_budget.h"
#include "runtime/tokenizer/chat_template.h"
#include "runtime/tokenizer/incremental_decode.h"
#include "runtime/tokenizer/tokenizer_config.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {
namespace {

torch::ScalarType parse_dtype_name(const std::string& dtype, bool cuda) {
  if (dtype.empty()) return cuda ? torch::kBFloat16 : torch::kFloat32;
  if (dtype == "f32") return torch::kFloat32;
  if (dtype == "bf16") return torch::kBFloat16;
  if (dtype == "f16") return torch::kFloat16;
  throw InputError(fmt::format("unknown dtype \"{}\" (f32, bf16, f16)", dtype));
}

// One token from logits [vocab] (float32, on the CPU) under the sampling parameters.
int32_t pick_token(const torch::Tensor& logits, const SamplingParams& p, std::mt19937_64& rng) {
  if (p.temperature <= 0.0) return static_cast<int32_t>(logits.argmax().item<int64_t>());
  torch::Tensor scaled = logits / p.temperature;
  if (p.top_k > 0 && p.top_k < scaled.size(0)) {
    const auto kth = std::get<0>(scaled.topk(p.top_k)).min();
    scaled = scaled.masked_fill(scaled < kth, -std::numeric_limits<float>::infinity());
  }
  torch::Tensor probs = torch::softmax(scaled.to(torch::kFloat64), 0);
  if (p.top_p < 1.0) {
    auto [sorted, order] = probs.sort(0, true);
    const torch::Tensor before = sorted.cumsum(0) - sorted;  // mass strictly above each token
    sorted = sorted.masked_fill(before >= p.top_p, 0.0);      // keep the smallest set reaching top_p
    probs = torch::zeros_like(probs).scatter(0, order, sorted);
    probs = probs / probs.sum();
  }
  const torch::Tensor cpu = probs.contiguous();
  const double* pr = cpu.data_ptr<double>();
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double r = u(rng), acc = 0.0;
  int64_t last_nonzero = 0;
  for (int64_t i = 0; i < cpu.size(0); ++i) {
    if (pr[i] <= 0) continue;
    last_nonzero = i;
    acc += pr[i];
    if (r < acc) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(last_nonzero);  // rounding left r above the total
}

// How much of a sequence's text so far can be streamed: everything but a tail that later tokens
// could still change or remove. Held back: the longest tail that is a proper prefix of a stop
// string (the final text is cut before a stop string), and an unfinished UTF-8 sequence (a lead
// byte short of its continuation bytes), so pieces split only where the whole text's characters
// (and its ill-formed bytes, as a UTF-8 decoder groups them) split too. Decoding is assumed
// prefix-stable otherwise, as it is for byte-level BPE and SentencePiece pieces.
size_t streamable_length(const std::string& text, const std::vector<std::string>& stop) {
  size_t n = text.size();
  size_t hold = 0;
  for (const auto& s : stop)
    for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), n); k > hold; --k)
      if (text.compare(n - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  n -= hold;
  return n - unfinished_utf8_tail(std::string_view(text).substr(0, n));
}

// Prompt i's max_new_tokens: its own when the call gives one per prompt.
int64_t max_new_tokens_of(const SamplingParams& p, size_t i) {
  return p.prompt_max_new_tokens.empty() ? p.max_new_tokens : p.prompt_max_new_tokens[i];
}

// Each listed row's next token from logits [rows, vocab] on the model's device: greedy takes the
// argmax there, so only the ids cross to the host; sampling draws on the host from row i's generator.
void pick_rows(const torch::Tensor& logits, const std::vector<int64_t>& rows, const SamplingParams& p,
               std::vector<std::mt19937_64>& rngs, std::vector<int32_t>& next) {
  if (p.temperature <= 0.0) {
    const torch::Tensor picked = logits.argmax(-1).to(torch::kCPU);
    for (size_t j = 0; j < rows.size(); ++j) next[rows[j]] = static_cast<int32_t>(picked[j].item<int64_t>());
    return;
  }
  const torch::Tensor host = logits.to(torch::kCPU);
  for (size_t j = 0; j < rows.size(); ++j) next[rows[j]] = pick_token(host[j], p, rngs[rows[j]]);
}

}  // namespace

void check_device_spec(const std::string& device, const std::string& dtype) {
  if (device != "cpu" && device.rfind("cuda", 0) != 0)
    throw InputError(fmt::format("unknown device \"{}\" (cpu, cuda, cuda:N)", device));
  parse_dtype_name(dtype, device != "cpu");
}

struct LocalModel::Impl {
  std::unique_ptr<Model> model;
  PrefillLimits prefill_limits;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<int32_t> eos;
  bool chat = false;
  nlohmann::json tokenizer_config;  // tokenizer_config.json + chat_template.jinja (null: neither)
  std::string template_origin;      // what errors call the chat template (its file, or the GGUF key)
  bool decode_ahead = false;  // LocalModelOptions::decode_ahead, resolved for the device
  double memory_share = 0.9;  // LocalModelOptions::memory_share
  std::mutex mu;  // one generation at a time per model: the cache and weights are shared
  // The model's device, made current for each call: the CUDA kernels launch on the current
  // device's stream, and with one model per GPU (`run --devices`) the calling thread's current
  // device is not necessarily the model's.
  torch::Device device = torch::kCPU;

  // A finished prompt: its index, generated tokens and finish reason ("eos", "stop", "length").
  using Finished = std::function<void(size_t, const std::vector<int32_t>&, const char*)>;
  using StopHit = std::function<bool(size_t, const std::vector<int32_t>&)>;

  // One call's scheduling state: which prompt holds which slot, and which prompts wait.
  // Invariants: a prompt is waiting, active (holding slot_of[i]) or done, in that order; active is
  // ascending (so with a slot per prompt, decode rows are slots 0.. as before continuous batching);
  // free_slots and the active prompts' slots partition the cache's slots.
  struct Schedule {
    std::vector<std::vector<int32_t>> out;  // per prompt: accepted tokens
    std::vector<std::mt19937_64> rngs;      // per prompt
    std::vector<int32_t> next;              // per prompt: the token sampled and not yet accepted
    std::deque<int64_t> waiting;
    std::set<int64_t> free_slots;           // lowest first
    std::vector<int64_t> active;
    std::vector<int64_t> slot_of;
    std::vector<int64_t> need;              // per prompt: the cache rows it may fill (prompt + new tokens)
    ScheduleStats stats;
  };

  // Whether the first waiting prompt can take a slot now: one is free, and the cache has pages for
  // the prompt's whole sequence (always, unless the cache is a pool smaller than its slots).
  static bool can_admit(const Schedule& s, const KVCache& cache) {
    return !s.waiting.empty() && !s.free_slots.empty() && cache.can_reserve(s.need[s.waiting.front()]);
  }

  std::vector<std::vector<int32_t>> run(const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& p,
                                        const StopHit& stop_hit, const Finished& finished, ScheduleStats* stats) {
    std::lock_guard<std::mutex> lock(mu);
    const c10::DeviceGuard on_device(device);
    torch::NoGradGuard no_grad;
    const int64_t n = static_cast<int64_t>(prompts.size());
    if (n == 0) {
      if (stats) *stats = ScheduleStats{};
      return {};
    }
    if (p.max_active < 0) throw std::invalid_argument(fmt::format("generate: max_active {} < 0", p.max_active));
    if (!p.prompt_seeds.empty() && static_cast<int64_t>(p.prompt_seeds.size()) != n)
      throw std::invalid_argument("generate: prompt_seeds must be empty or one per prompt");
    if (!p.prompt_max_new_tokens.empty() && static_cast<int64_t>(p.prompt_max_new_tokens.size()) != n)
      throw std::invalid_argument("generate: prompt_max_new_tokens must be empty or one per prompt");
    int64_t capacity = 0, longest = 0;  // the most any slot will hold: a prompt and its new tokens
    for (int64_t i = 0; i < n; ++i) {
      if (prompts[i].empty()) throw InputError("generate: empty prompt (no tokens)");
      longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[i].size()));
      capacity = std::max<int64_t>(capacity, static_cast<int64_t>(prompts[i].size()) +
                                                 std::max<int64_t>(max_new_tokens_of(p, i), 1));
    }
    const PrefixPlan plan = p.prefix_reuse ? plan_shared_prefixes(prompts, PrefixLimits{}) : PrefixPlan{};
    const int64_t store_slots = PrefixStore::slots_needed(plan);
    SlotBudget budget;
    if (p.auto_max_active)
      budget = choose_slot_budget(slot_budget_input(prompts, p, capacity, longest, store_slots, p.max_active));
    else
      budget.slots = p.max_active > 0 ? std::min(p.max_active, n) : n;
    if (p.kv_pool_tokens > 0) {
      if (!model->cpu_path().empty())
        throw std::invalid_argument("generate: kv_pool_tokens pages the cache, which the CPU path of GGUF models "
                                    "cannot read (it reads each sequence as one run of rows)");
      const int64_t page = KVCache::kPageTokens, least = (capacity + page - 1) / page * page * (1 + store_slots);
      if (p.kv_pool_tokens < least)
        throw std::invalid_argument(fmt::format(
            "generate: a KV pool of {} tokens cannot hold the longest sequence ({} tokens) and {} prefix slots, "
            "{} tokens in whole pages of {}", p.kv_pool_tokens, capacity, store_slots, least, page));
      budget.pool_tokens = p.kv_pool_tokens;
      budget.reason = fmt::format("max_active {}, a paged KV pool of {} tokens (kv_pool_tokens)", budget.slots,
                                  p.kv_pool_tokens);
    }
    const int64_t slots = budget.slots;
    KVCache cache = make_cache_or_page(slots, store_slots, capacity, longest, prompts, p, budget);
    // The prefix store's slots keep room for any prefix for the whole call (a paged pool would
    // otherwise lend their pages to sequences); the pool was sized with them set aside.
    for (int64_t x = slots; x < slots + store_slots; ++x)
      if (!cache.reserve(x, capacity))
        throw std::logic_error(fmt::format("generate: no pages for prefix slot {} of {}", x - slots, store_slots));
    Schedule s = start_schedule(n, slots, p, plan);
    for (int64_t i = 0; i < n; ++i)
      s.need.push_back(static_cast<int64_t>(prompts[i].size()) + std::max<int64_t>(max_new_tokens_of(p, i), 1));
    std::string reason = std::move(budget.reason);
    PrefixStore store(plan, prompts, slots, store_slots);
    s.stats.prefix_slots = store_slots;
    s.stats.capacity_tokens = capacity;
    s.stats.slots_reason = std::move(reason);

    // Tokens not yet accepted: the newly prefilled prompts', or every active one's after a step.
    std::vector<int64_t> fresh;
    std::optional<QueuedStep> queued;  // decode ahead: a step queued before the slot freed was refilled
    for (;;) {
      const std::vector<int64_t> admitted = admit(prompts, s, cache, p, store);
      if (queued) {
        fresh = read_step(*queued, s);
        queued.reset();
      }
      fresh.insert(fresh.end(), admitted.begin(), admitted.end());
      accept(fresh, s, cache, p, stop_hit, finished);
      fresh.clear();
      if (can_admit(s, cache)) continue;  // refill before decoding
      if (s.active.empty() && !s.waiting.empty())  // the pool is sized for the longest sequence: not reached
        throw std::runtime_error(fmt::format(
            "generate: prompt {} needs {} KV cache rows, {} of {} pages of {} free with nothing running",
            s.waiting.front(), s.need[s.waiting.front()], cache.pages().free_pages(), cache.pages().pages(),
            KVCache::kPageTokens));
      if (s.active.empty()) break;  // every prompt done
      if (decode_ahead && p.temperature <= 0.0) {
        fresh = decode_steps_ahead(s, cache, p, stop_hit, finished, queued);
        continue;
      }
      decode_step(s, cache, p);
      fresh = s.active;
    }
    s.stats.phase_seconds = model->take_phase_seconds();  // empty unless phase_times
    if (stats) *stats = std::move(s.stats);
    return std::move(s.out);
  }

  // The call's cache. A fixed max_active whose slots at full capacity do not fit the device (the
  // allocation runs out of memory) gets a paged pool of what fits instead, the same slots
  // (fixed_slot_budget: sequences wait for pages), rather than failing every prompt of the call.
  // Only on that error, so the usual path asks nothing of the device first.
  KVCache make_cache_or_page(int64_t slots, int64_t store_slots, int64_t capacity, int64_t longest,
                             const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& p,
                             SlotBudget& budget) const {
    try {
      return model->make_cache(slots + store_slots, capacity, budget.pool_tokens);
    } catch (const c10::OutOfMemoryError&) {
      if (p.auto_max_active || budget.pool_tokens > 0 || !model->cpu_path().empty()) throw;
      SlotBudget paged = fixed_slot_budget(slot_budget_input(prompts, p, capacity, longest, store_slots, slots), slots);
      if (paged.pool_tokens == 0) throw;  // fits by the numbers: the device's own error stands
      budget = std::move(paged);
    }
    return model->make_cache(slots + store_slots, capacity, budget.pool_tokens);
  }

  // What the slot budget (slot_budget.h) weighs: the device's free memory, a slot's K/V bytes, the
  // activations of the largest prefill forward (every element of its widest tensors in float32:
  // residual stream and norms, the MLP's gate/up/product, q with augmented Q, and the K/V of the
  // context expanded to the query heads), the prefix store's slots (and a 10% margin). Off the CPU
  // path of GGUF models the cache can be paged: one pool of that memory (no more than every
  // sequence at once), slots from the prompts' average need. For max_active=auto, and for a fixed
  // max_active whose cache ran out of memory (make_cache_or_page).
  SlotBudgetInput slot_budget_input(const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& p,
                                    int64_t capacity, int64_t longest, int64_t store_slots, int64_t cap) const {
    const ModelConfig& c = model->config();
    const ModelOptions& o = model->options();
    const int64_t elem = static_cast<int64_t>(c10::elementSize(model->kv_dtype()));
    const int64_t per_token = 4 * c.hidden_size + 3 * c.intermediate_size + 2 * c.q_size() + 2 * c.aug_q_size +
                              c.num_q_heads * (c.head_dim_qk + c.head_dim_v);
    SlotBudgetInput in;
    in.free_bytes = free_device_bytes(o.device.str());
    in.margin = 1.0 - memory_share;
    in.activation_bytes = prefill_limits.max_padded_tokens * per_token * 4;
    in.kv_bytes_per_token = c.kv_bytes_per_token(elem);
    in.capacity_tokens = capacity;
    in.longest_prompt = longest;
    in.extra_slots = store_slots;
    in.prompts = static_cast<int64_t>(prompts.size());
    in.cap = cap;
    if (model->cpu_path().empty()) {  // the CPU path of GGUF models reads each slot as one run: unpaged there
      const int64_t page = KVCache::kPageTokens;
      int64_t total = 0, paged = 0;
      for (size_t i = 0; i < prompts.size(); ++i) {
        const int64_t need =
            static_cast<int64_t>(prompts[i].size()) + std::max<int64_t>(max_new_tokens_of(p, static_cast<int64_t>(i)), 1);
        total += need;
        paged += (need + page - 1) / page * page;
      }
      in.page_tokens = page;
      in.mean_tokens = (total + in.prompts - 1) / in.prompts;
      in.total_tokens = paged;
    }
    return in;
  }

  // Prompts wait in call order, or in the prefix plan's order when it has prefixes (each prefix's
  // prompts one after another, so the store holds few prefixes at once).
  static Schedule start_schedule(int64_t n, int64_t slots, const SamplingParams& p, const PrefixPlan& plan) {
    Schedule s;
    s.out.resize(n);
    for (int64_t i = 0; i < n; ++i)
      s.rngs.emplace_back(p.prompt_seeds.empty() ? p.seed * 1000003ull + static_cast<uint64_t>(i) : p.prompt_seeds[i]);
    for (int64_t j = 0; j < n; ++j) s.waiting.push_back(plan.prefixes.empty() ? j : plan.order[j]);
    for (int64_t slot = 0; slot < slots; ++slot) s.free_slots.insert(slot);
    s.next.assign(n, 0);
    s.slot_of.assign(n, -1);
    s.stats.slots = slots;
    s.stats.slot.assign(n, -1);
    s.stats.admitted_at.assign(n, -1);
    s.stats.done_at.assign(n, -1);
    return s;
  }

  // Waiting prompts into the free slots (with a slot per prompt, slot = its index) while the cache
  // has pages for their whole sequences (can_admit; each slot is given them at once, so a sequence
  // never runs out mid-generation), given their shared prefixes' rows (PrefixStore), the rest
  // prefilled in the groups prefill_limits allows; each gets its first token in s.next. Returns the
  // admitted prompts.
  std::vector<int64_t> admit(const std::vector<std::vector<int32_t>>& prompts, Schedule& s, KVCache& cache,
                             const SamplingParams& p, PrefixStore& store) {
    const auto start = std::chrono::steady_clock::now();
    const bool slot_per_prompt = s.stats.slots == static_cast<int64_t>(prompts.size());
    std::vector<int64_t> admitted, slots;
    while (can_admit(s, cache)) {
      const int64_t i = s.waiting.front();
      const auto free = slot_per_prompt ? s.free_slots.find(i) : s.free_slots.begin();
      const int64_t slot = *free;
      s.waiting.pop_front();
      s.free_slots.erase(free);
      cache.reset(slot);
      cache.ensure(slot, s.need[i]);
      s.slot_of[i] = s.stats.slot[i] = slot;
      s.stats.admitted_at[i] = s.stats.decode_steps;
      admitted.push_back(i);
      slots.push_back(slot);
    }
    const std::vector<int64_t> held = store.provide(admitted, slots, *model, cache, prefill_limits, s.stats);
    std::vector<std::vector<int32_t>> rest;
    for (size_t j = 0; j < admitted.size(); ++j) {
      const auto& tokens = prompts[admitted[j]];
      rest.emplace_back(tokens.begin() + held[j], tokens.end());
      s.stats.prompt_tokens_prefilled += static_cast<int64_t>(rest.back().size());
    }
    s.stats.prefills += prefill_groups(*model, cache, prefill_limits, rest, slots, held,
                                       [&](const std::vector<int64_t>& group, const torch::Tensor& logits) {
                                         std::vector<int64_t> rows;
                                         for (int64_t j : group) rows.push_back(admitted[j]);
                                         pick_rows(logits, rows, p, s.rngs, s.next);
                                       });
    s.active.insert(s.active.end(), admitted.begin(), admitted.end());
    std::sort(s.active.begin(), s.active.end());
    s.stats.admit_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return admitted;
  }

  // Accepts each listed prompt's pending token, or ends the prompt: at an end-of-sequence token
  // (not accepted), a stop string, or its max_new_tokens. An ended prompt's slot is free at once and
  // its pages go back to the cache's pool (a decode step queued ahead may still write the row after
  // its end: in stream order before any later owner of that page writes or reads it).
  void accept(const std::vector<int64_t>& pending, Schedule& s, KVCache& cache, const SamplingParams& p,
              const StopHit& stop_hit, const Finished& finished) {
    for (int64_t i : pending) {
      const char* reason = nullptr;
      std::vector<int32_t>& out = s.out[i];
      const int64_t max_new = max_new_tokens_of(p, i);
      if (max_new <= 0) {
        reason = "length";
      } else if (!p.ignore_eos && std::find(eos.begin(), eos.end(), s.next[i]) != eos.end()) {
        reason = "eos";
      } else {
        out.push_back(s.next[i]);
        if (stop_hit && stop_hit(static_cast<size_t>(i), out)) reason = "stop";
        else if (static_cast<int64_t>(out.size()) >= max_new) reason = "length";
      }
      if (!reason) continue;
      s.active.erase(std::find(s.active.begin(), s.active.end(), i));
      cache.reset(s.slot_of[i]);
      s.free_slots.insert(s.slot_of[i]);
      s.slot_of[i] = -1;
      s.stats.done_at[i] = s.stats.decode_steps;
      if (finished) finished(static_cast<size_t>(i), out, reason);
    }
  }

  // Every active prompt's last accepted token through the model: its next token in s.next.
  void decode_step(Schedule& s, KVCache& cache, const SamplingParams& p) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<int64_t> feed, slots;
    for (int64_t i : s.active) {
      feed.push_back(s.out[i].back());
      slots.push_back(s.slot_of[i]);
    }
    const torch::Tensor ids = torch::tensor(feed).view({-1, 1});
    pick_rows(model->forward(ids, cache, slots, true), s.active, p, s.rngs, s.next);
    ++s.stats.decode_steps;
    s.stats.slot_steps += static_cast<int64_t>(s.active.size());
    s.stats.decode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // A decode step queued on the device: its rows (prompts), their greedy picks there, and the
  // picks' copy on its way to the host.
  struct QueuedStep {
    std::vector<int64_t> rows;
    torch::Tensor ids;
    HostTransfer host;
  };

  // One greedy decode step of `rows` fed `ids` (on the host: the rows' last accepted tokens; on
  // the device: picks of the step before), queued without waiting for it.
  QueuedStep queue_step(const std::vector<int64_t>& rows, const torch::Tensor& ids, Schedule& s, KVCache& cache) {
    std::vector<int64_t> slots;
    for (int64_t i : rows) slots.push_back(s.slot_of[i]);
    const torch::Tensor logits = ids.device().is_cpu() && !device.is_cpu()
                                     ? model->forward(ids.view({-1, 1}), cache, slots, true)  // checked, staged
                                     : model->decode(ids, cache, slots);
    torch::Tensor picks = logits.argmax(-1);
    HostTransfer host(picks);
    return {rows, std::move(picks), std::move(host)};
  }

  // A queued step's picks, once on the host: each row still active takes its pick as its pending
  // token (s.next); a row that ended after the step was queued is discarded. Returns the rows that
  // took one. A step with at least one such row counts as a decode step (one with none is not a
  // step decode_step's loop would have run).
  std::vector<int64_t> read_step(QueuedStep& step, Schedule& s) {
    const torch::Tensor& host = step.host.wait();
    const int64_t* picked = host.data_ptr<int64_t>();
    std::vector<int64_t> pending;
    for (size_t j = 0; j < step.rows.size(); ++j) {
      const int64_t i = step.rows[j];
      if (s.slot_of[i] < 0) {
        ++s.stats.discarded_rows;
        continue;
      }
      s.next[i] = static_cast<int32_t>(picked[j]);
      pending.push_back(i);
    }
    if (!pending.empty()) ++s.stats.decode_steps;
    s.stats.slot_steps += static_cast<int64_t>(pending.size());
    return pending;
  }

  // Greedy decode steps with the host one step behind (LocalModelOptions::decode_ahead). Before
  // step t's picks are read, step t+1 is queued for the rows the host knows stay active, fed those
  // picks on the device: the rows not at their max_new_tokens after step t's token (while prompts
  // wait, only when that is every row of step t: a slot freed by length is refilled first). A row
  // that ends at step t by an end-of-sequence token or a stop string is found when step t is read,
  // with step t+1 already queued: its row there is discarded (its K/V row lands past its
  // sequence's end, inside the capacity since max_new_tokens was not reached, in a slot that is
  // emptied before reuse). Each row is fed the same ids in the same order as decode_step's loop
  // feeds it. Returns when no step is queued, with the prompts whose pending token (s.next) the
  // caller accepts after admitting; or when a slot is free for a waiting prompt while a step is
  // queued, with that step in `queued`: the caller admits first (at the same step decode_step's
  // loop would; the prefill is queued after the step, so the step's discarded row cannot land on
  // the new prompt's rows), then reads it (read_step) and accepts.
  std::vector<int64_t> decode_steps_ahead(Schedule& s, KVCache& cache, const SamplingParams& p,
                                          const StopHit& stop_hit, const Finished& finished,
                                          std::optional<QueuedStep>& queued) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<int64_t> feed;
    for (int64_t i : s.active) feed.push_back(s.out[i].back());
    QueuedStep step = queue_step(s.active, torch::tensor(feed, torch::kLong), s, cache);
    std::vector<int64_t> pending;
    for (;;) {
      std::vector<int64_t> keep, rows;  // the next step's rows, and their places in this one
      for (size_t j = 0; j < step.rows.size(); ++j) {
        const int64_t i = step.rows[j];
        if (s.slot_of[i] >= 0 && static_cast<int64_t>(s.out[i].size()) + 1 < max_new_tokens_of(p, i))
          keep.push_back(static_cast<int64_t>(j)), rows.push_back(i);
      }
      const bool every_row_stays = rows.size() == step.rows.size();
      std::optional<QueuedStep> next;
      if (!rows.empty() && (every_row_stays || s.waiting.empty()))
        next = queue_step(rows, every_row_stays ? step.ids : step.ids.index_select(0, torch::tensor(keep).to(step.ids.device())),
                          s, cache);
      pending = read_step(step, s);
      if (!next) break;
      accept(pending, s, cache, p, stop_hit, finished);
      if (can_admit(s, cache)) {
        queued = std::move(next);
        pending.clear();
        break;
      }
      step = std::move(*next);
    }
    s.stats.decode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return pending;
  }

  // Log-likelihood of each continuation after its prompt (LocalModel::score), one item at a time.
  std::vector<ContinuationScore> score_ids(const std::vector<std::vector<int32_t>>& prompts,
                                           const std::vector<std::vector<int32_t>>& continuations) {
    if (prompts.size() != continuations.size())
      throw std::invalid_argument(fmt::format("score: {} prompts but {} continuations", prompts.size(), continuations.size()));
    const int64_t context = model->config().max_position_embeddings;
    std::vector<ContinuationScore> out(prompts.size());
    std::lock_guard<std::mutex> lock(mu);
    const c10::DeviceGuard on_device(device);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < prompts.size(); ++i) {
      ContinuationScore& r = out[i];
      const auto& prompt = prompts[i];
      const auto& cont = continuations[i];
      r.prompt_tokens = static_cast<int64_t>(prompt.size());
      r.tokens = static_cast<int64_t>(cont.size());
      if (prompt.empty()) {
        r.error = "empty prompt (no tokens): the first continuation token has nothing to be predicted from";
        continue;
      }
      if (cont.empty()) {
        r.error = "empty continuation (no tokens): nothing to score";
        continue;
      }
      if (r.prompt_tokens + r.tokens > context) {
        r.error = fmt::format("prompt of {} tokens + continuation of {} tokens exceeds the model's context of {} "
                              "tokens (max_position_embeddings)", r.prompt_tokens, r.tokens, context);
        continue;
      }
      // The last continuation token is only a target: the forward runs over everything before it.
      std::vector<int64_t> ids(prompt.begin(), prompt.end());
      ids.insert(ids.end(), cont.begin(), cont.end() - 1);
      const int64_t length = static_cast<int64_t>(ids.size());
      KVCache cache = model->make_cache(1, length);
      const torch::Tensor logits = model->forward(torch::tensor(ids).view({1, -1}), cache, {0}, false)[0];
      // Position p's logits predict token p + 1: the continuation's tokens are predicted from
      // positions prompt_tokens - 1 .. length - 1.
      const torch::Tensor predicting = logits.narrow(0, r.prompt_tokens - 1, r.tokens).to(torch::kFloat32);
      const torch::Tensor targets =
          torch::tensor(std::vector<int64_t>(cont.begin(), cont.end())).to(predicting.device()).view({-1, 1});
      const torch::Tensor logp = torch::log_softmax(predicting, -1).gather(1, targets);
      r.nll = -logp.to(torch::kFloat64).sum().item<double>();
    }
    return out;
  }

  // A prompt's ids as generate() feeds it: in the chat format under the `chat` option.
  std::vector<int32_t> encode_prompt(const std::string& prompt, bool add_bos) const {
    const Tokenizer& tok = text_tokenizer();
    // The chat text carries its own begin-of-text token where the format has one.
    if (chat) return tok.encode(apply_chat_template(tok, tokenizer_config, {{"user", prompt}}, true, template_origin), false);
    return tok.encode(prompt, add_bos);
  }

  const Tokenizer& text_tokenizer() const {
    if (!tokenizer)
      throw InputError("this checkpoint has no tokenizer.json or tokenizer.model: text generation needs one");
    return *tokenizer;
  }

  // Encoded prompts to text. A prompt that cannot fit the model's context (max_position_embeddings)
  // together with max_new_tokens gets an error of its own, as an OpenAI server answers such a
  // request; the others are generated (the error never costs them their answers).
  // `refused`, when given, holds one entry per prompt: a non-empty one is that prompt's error from
  // the chat template (its ids are empty), reported as the prompt's own result like a context overflow.
  std::vector<Generation> generate_text(const std::vector<std::vector<int32_t>>& ids, const SamplingParams& params,
                                        ScheduleStats* stats, const std::vector<std::string>* refused = nullptr) {
    const int64_t context = model->config().max_position_embeddings;
    if (!params.prompt_max_new_tokens.empty() && params.prompt_max_new_tokens.size() != ids.size())
      throw std::invalid_argument("generate: prompt_max_new_tokens must be empty or one per prompt");
    std::vector<Generation> out(ids.size());
    std::vector<size_t> fit;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (refused && !(*refused)[i].empty()) {
        out[i].error = (*refused)[i];
        out[i].template_refused = true;
        if (params.on_done) params.on_done(i, out[i]);
        continue;
      }
      const int64_t n = static_cast<int64_t>(ids[i].size());
      const int64_t new_tokens = std::max<int64_t>(max_new_tokens_of(params, i), 1);
      if (n + new_tokens <= context) {
        fit.push_back(i);
        continue;
      }
      out[i].prompt_tokens = n;
      out[i].context_exceeded = true;
      out[i].error = fmt::format("prompt of {} tokens + {} new tokens exceeds the model's context of {} tokens "
                                 "(max_position_embeddings)", n, new_tokens, context);
      if (params.on_done) params.on_done(i, out[i]);
    }
    if (fit.size() == ids.size()) return generate_fitting(ids, params, stats);
    if (fit.empty()) {
      if (stats) *stats = ScheduleStats{};
      return out;
    }
    std::vector<std::vector<int32_t>> fit_ids;
    SamplingParams sub = params;
    sub.prompt_seeds.clear();
    sub.prompt_max_new_tokens.clear();
    for (size_t i : fit) {
      fit_ids.push_back(ids[i]);
      if (!params.prompt_seeds.empty()) sub.prompt_seeds.push_back(params.prompt_seeds[i]);
      if (!params.prompt_max_new_tokens.empty()) sub.prompt_max_new_tokens.push_back(params.prompt_max_new_tokens[i]);
    }
    if (params.on_text) sub.on_text = [&](size_t j, const std::string& piece) { params.on_text(fit[j], piece); };
    if (params.on_done) sub.on_done = [&](size_t j, const Generation& g) { params.on_done(fit[j], g); };
    std::vector<Generation> done = generate_fitting(fit_ids, sub, stats);
    for (size_t j = 0; j < fit.size(); ++j) out[fit[j]] = std::move(done[j]);
    return out;
  }

  // Encoded prompts (that fit the context) to text: stop strings end a sequence (its text cut
  // before them), streamed pieces go to p.on_text as they become final, and each prompt's result
  // to p.on_done as soon as it ends.
  std::vector<Generation> generate_fitting(const std::vector<std::vector<int32_t>>& ids, const SamplingParams& params,
                                           ScheduleStats* stats) {
    const Tokenizer& tok = text_tokenizer();
    // Each sequence's text is decoded a few tokens at a time and searched for stop strings only
    // where a new one can end, so a step's host work does not grow with the answer.
    std::vector<IncrementalDecoder> texts(ids.size());
    std::vector<size_t> streamed(ids.size(), 0);
    size_t longest_stop = 0;
    for (const auto& s : params.stop) longest_stop = std::max(longest_stop, s.size());
    auto stop_hit = [&](size_t i, const std::vector<int32_t>& generated) {
      if (params.stop.empty() && !params.on_text) return false;
      // Text before the settled bytes was searched at an earlier step: a stop string found now
      // ends after them.
      const size_t settled = texts[i].settled();
      const std::string& text = texts[i].update(tok, generated);
      // (A decode found not to be local rewrites earlier text: then everything is searched.)
      const size_t from = settled >= longest_stop && !texts[i].whole_decodes() ? settled - longest_stop + 1 : 0;
      bool hit = false;
      for (const auto& s : params.stop)
        if (!s.empty() && text.find(s, from) != std::string::npos) hit = true;
      if (params.on_text && !hit) {
        const size_t stable = streamable_length(text, params.stop);
        if (stable > streamed[i]) {
          params.on_text(i, text.substr(streamed[i], stable - streamed[i]));
          streamed[i] = stable;
        }
      }
      return hit;
    };
    std::vector<Generation> out(ids.size());
    auto finished = [&](size_t i, const std::vector<int32_t>& generated, const char* reason) {
      Generation& g = out[i];
      g.tokens = generated;
      g.prompt_tokens = static_cast<int64_t>(ids[i].size());
      g.finish_reason = reason;
      g.text = tok.decode(generated, true);
      size_t cut = std::string::npos;
      for (const auto& s : params.stop)
        if (!s.empty()) cut = std::min(cut, g.text.find(s));
      if (cut != std::string::npos) g.text.resize(cut);
      if (params.on_done) params.on_done(i, g);
    };
    run(ids, params, stop_hit, finished, stats);
    return out;
  }
};

LocalModel::LocalModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalModel::~LocalModel() = default;

std::unique_ptr<LocalModel> LocalModel::load(const std::filesystem::path& dir, const LocalModelOptions& options) {
  check_device_spec(options.device, options.dtype);
  const bool cuda = options.device != "cpu";
  if (cuda && !torch::cuda::is_available())
    throw InputError(fmt::format("device \"{}\" requested but this build or machine has no CUDA", options.device));
  ModelOptions mo;
  mo.device = torch::Device(options.device);
  mo.dtype = parse_dtype_name(options.dtype, cuda);
  mo.selective_v_topk = options.selective_v_topk;
  mo.cuda_kernels = options.cuda_kernels;
  mo.cuda_graphs = options.cuda_graphs;
  mo.fused_decode = options.fused_decode;
  if (options.decode_chunk_tokens < 0)
    throw InputError(fmt::format("decode chunk {} must be >= 0 (0: the planner's)", options.decode_chunk_tokens));
  mo.decode_chunk_tokens = options.decode_chunk_tokens;
  if (options.decode_q_heads < 0)
    throw InputError(fmt::format("decode Q heads {} must be >= 0 (0: the planner's)", options.decode_q_heads));
  mo.decode_q_heads = options.decode_q_heads;
  if (!(options.decode_chunk_scale >= 0) || (options.decode_chunk_scale > 0 && options.decode_chunk_tokens > 0))
    throw InputError(fmt::format("decode chunk scale {} must be >= 0 (0: the planner's chunk) and cannot be given "
                                 "with a decode chunk",
                                 options.decode_chunk_scale));
  mo.decode_chunk_scale = options.decode_chunk_scale;
  mo.decode_pdl = options.decode_pdl;
  mo.attention_launch_early = options.attention_launch_early;
  mo.cpu_quantized = options.quantized;
  mo.threads = options.threads;
  mo.phase_times = options.phase_times;
  auto impl = std::make_unique<Impl>();
  impl->device = mo.device;
  const auto gguf_path = gguf::find_gguf(dir);
  if (gguf_path) {
    // A GGUF checkpoint carries its tokenizer and chat template in its metadata.
    const auto file = gguf::GgufFile::open(*gguf_path);
    impl->model = Model::load(*file, mo);
    impl->tokenizer = gguf::gguf_tokenizer(*file);
    impl->tokenizer_config = gguf::gguf_tokenizer_config(*file);
  } else {
    impl->model = Model::load(dir, mo);
    if (input_file_present(dir / "tokenizer.json") || input_file_present(dir / "tokenizer.model"))
      impl->tokenizer = load_tokenizer(dir);
    impl->tokenizer_config = load_tokenizer_config(dir);  // with chat_template.jinja's template
  }
  // Every id the tokenizer can produce must index the model's embedding: a tokenizer that reaches
  // past it belongs to another model, and would fail each prompt that uses those ids.
  if (impl->tokenizer && impl->tokenizer->vocab_size() > impl->model->config().vocab_size) {
    const std::string tokenizer_file =
        gguf_path ? gguf_path->string()
                  : (dir / (input_file_present(dir / "tokenizer.json") ? "tokenizer.json" : "tokenizer.model")).string();
    throw InputError(fmt::format("{}: the tokenizer's ids reach {} but the model's vocabulary (vocab_size) has {} "
                                 "tokens: the tokenizer and the weights do not belong together",
                                 tokenizer_file, impl->tokenizer->vocab_size() - 1, impl->model->config().vocab_size));
  }
  impl->prefill_limits.max_padded_tokens =
      options.prefill_tokens > 0 ? options.prefill_tokens : (cuda ? int64_t{65536} : int64_t{4096});
  impl->prefill_limits.held_read_in_place = impl->model->prefill_reads_cache_in_place();
  impl->chat = options.chat;
  impl->decode_ahead = options.decode_ahead < 0 ? cuda : options.decode_ahead != 0;
  if (!(options.memory_share > 0.0 && options.memory_share <= 1.0))
    throw InputError(fmt::format("memory_share {} is not in (0, 1]", options.memory_share));
  impl->memory_share = options.memory_share;
  if (options.chat && !impl->tokenizer)
    throw InputError(fmt::format("{}: chat formatting needs a tokenizer", dir.string()));
  impl->template_origin = gguf_path ? fmt::format("{} (tokenizer.chat_template)", gguf_path->string())
                          : input_file_present(dir / "chat_template.jinja")
                              ? (dir / "chat_template.jinja").string()
                              : fmt::format("{} (chat_template)", (dir / "tokenizer_config.json").string());
  // Under chat, a template that does not parse, or fails on a plain one-turn conversation (a
  // raise_exception, a loop past the interpreter's bounds), is the checkpoint's error, found now
  // (exit 2 before a run starts), not once per prompt.
  if (const std::string text = chat_template_text(impl->tokenizer_config); options.chat && !text.empty()) {
    jinja::Template(text, impl->template_origin);
    try {
      apply_chat_template(*impl->tokenizer, impl->tokenizer_config, {{"user", "hello"}}, true, impl->template_origin);
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: the chat template fails on a one-turn conversation: {}",
                                   impl->template_origin, e.what()));
    }
  }
  // Stop ids as transformers' generate() takes them: generation_config.json's eos_token_id, else
  // config.json's (a GGUF file's eos/eot ids); else the tokenizer's.
  for (int64_t id : gguf_path ? impl->model->config().eos_token_ids
                              : stop_token_ids(impl->model->config(), load_generation_config(dir)))
    impl->eos.push_back(static_cast<int32_t>(id));
  if (impl->eos.empty() && impl->tokenizer) impl->eos = impl->tokenizer->eos_ids();
  return std::unique_ptr<LocalModel>(new LocalModel(std::move(impl)));
}

const ModelConfig& LocalModel::config() const { return impl_->model->config(); }

std::string LocalModel::cpu_kernels() const { return impl_->model->cpu_kernels(); }

std::string LocalModel::decode_attention_plan(int64_t batch, int64_t capacity) const {
  return impl_->model->decode_attention_plan(batch, capacity);
}

DecodePath LocalModel::decode_path(int64_t batch) const {
  const Model& m = *impl_->model;
  DecodePath path;
  path.kernels = m.decode_kernels_active();
  path.graphs = m.decode_graphs_active();
  path.fused = m.fused_decode_active();
  path.ahead = impl_->decode_ahead;
  path.kernels_per_step = m.decode_graph_kernels(batch);
  path.cpu = m.cpu_path();
  const Model::DecodeGraphStats t = m.decode_graph_stats();
  path.graph_steps = t.steps;
  path.graph_gpu_seconds = t.seconds;
  path.graph_captures = t.captures;
  path.graph_capture_seconds = t.capture_seconds;
  return path;
}

std::vector<std::vector<int32_t>> LocalModel::generate_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                                              const SamplingParams& params, ScheduleStats* stats) {
  return impl_->run(prompts, params, nullptr, nullptr, stats);
}

namespace {

// Each prompt's ids from render(i); a prompt the chat template refuses (raise_exception) gets that
// as its own error in `refused` instead of failing the whole call.
template <typename Render>
void encode_each(size_t n, Render render, std::vector<std::vector<int32_t>>& ids, std::vector<std::string>& refused) {
  ids.assign(n, {});
  refused.assign(n, {});
  for (size_t i = 0; i < n; ++i) {
    try {
      ids[i] = render(i);
    } catch (const jinja::TemplateError& e) {
      refused[i] = fmt::format("the model's chat template refused the conversation: {}", e.what());
    }
  }
}

}  // namespace

std::vector<Generation> LocalModel::generate(const std::vector<std::string>& prompts, const SamplingParams& params,
                                             ScheduleStats* stats) {
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> refused;
  encode_each(prompts.size(), [&](size_t i) { return impl_->encode_prompt(prompts[i], params.add_bos); }, ids, refused);
  return impl_->generate_text(ids, params, stats, &refused);
}

std::vector<ContinuationScore> LocalModel::score(const std::vector<std::string>& prompts,
                                                 const std::vector<std::string>& continuations, bool add_bos) {
  const Tokenizer& tok = impl_->text_tokenizer();
  std::vector<std::vector<int32_t>> prompt_ids, continuation_ids;
  std::vector<std::string> refused;
  encode_each(prompts.size(), [&](size_t i) { return impl_->encode_prompt(prompts[i], add_bos); }, prompt_ids, refused);
  for (const auto& c : continuations) continuation_ids.push_back(tok.encode(c, false));
  std::vector<ContinuationScore> out = impl_->score_ids(prompt_ids, continuation_ids);
  for (size_t i = 0; i < out.size(); ++i)
    if (!refused[i].empty()) out[i].error = refused[i];  // not "empty prompt": say why it is empty
  return out;
}

std::vector<ContinuationScore> LocalModel::score_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                                        const std::vector<std::vector<int32_t>>& continuations) {
  return impl_->score_ids(prompts, continuations);
}

std::vector<Generation> LocalModel::generate_chat(const std::vector<std::vector<ChatMessage>>& conversations,
                                                  const SamplingParams& params, ScheduleStats* stats) {
  const Tokenizer& tok = impl_->text_tokenizer();
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> refused;
  encode_each(
      conversations.size(),
      [&](size_t i) {
        return tok.encode(
            apply_chat_template(tok, impl_->tokenizer_config, conversations[i], true, impl_->template_origin), false);
      },
      ids, refused);
  return impl_->generate_text(ids, params, stats, &refused);
}

void ScheduleStats::add_counts(const ScheduleStats& o) {
  if (o.slots > slots && !o.slots_reason.empty()) slots_reason = o.slots_reason;  // that of the most slots
  slots = std::max(slots, o.slots);
  capacity_tokens = std::max(capacity_tokens, o.capacity_tokens);
  prefix_slots = std::max(prefix_slots, o.prefix_slots);
  prefills += o.prefills;
  decode_steps += o.decode_steps;
  slot_steps += o.slot_steps;
  discarded_rows += o.discarded_rows;
  prompt_tokens_prefilled += o.prompt_tokens_prefilled;
  prefixes += o.prefixes;
  prefix_tokens_prefilled += o.prefix_tokens_prefilled;
  prefix_tokens_reused += o.prefix_tokens_reused;
  admit_seconds += o.admit_seconds;
  decode_seconds += o.decode_seconds;
  for (const auto& [phase, seconds] : o.phase_seconds) phase_seconds[phase] += seconds;
}

std::string ScheduleStats::time_summary() const {
  std::string phases;
  for (const auto& [phase, seconds] : phase_seconds) phases += fmt::format("; {} {:.2f} s", phase, seconds);
  const std::string discarded =
      discarded_rows > 0 ? fmt::format(", {} rows of ended prompts discarded (decode ahead)", discarded_rows) : "";
  return fmt::format("time in the model: admitting {:.2f} s ({} prefill forwards), decoding {:.2f} s ({} steps, {:.1f} "
                     "prompts a step on average{})",
                     admit_seconds, prefills, decode_seconds, decode_steps,
                     decode_steps > 0 ? static_cast<double>(slot_steps) / static_cast<double>(decode_steps) : 0.0,
                     discarded) +
         phases;
}

std::string ScheduleStats::prefill_summary() const {
  const int64_t prompt_tokens = prompt_tokens_prefilled + prefix_tokens_reused;
  return fmt::format("prefill: {} prompt tokens + {} prefix tokens prefilled, {} reused from {} shared prefixes "
                     "({:.1f}% of the prompts' {} tokens), {} prefix slots",
                     prompt_tokens_prefilled, prefix_tokens_prefilled, prefix_tokens_reused, prefixes,
                     prompt_tokens > 0 ? 100.0 * static_cast<double>(prefix_tokens_reused) / static_cast<double>(prompt_tokens) : 0.0,
                     prompt_tokens, prefix_slots);
}

}  // namespace aimicius::runtime
