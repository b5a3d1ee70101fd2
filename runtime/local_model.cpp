#include "runtime/local_model.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_file.h"
#include "common/utf8.h"
#include "runtime/model.h"
#include "runtime/prefill_plan.h"
#include "runtime/tokenizer/chat_template.h"
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
  nlohmann::json tokenizer_config;  // tokenizer_config.json when present (chat format detection)
  std::mutex mu;  // one generation at a time per model: the cache and weights are shared

  std::vector<std::vector<int32_t>> run(const std::vector<std::vector<int32_t>>& prompts, const SamplingParams& p,
                                        const std::function<bool(size_t, const std::vector<int32_t>&)>& stop_hit,
                                        std::vector<std::string>* reasons) {
    std::lock_guard<std::mutex> lock(mu);
    torch::NoGradGuard no_grad;
    const int64_t n = static_cast<int64_t>(prompts.size());
    std::vector<std::vector<int32_t>> out(n);
    if (reasons) reasons->assign(n, "length");
    if (n == 0) return out;
    int64_t longest = 0;
    for (const auto& pr : prompts) {
      if (pr.empty()) throw InputError("generate: empty prompt (no tokens)");
      longest = std::max<int64_t>(longest, static_cast<int64_t>(pr.size()));
    }
    KVCache cache = model->make_cache(n, longest + std::max<int64_t>(p.max_new_tokens, 1));
    if (!p.prompt_seeds.empty() && static_cast<int64_t>(p.prompt_seeds.size()) != n)
      throw std::invalid_argument("generate: prompt_seeds must be empty or one per prompt");
    std::vector<std::mt19937_64> rngs;
    for (int64_t i = 0; i < n; ++i)
      rngs.emplace_back(p.prompt_seeds.empty() ? p.seed * 1000003ull + static_cast<uint64_t>(i) : p.prompt_seeds[i]);

    std::vector<int32_t> next(n);
    prefill(prompts, cache, p, rngs, next);
    std::vector<int64_t> active;
    for (int64_t i = 0; i < n; ++i) active.push_back(i);
    for (int64_t step = 0; step < p.max_new_tokens && !active.empty(); ++step) {
      std::vector<int64_t> still;
      std::vector<int64_t> feed;
      for (int64_t i : active) {
        const int32_t t = next[i];
        if (!p.ignore_eos && std::find(eos.begin(), eos.end(), t) != eos.end()) {
          if (reasons) (*reasons)[i] = "eos";
          continue;
        }
        out[i].push_back(t);
        if (stop_hit && stop_hit(static_cast<size_t>(i), out[i])) {
          if (reasons) (*reasons)[i] = "stop";
          continue;
        }
        if (step + 1 < p.max_new_tokens) {
          still.push_back(i);
          feed.push_back(t);
        }
      }
      active = still;
      if (active.empty()) break;
      const torch::Tensor ids = torch::tensor(feed).view({-1, 1});
      pick_rows(model->forward(ids, cache, active, true), active, p, rngs, next);
    }
    return out;
  }

  // Prompt i into cache slot i, in the groups prefill_limits allows, and its first new token.
  void prefill(const std::vector<std::vector<int32_t>>& prompts, KVCache& cache, const SamplingParams& p,
               std::vector<std::mt19937_64>& rngs, std::vector<int32_t>& next) {
    std::vector<int64_t> lengths;
    for (const auto& pr : prompts) lengths.push_back(static_cast<int64_t>(pr.size()));
    for (const auto& group : plan_prefill_groups(lengths, prefill_limits)) {
      std::vector<std::vector<int32_t>> members;
      for (int64_t i : group) members.push_back(prompts[i]);
      pick_rows(model->prefill(members, cache, group), group, p, rngs, next);
    }
  }

  // Log-likelihood of each continuation after its prompt (LocalModel::score), one item at a time.
  std::vector<ContinuationScore> score_ids(const std::vector<std::vector<int32_t>>& prompts,
                                           const std::vector<std::vector<int32_t>>& continuations) {
    if (prompts.size() != continuations.size())
      throw std::invalid_argument(fmt::format("score: {} prompts but {} continuations", prompts.size(), continuations.size()));
    const int64_t context = model->config().max_position_embeddings;
    std::vector<ContinuationScore> out(prompts.size());
    std::lock_guard<std::mutex> lock(mu);
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
    if (chat) return tok.encode(apply_chat_template(tok, tokenizer_config, {{"user", prompt}}, true), false);
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
  std::vector<Generation> generate_text(const std::vector<std::vector<int32_t>>& ids, const SamplingParams& params) {
    const int64_t context = model->config().max_position_embeddings;
    const int64_t new_tokens = std::max<int64_t>(params.max_new_tokens, 1);
    std::vector<Generation> out(ids.size());
    std::vector<size_t> fit;
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t n = static_cast<int64_t>(ids[i].size());
      if (n + new_tokens <= context) {
        fit.push_back(i);
        continue;
      }
      out[i].prompt_tokens = n;
      out[i].context_exceeded = true;
      out[i].error = fmt::format("prompt of {} tokens + {} new tokens exceeds the model's context of {} tokens "
                                 "(max_position_embeddings)", n, new_tokens, context);
    }
    if (fit.size() == ids.size()) return generate_fitting(ids, params);
    if (fit.empty()) return out;
    std::vector<std::vector<int32_t>> fit_ids;
    SamplingParams sub = params;
    sub.prompt_seeds.clear();
    for (size_t i : fit) {
      fit_ids.push_back(ids[i]);
      if (!params.prompt_seeds.empty()) sub.prompt_seeds.push_back(params.prompt_seeds[i]);
    }
    if (params.on_text) sub.on_text = [&](size_t j, const std::string& piece) { params.on_text(fit[j], piece); };
    std::vector<Generation> done = generate_fitting(fit_ids, sub);
    for (size_t j = 0; j < fit.size(); ++j) out[fit[j]] = std::move(done[j]);
    return out;
  }

  // Encoded prompts (that fit the context) to text: stop strings end a sequence (its text cut
  // before them), and streamed pieces go to p.on_text as they become final.
  std::vector<Generation> generate_fitting(const std::vector<std::vector<int32_t>>& ids, const SamplingParams& params) {
    const Tokenizer& tok = text_tokenizer();
    std::vector<std::string> texts(ids.size());
    std::vector<size_t> streamed(ids.size(), 0);
    auto stop_hit = [&](size_t i, const std::vector<int32_t>& generated) {
      if (params.stop.empty() && !params.on_text) return false;
      texts[i] = tok.decode(generated, true);
      bool hit = false;
      for (const auto& s : params.stop)
        if (!s.empty() && texts[i].find(s) != std::string::npos) hit = true;
      if (params.on_text && !hit) {
        const size_t stable = streamable_length(texts[i], params.stop);
        if (stable > streamed[i]) {
          params.on_text(i, texts[i].substr(streamed[i], stable - streamed[i]));
          streamed[i] = stable;
        }
      }
      return hit;
    };
    std::vector<std::string> reasons;
    const auto generated = run(ids, params, stop_hit, &reasons);
    std::vector<Generation> out(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      out[i].tokens = generated[i];
      out[i].prompt_tokens = static_cast<int64_t>(ids[i].size());
      out[i].finish_reason = reasons[i];
      std::string text = tok.decode(generated[i], true);
      size_t cut = std::string::npos;
      for (const auto& s : params.stop)
        if (!s.empty()) cut = std::min(cut, text.find(s));
      if (cut != std::string::npos) text.resize(cut);
      out[i].text = std::move(text);
    }
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
  auto impl = std::make_unique<Impl>();
  impl->model = Model::load(dir, mo);
  impl->prefill_limits.max_padded_tokens =
      options.prefill_tokens > 0 ? options.prefill_tokens : (cuda ? int64_t{65536} : int64_t{4096});
  if (std::filesystem::exists(dir / "tokenizer.json") || std::filesystem::exists(dir / "tokenizer.model"))
    impl->tokenizer = load_tokenizer(dir);
  impl->chat = options.chat;
  if (options.chat && !impl->tokenizer)
    throw InputError(fmt::format("{}: chat formatting needs a tokenizer", dir.string()));
  if (std::filesystem::exists(dir / "tokenizer_config.json"))
    impl->tokenizer_config = read_json_file(dir / "tokenizer_config.json");
  for (int64_t id : impl->model->config().eos_token_ids) impl->eos.push_back(static_cast<int32_t>(id));
  if (impl->eos.empty() && impl->tokenizer) impl->eos = impl->tokenizer->eos_ids();
  return std::unique_ptr<LocalModel>(new LocalModel(std::move(impl)));
}

const ModelConfig& LocalModel::config() const { return impl_->model->config(); }

std::vector<std::vector<int32_t>> LocalModel::generate_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                                              const SamplingParams& params) {
  return impl_->run(prompts, params, nullptr, nullptr);
}

std::vector<Generation> LocalModel::generate(const std::vector<std::string>& prompts, const SamplingParams& params) {
  std::vector<std::vector<int32_t>> ids;
  for (const auto& p : prompts) ids.push_back(impl_->encode_prompt(p, params.add_bos));
  return impl_->generate_text(ids, params);
}

std::vector<ContinuationScore> LocalModel::score(const std::vector<std::string>& prompts,
                                                 const std::vector<std::string>& continuations, bool add_bos) {
  const Tokenizer& tok = impl_->text_tokenizer();
  std::vector<std::vector<int32_t>> prompt_ids, continuation_ids;
  for (const auto& p : prompts) prompt_ids.push_back(impl_->encode_prompt(p, add_bos));
  for (const auto& c : continuations) continuation_ids.push_back(tok.encode(c, false));
  return impl_->score_ids(prompt_ids, continuation_ids);
}

std::vector<ContinuationScore> LocalModel::score_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                                        const std::vector<std::vector<int32_t>>& continuations) {
  return impl_->score_ids(prompts, continuations);
}

std::vector<Generation> LocalModel::generate_chat(const std::vector<std::vector<ChatMessage>>& conversations,
                                                  const SamplingParams& params) {
  const Tokenizer& tok = impl_->text_tokenizer();
  std::vector<std::vector<int32_t>> ids;
  for (const auto& messages : conversations)
    ids.push_back(tok.encode(apply_chat_template(tok, impl_->tokenizer_config, messages, true), false));
  return impl_->generate_text(ids, params);
}

}  // namespace aimicius::runtime
