#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/errors.h"
#include "common/temp_dir.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/model.h"
#include "runtime/safetensors.h"
#include "training/train_data.h"
#include "training/train_model.h"

namespace aimicius::runtime {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kHeldoutSeed = 0x5eed;

torch::ScalarType parse_dtype(const std::string& name, const std::string& what) {
  if (name == "f32") return torch::kFloat32;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "f16") return torch::kFloat16;
  throw InputError(fmt::format("train: {} \"{}\" is not f32, bf16 or f16", what, name));
}

DType file_dtype(torch::ScalarType t) {
  if (t == torch::kBFloat16) return DType::kBF16;
  if (t == torch::kFloat16) return DType::kF16;
  return DType::kF32;
}

// `count` windows of `len` tokens starting at positions drawn from `rng` (uniform over the stream).
torch::Tensor windows(const std::vector<int32_t>& stream, int64_t count, int64_t len, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> start(0, static_cast<int64_t>(stream.size()) - len);
  torch::Tensor out = torch::empty({count, len}, torch::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (int64_t b = 0; b < count; ++b) {
    const int64_t s = start(rng);
    for (int64_t t = 0; t < len; ++t) acc[b][t] = stream[s + t];
  }
  return out;
}

// The held-out windows every run is measured on: drawn with a fixed seed, not the training seed,
// so that runs with different seeds (and `aimicius eval-loss`) see the same windows.
torch::Tensor heldout_windows(const std::vector<int32_t>& stream, int64_t count, int64_t len) {
  std::mt19937_64 rng(kHeldoutSeed);
  return windows(stream, count, len, rng);
}

double eval_loss(const TrainableModel& model, const torch::Tensor& eval_windows, torch::ScalarType compute,
                 int64_t batch) {
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  int64_t n = 0;
  for (int64_t i = 0; i < eval_windows.size(0); i += batch) {
    const torch::Tensor chunk = eval_windows.narrow(0, i, std::min(batch, eval_windows.size(0) - i));
    sum += model.loss(chunk, compute).item<double>() * chunk.size(0);
    n += chunk.size(0);
  }
  return sum / static_cast<double>(n);
}

void write_log(const fs::path& file, const ModelConfig& config, const TrainOptions& o, const TrainReport& r,
               const TokenStreams& data) {
  nlohmann::ordered_json j;
  j["config"] = config.to_json();
  j["options"] = {{"corpus", o.corpus.string()}, {"tokenizer", o.tokenizer.empty() ? "byte-level" : o.tokenizer.string()},
                  {"device", o.device}, {"compute_dtype", o.compute_dtype},
                  {"save_dtype", o.save_dtype}, {"steps", o.steps}, {"batch", o.batch}, {"seq_len", o.seq_len},
                  {"lr", o.lr}, {"min_lr_ratio", o.min_lr_ratio}, {"warmup", o.warmup},
                  {"weight_decay", o.weight_decay}, {"clip", o.clip}, {"seed", o.seed},
                  {"eval_windows", o.eval_windows}};
  j["corpus"] = {{"documents", data.documents}, {"bytes", data.bytes}, {"train_tokens", data.train.size()},
                 {"eval_tokens", data.eval.size()}};
  j["parameters"] = r.parameters;
  j["tokens_seen"] = r.tokens_seen;
  j["seconds"] = r.seconds;
  j["tokens_per_second"] = r.tokens_per_second;
  j["train_loss"] = r.train_loss;
  j["eval_loss"] = r.eval_loss;
  std::ofstream out(file, std::ios::trunc);
  if (!out) throw InputError(fmt::format("cannot write {}", file.string()));
  out << j.dump(2) << "\n";
}

}  // namespace

double scheduled_lr(int64_t step, int64_t total, int64_t warmup, double peak, double min_ratio) {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double span = static_cast<double>(std::max<int64_t>(total - warmup, 1));
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
  const double floor = peak * min_ratio;
  return floor + 0.5 * (peak - floor) * (1.0 + std::cos(M_PI * progress));
}

TrainReport train_model(const TrainOptions& o, const std::function<void(const std::string&)>& log) {
  if (o.steps < 1 || o.batch < 1 || o.seq_len < 2 || o.lr <= 0 || o.warmup < 0 || o.eval_windows < 1)
    throw InputError("train: steps, batch, eval windows must be >= 1, seq_len >= 2, lr > 0, warmup >= 0");
  o.config.validate("train");
  const torch::Device device(o.device);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw InputError(fmt::format("train: device {} asked for, but this LibTorch sees no CUDA device", o.device));
  const torch::ScalarType compute =
      parse_dtype(o.compute_dtype.empty() ? (device.is_cuda() ? "bf16" : "f32") : o.compute_dtype, "compute dtype");
  const torch::ScalarType save = parse_dtype(o.save_dtype, "save dtype");

  // The tokenizer the checkpoint will carry is set up in a staging folder first, so that training
  // tokenizes exactly as inference will (load_tokenizer reads it back) and `out` is touched only
  // once the corpus has loaded: a bad corpus or tokenizer leaves an existing checkpoint there whole.
  const TempDir staging("aimicius-train-");
  ModelConfig config = o.config;
  const bool byte_level = o.tokenizer.empty();
  if (byte_level) {
    write_byte_level_tokenizer(staging.path() / "tokenizer.json", config.vocab_size);
  } else {
    const fs::path model_file = fs::is_directory(o.tokenizer) ? o.tokenizer / "tokenizer.model" : o.tokenizer;
    if (!fs::is_regular_file(model_file))
      throw InputError(fmt::format("train: tokenizer {} is not a tokenizer.model (or a folder holding one)",
                                   o.tokenizer.string()));
    fs::copy_file(model_file, staging.path() / "tokenizer.model");
  }
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(staging.path());
  if (!byte_level) {
    if (tokenizer->vocab_size() != config.vocab_size)
      throw InputError(fmt::format("train: the tokenizer {} has {} pieces but the config's vocab_size is {}",
                                   o.tokenizer.string(), tokenizer->vocab_size(), config.vocab_size));
    config.bos_token_ids.clear();
    config.eos_token_ids.clear();
    if (const auto bos = tokenizer->bos_id()) config.bos_token_ids = {*bos};
    for (const int32_t eos : tokenizer->eos_ids()) config.eos_token_ids.push_back(eos);
  }
  const TokenStreams data = load_token_streams(o.corpus, *tokenizer);
  const int64_t window = o.seq_len + 1;
  if (static_cast<int64_t>(data.train.size()) < window || static_cast<int64_t>(data.eval.size()) < window)
    throw InputError(fmt::format("train: the corpus {} is too small for windows of {} tokens ({} train, {} held-out)",
                                 o.corpus.string(), window, data.train.size(), data.eval.size()));
  // Now `out`: an earlier tokenizer's files go (load_tokenizer would prefer a byte-level
  // tokenizer.json to a tokenizer.model beside it), the staged SentencePiece model comes in.
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw InputError(fmt::format("cannot create {}: {}", o.out.string(), ec.message()));
  for (const char* stale : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model"}) fs::remove(o.out / stale, ec);
  // (write_checkpoint writes the byte-level tokenizer itself.)
  if (!byte_level) fs::copy_file(staging.path() / "tokenizer.model", o.out / "tokenizer.model");
  log(fmt::format("corpus: {} documents, {} bytes: {} train tokens, {} held-out tokens", data.documents, data.bytes,
                  data.train.size(), data.eval.size()));

  TrainableModel model(config, device, o.seed);
  TrainReport report;
  report.parameters = model.parameter_count();
  report.corpus_documents = data.documents;
  report.train_tokens = static_cast<int64_t>(data.train.size());
  log(fmt::format("model: {} parameters ({} layers, hidden {}, {} Q / {} K / {} V heads, aug-Q {}), {} on {}",
                  report.parameters, config.num_layers, config.hidden_size, config.num_q_heads,
                  config.num_k_heads, config.num_v_heads, config.aug_q_size, c10::toString(compute), o.device));

  // Weight decay on matrices only: decaying norm gains toward 0 fights the normalisation.
  std::vector<torch::Tensor> decay, no_decay;
  for (const torch::Tensor& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(o.lr).betas({0.9, 0.95}).weight_decay(o.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(o.lr).betas({0.9, 0.95}).weight_decay(0.0)));
  torch::optim::AdamW optimizer(std::move(groups));

  std::mt19937_64 batch_rng(o.seed);
  const torch::Tensor eval_set = heldout_windows(data.eval, o.eval_windows, window);
  const auto t0 = std::chrono::steady_clock::now();
  double running = 0.0;
  int64_t running_n = 0;
  for (int64_t step = 0; step < o.steps; ++step) {
    const double lr = scheduled_lr(step, o.steps, o.warmup, o.lr, o.min_lr_ratio);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    const torch::Tensor batch = windows(data.train, o.batch, window, batch_rng).to(device);
    optimizer.zero_grad();
    const torch::Tensor loss = model.loss(batch, compute);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip);
    optimizer.step();
    running += loss.item<double>();
    ++running_n;
    report.tokens_seen += o.batch * o.seq_len;
    const bool last = step + 1 == o.steps;
    if ((step + 1) % o.log_every == 0 || last) {
      report.train_loss.emplace_back(step + 1, running / static_cast<double>(running_n));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      log(fmt::format("step {}/{}: loss {:.4f}, lr {:.2e}, {:.0f} tokens/s", step + 1, o.steps,
                      report.train_loss.back().second, lr, static_cast<double>(report.tokens_seen) / secs));
      running = 0.0;
      running_n = 0;
    }
    if ((o.eval_every > 0 && (step + 1) % o.eval_every == 0) || last) {
      report.eval_loss.emplace_back(step + 1, eval_loss(model, eval_set, compute, o.batch));
      log(fmt::format("step {}: held-out loss {:.4f}", step + 1, report.eval_loss.back().second));
    }
  }
  if (device.is_cuda()) torch::cuda::synchronize();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.tokens_per_second = static_cast<double>(report.tokens_seen) / report.seconds;

  const auto weights = model.export_weights(save);
  std::vector<TensorToWrite> tensors;
  for (const auto& [name, t] : weights)
    tensors.push_back({name, file_dtype(save), t.sizes().vec(),
                       std::string_view(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size())});
  write_checkpoint(config, o.out, tensors, "aimicius train", byte_level);
  write_log(o.out / "train_log.json", config, o, report, data);
  log(fmt::format("wrote {} ({:.1f} s, {:.0f} tokens/s)", o.out.string(), report.seconds, report.tokens_per_second));
  return report;
}

double heldout_loss(const fs::path& checkpoint, const fs::path& corpus, int64_t seq_len, int64_t windows_count,
                    int64_t batch) {
  if (seq_len < 2 || windows_count < 1 || batch < 1)
    throw InputError("eval-loss: seq_len must be >= 2, windows and batch >= 1");
  auto model = Model::load(checkpoint, ModelOptions{});
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(checkpoint);
  const TokenStreams data = load_token_streams(corpus, *tokenizer);
  if (static_cast<int64_t>(data.eval.size()) < seq_len + 1)
    throw InputError(fmt::format("eval-loss: the corpus {} holds {} held-out tokens, fewer than a window of {}",
                                 corpus.string(), data.eval.size(), seq_len + 1));
  const torch::Tensor set = heldout_windows(data.eval, windows_count, seq_len + 1);
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  for (int64_t i = 0; i < windows_count; i += batch) {
    const int64_t n = std::min(batch, windows_count - i);
    const torch::Tensor chunk = set.narrow(0, i, n);
    KVCache cache = model->make_cache(n, seq_len);
    std::vector<int64_t> slots(n);
    for (int64_t b = 0; b < n; ++b) slots[b] = b;
    const torch::Tensor logits = model->forward(chunk.narrow(1, 0, seq_len), cache, slots, false);
    const torch::Tensor targets = chunk.narrow(1, 1, seq_len);
    sum += torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1})).item<double>() *
           static_cast<double>(n);
  }
  return sum / static_cast<double>(windows_count);
}

}  // namespace aimicius::runtime
